#!/usr/bin/env bash
# Build the faithful QEMU: Debian's QEMU 10 source (bookworm-backports orig tarball) with
# scripts/qemu/*.patch, aarch64 system emulator only. Cached by the hash of the source
# version, the patches and this script; prints the qemu-system-aarch64 path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cache_lock qemu

ver=$(apt-cache showsrc qemu 2>/dev/null | awk '/^Version: 1:10\./ {print $2}' | sort -V | tail -n 1)
[ -n "$ver" ] || die "no QEMU 10 source package: needs the bookworm-backports deb-src entry (scripts/setup-host.sh)"
dir=$MTETAG_CACHE/qemu-$(input_hash "qemu $ver" "$(gcc -dumpfullversion)" -- \
	"$MTETAG_ROOT/scripts/qemu" "$0")
bin=$dir/qemu-system-aarch64
if [ -x "$bin" ]; then
	echo "$bin"
	exit 0
fi
rm -rf "$dir" && mkdir -p "$dir/dl"
log "building QEMU $ver with scripts/qemu/*.patch (cold cache: about 5 min)"
# The mirror may serve the orig tarball while the .dsc and Debian tarball are missing: the
# upstream source with our patch is all that is needed.
(cd "$dir/dl" && apt-get source -qq --download-only "qemu=$ver" >/dev/null 2>&1) || true
orig=$(ls "$dir"/dl/qemu_*.orig.tar.xz 2>/dev/null | head -n 1)
[ -n "$orig" ] || die "could not download the QEMU $ver source tarball"
tar -C "$dir" -xf "$orig"
src=$(find "$dir" -mindepth 1 -maxdepth 1 -type d -name 'qemu-*' | head -n 1)
for p in "$MTETAG_ROOT"/scripts/qemu/*.patch; do
	patch -s -p1 -N -d "$src" <"$p" || die "${p##*/} does not apply to QEMU $ver"
done
# The +ds tarball drops the EDK2 firmware images that pc-bios/meson.build still lists.
for f in $(grep -o "edk2-[a-z0-9_-]*\.fd" "$src/pc-bios/meson.build" | sort -u); do
	[ -e "$src/pc-bios/$f.bz2" ] || : >"$src/pc-bios/$f.bz2"
done
mkdir -p "$src/build"
(cd "$src/build" && ../configure --python=/usr/bin/python3 --target-list=aarch64-softmmu \
	--without-default-features --enable-tcg --enable-fdt=system --disable-docs \
	--disable-tools --disable-guest-agent --disable-werror --disable-install-blobs \
	>"$dir/configure.log" 2>&1) || { tail -20 "$dir/configure.log" >&2; die "QEMU configure failed"; }
ninja -C "$src/build" -j"$JOBS" qemu-system-aarch64 >"$dir/build.log" 2>&1 ||
	{ tail -20 "$dir/build.log" >&2; die "QEMU build failed"; }
cp "$src/build/qemu-system-aarch64" "$bin.tmp"
mv "$bin.tmp" "$bin"
rm -rf "$src" "$dir/dl"
echo "$bin"
