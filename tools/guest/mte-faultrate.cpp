// SPDX-License-Identifier: GPL-2.0
// mte-faultrate: how many PROT_MTE pages per second a process can fault in (each first touch
// makes the kernel initialise the page's tags, and with mtetag loaded, call its reserve hook).
//   mte-faultrate [--mib N] [--seconds N]
// Prints "faultrate: pages_per_s=<n> pages=<n>".
#include "cli.hpp"
#include "mte.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	std::size_t mib = 16;
	double seconds = 5;
	CLI::App app{"How many PROT_MTE pages per second a process can fault in.", "mte-faultrate"};
	mtetag::cli::last_value_wins(app);
	app.add_option("--mib", mib, "MiB mapped, faulted in and unmapped per round")
		->capture_default_str();
	app.add_option("--seconds", seconds, "how long it measures")->capture_default_str();
	if (auto rc = mtetag::cli::parse_or_exit(app, argc, argv))
		return *rc;
	const std::size_t len = mib << 20;
	unsigned long pages = 0;
	auto start = std::chrono::steady_clock::now();
	double elapsed = 0;
	while (elapsed < seconds) {
		auto *p = static_cast<volatile char *>(mmap(nullptr, len,
							    PROT_READ | PROT_WRITE | PROT_MTE,
							    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
		if (p == MAP_FAILED) {
			std::perror("faultrate: mmap");
			return 1;
		}
		madvise(const_cast<char *>(p), len, MADV_NOHUGEPAGE);
		for (std::size_t off = 0; off < len; off += 4096)
			p[off] = 1;
		munmap(const_cast<char *>(p), len);
		pages += len / 4096;
		elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
				  .count();
	}
	std::printf("faultrate: pages_per_s=%.0f pages=%lu\n", pages / elapsed, pages);
	return 0;
}
