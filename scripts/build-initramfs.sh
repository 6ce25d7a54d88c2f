#!/usr/bin/env bash
# Assemble the guest initramfs: busybox, fio, the project's guest programs, tests/guest/*,
# the kernel's modules plus any extra module given (installed under extra/, depmod'ed so that
# modprobe works). Cached; prints the .cpio.gz path.
#   build-initramfs.sh KERNEL_DIR [MODULE.ko...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cache_lock initramfs

kdir=${1:?usage: build-initramfs.sh KERNEL_DIR [MODULE.ko...]}
shift
declare -A part
while IFS='=' read -r k v; do part[$k]=$v; done < <("$MTETAG_ROOT/scripts/build-guest.sh")
release=$(cat "$kdir/release")

key=$(input_hash "$kdir" "${part[busybox]}" "${part[fio]}" "${part[programs]}" -- \
	"$MTETAG_ROOT/tests/guest" "$MTETAG_ROOT/scripts/guest" "$MTETAG_ROOT/packaging" \
	"$MTETAG_ROOT/scripts/build-initramfs.sh" "$@")
out=$MTETAG_CACHE/initramfs/$key.cpio.gz
if [ ! -f "$out" ]; then
	stage=$(mktemp -d)
	trap 'rm -rf "$stage"' EXIT
	mkdir -p "$stage"/{bin,sbin,usr/bin,dev,proc,sys,tmp,tests,lib/modules}
	cp "${part[busybox]}" "$stage/bin/busybox"
	cp "${part[fio]}" "$stage/usr/bin/fio"
	cp "${part[programs]}"/* "$stage/usr/bin/"
	cp "$MTETAG_ROOT/scripts/guest/init" "$stage/init"
	cp "$MTETAG_ROOT/packaging/mtetag-hibernate-check" "$stage/usr/bin/"
	for t in "$MTETAG_ROOT"/tests/guest/*; do
		case $t in
		*/lib.sh) cp "$t" "$stage/tests/" ;;
		*.sh) cp "$t" "$stage/tests/$(basename "$t" .sh)" ;;
		*) cp "$t" "$stage/tests/" ;;
		esac
	done
	chmod +x "$stage/init" "$stage"/tests/*
	cp -a "$kdir/modules/lib/modules/$release" "$stage/lib/modules/"
	mkdir -p "$stage/usr/lib/mte-selftests"
	cp "$kdir"/selftests/kselftest/arm64/mte/check_* "$stage/usr/lib/mte-selftests/"
	mkdir -p "$stage/lib/modules/$release/extra" "$stage/usr/lib/mtetag-testing"
	for m in "$@"; do
		case $m in
		# Same name as the product's: out of modprobe's reach (load_mtetag_testing).
		*/mtetag-testing/*) cp "$m" "$stage/usr/lib/mtetag-testing/" ;;
		*) cp "$m" "$stage/lib/modules/$release/extra/" ;;
		esac
	done
	depmod -b "$stage" "$release"
	# Without /dev/console the kernel has nowhere to send /init's output.
	mknod -m 600 "$stage/dev/console" c 5 1
	mkdir -p "$MTETAG_CACHE/initramfs"
	(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1 >"$out.tmp")
	mv "$out.tmp" "$out"
fi
echo "$out"
