#!/bin/sh
# The paths to tag storage around the hook, tried as an ordinary program would with other
# users' data in the carve-out: ptrace on never-tagged pages, a THP split, one reserve for a
# THP, the zero page, hibernation. Tags that nobody wrote must read as zero, device data must stay intact,
# the audit clean.
. /tests/lib.sh
need_faithful
tap_plan 22
fill_mib=$(($(cmdline_param mtguest.data_mib) / 32 * 4))
check "load mtetag" load_mtetag_testing disksize=$((fill_mib * 2))M
echo always >/sys/kernel/mm/transparent_hugepage/enabled
check "fill the device: ${fill_mib} MiB of checksummed data" fill_device $fill_mib
echo "# tag_stat: $(tr '\n' ' ' </sys/block/mtetag0/tag_stat)"
check "the carve-out holds data" test "$(tag_field mtetag0 tag_used)" -gt 0
run_cases mte-tagpaths ptrace; ptrace_rc=$?
run_cases mte-tagpaths thp-split; split_rc=$?
run_cases mte-tagpaths thp-reserves
run_cases mte-tagpaths zero-page
verify_device $fill_mib
data_rc=$?
check "device data intact after the attempts" test $data_rc = 0
check "audit clean" grep -q 'audit: clean' /sys/kernel/debug/mtetag/audit
grep audit: /sys/kernel/debug/mtetag/audit
# safe, or how it failed: leak (wrong tags or data), crash (the program died)
word() {
	if [ "$1" = 0 ] && [ $data_rc = 0 ]; then echo safe
	elif [ "$1" -ge 128 ]; then echo crash
	else echo leak; fi
}
tagpath ptrace "$(word $ptrace_rc leak)"
tagpath thp_split "$(word $split_rc leak)"
check_refused "hibernation refused while the carve-out holds data (EBUSY)" "busy" \
	/sys/power/state disk
dmesg | grep 'hibernation refused' | tail -1
check "device data intact after the refused hibernation" verify_device $fill_mib
echo 1 >/sys/block/mtetag0/reset
check "rmmod" rmmod mtetag
tap_exit
