#!/usr/bin/env bash
# make bench: mtetag vs zram, side by side in one boot of the default machine (2 GiB data,
# 64 MiB carve-out). BENCH_SIZE_MIB sets the data written (default 48 MiB: fits the pool;
# try 512 to see the overflow tier). Repeats the guest's "bench:" lines at the end.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$MTETAG_ROOT/scripts/setup-host.sh"
set +e
"$MTETAG_ROOT/scripts/run-vm.sh" --name bench --data-mib "${BENCH_DATA_MIB:-2048}" \
	--timeout 1800 --append "bench.size_mib=${BENCH_SIZE_MIB:-48}" bench
rc=$?
set -e
echo
sed -n 's/\r$//; s/^# \(bench: .*\)/\1/p' "$MTETAG_CACHE/logs/latest.log"
exit $rc
