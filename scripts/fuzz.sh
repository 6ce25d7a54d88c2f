#!/usr/bin/env bash
# libFuzzer on the portable core (tests/fuzz/*_fuzz.cpp): a clang build with ASan and UBSan
# under the cache, then each target for SECONDS from its seed corpus (tests/fuzz/corpus/<name>,
# copied: the clone stays clean). Prints "fuzz: <name> execs=<N> ok" or "... crashed" per
# target; a crash's reproducer is kept under $MTETAG_CACHE/fuzz-crashes/. Exit 1 on a crash.
#   fuzz.sh [SECONDS]     (default 60)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
seconds=${1:-60}
dir=$MTETAG_CACHE/fuzz-build-$(printf '%s' "$MTETAG_ROOT" | sha256sum | cut -c1-12)
cache_lock "${dir##*/}"
CC=clang CXX=clang++ cmake -S "$MTETAG_ROOT" -B "$dir" -DMTETAG_FUZZ=ON \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || die "cmake configure (clang) failed"
cmake --build "$dir" -j"$JOBS" >"$dir.log" 2>&1 || { cat "$dir.log" >&2; die "fuzz build failed"; }

crashes=$MTETAG_CACHE/fuzz-crashes
mkdir -p "$crashes"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for target in "$dir"/*-fuzz; do
	name=$(basename "$target" -fuzz)
	mkdir -p "$work/$name"
	cp "$MTETAG_ROOT/tests/fuzz/corpus/$name"/* "$work/$name/"
	log "fuzzing $name for ${seconds}s"
	if "$target" -max_total_time="$seconds" -max_len=4096 -artifact_prefix="$crashes/$name-" \
		"$work/$name" >"$work/$name.log" 2>&1; then
		verdict=ok
	else
		verdict=crashed
		status=1
		grep -E '_fuzz:|ERROR|SUMMARY|runtime error|Test unit written' "$work/$name.log" >&2
	fi
	execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/$name.log")
	[ -n "$execs" ] || execs=$(grep -o '#[0-9]*' "$work/$name.log" | tail -1 | tr -d '#')
	echo "fuzz: $name execs=${execs:-0} $verdict"
done
exit $status
