#!/bin/sh
# The boot-time set-up (packaging/mtetag-setup, run by mtetag-swap.service): swap on
# /dev/mtetag0 with the configured size, algorithm and a priority above disk swap; stop undoes.
. /tests/lib.sh
tap_plan 5
printf 'size=96M\nalgorithm=zstd\npriority=100\n' >/tmp/mtetag.conf
# busybox sh runs its own swapon applet, which has no -p: use the guest's util-linux-like one.
export SWAPON=/usr/bin/swapon
check "mtetag-setup start" mtetag-setup start /tmp/mtetag.conf
cat /proc/swaps
check "swap on /dev/mtetag0 with priority 100" \
	sh -c "awk '\$1 == \"/dev/mtetag0\" {print \$5}' /proc/swaps | grep -qx 100"
check "size and algorithm applied" sh -c \
	"test \$(cat /sys/block/mtetag0/disksize) = 100663296 && grep -q '\\[zstd\\]' /sys/block/mtetag0/comp_algorithm"
check "mtetag-setup stop" mtetag-setup stop /tmp/mtetag.conf
printf 'sise=1G\n' >/tmp/bad.conf
check "a misspelt key is refused" sh -c "! mtetag-setup start /tmp/bad.conf 2>/dev/null"
tap_exit
