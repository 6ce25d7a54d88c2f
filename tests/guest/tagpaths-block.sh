#!/bin/sh
# block-size is the unit: tagging one data page claims every tag page of its block and no
# other, and freeing it gives the whole block back. Boot with --dtgen --block-size BYTES.
. /tests/lib.sh
need_faithful
tap_plan 5
node=$(ls -d /proc/device-tree/reserved-memory/tag-storage@* | head -1)
block=$((0x$(dt_hex "$node/block-size")))
grace=100
check "load mtetag (block-size $block)" load_mtetag_testing release_grace_ms=$grace
fill_device $(($(cmdline_param mtguest.data_mib) / 32 * 2))
run_cases mte-tagpaths block "$block" $grace
rc=$?
check "audit clean" grep -q 'audit: clean' /sys/kernel/debug/mtetag/audit
[ $rc = 0 ] && word=safe || word=leak
# With 16 KiB pages the block is one tag page: the pagesize_16k word covers that run.
[ "$PAGE_KB" = 4 ] && tagpath "block_$((block / 1024))k" $word
echo 1 >/sys/block/mtetag0/reset
check "rmmod" rmmod mtetag
tap_exit
