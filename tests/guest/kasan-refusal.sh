#!/bin/sh
# With KASAN hardware tags every kernel page is tagged: no tag storage is ever idle, so
# mte_tag_storage_register() refuses and mtetag does not load, saying why.
. /tests/lib.sh
tap_plan 3
check "KASAN hardware tags are on" sh -c "dmesg | grep -q 'KernelAddressSanitizer initialized (hw-tags'"
if modprobe mtetag 2>/tmp/modprobe.err; then
	not_ok "modprobe mtetag refused"
	rmmod mtetag
else
	ok "modprobe mtetag refused: $(cat /tmp/modprobe.err)"
fi
check "the reason is logged" sh -c "dmesg | grep -q 'not with hardware tag-based kasan'"
tap_exit
