#!/usr/bin/env bash
# Build the arm64 guest kernel: Debian's linux-source-6.12, the in-repo include/ overlay and the
# mm/hooks/ series, allnoconfig + scripts/kernel/virt.config. Cached under $MTETAG_CACHE by the
# hash of those inputs; prints the kernel directory on stdout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cache_lock kernel

dir=$(kernel_dir)
src=$dir/src
obj=$dir/build
base_fragment=$MTETAG_ROOT/scripts/kernel/virt.config
flavour_fragment=${MTETAG_FLAVOUR:+$MTETAG_ROOT/scripts/kernel/$MTETAG_FLAVOUR.config}
[ -z "$flavour_fragment" ] || [ -f "$flavour_fragment" ] || die "no flavour $MTETAG_FLAVOUR"
fragment=$dir/fragment.config
make_k() { make -s -C "$src" O="$obj" ARCH=$ARCH CROSS_COMPILE=$CROSS_COMPILE "$@"; }

# The kernel's own arm64 MTE selftests, static, from the same tree (kselftest/arm64/mte/).
build_selftests() {
	[ -f "$dir/.selftests-done" ] && return 0
	log "building the kernel's arm64 MTE selftests"
	make_k headers
	rm -rf "$dir/selftests"
	make -s -C "$src/tools/testing/selftests" TARGETS=arm64 ARM64_SUBTARGETS=mte ARCH=$ARCH \
		CROSS_COMPILE=$CROSS_COMPILE O="$dir/selftests" \
		KHDR_INCLUDES="-isystem $obj/usr/include" USERLDFLAGS=-static >"$dir/selftests.log" 2>&1 ||
		{ tail -20 "$dir/selftests.log" >&2; die "MTE selftests build failed"; }
	touch "$dir/.selftests-done"
}

if [ -f "$dir/.done" ]; then
	build_selftests
	echo "$dir"
	exit 0
fi

tarball=/usr/src/linux-source-6.12.tar.xz
[ -f "$tarball" ] || die "$tarball missing: run scripts/setup-host.sh as root"

if [ ! -f "$dir/.src-done" ]; then
	log "extracting $(basename "$tarball") into $dir (cold cache, about 30 s)"
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -C "$dir" -xf "$tarball"
	mv "$dir/linux-source-6.12" "$src"
	# New kernel files (the hook, the driver) are overlaid; patches change existing files
	# only. The driver's sources are not part of the key: scripts/test-intree.sh refreshes
	# them before an in-tree build, and the cached kernel is built without CONFIG_MTETAG.
	for d in include arch drivers; do
		[ ! -d "$MTETAG_ROOT/$d" ] || cp -r "$MTETAG_ROOT/$d/." "$src/$d/"
	done
	for p in "$MTETAG_ROOT"/mm/hooks/*.patch; do
		[ -e "$p" ] || continue
		log "applying ${p#"$MTETAG_ROOT"/}"
		patch -s -p1 -N -d "$src" <"$p" || die "patch ${p##*/} does not apply to 6.12"
	done
	touch "$dir/.src-done"
fi

mkdir -p "$obj"
# virt.config with the flavour's options in place of its own: the one list that must stick.
if [ -n "$flavour_fragment" ]; then
	names=$(sed -n 's/^\(CONFIG_[A-Z0-9_]*\)=.*/\1/p; s/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' \
		"$flavour_fragment")
	{ grep -v -w -F -e "$names" "$base_fragment"; cat "$flavour_fragment"; } >"$fragment"
else
	cp "$base_fragment" "$fragment"
fi
log "configuring (allnoconfig + scripts/kernel/virt.config${MTETAG_FLAVOUR:+ + $MTETAG_FLAVOUR.config})"
make_k allnoconfig
"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" >/dev/null
make_k olddefconfig
# A dependency can silently drop an option: every fragment line must be in the result.
lost=$(grep -E '^CONFIG_' "$fragment" | while IFS= read -r line; do
	grep -qxF -- "$line" "$obj/.config" || echo "$line"
done
sed -n 's/^# \(CONFIG_[A-Z0-9_]*\) is not set$/\1/p' "$fragment" | while read -r opt; do
	grep -q "^$opt=" "$obj/.config" && echo "# $opt is not set"
done || true)
[ -z "$lost" ] || die "config options did not stick (missing dependency?):
$lost"

log "building Image and modules with -j$JOBS (cold cache: about 4 min)"
make_k -j"$JOBS" Image modules
rm -rf "$dir/modules"
make_k INSTALL_MOD_PATH="$dir/modules" INSTALL_MOD_STRIP=1 modules_install
make_k -s kernelrelease >"$dir/release"
touch "$dir/.done"
build_selftests
echo "$dir"
