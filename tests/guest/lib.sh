# Helpers for guest tests (sourced). Tests print kselftest TAP and exit 0 (pass), 4 (skip)
# or anything else (fail).
# shellcheck shell=sh

_tap_n=0
_tap_failed=0
tap_plan() { echo "TAP version 13"; echo "1..$1"; }
ok() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1)); echo "not ok $_tap_n $*"; }
# check DESCRIPTION COMMAND...: one TAP case from a command's status.
check() {
	_desc=$1
	shift
	if "$@"; then ok "$_desc"; else not_ok "$_desc"; fi
}
tap_exit() { [ "$_tap_failed" = 0 ] && exit 0; exit 1; }
skip_all() { echo "1..0 # SKIP $*"; exit 4; }

# The kernel's page size in KiB (4 or 16): the device's block size too.
PAGE_KB=$(awk '/^KernelPageSize:/ {print $2; exit}' /proc/self/smaps)
cmdline_param() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" /proc/cmdline; }
meminfo_kb() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
# The bytes of a device-tree property as one hex string.
dt_hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }

# Write VALUE to a sysfs FILE; print the error text of a refused write.
sysfs_write() { (echo "$2" >"$1") 2>&1; }
# check_refused DESCRIPTION ERRNO_TEXT FILE VALUE: the write must fail with that error.
check_refused() {
	_out=$(sysfs_write "$3" "$4")
	case $_out in
	*"$2"*) ok "$1" ;;
	*) echo "# got: ${_out:-success}"; not_ok "$1" ;;
	esac
}
# The k-th column (1-based) of a one-line stat file.
stat_col() { awk -v k="$2" '{print $k}' "$1"; }
# Field NAME of DEVICE's tag_stat ("name value" lines after "version 2").
tag_field() { awk -v k="$2" '$1 == k {print $2}' /sys/block/$1/tag_stat; }
# mm_stat and tag_stat add up: compressed bytes = pool + overflow, tag pages = serving + used
# + empty.
stats_add_up() {
	_dev=/sys/block/$1
	_compr=$(stat_col $_dev/mm_stat 2)
	[ "$(tag_field $1 tag_pages)" = $(($(tag_field $1 tag_serving) + $(tag_field $1 tag_used) +
		$(tag_field $1 tag_empty))) ] &&
		[ "$_compr" = $(($(tag_field $1 pool_bytes) + $(tag_field $1 overflow_bytes))) ] || {
		echo "# mm_stat: $(cat $_dev/mm_stat)"
		echo "# tag_stat: $(cat $_dev/tag_stat | tr '\n' ' ')"
		return 1
	}
}

# mtetag built for the test suites (CONFIG_MTETAG_TESTING: the debugfs audit and the negative
# control test_disable_hook; it taints). Tests that need those load it in place of modprobe's.
load_mtetag_testing() { insmod /usr/lib/mtetag-testing/mtetag.ko "$@"; }

# The faithful machine keeps tags inside the carve-out; stock QEMU cannot be an oracle.
need_faithful() {
	[ "$(cmdline_param mtguest.faithful)" = 1 ] || skip_all "stock QEMU keeps tags in hidden memory"
}
# The carve-out of the machine: "tag_base mem_base mem_size" from the device tree.
carve_out() {
	_n=$(ls -d /proc/device-tree/reserved-memory/tag-storage@* | head -1)
	_tag=$(dt_hex "$_n/reg")
	_data_mib=$(cmdline_param mtguest.data_mib)
	echo "0x${_tag%????????????????} 0x40000000 $((_data_mib * 1024 * 1024))"
}
# oracle_stress on|off SECONDS: fio verify loops on /dev/mtetag0 (raw, not swap, so that
# corruption cannot reach the system itself) while mte-churn tags memory; prints the
# "oracle:" line and returns 0 when corruption was detected.
oracle_stress() {
	_hook=$1
	_secs=$2
	_extra=""
	[ "$_hook" = off ] && _extra=test_disable_hook=1
	load_mtetag_testing disksize=128M $_extra || return 2
	_mib=$(($(cmdline_param mtguest.data_mib) / 32 * 5))
	mte-churn --seconds "$_secs" --threads 2 >/tmp/ochurn.out 2>&1 &
	_churn=$!
	fio --name=oracle --filename=/dev/mtetag0 --rw=write --bs=${PAGE_KB}k --size=${_mib}M --direct=1 \
		--verify=crc32c --do_verify=1 --verify_fatal=1 --buffer_compress_percentage=66 \
		--refill_buffers --loops=1000 --runtime="$_secs" >/tmp/ofio.out 2>&1
	_fio_rc=$?
	# With the hook off a failed verify is the answer: stop the churn rather than wait for it.
	[ "$_hook" = off ] && [ $_fio_rc != 0 ] && kill $_churn 2>/dev/null
	wait $_churn
	_churn_rc=$?
	cat /tmp/ochurn.out
	grep -E 'verify:|err=' /tmp/ofio.out | head -3
	[ "$_hook" = on ] && grep 'audit:' /sys/kernel/debug/mtetag/audit
	_seen=no
	[ $_fio_rc != 0 ] || [ $_churn_rc != 0 ] && _seen=yes
	echo "oracle: hook=$_hook corruption_detected=$_seen"
	echo "fio rc=$_fio_rc churn rc=$_churn_rc"
	[ $_seen = yes ]
}
# run_cases COMMAND...: one TAP case per "PASS: ..." or "FAIL: ..." line the command prints;
# a command that fails without a FAIL line is a failed case too.
run_cases() {
	"$@" >/tmp/.cases 2>&1
	_rc=$?
	_fails=0
	while IFS= read -r _line; do
		case $_line in
		"PASS: "*) ok "${_line#PASS: }" ;;
		"FAIL: "*) not_ok "${_line#FAIL: }"; _fails=$((_fails + 1)) ;;
		*) echo "# $_line" ;;
		esac
	done </tmp/.cases
	[ $_rc = 0 ] || [ $_fails -gt 0 ] || not_ok "$* exited $_rc"
	return $_rc
}
# fill_device MIB: MIB of 66%-compressible data with fio checksums on /dev/mtetag0, so that
# the carve-out holds other users' data a stray tag access would reach.
fill_device() {
	fio --name=fill --filename=/dev/mtetag0 --rw=write --bs=${PAGE_KB}k --size="$1M" --direct=1 \
		--verify=crc32c --do_verify=0 --buffer_compress_percentage=66 --refill_buffers \
		>/tmp/fill.out 2>&1
}
# verify_device MIB: the data of fill_device reads back intact.
verify_device() {
	fio --name=fill --filename=/dev/mtetag0 --rw=write --bs=${PAGE_KB}k --size="$1M" --direct=1 \
		--verify=crc32c --verify_only --verify_fatal=1 --buffer_compress_percentage=66 \
		--refill_buffers >/tmp/verify.out 2>&1 || { grep -E 'verify|err' /tmp/verify.out | head -3; return 1; }
}
# start_churn: mte-churn tags, swaps and frees memory beside a test until check_churn.
start_churn() {
	mte-churn --seconds 600 --threads 2 --hold-mib 8 >/tmp/churn.out 2>&1 &
	_churn=$!
}
# check_churn: stop it; one TAP case: every tag and byte it wrote read back, faults as due.
check_churn() {
	kill -USR1 $_churn 2>/dev/null
	wait $_churn
	_churn_rc=$?
	tail -n 2 /tmp/churn.out
	check "tag churn ran clean beside it" test $_churn_rc = 0
}
# tagpath NAME WORD: one word of the "tagpaths:" summary that scripts/test.sh assembles.
tagpath() { echo "tagpath: $1=$2"; }
