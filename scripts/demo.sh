#!/usr/bin/env bash
# `make demo`: boot the machine (default 2 GiB data + 64 MiB carve-out), set up compressed swap,
# run a short fio swap stress, then repeat the guest's "demo:" summary lines at the end.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
"$MTETAG_ROOT/scripts/setup-host.sh"
set +e
"$MTETAG_ROOT/scripts/run-vm.sh" --name demo --data-mib "${DEMO_DATA_MIB:-2048}" \
	--timeout 900 ${DEMO_MODULE:+--module "$DEMO_MODULE"} demo
rc=$?
set -e
echo
sed -n 's/\r$//; s/^# \(demo: .*\)/\1/p' "$MTETAG_CACHE/logs/latest.log"
exit $rc
