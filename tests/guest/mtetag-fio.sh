#!/bin/sh
# fio on the raw device with crc32c verification: 4k random writes and 64k sequential writes,
# half-compressible buffers, read back and checked.
. /tests/lib.sh
tap_plan 3
modprobe mtetag disksize=128M || { echo "Bail out! modprobe failed"; exit 1; }
common="--filename=/dev/mtetag0 --direct=1 --ioengine=psync --verify=crc32c --do_verify=1
	--buffer_compress_percentage=50 --refill_buffers --size=96M"
fio --name=rand4k --rw=randwrite --bs=4k $common >/tmp/fio1 2>&1
check "4k random write + verify" test $? = 0
fio --name=seq64k --rw=write --bs=64k $common >/tmp/fio2 2>&1
check "64k sequential write + verify" test $? = 0
grep -h -i 'verify\|err=' /tmp/fio1 /tmp/fio2 | head
check "stats add up" stats_add_up mtetag0
echo 1 >/sys/block/mtetag0/reset
rmmod mtetag
tap_exit
