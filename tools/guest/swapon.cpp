// SPDX-License-Identifier: GPL-2.0
// swapon for the test guest: busybox's lacks -p, which the boot-time set-up uses.
//   swapon [-p PRIORITY] DEVICE     (the util-linux form of the options it takes)
#include "cli.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/swap.h>

int main(int argc, char **argv)
{
	long prio = 0;
	std::string device;
	CLI::App app{"Turn on swap to DEVICE (the util-linux form of the options it takes).",
		     "swapon"};
	mtetag::cli::last_value_wins(app);
	CLI::Option *prio_opt = app.add_option("-p,--priority", prio, "swap priority, 0 to 32767");
	app.add_option("DEVICE", device, "swap device or file")->required();
	if (auto rc = mtetag::cli::parse_or_exit(app, argc, argv))
		return *rc;
	int flags = 0;
	if (prio_opt->count()) {
		if (prio < 0 || prio > SWAP_FLAG_PRIO_MASK) {
			std::fprintf(stderr, "swapon: bad priority %ld\n", prio);
			return 1;
		}
		flags = SWAP_FLAG_PREFER | (static_cast<int>(prio) << SWAP_FLAG_PRIO_SHIFT);
	}
	if (swapon(device.c_str(), flags) != 0) {
		std::fprintf(stderr, "swapon: %s: %s\n", device.c_str(), std::strerror(errno));
		return 1;
	}
	return 0;
}
