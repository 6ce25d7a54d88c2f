// SPDX-License-Identifier: GPL-2.0
// mtetagctl: set up and inspect mtetag devices as zramctl does zram ones; see mtetagctl.8.
#include "mtetagctl.hpp"

#include <unistd.h>

#include <clocale>
#include <cstdlib>
#include <iostream>

int main(int argc, char **argv)
{
	// Mount points in the user's charset rather than \x escapes; numbers keep the C
	// locale's decimal point, which JSON needs.
	std::setlocale(LC_CTYPE, "");
	const char *root = std::getenv("MTETAGCTL_SYSROOT"); // tests point this at a fake tree
	const mtetagctl::Sysfs fs(root ? root : "/");
	const long page_size = sysconf(_SC_PAGESIZE);
	const mtetagctl::Context ctx{fs, std::cout, std::cerr,
				     page_size > 0 ? static_cast<std::uint64_t>(page_size) : 4096,
				     true};
	int rc = mtetagctl::run(argc, argv, ctx);
	// As util-linux's close_stdout(): output lost to a full disk or a closed pipe is a failure.
	std::cout.flush();
	if (!std::cout) {
		std::cerr << "mtetagctl: write error\n";
		return 1;
	}
	return rc;
}
