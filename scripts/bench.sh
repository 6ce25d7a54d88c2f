#!/usr/bin/env bash
# make bench: mtetag vs zram, side by side in one boot of the default machine (2 GiB data,
# 64 MiB carve-out); BENCH_SIZE_MIB sets the data written (default 48 MiB: fits the pool;
# try 512 to see the overflow tier). Then the hook's cost in a second boot (512 MiB data):
# PROT_MTE fault rate with the module and a full pool vs without, and reserve latency; then
# the same with guest time counting instructions (run-vm.sh --icount: "-icount" lines), which
# measures the hook's work free of the shared host's noise. The first boot also recompresses
# both devices with zstd and writes them back to two virtio disks. Repeats the guests'
# "bench:" lines at the end.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$MTETAG_ROOT/scripts/setup-host.sh"
set +e
"$MTETAG_ROOT/scripts/run-vm.sh" --name bench --data-mib "${BENCH_DATA_MIB:-2048}" \
	--timeout 1800 --append "bench.size_mib=${BENCH_SIZE_MIB:-48}" --disk 1024 --disk 1024 bench
rc=$?
first=$(readlink -f "$MTETAG_CACHE/logs/latest.log")
"$MTETAG_ROOT/scripts/run-vm.sh" --name bench-hook --data-mib 512 --timeout 900 bench-hook
rc=$((rc | $?))
second=$(readlink -f "$MTETAG_CACHE/logs/latest.log")
"$MTETAG_ROOT/scripts/run-vm.sh" --name bench-hook-icount --icount --data-mib 512 --timeout 1200 \
	bench-hook
rc=$((rc | $?))
set -e
echo
sed -n 's/\r$//; s/^# \(bench: .*\)/\1/p' "$first" "$second" "$MTETAG_CACHE/logs/latest.log"
exit $rc
