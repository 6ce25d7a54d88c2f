#!/bin/sh
# 100 load / mkswap / swapon / swap traffic / swapoff / unload cycles. Every step must succeed
# and, where the kernel has kmemleak (make test-debug), no leak may be reported. Prints the
# "hardening-word: lifecycle_cycles=<N>" of the summary.
. /tests/lib.sh
cycles=100
tap_plan 3
done_cycles=0 broken=""
kmemleak=/sys/kernel/debug/kmemleak
[ -e $kmemleak ] && echo clear >$kmemleak
i=0
while [ $i -lt $cycles ]; do
	i=$((i + 1))
	modprobe mtetag disksize=64M || { broken="modprobe"; break; }
	mkswap /dev/mtetag0 >/dev/null || { broken="mkswap"; break; }
	swapon /dev/mtetag0 || { broken="swapon"; break; }
	# Some swap traffic every tenth cycle: a hog of a quarter of RAM pushed out and back.
	if [ $((i % 10)) = 0 ]; then
		pagehog --percent 25 --seed $i --pageout >/tmp/life.out 2>&1 ||
			{ broken="pagehog"; cat /tmp/life.out; break; }
	fi
	swapoff /dev/mtetag0 || { broken="swapoff"; break; }
	rmmod mtetag || { broken="rmmod"; break; }
	done_cycles=$i
done
[ -z "$broken" ] || echo "# cycle $i failed at $broken"
check "$cycles cycles of load, swapon, swapoff, unload" test "$done_cycles" = $cycles
check "module gone at the end" sh -c '! grep -q "^mtetag " /proc/modules'
if [ -e $kmemleak ]; then
	# Two scans: an object must be seen unreferenced twice before it is reported. A
	# kmemleak that turned itself off refuses the scan: that fails, not a silent 0.
	if ! { echo scan >$kmemleak && sleep 6 && echo scan >$kmemleak; }; then
		not_ok "kmemleak scans (it is off: $(dmesg | grep kmemleak | tail -1))"
		tap_exit
	fi
	leaks=$(grep -c '^unreferenced object' $kmemleak)
	[ "$leaks" = 0 ] || head -40 $kmemleak
	check "kmemleak: no leak after $cycles cycles ($leaks reported)" test "$leaks" = 0
else
	ok "# SKIP kmemleak not in this kernel (make test-debug has it)"
fi
echo "hardening-word: lifecycle_cycles=$done_cycles"
tap_exit
