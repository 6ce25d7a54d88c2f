#!/bin/sh
# Per-granule tag checking by the emulated CPU (tools/guest/mte-probe.cpp).
exec /usr/bin/mte-probe
