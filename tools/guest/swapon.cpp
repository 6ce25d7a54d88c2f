// SPDX-License-Identifier: GPL-2.0
// swapon for the test guest: busybox's lacks -p, which the boot-time set-up uses.
//   swapon [-p PRIORITY] DEVICE     (the util-linux form of the options it takes)
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/swap.h>

int main(int argc, char **argv)
{
	int flags = 0;
	const char *device = nullptr;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if ((a == "-p" || a == "--priority") && i + 1 < argc) {
			long prio = std::strtol(argv[++i], nullptr, 0);
			if (prio < 0 || prio > SWAP_FLAG_PRIO_MASK) {
				std::fprintf(stderr, "swapon: bad priority %ld\n", prio);
				return 1;
			}
			flags = SWAP_FLAG_PREFER | (static_cast<int>(prio) << SWAP_FLAG_PRIO_SHIFT);
		} else if (!device && a[0] != '-') {
			device = argv[i];
		} else {
			std::fprintf(stderr, "usage: swapon [-p PRIORITY] DEVICE\n");
			return 2;
		}
	}
	if (!device) {
		std::fprintf(stderr, "usage: swapon [-p PRIORITY] DEVICE\n");
		return 2;
	}
	if (swapon(device, flags) != 0) {
		std::fprintf(stderr, "swapon: %s: %s\n", device, std::strerror(errno));
		return 1;
	}
	return 0;
}
