#!/usr/bin/env bash
# `make test`: host tests (GoogleTest via CTest), a short libFuzzer run, then the guest suites,
# each in its own boot. Ends with exactly one line "N passed, N failed" (", N skipped" when
# any); exit 1 on failure.
#   test.sh [SUITE...]            (default: every suite)
#   test.sh --debug [SUITE...]    `make test-debug`: DEBUG_SUITES on the debug kernel flavour
#                                 (KASAN, lockdep, kmemleak, fault injection); any report fails
set -uo pipefail
. "$(dirname "$0")/lib.sh"

# name | run-vm.sh options | tests (one boot each)
SUITES=(
	"machine|--data-mib 384 --timeout 600|cpuinfo-mte mte-probe dt-tag-storage memtotal zram-swap-hog hook-inert"
	"mtetag|--data-mib 384 --timeout 900|mtetag-basic mtetag-bad-input mtetag-fio mtetag-hog mtetagctl mtetag-generator"
	"hook|--data-mib 384 --timeout 900|mtetag-stress mtetag-load-under-churn"
	"faithful|--data-mib 384 --timeout 900|oracle-tags oracle-hook-on mte-selftests"
	"oracle-off|--data-mib 384 --timeout 600|oracle-hook-off"
	"tagpaths|--data-mib 384 --timeout 600|tagpaths tagpaths-block"
	"bad-free|--data-mib 256 --timeout 300 --append init_on_free=1|tagpaths-badfree"
	"dt-overlap|--data-mib 256 --timeout 300 --dtgen --duplicate-half --dtgen --force|mtetag-region-refusals"
	"block-8k|--data-mib 384 --timeout 300 --dtgen --block-size --dtgen 8192|tagpaths-block"
	"block-16k|--data-mib 384 --timeout 300 --dtgen --block-size --dtgen 16384|tagpaths-block"
	"pagesize-16k|--flavour 16k --data-mib 384 --timeout 900 --dtgen --block-size --dtgen 16384|mtetag-basic mtetag-hog mtetag-stress tagpaths-block"
	"kasan-hw|--flavour kasanhw --data-mib 384 --timeout 300|kasan-refusal"
	"hardening|--data-mib 384 --timeout 900|mtetag-sysfs-fuzz mtetag-hotadd-race mtetag-scribble mtetag-starved mtetag-lifecycle"
	"zram-abi|--data-mib 384 --timeout 900 --disk 128 --disk 128|zram-abi mtetag-writeback mtetag-wb-scribble mtetag-ext4 mtetag-hibernate"
)
# make test-debug: these suites again on scripts/kernel/debug.config, with longer timeouts
# (KASAN and lockdep under TCG), plus the fault-injection suite that needs that kernel.
DEBUG_SUITES=(mtetag hook hardening)
DEBUG_ONLY_SUITES=(
	"fault-injection|--data-mib 384 --timeout 900|mtetag-fault-injection"
)

# The words of the "tagpaths:" summary, in its order; the guest tests print one each.
TAGPATHS=(ptrace thp_split block_8k block_16k pagesize_16k)

# The words of the "hardening:" summary; guest tests print "hardening-word: NAME=VALUE".
HARDENING=(lost_reads_eio corrupt_reads_eio carveout_scribble fuzz_execs sysfs_writes
	lifecycle_cycles)

debug=0
if [ "${1:-}" = --debug ]; then
	debug=1
	shift
fi
passed=0 failed=0 skipped=0 reports=0 ran=""
tmp=$(mktemp)
tagpath_words=$(mktemp)
hardening_words=$(mktemp)
guest_summaries=$(mktemp)
trap 'rm -f "$tmp" "$tagpath_words" "$hardening_words" "$guest_summaries"' EXIT
count() { # add the counts of one "... N passed, N failed[, N skipped]" line
	local line=$1 p f s
	p=$(sed -n 's/.* \([0-9]\+\) passed.*/\1/p' <<<"$line")
	f=$(sed -n 's/.* \([0-9]\+\) failed.*/\1/p' <<<"$line")
	s=$(sed -n 's/.* \([0-9]\+\) skipped.*/\1/p' <<<"$line")
	passed=$((passed + ${p:-0})) failed=$((failed + ${f:-0})) skipped=$((skipped + ${s:-0}))
}

want=" $* "
selected() { [ "$want" = "  " ] || [[ $want == *" $1 "* ]]; }

if [ "$debug" = 1 ]; then
	# The debug kernel's suites: the named ones of SUITES with that flavour and three times
	# the timeout, then the debug-only ones; no host step, no in-tree build, no series.
	debug_suites=()
	for suite in "${SUITES[@]}"; do
		IFS='|' read -r name opts tests <<<"$suite"
		[[ " ${DEBUG_SUITES[*]} " == *" $name "* ]] || continue
		timeout=$(sed -n 's/.*--timeout \([0-9]*\).*/\1/p' <<<"$opts")
		opts=$(sed "s/--timeout [0-9]*/--timeout $((timeout * 3))/" <<<"$opts")
		# KASAN and lockdep slow every fault: the hook stress settles for fewer reserves.
		debug_suites+=("$name|--flavour debug --append mtguest.min_reserves=30000 $opts|$tests")
	done
	for suite in "${DEBUG_ONLY_SUITES[@]}"; do
		IFS='|' read -r name opts tests <<<"$suite"
		debug_suites+=("$name|--flavour debug $opts|$tests")
	done
	SUITES=("${debug_suites[@]}")
	[ "$want" != "  " ] || want=" guest "
fi

if selected host; then
	log "host tests"
	if hb=$(host_build); then
		out=$(cd "$hb" && ctest --output-on-failure 2>&1)
		echo "$out" | grep -E '(Failed|Passed|Not Run)|tests passed' >&2
		total=$(sed -n 's/.*tests failed out of \([0-9]\+\).*/\1/p' <<<"$out")
		nfail=$(sed -n 's/.* \([0-9]\+\) tests failed out of.*/\1/p' <<<"$out")
		if [ -n "$total" ]; then
			passed=$((passed + total - nfail)) failed=$((failed + nfail))
		else
			failed=$((failed + 1))
		fi
	else
		failed=$((failed + 1))
	fi
fi

# libFuzzer on the portable core: a minute per target, each target a test.
if selected fuzz || [ "$want" = "  " ]; then
	log "fuzzing the portable core"
	"$MTETAG_ROOT/scripts/fuzz.sh" "${MTETAG_FUZZ_SECONDS:-60}" | tee "$tmp" >&2
	n=$(grep -c '^fuzz: .* ok$' "$tmp")
	nbad=$(grep -c '^fuzz: .* crashed$' "$tmp")
	passed=$((passed + n)) failed=$((failed + nbad))
	[ $((n + nbad)) -gt 0 ] || failed=$((failed + 1))
	execs=$(sed -n 's/^fuzz: .* execs=\([0-9]*\) .*/\1/p' "$tmp" | paste -sd+ | bc)
	[ "$nbad" = 0 ] && [ "$n" -gt 0 ] &&
		echo "hardening-word: fuzz_execs=${execs:-0}" >>"$hardening_words"
fi

# The machine, built once for all the boots below instead of checked again at each boot; when
# this fails, each boot builds for itself and reports why.
prebuild() {
	local kdir mods initrd
	kdir=$("$MTETAG_ROOT/scripts/build-kernel.sh") || return 1
	mapfile -t mods < <("$MTETAG_ROOT/scripts/build-module.sh")
	[ ${#mods[@]} -gt 0 ] || return 1
	initrd=$("$MTETAG_ROOT/scripts/build-initramfs.sh" "$kdir" "${mods[@]}") || return 1
	MTETAG_BUILT_QEMU=$("$MTETAG_ROOT/scripts/build-qemu.sh") || MTETAG_BUILT_QEMU=""
	export MTETAG_BUILT_KDIR=$kdir MTETAG_BUILT_INITRD=$initrd MTETAG_BUILT_QEMU
}
needs_machine=0
for suite in "${SUITES[@]}" "intree|"; do
	selected "${suite%%|*}" && needs_machine=1
done
selected guest && needs_machine=1
# The debug flavour's boots build their own machine.
[ "$needs_machine" = 0 ] || [ "$debug" = 1 ] || prebuild || log "building the machine failed: each boot will try again"

for suite in "${SUITES[@]}"; do
	IFS='|' read -r name opts tests <<<"$suite"
	selected "$name" || selected guest || [ "$want" = "  " ] || continue
	log "guest suite $name: $tests"
	ran="${ran:+$ran,}$name"
	# shellcheck disable=SC2086
	# tee into a file and onto our stderr: reopening /dev/stderr would truncate a log file.
	"$MTETAG_ROOT/scripts/run-vm.sh" --name "$name" $opts $tests | tee "$tmp" >&2
	verdict=$(grep '^guest: ' "$tmp" | tail -n 1)
	if [ -n "$verdict" ]; then
		count "$verdict"
	else
		log "suite $name produced no verdict"
		failed=$((failed + 1))
	fi
	grep -o 'tagpath: [a-z0-9_]*=[a-z-]*' "$tmp" >>"$tagpath_words"
	grep -o 'hardening-word: [a-z_]*=[a-z0-9]*' "$tmp" >>"$hardening_words"
	# Summary lines guest tests print whole, as their issues name them.
	grep -oE '(zram-abi: attributes=[0-9]+/[0-9]+ tools=[a-z-]+|writeback: pages=[0-9]+ read_back_mismatches=[0-9]+)' \
		"$tmp" >>"$guest_summaries"
	r=$(sed -n 's/^FAIL kernel-log: \([0-9]*\) kernel report.*/\1/p' "$tmp" | tail -n 1)
	reports=$((reports + ${r:-0}))
	if [ "$name" = pagesize-16k ]; then
		[[ $verdict == *" 0 failed"* ]] && w=pass || w=fail
		echo "tagpath: pagesize_16k=$w" >>"$tagpath_words"
	fi
done
# summary_line NAME FILE PREFIX WORD...: "NAME: WORD=VALUE ..." from the last "PREFIX
# WORD=VALUE" line of FILE for each word.
summary_line() {
	local name=$1 file=$2 prefix=$3 w v line
	shift 3
	line="$name:"
	for w in "$@"; do
		v=$(sed -n "s/^$prefix $w=//p" "$file" | tail -n 1)
		line="$line $w=${v:-not-run}"
	done
	echo "$line"
}
[ ! -s "$tagpath_words" ] || summary_line tagpaths "$tagpath_words" tagpath: "${TAGPATHS[@]}"
[ "$debug" = 1 ] || [ ! -s "$hardening_words" ] ||
	summary_line hardening "$hardening_words" hardening-word: "${HARDENING[@]}"
cat "$guest_summaries"
if [ "$debug" = 1 ]; then
	echo "debug-kernel: reports=$reports suites=${ran:-none}"
fi

# Not a guest suite: the in-tree build (module and built-in) and a boot of the latter.
if [ "$debug" = 0 ] && { selected intree || [ "$want" = "  " ]; }; then
	log "in-tree build"
	"$MTETAG_ROOT/scripts/test-intree.sh" | tee "$tmp" >&2
	verdict=$(grep '^intree: ' "$tmp" | tail -n 1)
	if [ -n "$verdict" ]; then
		count "$verdict"
	else
		failed=$((failed + 1))
	fi
fi

# The upstream-style series (new files folded in) applies with git am alone.
if [ "$debug" = 0 ] && { selected series || [ "$want" = "  " ]; }; then
	log "series"
	series_dir=$(mktemp -d)
	if "$MTETAG_ROOT/scripts/format-series.sh" "$series_dir/series" >&2; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	rm -rf "$series_dir"
fi

summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" = 0 ]
