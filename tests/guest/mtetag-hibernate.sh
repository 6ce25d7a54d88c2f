#!/bin/sh
# The hibernation guard shipped for systemd's sleep services: with no resume device set and
# /dev/mtetag0 as swap, or with the resume device an mtetag device, the image could go to a
# device whose data lives in RAM: refused. A disk as the resume device: allowed.
. /tests/lib.sh
tap_plan 5
set -- $(ls /dev/vd? 2>/dev/null)
[ $# -ge 1 ] || skip_all "needs a virtio disk (run-vm.sh --disk)"
disk=${1#/dev/}
guard=mtetag-hibernate-check
modprobe mtetag || { echo "Bail out! modprobe mtetag"; exit 1; }
check "no resume device yet" test "$(cat /sys/power/resume)" = 0:0
check "allowed while no mtetag device is swap" $guard
mkswap /dev/mtetag0 >/dev/null && swapon /dev/mtetag0
check "refused: no resume device and /dev/mtetag0 is swap" sh -c "! $guard"
# Writing the resume device makes the kernel look for an image there: none, it goes on.
cat /sys/block/mtetag0/dev >/sys/power/resume
check "refused: the resume device is /dev/mtetag0" sh -c "! $guard"
cat /sys/block/$disk/dev >/sys/power/resume
check "allowed: the resume device is a disk" $guard
swapoff /dev/mtetag0
tap_exit
