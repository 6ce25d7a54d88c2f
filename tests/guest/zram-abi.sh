#!/bin/sh
# The zram ABI on /dev/mtetag0. The attributes are zram0's own (those a plain virtio disk
# lacks) plus zram-control's hot_add and hot_remove. One script drives each of them on zram0
# and then on mtetag0 as zramctl, zram-generator and zram's selftests do: writes that must
# succeed, writes zram refuses (and with which error), reads (values, or the shape of a
# statistics file: its first columns, as tools read them by position). An attribute conforms
# when both transcripts of it are the same. Then mtetagctl is driven as zramctl would be.
# Prints "zram-abi: attributes=N/M tools=zramctl-ok|zramctl-fail".
. /tests/lib.sh

modprobe mtetag || { echo "not ok 1 modprobe mtetag"; exit 1; }
set -- $(ls /dev/vd? 2>/dev/null)
[ $# -ge 2 ] || skip_all "needs two virtio disks (run-vm.sh --disk)"
zram_bdev=$1 mtetag_bdev=$2
data=/tmp/abi.data
# 16 MiB the devices store alike: text (compressible), random (stored raw), zeros (same-filled).
{
	i=0
	while [ $i -lt 2048 ]; do
		echo "line $i of the zram ABI test data, compressible as swap of a text heap often is"
		i=$((i + 1))
	done
} >/tmp/abi.text
: >$data
while [ "$(wc -c <$data)" -lt $((8 << 20)) ]; do cat /tmp/abi.text >>$data; done
head -c $((8 << 20)) $data >/tmp/abi.head && mv /tmp/abi.head $data
head -c $((4 << 20)) /dev/urandom >>$data
head -c $((4 << 20)) /dev/zero >>$data

# T FILE: the transcript being written.
out() { echo "$1|$2" >>"$T"; }
# result TEXT: "ok" for no error text, else the error's own words ("sh: write error: X").
result() { if [ -n "$1" ]; then echo "${1##*: }"; else echo ok; fi; }
# w ATTR VALUE [SHOWN]: a write and what it returned; SHOWN stands for VALUE in the transcript.
w() {
	_e=$( (echo "$2" >"$S/$1") 2>&1)
	out "$1" "w ${3:-$2}: $(result "$_e")"
}
# r ATTR [CAP]: a read; with CAP the number of columns, capped at CAP (tools read the first
# CAP by position and ignore the rest), and which of them are zero.
r() {
	if [ -n "${2:-}" ]; then
		out "$1" "r: $(head -n 1 "$S/$1" | awk -v cap="$2" '{
			n = NF < cap ? NF : cap; s = n " cols";
			for (i = 1; i <= n; i++) s = s " " ($i == 0 ? 0 : "x");
			print s }')"
	else
		out "$1" "r: $(cat "$S/$1" 2>&1 | sed 's/.*\[\(.*\)\].*/[\1]/' | tr '\n' ' ')"
	fi
}
# col ATTR K: column K of a statistics file.
col() { awk -v k="$2" '{print $k}' "$S/$1"; }

# drive DEV BACKING CONTROL: the whole script, on one device.
drive() {
	dev=$1 S=/sys/block/$1 T=/tmp/abi.$1
	: >"$T"
	# Uninitialised: what may be set up, and what zram refuses before disksize.
	r initstate
	r disksize
	w comp_algorithm bogus
	w comp_algorithm zstd
	r comp_algorithm
	w recomp_algorithm algo=bogus
	w recomp_algorithm "algo=lz4 priority=9"
	w recomp_algorithm priority=1
	w recomp_algorithm "algo=lz4hc priority=1"
	r recomp_algorithm
	w algorithm_params "algo=zstd level=5"
	w algorithm_params "algo=bogus level=1"
	w algorithm_params "priority=1 level=x"
	w algorithm_params "priority=1 level=9"
	w max_comp_streams 2
	r max_comp_streams
	w mem_limit 32M
	w mem_limit x
	w mem_used_max 0
	w mem_used_max 5
	w idle all
	w compact 1
	w writeback idle
	w recompress type=idle
	r backing_dev
	w backing_dev /dev/nonexistent
	w backing_dev /dev/null
	w backing_dev "$2" BDEV
	out backing_dev "r: $(sed "s|^$2\$|BDEV|" $S/backing_dev)"
	w writeback_limit_enable 1
	r writeback_limit_enable
	w writeback_limit 1024
	r writeback_limit
	w writeback_limit_enable 0
	w mem_limit 0
	w disksize bogus
	w disksize 64M
	r initstate
	r disksize
	# Initialised: set-up is refused, data goes in and statistics move.
	w disksize 32M
	w comp_algorithm lz4
	w recomp_algorithm algo=zstd
	w backing_dev "$2" BDEV
	w algorithm_params level=1
	dd if=$data of=/dev/$dev bs=1M conv=fsync 2>/dev/null
	r mm_stat 9
	out mm_stat "orig $(col mm_stat 1) same $(col mm_stat 6)"
	out mm_stat "ratio $(awk '{print ($3 > 0 && $3 < $1) ? "below 1" : "wrong"}' $S/mm_stat)"
	r io_stat 4
	r debug_stat
	w idle all
	w writeback bogus
	w writeback page_index=999999999
	w writeback idle
	r bd_stat 3
	echo 3 >/proc/sys/vm/drop_caches
	out bd_stat "read back: $(head -c $((16 << 20)) /dev/$dev | cmp - $data >/dev/null && echo same)"
	w recompress "type=huge threshold=99999"
	w recompress type=idle
	w writeback_limit_enable 1
	w writeback_limit 0
	w idle all
	w writeback idle
	w writeback_limit_enable 0
	w mem_used_max 0
	w compact 1
	w reset 0
	w reset 1
	r initstate
	r backing_dev
	r comp_algorithm
	r recomp_algorithm
	# zram-control and mtetag-control
	C=$3
	id=$(cat $C/hot_add)
	out hot_add "r: $( [ -b /dev/$(echo $dev | tr -d 0-9)$id ] && echo new device)"
	_e=$( (echo "$id" >$C/hot_remove) 2>&1)
	out hot_remove "w id: $(result "$_e")"
	_e=$( (echo 999 >$C/hot_remove) 2>&1)
	out hot_remove "w 999: $(result "$_e")"
}

echo 1 >/sys/block/mtetag0/reset
drive zram0 "$zram_bdev" /sys/class/zram-control
drive mtetag0 "$mtetag_bdev" /sys/class/mtetag-control

# The zram attributes: zram0's files that a plain (virtio) disk does not have.
ls /sys/block/${zram_bdev#/dev/} >/tmp/abi.disk
attrs=$(ls /sys/block/zram0 | grep -vxF -f /tmp/abi.disk; echo hot_add; echo hot_remove)
total=0 same=0
tap_plan $(($(echo "$attrs" | wc -l) + 5))
for a in $attrs; do
	total=$((total + 1))
	grep "^$a|" /tmp/abi.zram0 >/tmp/abi.z
	grep "^$a|" /tmp/abi.mtetag0 >/tmp/abi.m
	if [ -s /tmp/abi.z ] && cmp -s /tmp/abi.z /tmp/abi.m; then
		same=$((same + 1))
		ok "$a behaves as zram's"
	else
		diff /tmp/abi.z /tmp/abi.m | sed 's/^/# /'
		[ -s /tmp/abi.z ] || echo "# $a: not driven by this test"
		not_ok "$a behaves as zram's"
	fi
done

# mtetagctl as zramctl: set-up right after load (reset first), sizes, output, exit status.
tools=ok
tool() { check "$@" || tools=fail; }
rmmod mtetag && modprobe mtetag
tool "mtetagctl -s 64MiB -a zstd right after modprobe" mtetagctl /dev/mtetag0 -s 64MiB -a zstd
tool "disksize 64 MiB, algorithm zstd" sh -c \
	'[ $(cat /sys/block/mtetag0/disksize) = 67108864 ] && grep -q "\[zstd\]" /sys/block/mtetag0/comp_algorithm'
tool "raw output: NAME ALGORITHM DISKSIZE" sh -c \
	'[ "$(mtetagctl --raw -n -o NAME,ALGORITHM,DISKSIZE /dev/mtetag0)" = "/dev/mtetag0 zstd 64M" ]'
tool "a bad option exits 1" sh -c 'mtetagctl --no-such-option >/dev/null 2>&1; [ $? = 1 ]'
tool "--find sets up a new device, -r removes it" sh -c \
	'd=$(mtetagctl -f -s 16M) && [ -b "$d" ] && mtetagctl -r "$d" && [ ! -b "$d" ]'
echo "zram-abi: attributes=$same/$total tools=zramctl-$tools"
tap_exit
