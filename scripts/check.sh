#!/usr/bin/env bash
# make check: checkpatch.pl --strict (from the cached kernel tree) on the kernel sources and
# the mm/hooks series. CAMELCASE is ignored: the only camel case is zstd's own API (cParams).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$("$MTETAG_ROOT/scripts/build-kernel.sh")
cp=$kdir/src/scripts/checkpatch.pl
cd "$MTETAG_ROOT"
status=0
mapfile -t files < <(git ls-files 'drivers/*.[ch]' 'include/*.h' 'arch/*.[ch]')
if [ ${#files[@]} -gt 0 ]; then
	# --strict's CHECKs do not change checkpatch's exit status: count them too.
	out=$(perl "$cp" --no-tree --strict --terse -q --ignore CAMELCASE -f "${files[@]}") || status=1
	grep -v '^total: 0 errors, 0 warnings, 0 checks' <<<"$out" | grep . && status=1
fi
# Through stdin: given the path of a git-tracked file, checkpatch checks it as a source file.
for p in mm/hooks/*.patch; do
	[ -e "$p" ] || continue
	perl "$cp" --no-tree --strict -q --ignore CAMELCASE - <"$p" || { echo "in $p" >&2; status=1; }
done
[ $status = 0 ] && log "checkpatch --strict: clean"
exit $status
