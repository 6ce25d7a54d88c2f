#!/bin/sh
# The emulated CPU advertises MTE (and MTE3) to user space.
. /tests/lib.sh
tap_plan 2
features=$(grep -m1 '^Features' /proc/cpuinfo)
echo "$features"
check "mte in /proc/cpuinfo Features" sh -c "echo '$features' | grep -qw mte"
check "mte3 in /proc/cpuinfo Features" sh -c "echo '$features' | grep -qw mte3"
tap_exit
