#!/bin/sh
# mtetag vs zram in the same boot, same data, same algorithm and disksize (make bench).
# Prints "bench: <workload> <algorithm> mtetag/zram=<ratio>" lines.
. /tests/lib.sh
alg=${BENCH_ALG:-lz4}
size_mib=$(cmdline_param bench.size_mib)
size_mib=${size_mib:-48}
rounds=6
disk=$((size_mib * 4))M
modprobe zram && modprobe mtetag disksize=0 || { echo "Bail out! modules"; exit 1; }
# Each device gets a second algorithm for recompression and, when run-vm.sh gave the guest
# two disks, a backing device for writeback; both are used only after the I/O figures.
set -- $(ls /dev/vd? 2>/dev/null)
for d in zram0 mtetag0; do
	if [ $# -ge 1 ]; then
		echo $1 >/sys/block/$d/backing_dev || { echo "Bail out! backing_dev of $d"; exit 1; }
		shift
	fi
	echo $alg >/sys/block/$d/comp_algorithm && echo algo=zstd >/sys/block/$d/recomp_algorithm &&
		echo $disk >/sys/block/$d/disksize || { echo "Bail out! setting up $d"; exit 1; }
done

# IOPS of one fio job on one device ("k" suffixes expanded).
iops() {
	fio --name=b --filename=/dev/$1 --direct=1 --ioengine=psync --rw=$2 --bs=4k \
		--size=${size_mib}M --buffer_compress_percentage=60 --refill_buffers \
		--randseed=7 --norandommap --time_based=0 2>&1 |
		sed -n 's/.*\(read\|write\): IOPS=\([0-9.]*k\{0,1\}\),.*/\2/p' |
		awk '/k$/ {sub("k", ""); print $1 * 1000; next} {print $1}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf (b > 0 ? "%.2f" : "nan"), a / b}'; }

w_z=0 w_m=0 r_z=0 r_m=0
# Odd rounds start with zram, even ones with mtetag: drift of the emulator hits both alike.
for round in $(seq $rounds); do
	order="zram0 mtetag0"
	[ $((round % 2)) = 0 ] && order="mtetag0 zram0"
	for d in $order; do
		w=$(iops $d randwrite)
		r=$(iops $d randread)
		echo "round $round $d: randwrite-4k ${w} IOPS, randread-4k ${r} IOPS"
		if [ $d = zram0 ]; then
			w_z=$((w_z + ${w%.*})) r_z=$((r_z + ${r%.*}))
		else
			w_m=$((w_m + ${w%.*})) r_m=$((r_m + ${r%.*}))
		fi
	done
done

# Memory for the same data: zram's is all RAM (zsmalloc + 16-byte slots); mtetag's is the
# pool pages it fills (free: the carve-out) plus overflow pages, spare pages and metadata.
set -- $(cat /sys/block/zram0/mm_stat)
z_orig=$1 z_compr=$2 z_used=$3
z_meta=$(($(cat /sys/block/zram0/disksize) / 4096 * 16))
z_all=$((z_used + z_meta))
set -- $(cat /sys/block/mtetag0/mm_stat)
m_orig=$1 m_compr=$2 m_ovf=${10}
m_pool=$(($(tag_field mtetag0 tag_used) * 4096)) m_spare=$(($(tag_field mtetag0 spare_pages) * 4096))
m_meta=$(tag_field mtetag0 meta_bytes)
m_ram=$((m_ovf + m_spare + m_meta))
m_all=$((m_ram + m_pool))
echo "zram:   orig=$z_orig compr=$z_compr zsmalloc=$z_used meta=$z_meta"
echo "mtetag: orig=$m_orig compr=$m_compr pool=$m_pool overflow=$m_ovf spare=$m_spare meta=$m_meta"
echo "bench: randwrite-4k $alg mtetag/zram=$(ratio $w_m $w_z)"
echo "bench: randread-4k $alg mtetag/zram=$(ratio $r_m $r_z)"
echo "bench: compr-ratio $alg mtetag/zram=$(ratio "$((m_orig / 1024)) * $z_compr" "$((z_orig / 1024)) * $m_compr")"
echo "bench: mem-used $alg mtetag/zram=$(ratio $m_all $z_all)"
echo "bench: ram-used $alg mtetag/zram=$(ratio $m_ram $z_all)"
echo "bench: data=${size_mib}MiB pool_bytes=$(tag_field mtetag0 pool_bytes) overflow_bytes=$(tag_field mtetag0 overflow_bytes)"

# Recompression of everything with zstd: the compressed size before over after, per device.
for d in zram0 mtetag0; do
	before=$(stat_col /sys/block/$d/mm_stat 2)
	echo all >/sys/block/$d/idle && echo type=idle >/sys/block/$d/recompress
	after=$(stat_col /sys/block/$d/mm_stat 2)
	echo "$d: compr_data_size $before -> $after after recompress type=idle with zstd"
	if [ $d = zram0 ]; then gain_z=$(ratio $before $after); else gain_m=$(ratio $before $after); fi
done
echo "bench: recompress-ratio-gain $alg->zstd=$gain_m"
echo "bench: recompress-ratio-gain-zram $alg->zstd=$gain_z"

# Writeback of everything to the virtio disks: MiB/s, by /proc/uptime.
uptime_cs() { awk '{printf "%d", $1 * 100}' /proc/uptime; }
# Parenthesised: a bare ">" in printf's arguments is awk's output redirection.
mib_s() { awk -v p="$1" -v t="$2" 'BEGIN {printf "%.1f", (t > 0 ? p * 4 / 1024 / (t / 100) : 0)}'; }
if grep -qv none /sys/block/zram0/backing_dev /sys/block/mtetag0/backing_dev; then
	for d in zram0 mtetag0; do
		echo all >/sys/block/$d/idle
		t0=$(uptime_cs)
		echo idle >/sys/block/$d/writeback
		t1=$(uptime_cs)
		pages=$(stat_col /sys/block/$d/bd_stat 3)
		echo "$d: $pages pages written back in $((t1 - t0)) cs"
		if [ $d = zram0 ]; then wb_z=$(mib_s $pages $((t1 - t0))); else wb_m=$(mib_s $pages $((t1 - t0))); fi
	done
	echo "bench: writeback-mib-s mtetag=$wb_m zram=$wb_z mtetag/zram=$(ratio $wb_m $wb_z)"
fi
