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
