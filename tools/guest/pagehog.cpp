// SPDX-License-Identifier: GPL-2.0
// pagehog: touch more anonymous memory than the guest has, with realistic page content, so
// the kernel must swap; then read every page back and compare it with what was written.
//   pagehog <percent of MemTotal> [seed] [threads]
// Prints one "pagehog:" summary line; exit 0 only when every page matched.
#include "pagegen.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <vector>

namespace {

long meminfo_kb(const std::string &key)
{
	std::ifstream in("/proc/meminfo");
	std::string name;
	long value;
	std::string unit;
	while (in >> name >> value) {
		std::getline(in, unit);
		if (name == key + ":")
			return value;
	}
	return -1;
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 2) {
		std::fprintf(stderr, "usage: pagehog PERCENT_OF_MEMTOTAL [SEED] [THREADS]\n");
		return 2;
	}
	const long percent = std::strtol(argv[1], nullptr, 0);
	const std::uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 0) : 1;
	const unsigned threads = argc > 3 ? std::strtoul(argv[3], nullptr, 0) : 2;
	const long memtotal_kb = meminfo_kb("MemTotal");
	if (percent <= 0 || memtotal_kb <= 0 || threads == 0) {
		std::fprintf(stderr, "pagehog: bad arguments or no /proc/meminfo\n");
		return 2;
	}
	const std::size_t pages = static_cast<std::size_t>(memtotal_kb) * percent / 100 / 4;
	const mtetag::PageMix mix;

	auto *mem = static_cast<std::uint8_t *>(mmap(nullptr, pages * mtetag::kPageSize,
						     PROT_READ | PROT_WRITE,
						     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
						     -1, 0));
	if (mem == MAP_FAILED) {
		std::perror("pagehog: mmap");
		return 1;
	}
	// Only base pages: a THP would hide the per-page swap path.
	madvise(mem, pages * mtetag::kPageSize, MADV_NOHUGEPAGE);

	std::atomic<std::size_t> mismatches{0};
	auto run = [&](bool verify) {
		std::vector<std::thread> pool;
		for (unsigned t = 0; t < threads; t++)
			pool.emplace_back([&, t] {
				for (std::size_t i = t; i < pages; i += threads) {
					std::uint8_t *page = mem + i * mtetag::kPageSize;
					if (!verify)
						mtetag::fill_page(page, seed, i, mix);
					else if (!mtetag::check_page(page, seed, i, mix))
						mismatches++;
				}
			});
		for (auto &th : pool)
			th.join();
	};
	run(false);
	const long swapped_kb = meminfo_kb("SwapTotal") - meminfo_kb("SwapFree");
	run(true);
	std::printf("pagehog: pages=%zu mib=%zu memtotal_kb=%ld swapped_kb=%ld mismatches=%zu\n",
		    pages, pages / 256, memtotal_kb, swapped_kb, mismatches.load());
	return mismatches == 0 ? 0 : 1;
}
