#!/bin/sh
# The faithful machine: bytes written into a carve-out tag page are the tags LDG reads, and
# tags stored with STG are the bytes of the carve-out (tools/guest/mte-oracle.cpp).
. /tests/lib.sh
need_faithful
set -- $(carve_out)
echo "carve-out at $1 for data $2 + $3"
modprobe mtetag_oracle tag_base=$1 mem_base=$2 mem_size=$3 || { echo "Bail out! oracle module"; exit 1; }
mte-oracle
rc=$?
rmmod mtetag_oracle
exit $rc
