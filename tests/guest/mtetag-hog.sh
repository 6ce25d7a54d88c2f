#!/bin/sh
# A hog of 1.5x RAM (mixed zero, same-filled, random and text pages) through /dev/mtetag0 with
# a disksize that fills the carve-out pool and overflows into RAM: every page verified. Then
# pages pushed out with MADV_PAGEOUT come back whole through swapoff.
. /tests/lib.sh
tap_plan 8
modprobe mtetag disksize=0 || { echo "Bail out! modprobe failed"; exit 1; }
sys=/sys/block/mtetag0
total_kb=$(meminfo_kb MemTotal)
echo $((total_kb * 2))K >$sys/disksize
mkswap /dev/mtetag0 >/dev/null && swapon /dev/mtetag0
pagehog --percent 150 --seed 7 --stat $sys/tag_stat --stat $sys/mm_stat >/tmp/hog.out
rc=$?
cat /tmp/hog.out
check "every page of a 1.5x RAM hog reads back intact" test $rc = 0
after_fill() { sed -n "s|^after-fill $sys/tag_stat: .* $1 \([0-9]*\).*|\1|p" /tmp/hog.out; }
pool=$(after_fill pool_bytes) overflow=$(after_fill overflow_bytes)
echo "after the fill: pool bytes=$pool overflow bytes=$overflow"
check "the carve-out pool held data" test "${pool:-0}" -gt 0
check "the overflow tier held data" test "${overflow:-0}" -gt 0
check "stats add up after the hog" stats_add_up mtetag0
pagehog --percent 30 --seed 8 --pageout --after-fill "swapoff /dev/mtetag0" \
	--stat $sys/mm_stat >/tmp/off.out
rc=$?
cat /tmp/off.out
check "pages swapped out before swapoff" \
	test "$(sed -n 's/.*swapped_kb=\([0-9]*\).*/\1/p' /tmp/off.out)" -gt $((total_kb / 8))
check "swapoff under a live hog brings every page back intact" test $rc = 0
check "SwapTotal is 0 after swapoff" test "$(meminfo_kb SwapTotal)" = 0
check "stats add up after swapoff" stats_add_up mtetag0
echo 1 >$sys/reset
rmmod mtetag
tap_exit
