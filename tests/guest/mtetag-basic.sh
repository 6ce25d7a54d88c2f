#!/bin/sh
# modprobe mtetag finds the carve-out, /dev/mtetag0 becomes swap, SwapTotal grows by disksize,
# MemTotal stays; unload and reset are refused while in use.
. /tests/lib.sh
tap_plan 14
mem_before=$(meminfo_kb MemTotal)
check "modprobe mtetag" modprobe mtetag
# The product module carries no test interface (CONFIG_MTETAG_TESTING), so no TAINT_TEST (N).
check "no audit, no test_disable_hook, no TAINT_TEST" sh -c \
	'[ ! -e /sys/kernel/debug/mtetag/audit ] && [ ! -e /sys/module/mtetag/parameters/test_disable_hook ] && [ $(($(cat /proc/sys/kernel/tainted) & (1 << 18))) = 0 ]'
dmesg | grep 'mtetag:'
check "one dmesg line per region" test "$(dmesg | grep -c 'mtetag: /reserved-memory/tag-storage@.*: tags ')" = 1
check "/dev/mtetag0 exists" test -b /dev/mtetag0
sys=/sys/block/mtetag0
carve_kb=$(($(cmdline_param mtguest.data_mib) * 1024 / 32))
check "default disksize is 4x the carve-out" test "$(cat $sys/disksize)" = $((carve_kb * 1024 * 4))
check "initstate 1" test "$(cat $sys/initstate)" = 1
check "tracepoints mtetag:reserve, evict, release" sh -c \
	"for e in reserve evict release; do test -d /sys/kernel/debug/tracing/events/mtetag/\$e || exit 1; done"
check "lz4 is the default algorithm" grep -q '\[lz4\]' $sys/comp_algorithm
mkswap /dev/mtetag0 >/dev/null && swapon /dev/mtetag0
# mkswap keeps one page for its header.
check "SwapTotal grew by disksize" test "$(meminfo_kb SwapTotal)" -ge $(($(cat $sys/disksize) / 1024 - PAGE_KB))
check "MemTotal unchanged" test "$(meminfo_kb MemTotal)" = "$mem_before"
if rmmod mtetag 2>/tmp/rmmod.err; then
	not_ok "rmmod refused while swapped on"
else
	ok "rmmod refused while swapped on: $(cat /tmp/rmmod.err)"
fi
check_refused "reset refused while in use (EBUSY)" "busy" $sys/reset 1
check_refused "disksize refused while in use (EBUSY)" "busy" $sys/disksize 1G
swapoff /dev/mtetag0
check "rmmod after swapoff" rmmod mtetag
tap_exit
