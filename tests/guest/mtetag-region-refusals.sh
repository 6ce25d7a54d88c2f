#!/bin/sh
# Carve-outs the driver must refuse, each with a message naming the rule. Boot with
# --dtgen --duplicate-half: a second tag-storage node describes the second half of the first
# again. Firmware got one of the two wrong and cannot say which, so both are refused.
. /tests/lib.sh
tap_plan 6
nodes=$(ls -d /proc/device-tree/reserved-memory/tag-storage@* | wc -l)
check "the device tree has two tag-storage nodes" test "$nodes" = 2
dmesg -c >/dev/null
check "modprobe with two overlapping nodes fails" sh -c '! modprobe mtetag'
dmesg | grep mtetag
refused=0
for n in /proc/device-tree/reserved-memory/tag-storage@*; do
	dmesg | grep -q "${n##*/}: rejected: overlaps" && refused=$((refused + 1))
done
check "both nodes are refused as overlapping" test $refused = 2
set -- $(carve_out)
size=$(($3 / 32))
dmesg -c >/dev/null
check "tag_region= outside RAM fails" \
	sh -c "! modprobe mtetag tag_region=0x800000000,$(printf '%x' $size),$2"
dmesg | grep mtetag
check "and says the carve-out is not RAM" sh -c "dmesg | grep -q 'is not all RAM'"
# The control: the first node's own range, given as tag_region=, loads.
check "tag_region= with the first node's range loads and unloads" \
	sh -c "modprobe mtetag tag_region=$1,$(printf '%x' $size),$2 && rmmod mtetag"
tap_exit
