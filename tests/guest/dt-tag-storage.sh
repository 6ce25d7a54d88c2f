#!/bin/sh
# The tag-storage node reached the kernel as design.md section 2 describes it.
. /tests/lib.sh
tap_plan 6
data_mib=$(cmdline_param mtguest.data_mib)
data=$((data_mib * 1024 * 1024))
tag_base=$((0x40000000 + data))
node=$(printf '/proc/device-tree/reserved-memory/tag-storage@%x' "$tag_base")
echo "node: $node"
check "node exists" test -d "$node"
check "compatible is arm,mte-tag-storage" \
	sh -c "tr '\\0' '\\n' <'$node/compatible' | grep -qx arm,mte-tag-storage"
check "reg is base + 1/32 of data" \
	test "$(dt_hex "$node/reg")" = "$(printf '%016x%016x' "$tag_base" $((data / 32)))"
check "block-size is a multiple of 4 KiB" \
	test $((0x$(dt_hex "$node/block-size") % 4096)) = 0
check "reusable" test -f "$node/reusable"
# tagged-memory points at a memory node covering the data range.
ph=$(dt_hex "$node/tagged-memory")
mem=""
for p in /proc/device-tree/*/phandle; do
	[ "$(dt_hex "$p")" = "$ph" ] && mem=${p%/phandle}
done
echo "tagged-memory -> ${mem:-nothing}"
check "tagged-memory is a memory node with the data range" sh -c "
	test -n '$mem' && tr -d '\\0' <'$mem/device_type' | grep -qx memory &&
	test '$(dt_hex "$mem/reg" 2>/dev/null)' = '$(printf '%016x%016x' $((0x40000000)) "$data")'"
tap_exit
