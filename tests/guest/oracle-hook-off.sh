#!/bin/sh
# Negative control: with the hook switched off (test_disable_hook, taints) the same stress
# must show corruption within 20 s, or the oracle proves nothing. The corrupted swap data must
# come back as I/O errors (checksums), never as wrong data.
. /tests/lib.sh
need_faithful
tap_plan 3
oracle_stress off 20
check "hook off: corruption detected (fio verify or MTE churn)" test $? = 0
echo "# io_stat: $(cat /sys/block/mtetag0/io_stat)"
corrupt=$(stat_col /sys/block/mtetag0/io_stat 5)
check "corrupted objects read as I/O errors (corrupt_reads=$corrupt)" test "${corrupt:-0}" -gt 0
check "fio never saw wrong data, only errors" \
	sh -c "! grep -qiE 'verify failed|bad magic|bad header|bad pattern' /tmp/ofio.out"
[ "$_tap_failed" = 0 ] && echo "hardening-word: corrupt_reads_eio=yes"
tap_exit
