#!/bin/sh
# hot_add, hot_remove and readers of the devices' attributes race for 20 s: no oops, no
# warning (the runner's check), every device removable at the end, the module unloads.
. /tests/lib.sh
tap_plan 3
modprobe mtetag disksize=16M || { echo "Bail out! modprobe failed"; exit 1; }
ctl=/sys/class/mtetag-control
end=$(($(cut -d. -f1 /proc/uptime) + 20))
adder() {
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do cat $ctl/hot_add >/dev/null 2>&1; done
}
remover() {
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
		for id in 1 2 3 4 5 6 7 8; do echo $id >$ctl/hot_remove 2>/dev/null; done
	done
}
reader() {
	while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
		cat /sys/block/mtetag*/mm_stat /sys/block/mtetag*/tag_stat >/dev/null 2>&1
		for d in /dev/mtetag*; do dd if=$d of=/dev/null bs=4k count=4 2>/dev/null; done
	done
}
adder & a=$!
adder & a2=$!
remover & r=$!
reader & d=$!
wait $a $a2 $r $d
ls /dev/mtetag* | tr '\n' ' '; echo
check "the races leave device 0 working" dd if=/dev/mtetag0 of=/dev/null bs=4k count=16
for d in /sys/block/mtetag*; do
	id=${d##*mtetag}
	[ "$id" = 0 ] || echo $id >$ctl/hot_remove
done
check "every added device removable" test "$(ls -d /sys/block/mtetag* | wc -l)" = 1
check "rmmod" rmmod mtetag
tap_exit
