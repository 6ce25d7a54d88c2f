#!/usr/bin/env bash
# Write the upstream-style series: mm/hooks/*.patch with the new files this tree keeps at their
# kernel paths folded into the patch that introduces them, plus a cover letter, by git
# format-patch from Debian's linux-source-6.12. Then check that it applies with `git am` alone
# to a tree that has only the pristine files.
#   format-series.sh [OUTDIR]     (default: build/series)
# Prints "series: N patches apply with git am" or fails.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$(realpath -m "${1:-$MTETAG_ROOT/build/series}")
tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || die "$tarball missing: run scripts/setup-host.sh as root"

# New files, by the patch (subject) that introduces them.
new_files_of() {
	case $1 in
	*"tell a tag storage reuser before tags are first written"*)
		echo include/linux/mte_tag_storage.h arch/arm64/mm/mte_tag_storage.c ;;
	*"block: add mtetag"*)
		(cd "$MTETAG_ROOT" && git ls-files drivers/block/mtetag) ;;
	esac
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git_q() { git -C "$1" -c user.name="mtetag developers" -c user.email=mtetag@localhost "${@:2}"; }

# The pristine files the series changes, in a repository of their own.
mapfile -t touched < <(sed -n 's|^--- a/||p' "$MTETAG_ROOT"/mm/hooks/*.patch | sort -u)
mkdir -p "$work/pristine"
tar -C "$work/pristine" --strip-components=1 -xf "$tarball" "${touched[@]/#/linux-source-6.12/}"
pristine() {
	local dir=$1
	cp -r "$work/pristine" "$dir"
	git -C "$dir" init -q
	git -C "$dir" add -A
	git_q "$dir" commit -q -m "Linux 6.12 ($(kernel_src_version)): the files the series changes"
}

log "building the series on the pristine files"
pristine "$work/tree"
for p in "$MTETAG_ROOT"/mm/hooks/*.patch; do
	git_q "$work/tree" am -q --keep-non-patch "$p" || die "${p##*/} does not apply"
	subject=$(git -C "$work/tree" log -1 --format=%s)
	mapfile -t extra < <(new_files_of "$subject" | tr ' ' '\n' | grep .)
	[ ${#extra[@]} -gt 0 ] || continue
	for f in "${extra[@]}"; do
		mkdir -p "$work/tree/$(dirname "$f")"
		cp "$MTETAG_ROOT/$f" "$work/tree/$f"
	done
	git -C "$work/tree" add "${extra[@]}"
	git_q "$work/tree" commit -q --amend --no-edit
done
rm -rf "$out"
mkdir -p "$out"
base=$(git -C "$work/tree" rev-list --max-parents=0 HEAD)
git_q "$work/tree" format-patch -q --no-signature --zero-commit --cover-letter -n \
	-o "$out" "$base"..HEAD
# The cover letter says what each patch does: the first paragraph of each commit body.
{
	echo "mtetag: compressed swap in the idle part of the MTE tag storage carve-out."
	echo "The series lets one driver reuse idle tag storage and adds that driver:"
	echo
	git -C "$work/tree" log --reverse --format='- %s:%n  %b' "$base"..HEAD |
		awk '/^- /{print; para=1; next} para && /^ *$/ {para=0; print ""; next} para {print "  " $0}' |
		grep -v '^  *Signed-off-by' | sed 's/^  \+/  /'
} >"$work/blurb"
python3 - "$out"/0000-cover-letter.patch "$work/blurb" <<'EOF'
import sys
path, blurb = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
text = text.replace("*** SUBJECT HERE ***", "mtetag: compressed swap in idle MTE tag storage")
text = text.replace("*** BLURB HERE ***", blurb.rstrip())
open(path, "w").write(text)
EOF

# The check: git am alone, on the pristine files, with the new files coming from the series.
pristine "$work/check"
n=0
for p in "$out"/0*.patch; do
	case $p in *0000-cover-letter.patch) continue ;; esac
	git_q "$work/check" am -q "$p" || die "${p##*/} does not apply with git am"
	n=$((n + 1))
done
for f in $(new_files_of "block: add mtetag") $(new_files_of "tell a tag storage reuser before tags are first written"); do
	cmp -s "$work/check/$f" "$MTETAG_ROOT/$f" || die "$f differs after git am"
done
log "series written to $out"
echo "series: $n patches apply with git am"
