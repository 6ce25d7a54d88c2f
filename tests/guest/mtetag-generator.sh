#!/bin/sh
# mtetag-generator as systemd would use it, without systemd: the units it writes from a
# zram-generator style configuration (swap on mtetag0; ext2 on mtetag1 where there is a
# mkfs.ext2), then what those units run, taken from them: the create and set-up services'
# ExecStart, swapon with the swap unit's Priority, recompress, and ExecStop after swapoff.
. /tests/lib.sh
gen=/usr/bin/mtetag-generator
[ -x $gen ] || skip_all "no $gen in this guest"
root=/tmp/generator-root
units=/tmp/generator-units
conf=$root/etc/systemd/mtetag-generator.conf
rm -rf $root $units
mkdir -p $root/etc/systemd $root/proc $units
# The test root holds this machine's MemTotal and command line, and our configuration.
cat /proc/meminfo >$root/proc/meminfo
cat /proc/cmdline >$root/proc/cmdline
export MTETAG_GENERATOR_ROOT=$root
cat >$conf <<EOF
[mtetag0]
zram-size = min(ram / 4, 64)
compression-algorithm = zstd lz4hc (type=huge)
swap-priority = 50
EOF
fs=no
# busybox names its mkfs.ext2 mke2fs; blocks of the device's page size, as e2fsprogs picks.
if ! command -v mkfs.ext2 >/dev/null && command -v mke2fs >/dev/null; then
	mkdir -p /tmp/bin
	printf '#!/bin/sh\nexec mke2fs -b %d "$@"\n' $((PAGE_KB * 1024)) >/tmp/bin/mkfs.ext2
	chmod +x /tmp/bin/mkfs.ext2
	PATH=/tmp/bin:$PATH
fi
if command -v mkfs.ext2 >/dev/null; then
	fs=yes
	printf '\n[mtetag1]\nzram-size = 16\nfs-type = ext2\nmount-point = /tmp/genmnt\n' >>$conf
fi
module_was_loaded=no
[ -d /sys/class/mtetag-control ] && module_was_loaded=yes
mtetag1_was_there=no
[ -d /sys/block/mtetag1 ] && mtetag1_was_there=yes

swap=$units/dev-mtetag0.swap
mount=$units/tmp-genmnt.mount
setup=$units/systemd-mtetag-setup@.service
create=$units/systemd-mtetag-create@.service
# unit_value FILE KEY: the value of KEY= in a unit file.
unit_value() { sed -n "s/^$2=//p" "$1"; }
# unit_command FILE KEY DEVICE: the command line of KEY= for the instance DEVICE.
unit_command() { unit_value "$1" "$2" | sed "s/%i/$3/g"; }
skip_fs() { ok "$1 # SKIP no mkfs.ext2 in this guest"; }

tap_plan 19
check "generator writes the units" $gen $units
ls -R $units | sed 's/^/# /'
check "dev-mtetag0.swap: What=/dev/mtetag0, Priority=50" \
	test "$(unit_value $swap What) $(unit_value $swap Priority)" = "/dev/mtetag0 50"
check "dev-mtetag0.swap is wanted by swap.target" \
	test "$(readlink $units/swap.target.wants/dev-mtetag0.swap)" = ../dev-mtetag0.swap
check "the set-up service runs this binary (/proc/self/exe)" \
	test "$(unit_value $setup ExecStart)" = "$gen --setup-device %i"
if [ $fs = yes ]; then
	check "tmp-genmnt.mount: What=/dev/mtetag1, Where=/tmp/genmnt" \
		test "$(unit_value $mount What) $(unit_value $mount Where)" = "/dev/mtetag1 /tmp/genmnt"
else
	skip_fs "tmp-genmnt.mount"
fi

check "create service: module loaded, /dev/mtetag0 there" \
	sh -c "$(unit_command $create ExecStart mtetag0) && test -b /dev/mtetag0"
check "set-up service of mtetag0" $(unit_command $setup ExecStart mtetag0)
ram_mib=$(($(meminfo_kb MemTotal) / 1024))
want=$((ram_mib * 1048576 / 4))
[ $want -gt $((64 * 1048576)) ] && want=$((64 * 1048576))
page=$((PAGE_KB * 1024))
want=$(((want + page - 1) / page * page))
check "disksize is min(ram / 4, 64) MiB ($want)" \
	test "$(cat /sys/block/mtetag0/disksize)" = $want
check "comp_algorithm is zstd" grep -q '\[zstd\]' /sys/block/mtetag0/comp_algorithm
check "recomp_algorithm #1 is lz4hc" grep -q '^#1: .*\[lz4hc\]' /sys/block/mtetag0/recomp_algorithm
sed 's/^/# /' /sys/block/mtetag0/recomp_algorithm
# busybox sh runs its own swapon applet, which has no -p: the guest's util-linux-like one.
check "swapon -p with the unit's Priority" /usr/bin/swapon -p "$(unit_value $swap Priority)" /dev/mtetag0
sed 's/^/# /' /proc/swaps
check "/proc/swaps: /dev/mtetag0 at priority 50" \
	sh -c "awk '\$1 == \"/dev/mtetag0\" {print \$5}' /proc/swaps | grep -qx 50"
check "--recompress-device writes type=huge" $gen --recompress-device mtetag0
check "swapoff" swapoff /dev/mtetag0
check "set-up service's ExecStop" $(unit_command $setup ExecStop mtetag0)
check "mtetag0 is reset" test "$(cat /sys/block/mtetag0/initstate)" = 0

if [ $fs = yes ]; then
	check "create and set-up services of mtetag1" sh -c \
		"$(unit_command $create ExecStart mtetag1) && $(unit_command $setup ExecStart mtetag1)"
	# ext2's magic, 0xef53, at byte 1080.
	check "mtetag1 holds an ext2 file system" \
		test "$(od -An -tx1 -j1080 -N2 /dev/mtetag1 | tr -d ' \n')" = 53ef
	check "mtetag1's ExecStop resets it" sh -c \
		"$(unit_command $setup ExecStop mtetag1) && test \$(cat /sys/block/mtetag1/initstate) = 0"
else
	skip_fs "create and set-up services of mtetag1"
	skip_fs "mtetag1 holds an ext2 file system"
	skip_fs "mtetag1's ExecStop resets it"
fi

# Leave the module as it was found.
if [ $module_was_loaded = no ]; then
	rmmod mtetag
elif [ $fs = yes ] && [ $mtetag1_was_there = no ]; then
	echo 1 >/sys/class/mtetag-control/hot_remove
fi
tap_exit
