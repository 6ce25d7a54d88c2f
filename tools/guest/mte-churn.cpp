// SPDX-License-Identifier: GPL-2.0
// mte-churn: several threads map, tag, swap out, check and unmap PROT_MTE memory, so that
// the tag storage hook runs on every path it must: zeroing faults, mprotect(PROT_MTE) of
// written pages, swap-out and swap-in with tag restore (MADV_PAGEOUT), THP, and frees.
//   mte-churn [--seconds N] [--threads N] [--hold-mib N]
// --seconds: the longest it churns; SIGUSR1 ends it sooner, with the same checks.
// --hold-mib: a region tagged before the churn starts and verified after it ends, so that
// tagged pages exist across a module load (the scan path) and unload.
// Prints one "churn:" line; exit 0 only when every tag and byte read back as written and no
// tag check fault came where none was due (and one came where one was due).
#include "cli.hpp"
#include "mte.hpp"

#include <atomic>
#include <chrono>
#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <vector>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

namespace {

using namespace mtetag::mte;
constexpr std::size_t kPage = 4096;
constexpr std::size_t kGranulesPerPage = kPage / kGranule;
// Tag and check every granule of one page in this many: the rest are faulted in only.
constexpr std::size_t kCheckedEvery = 16;

thread_local sigjmp_buf fault_jump;
thread_local volatile int fault_code;

void on_segv(int, siginfo_t *info, void *)
{
	fault_code = info->si_code;
	siglongjmp(fault_jump, 1);
}

struct Counters {
	std::atomic<unsigned long> rounds{0}, pages{0}, pageouts{0}, tag_mismatches{0},
		data_mismatches{0}, unexpected_faults{0}, missed_faults{0};
};

// Read one byte through a tagged pointer; -1 when it raised a tag check fault.
int checked_read(const volatile std::uint8_t *p)
{
	fault_code = 0;
	if (sigsetjmp(fault_jump, 1) == 0)
		return *p;
	return -1;
}

std::uint8_t pattern(std::uint64_t seed, std::size_t i)
{
	return static_cast<std::uint8_t>((seed * 0x9e3779b97f4a7c15ULL + i * 131) >> 29);
}

// Set by SIGUSR1: a test that needed the churn only while it did something else ends it.
std::atomic<bool> stop_early;

void on_usr1(int)
{
	stop_early.store(true, std::memory_order_relaxed);
}

void churn(unsigned id, std::chrono::steady_clock::time_point end, Counters &c)
{
	std::mt19937_64 rng(id * 7919 + 1);
	if (!enable_sync_checks()) {
		c.unexpected_faults++;
		return;
	}
	while (!stop_early.load(std::memory_order_relaxed) &&
	       std::chrono::steady_clock::now() < end) {
		const bool thp = rng() % 16 == 0;
		const std::size_t pages = thp ? 512 : 1 + rng() % 48;
		const std::size_t len = pages * kPage;
		const std::uint64_t seed = rng();
		const bool via_mprotect = rng() % 3 == 0;
		std::uint8_t *base;
		void *raw = mmap(nullptr, len + (thp ? 2 << 20 : 0),
				 PROT_READ | PROT_WRITE | (via_mprotect ? 0 : PROT_MTE),
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (raw == MAP_FAILED)
			continue;
		base = static_cast<std::uint8_t *>(raw);
		if (thp) {
			auto aligned = (reinterpret_cast<std::uintptr_t>(base) + (2 << 20) - 1) &
				       ~std::uintptr_t((2 << 20) - 1);
			base = reinterpret_cast<std::uint8_t *>(aligned);
			madvise(base, len, MADV_HUGEPAGE);
		}
		if (via_mprotect) {
			// Written while untagged, then made PROT_MTE: the kernel tags existing pages.
			for (std::size_t i = 0; i < len; i += kPage)
				base[i] = 1;
			if (mprotect(base, len, PROT_READ | PROT_WRITE | PROT_MTE)) {
				munmap(raw, len + (thp ? 2 << 20 : 0));
				continue;
			}
		}
		// Fault every page in: each first touch of a PROT_MTE page makes the kernel
		// initialise its tags (one reserve each). Then one tag per granule on every
		// kCheckedEvery-th page, and the data through the tagged pointers.
		for (std::size_t i = 0; i < len; i += kPage)
			base[i + kPage - 1] = 0;
		std::vector<std::uint8_t> tags(pages * kGranulesPerPage);
		for (std::size_t g = 0; g < tags.size(); g++) {
			if ((g / kGranulesPerPage) % kCheckedEvery)
				continue;
			tags[g] = 1 + rng() % 15;
			std::uint8_t *p = with_tag(base + g * kGranule, tags[g]);
			set_tag(p);
			for (std::size_t b = 0; b < kGranule; b++)
				p[b] = pattern(seed, g * kGranule + b);
		}
		c.pages += pages;
		if (rng() % 4 == 0) {
			madvise(base, len, MADV_PAGEOUT); // tags saved, pages swapped, restored on access
			c.pageouts++;
		}
		for (std::size_t g = 0; g < tags.size(); g++) {
			if ((g / kGranulesPerPage) % kCheckedEvery)
				continue;
			std::uint8_t *p = with_tag(base + g * kGranule, tags[g]);
			std::size_t b = g % kGranule;
			int v = checked_read(p + b);
			if (v < 0) {
				c.unexpected_faults++;
				continue;
			}
			if (v != pattern(seed, g * kGranule + b))
				c.data_mismatches++;
			if (load_tag(p) != tags[g])
				c.tag_mismatches++;
		}
		// A wrong tag must still fault: checking is alive.
		if (checked_read(with_tag(base, tags[0] ^ 0x8)) >= 0)
			c.missed_faults++;
		munmap(raw, len + (thp ? 2 << 20 : 0));
		c.rounds++;
	}
}

} // namespace

// A long-lived tagged region: every granule its own tag and data, checked at the end.
struct Held {
	std::uint8_t *base = nullptr;
	std::size_t len = 0;

	explicit Held(std::size_t mib)
	{
		if (!mib)
			return;
		len = mib << 20;
		void *p = mmap(nullptr, len, PROT_READ | PROT_WRITE | PROT_MTE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			len = 0;
			return;
		}
		base = static_cast<std::uint8_t *>(p);
		for (std::size_t g = 0; g < len / kGranule; g++) {
			std::uint8_t *q = with_tag(base + g * kGranule, 1 + g % 15);
			set_tag(q);
			q[0] = pattern(99, g);
		}
	}

	unsigned long bad() const
	{
		unsigned long n = 0;
		for (std::size_t g = 0; g < len / kGranule; g++) {
			std::uint8_t *q = with_tag(base + g * kGranule, 1 + g % 15);
			int v = checked_read(q);
			n += v < 0 || v != pattern(99, g) || load_tag(q) != 1 + g % 15;
		}
		return n;
	}
};

int main(int argc, char **argv)
{
	unsigned seconds = 10, threads = 3;
	std::size_t hold_mib = 0;
	CLI::App app{"Map, tag, swap out, check and unmap PROT_MTE memory in several threads.",
		     "mte-churn"};
	mtetag::cli::last_value_wins(app);
	app.add_option("--seconds", seconds, "the longest it churns; SIGUSR1 ends it sooner")
		->capture_default_str();
	app.add_option("--threads", threads, "churning threads")->capture_default_str();
	app.add_option("--hold-mib", hold_mib, "MiB tagged before the churn, verified after it")
		->capture_default_str();
	if (auto rc = mtetag::cli::parse_or_exit(app, argc, argv))
		return *rc;
	if (!enable_sync_checks()) {
		std::printf("churn: cannot enable tag checks\n");
		return 1;
	}
	struct sigaction sa = {};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, nullptr);
	std::signal(SIGUSR1, on_usr1);
	Counters c;
	Held held(hold_mib);
	if (hold_mib && !held.len)
		c.unexpected_faults++;
	std::printf("churn: holding %zu MiB tagged, churning for %u s\n", held.len >> 20, seconds);
	std::fflush(stdout);
	auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
	std::vector<std::thread> pool;
	for (unsigned t = 0; t < threads; t++)
		pool.emplace_back(churn, t, end, std::ref(c));
	for (auto &th : pool)
		th.join();
	c.data_mismatches += held.bad();
	std::printf("churn: rounds=%lu pages=%lu pageouts=%lu tag_mismatches=%lu data_mismatches=%lu "
		    "tag_faults_unexpected=%lu missed_faults=%lu\n",
		    c.rounds.load(), c.pages.load(), c.pageouts.load(), c.tag_mismatches.load(),
		    c.data_mismatches.load(), c.unexpected_faults.load(), c.missed_faults.load());
	bool ok = c.rounds && !c.tag_mismatches && !c.data_mismatches && !c.unexpected_faults &&
		  !c.missed_faults;
	return ok ? 0 : 1;
}
