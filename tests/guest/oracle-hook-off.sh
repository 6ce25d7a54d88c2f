#!/bin/sh
# Negative control: with the hook switched off (test_disable_hook, taints) the same stress
# must show corruption within 20 s, or the oracle proves nothing.
. /tests/lib.sh
need_faithful
tap_plan 1
oracle_stress off 20
check "hook off: corruption detected (fio verify or MTE churn)" test $? = 0
tap_exit
