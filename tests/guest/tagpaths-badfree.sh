#!/bin/sh
# The release hook runs after the free path's checks: a tagged page the allocator refuses to
# free (a bad page, leaked) keeps its tag storage. Boot with init_on_free=1, which turns the
# checks on; the oracle module makes the page fail them.
. /tests/lib.sh
tap_plan 6
grace=100
check "the free path checks pages (init_on_free=1)" test "$(cmdline_param init_on_free)" = 1
check "modprobe mtetag" modprobe mtetag release_grace_ms=$grace
set -- $(carve_out)
check "modprobe mtetag_oracle" modprobe mtetag_oracle tag_base="$1" mem_base="$2" mem_size="$3"
run_cases mte-tagpaths bad-free $grace
check "rmmod mtetag_oracle" rmmod mtetag_oracle
check "rmmod mtetag" rmmod mtetag
tap_exit
