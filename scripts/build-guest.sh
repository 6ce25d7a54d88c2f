#!/usr/bin/env bash
# Build the guest userland pieces, each cached by the hash of its inputs:
#   busybox  - Debian's busybox-static:arm64
#   fio      - built statically from Debian's fio source package
#   libsmartcols - util-linux's table library, static arm64 (Debian ships no .a), for mtetagctl
#   programs - the guest C++ programs (tools/guest), mtetagctl and mtetag-generator, static arm64
# Prints "name=path" lines for build-initramfs.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cache_lock guest

dl=$MTETAG_CACHE/dl
mkdir -p "$dl"

build_busybox() {
	local ver dir
	ver=$(apt-cache policy busybox-static:arm64 | awk '/Candidate:/ {print $2}')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "busybox-static:arm64 unknown to apt: run scripts/setup-host.sh"
	dir=$MTETAG_CACHE/busybox-$(input_hash "busybox-static:arm64 $ver")
	if [ ! -x "$dir/bin/busybox" ]; then
		log "fetching busybox-static:arm64 $ver"
		rm -rf "$dir" && mkdir -p "$dir/deb"
		(cd "$dir/deb" && apt-get download -qq "busybox-static:arm64=$ver" >/dev/null)
		dpkg -x "$dir"/deb/*.deb "$dir/x"
		mkdir -p "$dir/bin" && cp "$dir/x/bin/busybox" "$dir/bin/busybox"
		rm -rf "$dir/deb" "$dir/x"
	fi
	echo "busybox=$dir/bin/busybox"
}

# unpack_source PKG=VERSION DIR: Debian's source package, unpacked without its patches as
# DIR/src/tree (upstream's tarball, whose configure is generated already).
unpack_source() {
	rm -rf "$2" && mkdir -p "$2/src"
	(cd "$2/src" && apt-get source -qq --download-only "$1" >/dev/null &&
		dpkg-source -x --skip-patches ./*.dsc tree >/dev/null)
}

build_fio() {
	local ver dir opts
	ver=$(apt-cache showsrc fio 2>/dev/null | awk '/^Version:/ {print $2; exit}')
	[ -n "$ver" ] || die "no fio source package: needs a deb-src entry (run scripts/setup-host.sh)"
	dir=$MTETAG_CACHE/fio-$(input_hash "fio $ver" "gcc $(cross_gcc_version)")
	if [ ! -x "$dir/fio" ]; then
		log "building fio $ver statically for arm64 (about 40 s)"
		unpack_source "fio=$ver" "$dir"
		opts=""
		for f in numa rdma rados rbd http gfapi libnfs pmem xnvme libzbc tcmalloc dfs lex; do
			opts="$opts --disable-$f"
		done
		# shellcheck disable=SC2086
		(cd "$dir/src/tree" && ./configure --cc="${CROSS_COMPILE}gcc" --build-static \
			--disable-native $opts >/dev/null && make -s -j"$JOBS" fio >/dev/null 2>&1)
		cp "$dir/src/tree/fio" "$dir/fio"
		"${CROSS_COMPILE}strip" "$dir/fio"
		rm -rf "$dir/src"
	fi
	echo "fio=$dir/fio"
}

build_libsmartcols() {
	local ver dir tree opts
	# The host's libsmartcols-dev, by source version (util-linux): one API on both sides.
	ver=$(dpkg-query -W -f='${source:Version}' libsmartcols-dev 2>/dev/null)
	[ -n "$ver" ] || die "libsmartcols-dev is not installed: run scripts/setup-host.sh"
	# A binary update may come without its deb-src: then the same upstream version.
	apt-cache showsrc util-linux 2>/dev/null | grep -qx "Version: $ver" ||
		ver=$(apt-cache showsrc util-linux 2>/dev/null |
			awk -v up="${ver%%-*}-" '/^Version:/ && index($2, up) == 1 {print $2; exit}')
	[ -n "$ver" ] || die "no util-linux source matching libsmartcols-dev: run scripts/setup-host.sh"
	dir=$MTETAG_CACHE/libsmartcols-$(input_hash "util-linux $ver" "gcc $(cross_gcc_version)")
	if [ ! -f "$dir/lib/libsmartcols.a" ]; then
		log "building libsmartcols from util-linux $ver statically for arm64 (about 30 s)"
		unpack_source "util-linux=$ver" "$dir"
		tree=$dir/src/tree
		opts="--host=${CROSS_COMPILE%-} --disable-all-programs --enable-libsmartcols"
		opts="$opts --disable-shared --enable-static --disable-nls --disable-asciidoc"
		opts="$opts --disable-bash-completion --disable-makeinstall-chown"
		for w in ncursesw ncurses tinfo readline systemd udev libz libmagic cap-ng btrfs \
			econf user python selinux audit smack utempter cryptsetup; do
			opts="$opts --without-$w"
		done
		# shellcheck disable=SC2086
		(cd "$tree" && ./configure $opts >/dev/null &&
			make -s -j"$JOBS" libsmartcols.la >/dev/null 2>&1) ||
			die "libsmartcols: configure or make failed in $tree"
		# libtool folds the libcommon.la helpers into the archive: one file to link.
		mkdir -p "$dir/lib" "$dir/include/libsmartcols"
		cp "$tree/.libs/libsmartcols.a" "$dir/lib/"
		cp "$tree/libsmartcols/src/libsmartcols.h" "$dir/include/libsmartcols/"
		rm -rf "$dir/src"
	fi
	echo "$dir"
}

build_programs() {
	local src=$MTETAG_ROOT/tools/guest scols=$1 dir f out
	dir=$MTETAG_CACHE/guest-progs-$(input_hash "g++ $(cross_gcc_version)" "smartcols $scols" \
		-- "$src" "$MTETAG_ROOT/scripts/build-guest.sh" "$MTETAG_ROOT/tools/mtetagctl" \
		"$MTETAG_ROOT/tools/mtetag-generator")
	if [ ! -f "$dir/.done" ]; then
		rm -rf "$dir" && mkdir -p "$dir"
		# CLI11 is header-only: give the cross compiler just those headers, as system ones.
		mkdir -p "$dir/include"
		ln -s /usr/include/CLI "$dir/include/"
		for f in "$src"/*.cpp; do
			out=$dir/$(basename "$f" .cpp)
			log "cross-compiling tools/guest/${f##*/}"
			"${CROSS_COMPILE}g++" -std=c++20 -O2 -Wall -Wextra -Werror -static -pthread \
				-march=armv8.5-a+memtag -I"$src" -isystem "$dir/include" -o "$out" "$f"
			"${CROSS_COMPILE}strip" "$out"
		done
		rm -rf "$dir/include"
		log "cross-compiling tools/mtetagctl"
		"${CROSS_COMPILE}g++" -std=c++20 -O2 -Wall -Wextra -Werror -static \
			-I"$MTETAG_ROOT/tools/mtetagctl" -isystem "$scols/include" \
			-o "$dir/mtetagctl" "$MTETAG_ROOT"/tools/mtetagctl/*.cpp \
			"$scols/lib/libsmartcols.a"
		"${CROSS_COMPILE}strip" "$dir/mtetagctl"
		log "cross-compiling tools/mtetag-generator"
		"${CROSS_COMPILE}g++" -std=c++20 -O2 -Wall -Wextra -Werror -static \
			-I"$MTETAG_ROOT/tools/mtetag-generator" -o "$dir/mtetag-generator" \
			"$MTETAG_ROOT"/tools/mtetag-generator/*.cpp
		"${CROSS_COMPILE}strip" "$dir/mtetag-generator"
		touch "$dir/.done"
	fi
	echo "programs=$dir"
}

build_busybox
build_fio
scols=$(build_libsmartcols)
build_programs "$scols"
