#!/bin/sh
# Thousands of hostile writes to every writable attribute: of a device that is swap under a
# live hog, of an unused one, and of the control class (hot_remove). Each is refused or
# applied; nothing oopses or warns (the runner fails the boot on that) and the hog's pages
# all read back. Prints the "hardening-word: sysfs_writes=<N>" of the summary.
. /tests/lib.sh
tap_plan 6
modprobe mtetag num_devices=2 disksize=0 || { echo "Bail out! modprobe failed"; exit 1; }
in_use=/sys/block/mtetag0
spare=/sys/block/mtetag1
echo $(($(meminfo_kb MemTotal) * 2))K >$in_use/disksize
mkswap /dev/mtetag0 >/dev/null && swapon /dev/mtetag0
pagehog --percent 120 --seed 21 --after-fill "sleep 20" >/tmp/hog.out 2>&1 &
hog=$!
sleep 5
# mem_limit of the swap device stays out: a root that caps its swap may OOM its own hog.
# zram's post-processing attributes too: idle marking, writeback (no backing device here),
# recompression and their parameters, under the hog's I/O.
post="idle writeback recompress recomp_algorithm algorithm_params backing_dev writeback_limit
	writeback_limit_enable mem_used_max max_comp_streams"
sysfs-fuzz --writes 3000 --seed 5 $in_use/disksize $in_use/comp_algorithm $in_use/reset \
	$in_use/compact $(for a in $post; do echo $in_use/$a; done) >/tmp/fuzz0.out
rc0=$?
sysfs-fuzz --writes 3000 --seed 6 $spare/disksize $spare/comp_algorithm $spare/mem_limit \
	$spare/reset $spare/compact $(for a in $post; do echo $spare/$a; done) >/tmp/fuzz1.out
rc1=$?
# Last, as it takes devices away: mtetag1 and three more, mtetag0 refuses (in use).
for i in 1 2 3; do cat /sys/class/mtetag-control/hot_add >/dev/null; done
sysfs-fuzz --writes 500 --seed 7 /sys/class/mtetag-control/hot_remove >/tmp/fuzz2.out
rc2=$?
cat /tmp/fuzz0.out /tmp/fuzz1.out /tmp/fuzz2.out
check "writes to the swap device's attributes return" test $rc0 = 0
check "writes to an unused device return, none found its file gone" \
	sh -c "test $rc1 = 0 && grep -q 'vanished=0' /tmp/fuzz1.out && grep -q 'vanished=0' /tmp/fuzz0.out"
check "writes to hot_remove return, mtetag0 stays" sh -c "test $rc2 = 0 && test -b /dev/mtetag0"
wait $hog
rc=$?
tail -1 /tmp/hog.out
check "every page of the hog reads back intact" test $rc = 0
check "the swap device survived as swap" swapoff /dev/mtetag0
echo 1 >$in_use/reset
check "rmmod" rmmod mtetag
n=0
for f in /tmp/fuzz0.out /tmp/fuzz1.out /tmp/fuzz2.out; do
	n=$((n + $(sed -n 's/.*writes=\([0-9]*\).*/\1/p' $f)))
done
echo "hardening-word: sysfs_writes=$n"
tap_exit
