// SPDX-License-Identifier: GPL-2.0
// pagehog: fill anonymous memory with realistic page content (zero, same-filled, random and
// text pages), make the kernel swap it, then read every page back and compare it with what
// was written.
//   pagehog --percent N [--seed S] [--threads T] [--pageout] [--after-fill CMD] [--stat FILE]...
// --percent: of MemTotal (above 100 the kernel must swap); --pageout: MADV_PAGEOUT the whole
// area after filling it; --after-fill: a shell command run before verifying (swapoff, say);
// --stat: files (sysfs statistics) printed once every page is written.
// Prints one "pagehog:" summary line; exit 0 only when every page matched.
#include "cli.hpp"
#include "pagegen.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <vector>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

namespace {

long meminfo_kb(const std::string &key)
{
	std::ifstream in("/proc/meminfo");
	std::string name, unit;
	long value;
	while (in >> name >> value) {
		std::getline(in, unit);
		if (name == key + ":")
			return value;
	}
	return -1;
}

struct Options {
	long percent = 0;
	std::uint64_t seed = 1;
	unsigned threads = 2;
	bool pageout = false;
	std::string after_fill;
	std::vector<std::string> stats;
};

} // namespace

int main(int argc, char **argv)
{
	Options opt;
	CLI::App app{"Fill memory with known pages, have the kernel swap them, verify every page.",
		     "pagehog"};
	mtetag::cli::last_value_wins(app);
	app.add_option("--percent", opt.percent, "of MemTotal (above 100 the kernel must swap)")
		->required()
		->check(CLI::Range(1L, std::numeric_limits<long>::max()));
	app.add_option("--seed", opt.seed, "seed of the page contents")->capture_default_str();
	app.add_option("--threads", opt.threads, "threads that fill and verify")
		->check(CLI::Range(1u, std::numeric_limits<unsigned>::max()))
		->capture_default_str();
	app.add_flag("--pageout", opt.pageout, "MADV_PAGEOUT the whole area after filling it");
	app.add_option("--after-fill", opt.after_fill, "shell command run before verifying");
	// One FILE per --stat, given as often as wanted: "--stat A B" stays an error.
	app.add_option("--stat", opt.stats, "file printed once every page is written")
		->allow_extra_args(false)
		->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
	if (auto rc = mtetag::cli::parse_or_exit(app, argc, argv))
		return *rc;
	const long memtotal_kb = meminfo_kb("MemTotal");
	if (memtotal_kb <= 0) {
		std::fprintf(stderr, "pagehog: no MemTotal in /proc/meminfo\n");
		return 2;
	}
	const std::size_t pages = static_cast<std::size_t>(memtotal_kb) * opt.percent / 100 / 4;
	const std::size_t bytes = pages * mtetag::kPageSize;
	const mtetag::PageMix mix;

	auto *mem = static_cast<std::uint8_t *>(mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
						     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
						     -1, 0));
	if (mem == MAP_FAILED) {
		std::perror("pagehog: mmap");
		return 1;
	}
	// Only base pages: a THP would hide the per-page swap path.
	madvise(mem, bytes, MADV_NOHUGEPAGE);

	std::atomic<std::size_t> mismatches{0};
	auto run = [&](bool verify) {
		std::vector<std::thread> pool;
		for (unsigned t = 0; t < opt.threads; t++)
			pool.emplace_back([&, t] {
				for (std::size_t i = t; i < pages; i += opt.threads) {
					std::uint8_t *page = mem + i * mtetag::kPageSize;
					if (!verify)
						mtetag::fill_page(page, opt.seed, i, mix);
					else if (!mtetag::check_page(page, opt.seed, i, mix))
						mismatches++;
				}
			});
		for (auto &th : pool)
			th.join();
	};
	run(false);
	if (opt.pageout && madvise(mem, bytes, MADV_PAGEOUT) != 0)
		std::perror("pagehog: madvise(MADV_PAGEOUT)");
	const long swapped_kb = meminfo_kb("SwapTotal") - meminfo_kb("SwapFree");
	for (const std::string &path : opt.stats) {
		// One line per file: the lines of a "name value" file joined by spaces.
		std::ifstream in(path);
		std::string text, line;
		while (std::getline(in, line))
			text += (text.empty() ? "" : " ") + line;
		std::printf("after-fill %s: %s\n", path.c_str(), text.c_str());
	}
	std::fflush(stdout);
	int cmd_rc = 0;
	if (!opt.after_fill.empty()) {
		cmd_rc = std::system(opt.after_fill.c_str());
		std::printf("after-fill command '%s' exited %d\n", opt.after_fill.c_str(), cmd_rc);
	}
	run(true);
	std::printf("pagehog: pages=%zu mib=%zu memtotal_kb=%ld swapped_kb=%ld mismatches=%zu\n",
		    pages, pages / 256, memtotal_kb, swapped_kb, mismatches.load());
	return mismatches == 0 && cmd_rc == 0 ? 0 : 1;
}
