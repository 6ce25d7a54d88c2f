#!/usr/bin/env bash
# Boot the emulated MTE machine and run guest tests, or a shell.
#   run-vm.sh [--data-mib N] [--smp N] [--timeout S] [--name NAME] [--append ARGS]
#             [--module KO]... [--dtgen ARG]... [--kernel-dir BUILD_DIR] [--icount]
#             [--flavour NAME] [--disk MIB]... (--shell | TEST...)
# --disk: a virtio-blk disk of MIB MiB backed by a sparse file on the host (/dev/vda, vdb...),
# empty at each boot: a real block device for writeback, unlike a loop device in guest RAM.
# --flavour: the guest kernel flavour (scripts/kernel/NAME.config over virt.config, e.g. 16k).
# --icount: guest time counts instructions (one per ns), so timings inside the guest measure
# work done, free of the host's load; also tells the guest (mtguest.icount=1).
# The console streams to stdout and is kept in $MTETAG_CACHE/logs/. The exit status is the
# guest's verdict from mtetag-tapcollect: a missing result or any kernel oops/BUG/WARN/KASAN
# report/hung task fails the run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

data_mib=2048 smp=2 timeout=600 name="" append="" shell=0 kernel_dir="" icount=()
modules=() dtgen=() tests=() disks=()
while [ $# -gt 0 ]; do
	case $1 in
	--data-mib) data_mib=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--append) append="$append $2"; shift 2 ;;
	--module) modules+=("$2"); shift 2 ;;
	--dtgen) dtgen+=("$2"); shift 2 ;;
	--kernel-dir) kernel_dir=$2; shift 2 ;;
	--icount) icount=(-icount shift=0,sleep=off); append="$append mtguest.icount=1"; shift ;;
	--flavour) export MTETAG_FLAVOUR=$2; shift 2 ;;
	--disk) disks+=("$2"); shift 2 ;;
	--shell) shell=1; shift ;;
	-*) die "unknown option $1" ;;
	*) tests+=("$1"); shift ;;
	esac
done
[ "$shell" = 1 ] || [ ${#tests[@]} -gt 0 ] || die "name a test or --shell"

# test.sh builds the machine once for all its boots and exports it as MTETAG_BUILT_*.
faithful_qemu() {
	if [ -n "${MTETAG_BUILT_KDIR:-}" ]; then
		[ -n "${MTETAG_BUILT_QEMU:-}" ] && echo "$MTETAG_BUILT_QEMU"
	else
		"$MTETAG_ROOT/scripts/build-qemu.sh"
	fi
}

# The faithful machine (tags inside the carve-out) unless MTETAG_STOCK_QEMU=1 or it cannot
# be built; the tests that need it skip on stock QEMU.
if [ "${MTETAG_STOCK_QEMU:-0}" != 1 ] && faithful=$(faithful_qemu); then
	export QEMU=$faithful
	QEMU_MACHINE="$QEMU_MACHINE,mte-tag-carveout=$((data_mib / 32))M"
	append="$append mtguest.faithful=1"
	machine_kind="faithful QEMU (tags in the carve-out)"
else
	machine_kind="stock QEMU (tags in hidden memory: the oracle tests skip)"
	[ "${MTETAG_STOCK_QEMU:-0}" = 1 ] || log "faithful QEMU could not be built: falling back to stock"
fi
# What test.sh built is the default flavour's machine.
[ -z "$MTETAG_FLAVOUR" ] || unset MTETAG_BUILT_KDIR MTETAG_BUILT_INITRD
if [ -n "${MTETAG_BUILT_KDIR:-}" ] && [ ${#modules[@]} = 0 ]; then
	kdir=$MTETAG_BUILT_KDIR initrd=$MTETAG_BUILT_INITRD
else
	kdir=$("$MTETAG_ROOT/scripts/build-kernel.sh")
	# The product's module is always in the guest; a test that wants the stock kernel skips
	# modprobe.
	mapfile -t built < <("$MTETAG_ROOT/scripts/build-module.sh")
	modules+=("${built[@]}")
	initrd=$("$MTETAG_ROOT/scripts/build-initramfs.sh" "$kdir" "${modules[@]}")
fi
dtb=$("$MTETAG_ROOT/scripts/make-dtb.sh" "$data_mib" "$smp" ${dtgen[@]+"${dtgen[@]}"})
hb=$(host_build)
qemu=${QEMU:-qemu-system-aarch64}

# oops=panic + panic=-1: any oops ends the run at once instead of wedging the guest.
cmdline="console=ttyAMA0 oops=panic panic=-1 mtguest.data_mib=$data_mib $append"
qemu_args=(-machine "$QEMU_MACHINE" -cpu "$QEMU_CPU" -smp "$smp"
	-m "$(vm_ram_mib "$data_mib")M" -kernel "${kernel_dir:-$kdir/build}/arch/arm64/boot/Image"
	-initrd "$initrd" -dtb "$dtb" -display none -nic none -no-reboot ${icount[@]+"${icount[@]}"})

if [ ${#disks[@]} -gt 0 ]; then
	disk_dir=$(mktemp -d)
	trap 'rm -rf "$disk_dir"' EXIT
	for i in "${!disks[@]}"; do
		truncate -s "${disks[$i]}M" "$disk_dir/disk$i.img"
		qemu_args+=(-drive "file=$disk_dir/disk$i.img,if=none,format=raw,id=disk$i"
			-device "virtio-blk-device,drive=disk$i")
	done
fi

if [ "$shell" = 1 ]; then
	exec "$qemu" "${qemu_args[@]}" -serial mon:stdio -append "$cmdline mtguest.shell=1"
fi

mkdir -p "$MTETAG_CACHE/logs"
log_file=$MTETAG_CACHE/logs/$(date +%Y%m%d-%H%M%S)-${name:-${tests[0]}}.log
list=$(IFS=,; echo "${tests[*]}")
log "booting $machine_kind, $data_mib MiB data + $((data_mib / 32)) MiB carve-out, smp $smp: ${tests[*]}"
log "console log: $log_file"
set +e
timeout -k 10 "$timeout" "$qemu" "${qemu_args[@]}" -serial stdio \
	-append "$cmdline mtguest.tests=$list" </dev/null 2>&1 | tee "$log_file"
qemu_rc=${PIPESTATUS[0]}
set -e
[ "$qemu_rc" = 124 ] && log "timed out after $timeout s"
ln -sf "$log_file" "$MTETAG_CACHE/logs/latest.log"
"$hb/mtetag-tapcollect" "$log_file" "${tests[@]}"
