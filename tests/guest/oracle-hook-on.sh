#!/bin/sh
# With the hook, swap data and tags share the carve-out without touching each other: the
# churn and fio verify loops see no corruption on the faithful machine.
. /tests/lib.sh
need_faithful
tap_plan 2
oracle_stress on 15
check "hook on: no corruption (fio verify and MTE churn clean)" test $? = 1
check "audit clean" grep -q 'audit: clean' /sys/kernel/debug/mtetag/audit
echo 1 >/sys/block/mtetag0/reset
rmmod mtetag
tap_exit
