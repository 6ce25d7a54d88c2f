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
# mm_stat and tag_stat add up: compressed bytes = pool + overflow, blocks = serving + pool + free.
stats_add_up() {
	_dev=/sys/block/$1
	_compr=$(stat_col $_dev/mm_stat 2)
	set -- $(cat $_dev/tag_stat)
	[ "$1" = $(($2 + $3 + $4)) ] && [ "$_compr" = $(($5 + $6)) ] || {
		echo "# mm_stat: $(cat $_dev/mm_stat)"
		echo "# tag_stat: $(cat $_dev/tag_stat)"
		return 1
	}
}
