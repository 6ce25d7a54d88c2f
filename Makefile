# mtetag: compressed swap in the idle MTE tag carve-out.
# Everything built lives under $(MTETAG_CACHE) (default ~/.cache/mtetag), keyed by its inputs.
#
#   make demo         boot the emulated machine, set up swap, run a fio swap stress
#   make test         host tests, fuzzing, then every guest suite; ends with "N passed, N failed"
#   make test-debug   the mtetag, hook and hardening suites on the debug kernel (KASAN,
#                     lockdep, kmemleak, fault injection); ends with "debug-kernel: reports=N"
#   make shell        interactive shell in the guest
#   make bench        mtetag vs zram, side by side in one boot
#   make module       build drivers/block/mtetag against the cached kernel
#   make setup        install Debian packages (as root; every target does it first)
#   make check        checkpatch --strict on the kernel sources and mm/hooks patches
#   make distclean    remove in-repo leftovers; the cache stays
#   make clean-cache  remove the cache

SHELL := /bin/bash
MTETAG_CACHE ?= $(HOME)/.cache/mtetag
export MTETAG_CACHE

# Kbuild entry for out-of-tree builds (make -C KDIR M=$(PWD)); see Kbuild.
ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

.PHONY: all setup kernel guest module test test-debug demo shell bench check distclean clean clean-cache

all: module

setup:
	@scripts/setup-host.sh

kernel: setup
	@scripts/build-kernel.sh >/dev/null

guest: setup
	@scripts/build-guest.sh >/dev/null

module: setup
	@scripts/build-module.sh

test: setup
	@scripts/test.sh

test-debug: setup
	@scripts/test.sh --debug

demo: setup
	@scripts/demo.sh

shell: setup
	@scripts/run-vm.sh --shell $(if $(DATA_MIB),--data-mib $(DATA_MIB))

bench: setup
	@scripts/bench.sh

check: setup
	@scripts/check.sh

clean distclean:
	rm -rf build compile_commands.json

clean-cache:
	rm -rf "$(MTETAG_CACHE)"
endif
