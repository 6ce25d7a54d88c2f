#!/usr/bin/env bash
# Write the guest's device tree: QEMU's own (dumpdtb) plus the tag carve-out fragment from
# mtetag-dtgen (design.md section 2). Cached; prints the .dtb path.
#   make-dtb.sh DATA_MIB SMP [mtetag-dtgen options...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cache_lock dtb

data_mib=${1:?usage: make-dtb.sh DATA_MIB SMP [dtgen options]}
smp=${2:?usage: make-dtb.sh DATA_MIB SMP [dtgen options]}
shift 2
qemu=${QEMU:-qemu-system-aarch64}
ram=$(vm_ram_mib "$data_mib")
hb=$(host_build)
key=$(input_hash "$qemu $("$qemu" --version | head -n 1)" "$QEMU_MACHINE $data_mib $smp $*" -- \
	"$hb/mtetag-dtgen" "$MTETAG_ROOT/scripts/make-dtb.sh")
out=$MTETAG_CACHE/dtb/$key.dtb
if [ ! -f "$out" ]; then
	mkdir -p "$MTETAG_CACHE/dtb"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	"$qemu" -machine "$QEMU_MACHINE,dumpdtb=$tmp/qemu.dtb" -cpu "$QEMU_CPU" \
		-m "${ram}M" -smp "$smp" -display none -nic none >/dev/null 2>&1 ||
		die "$qemu could not dump its device tree"
	dtc -q -I dtb -O dts -o "$tmp/qemu.dts" "$tmp/qemu.dtb"
	"$hb/mtetag-dtgen" --data-mib "$data_mib" "$@" >"$tmp/frag.dts"
	cat "$tmp/qemu.dts" "$tmp/frag.dts" >"$tmp/guest.dts"
	dtc -q -I dts -O dtb -o "$tmp/guest.dtb" "$tmp/guest.dts"
	mv "$tmp/guest.dtb" "$out"
fi
echo "$out"
