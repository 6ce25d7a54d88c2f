// SPDX-License-Identifier: GPL-2.0
// mte-tagpaths: try the paths to tag storage that go around the tag storage hook, as an
// ordinary program would, and check that none reaches what the carve-out holds.
//   mte-tagpaths ptrace         PEEK/POKEMTETAGS on a PROT_MTE|PROT_NONE THP never tagged
//   mte-tagpaths thp-split      split a THP with one tagged page, then map it all PROT_MTE
//   mte-tagpaths thp-reserves   reserve callbacks for one PROT_MTE THP fault (one, not 512)
//   mte-tagpaths block BYTES    tagging one data page claims exactly its block-size block
// Run it with data in the carve-out (a filled /dev/mtetag0): a leak then shows as non-zero
// tags nobody wrote, a stray write as corrupted device data (checked by the caller).
// Prints "PASS: case" or "FAIL: case" lines; exit 0 when every case passed.
#include "cli.hpp"
#include "mte.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#ifndef PTRACE_PEEKMTETAGS
#define PTRACE_PEEKMTETAGS 33
#define PTRACE_POKEMTETAGS 34
#endif

namespace {

using namespace mtetag::mte;
// The kernel's page size, its PMD-sized THP (2 MiB with 4 KiB pages, 32 MiB with 16 KiB).
const std::size_t kPage = sysconf(_SC_PAGESIZE);
const std::size_t kThp = kPage * (kPage / 8);
const std::size_t kGranules = kPage / kGranule;
constexpr std::uint64_t kMemBase = 0x40000000;

int failed;

// One line per case; the calling test script turns them into TAP.
void report(bool ok, const std::string &name)
{
	std::printf("%s: %s\n", ok ? "PASS" : "FAIL", name.c_str());
	std::fflush(stdout);
	failed += !ok;
}

// A 2 MiB-aligned region of @size bytes that the kernel may back with THPs.
std::uint8_t *map_thp_region(std::size_t size, int prot)
{
	void *p = mmap(nullptr, size + kThp, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return nullptr;
	auto base = reinterpret_cast<std::uintptr_t>(p);
	auto aligned = (base + kThp - 1) & ~(kThp - 1);
	madvise(reinterpret_cast<void *>(aligned), size, MADV_HUGEPAGE);
	return reinterpret_cast<std::uint8_t *>(aligned);
}

std::uint64_t anon_huge_kb(pid_t pid)
{
	std::ifstream f("/proc/" + std::to_string(pid) + "/smaps_rollup");
	std::string key;
	std::uint64_t kb = 0;
	while (f >> key) {
		if (key == "AnonHugePages:") {
			f >> kb;
			return kb;
		}
		f.ignore(1 << 20, '\n');
	}
	return 0;
}

// Physical frame of a virtual address of this process, 0 when not present.
std::uint64_t pfn_of(const void *va)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	std::uint64_t entry = 0;
	if (fd < 0)
		return 0;
	off_t off = reinterpret_cast<std::uintptr_t>(va) / kPage * 8;
	if (pread(fd, &entry, 8, off) != 8)
		entry = 0;
	close(fd);
	return (entry >> 63) & 1 ? entry & ((1ull << 55) - 1) : 0;
}

// Granules of [p, p + bytes) whose allocation tag is not @want.
std::size_t tags_not(const std::uint8_t *p, std::size_t bytes, unsigned want)
{
	std::size_t bad = 0;
	for (std::size_t off = 0; off < bytes; off += kGranule)
		bad += load_tag(p + off) != want;
	return bad;
}

// ptrace: the tracer writes tags of a never-initialised page and reads those of another.
int ptrace_case()
{
	std::uint8_t *region = map_thp_region(kThp, PROT_NONE | PROT_MTE);
	if (!region) {
		report(false, "ptrace: map a PROT_MTE|PROT_NONE region");
		return 1;
	}
	std::vector<std::uint8_t> poked(kGranules);
	for (std::size_t i = 0; i < kGranules; i++)
		poked[i] = 1 + i % 15;
	pid_t child = fork();
	if (child == 0) {
		ptrace(PTRACE_TRACEME, 0, nullptr, nullptr);
		raise(SIGSTOP);
		// The tracer is done: map the THP readable and look at every tag of it.
		if (mprotect(region, kThp, PROT_READ | PROT_WRITE | PROT_MTE))
			_exit(10);
		for (std::size_t i = 0; i < kGranules; i++)
			if (load_tag(region + i * kGranule) != poked[i])
				_exit(12);
		_exit(tags_not(region + kPage, kThp - kPage, 0) ? 13 : 0);
	}
	int status;
	waitpid(child, &status, 0);
	// POKE faults the THP in for writing; PROT_NONE kept set_pmd_at() from tagging it.
	iovec iov{poked.data(), poked.size()};
	long poke = ptrace(static_cast<__ptrace_request>(PTRACE_POKEMTETAGS), child, region, &iov);
	report(poke == 0 && iov.iov_len == kGranules, "ptrace: POKEMTETAGS on a never-tagged page");
	std::uint64_t huge_kb = anon_huge_kb(child);
	report(huge_kb >= kThp / 1024, "ptrace: the region is a THP (AnonHugePages " +
					std::to_string(huge_kb) + " kB)");
	std::vector<std::uint8_t> peeked(kGranules, 0xff);
	iov = {peeked.data(), peeked.size()};
	long peek = ptrace(static_cast<__ptrace_request>(PTRACE_PEEKMTETAGS), child,
			   region + kPage, &iov);
	std::size_t nonzero = 0;
	for (auto t : peeked)
		nonzero += t != 0;
	report(peek == 0 && iov.iov_len == kGranules && nonzero == 0,
	       "ptrace: PEEKMTETAGS of an untagged page reads zero tags (" +
		       std::to_string(nonzero) + " of " + std::to_string(kGranules) + " were not)");
	iov = {peeked.data(), peeked.size()};
	peek = ptrace(static_cast<__ptrace_request>(PTRACE_PEEKMTETAGS), child, region, &iov);
	report(peek == 0 && peeked == poked, "ptrace: PEEKMTETAGS reads back what POKE wrote");
	ptrace(PTRACE_CONT, child, nullptr, nullptr);
	waitpid(child, &status, 0);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
	report(code == 0, "ptrace: mapped PROT_MTE, the poked page keeps its tags, the rest read 0"
			  " (child " + std::to_string(code) + ")");
	return 0;
}

bool split_thp(std::uint8_t *p, std::size_t size)
{
	std::FILE *f = std::fopen("/sys/kernel/debug/split_huge_pages", "w");
	if (!f)
		return false;
	std::fprintf(f, "%d,%#lx,%#lx", getpid(), reinterpret_cast<unsigned long>(p),
		     reinterpret_cast<unsigned long>(p + size));
	return std::fclose(f) == 0;
}

// THP split: tails must neither inherit the head's tagged state nor lose their own.
int thp_split_case()
{
	constexpr std::size_t tagged_tail = 5;
	std::uint8_t *r = map_thp_region(2 * kThp, PROT_READ | PROT_WRITE);
	if (!r) {
		report(false, "thp-split: map");
		return 1;
	}
	for (std::size_t i = 0; i < 2 * kThp; i += kPage)
		std::memset(r + i, static_cast<int>(i / kPage), kPage);
	std::uint64_t huge_kb = anon_huge_kb(getpid());
	report(huge_kb >= 2 * kThp / 1024, "thp-split: two THPs (AnonHugePages " + std::to_string(huge_kb) +
					" kB)");
	// THP 0: its head page tagged; THP 1: one tail page tagged.
	std::uint8_t *tail = r + kThp + tagged_tail * kPage;
	bool prot = !mprotect(r, kPage, PROT_READ | PROT_WRITE | PROT_MTE) &&
		    !mprotect(tail, kPage, PROT_READ | PROT_WRITE | PROT_MTE);
	for (std::size_t g = 0; prot && g < kGranules; g++) {
		set_tag(with_tag(r + g * kGranule, 1 + g % 15));
		set_tag(with_tag(tail + g * kGranule, 1 + g % 15));
	}
	report(prot && split_thp(r, 2 * kThp), "thp-split: tag one page of each, split both");
	report(anon_huge_kb(getpid()) == 0, "thp-split: no THP left");
	prot = !mprotect(r, 2 * kThp, PROT_READ | PROT_WRITE | PROT_MTE);
	std::size_t stray = 0, lost = 0, data = 0;
	for (std::size_t i = 0; prot && i < 2 * kThp; i += kPage) {
		std::uint8_t *pg = r + i;
		const bool tagged = pg == r || pg == tail;
		std::size_t wrong = 0;
		if (tagged) {
			for (std::size_t g = 0; g < kGranules; g++)
				wrong += load_tag(pg + g * kGranule) != 1 + g % 15;
			lost += wrong;
		} else {
			wrong = tags_not(pg, kPage, 0);
			stray += wrong;
		}
		if (wrong)
			continue; // reading through the tags we expect would fault
		for (std::size_t b = 0; b < kPage; b++) {
			const std::uint8_t *p = tagged ? with_tag(pg + b, 1 + b / kGranule % 15) : pg + b;
			data += *p != static_cast<std::uint8_t>(i / kPage);
		}
	}
	report(prot && stray == 0, "thp-split: pages never tagged read zero tags (" +
					   std::to_string(stray) + " granules did not)");
	report(prot && lost == 0, "thp-split: the tagged pages keep their tags (" +
					  std::to_string(lost) + " granules lost)");
	report(prot && data == 0, "thp-split: data intact");
	munmap(r, 2 * kThp);
	return 0;
}

// Field @name of a "name value" stat file (tag_stat), 0 when absent.
std::uint64_t stat_field(const char *path, const std::string &name)
{
	std::ifstream f(path);
	std::string key;
	std::uint64_t v = 0;
	while (f >> key >> v)
		if (key == name)
			return v;
	return 0;
}

int thp_reserves_case()
{
	const char *tag_stat = "/sys/block/mtetag0/tag_stat";
	std::uint8_t *r = map_thp_region(kThp, PROT_READ | PROT_WRITE | PROT_MTE);
	if (!r) {
		report(false, "thp-reserves: map");
		return 1;
	}
	std::uint64_t before = stat_field(tag_stat, "reserves");
	r[0] = 1; // one PMD fault: 512 pages tagged at once
	std::uint64_t calls = stat_field(tag_stat, "reserves") - before;
	std::uint64_t huge_kb = anon_huge_kb(getpid());
	report(huge_kb >= kThp / 1024, "thp-reserves: the fault mapped a THP");
	report(calls >= 1 && calls <= 4, "thp-reserves: one reserve call for a PROT_MTE THP (" +
						 std::to_string(calls) + " calls)");
	munmap(r, kThp);
	return 0;
}

// The block map of debugfs as one character per tag page.
std::string block_map()
{
	std::ifstream f("/sys/kernel/debug/mtetag/block_map");
	std::string line, map;
	while (std::getline(f, line)) {
		std::istringstream s(line);
		std::string index, states;
		s >> index >> states;
		map += states;
	}
	return map;
}

std::set<std::size_t> serving(const std::string &map)
{
	std::set<std::size_t> out;
	for (std::size_t i = 0; i < map.size(); i++)
		if (map[i] == 'T')
			out.insert(i);
	return out;
}

int block_case(std::size_t block_bytes, unsigned grace_ms)
{
	const std::size_t block_pages = block_bytes / kPage;
	const std::string name = "block " + std::to_string(block_bytes / 1024) + "k: ";
	constexpr std::size_t n = 256;
	auto *r = static_cast<std::uint8_t *>(mmap(nullptr, n * kPage, PROT_READ | PROT_WRITE,
						   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	if (r == MAP_FAILED) {
		report(false, name + "map");
		return 1;
	}
	madvise(r, n * kPage, MADV_NOHUGEPAGE);
	std::memset(r, 0x5a, n * kPage);
	std::string before = block_map();
	// A data page whose whole block holds objects or is free: nothing tags it yet.
	std::uint8_t *victim = nullptr;
	std::size_t first = 0;
	for (std::size_t i = 0; i < n && !victim; i++) {
		std::uint64_t pfn = pfn_of(r + i * kPage);
		if (!pfn)
			continue;
		std::size_t tag_page = (pfn - kMemBase / kPage) / 32;
		first = tag_page / block_pages * block_pages;
		bool idle = first + block_pages <= before.size();
		for (std::size_t t = first; idle && t < first + block_pages; t++)
			idle = before[t] != 'T';
		if (idle)
			victim = r + i * kPage;
	}
	if (!victim) {
		report(false, name + "a data page whose block is idle");
		return 1;
	}
	before = block_map();
	bool prot = !mprotect(victim, kPage, PROT_READ | PROT_WRITE | PROT_MTE);
	set_tag(with_tag(victim, 7));
	std::string after = block_map();
	std::set<std::size_t> turned, want;
	auto was = serving(before), now = serving(after);
	for (auto t : now)
		if (!was.count(t))
			turned.insert(t);
	for (std::size_t t = first; t < first + block_pages; t++)
		want.insert(t);
	std::string got;
	for (auto t : turned)
		got += " " + std::to_string(t);
	report(prot && turned == want, name + "tagging one page turns exactly tag pages " +
					       std::to_string(first) + ".." +
					       std::to_string(first + block_pages - 1) +
					       " (turned:" + got + ")");
	munmap(r, n * kPage);
	usleep((grace_ms + 1500) * 1000);
	std::string back = block_map();
	std::size_t still = 0;
	for (std::size_t t = first; t < first + block_pages; t++)
		still += back[t] == 'T';
	report(still == 0, name + "freed, the block returns to the pool (" +
				   std::to_string(still) + " pages still serve tags)");
	return 0;
}

// The zero page is mapped into PROT_MTE memory by read faults, with its tags (cleared at boot)
// in the carve-out: its block serves tags whatever the pool holds, and reads zero tags.
int zero_page_case()
{
	const std::string name = "zero page: ";
	auto *p = static_cast<std::uint8_t *>(mmap(nullptr, kPage, PROT_READ | PROT_MTE,
						   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	if (p == MAP_FAILED) {
		report(false, name + "map");
		return 1;
	}
	volatile std::uint8_t first = p[0]; // a read fault maps the zero page
	(void)first;
	std::uint64_t pfn = pfn_of(p);
	if (!pfn) {
		report(false, name + "pfn of the mapping");
		return 1;
	}
	std::size_t tag_page = (pfn - kMemBase / kPage) / 32;
	bool serving = block_map()[tag_page] == 'T';
	std::size_t nonzero = 0;
	for (std::size_t g = 0; g < kPage; g += 16)
		nonzero += load_tag(p + g) != 0;
	report(serving && nonzero == 0, name + "tag page " + std::to_string(tag_page) + " of pfn " +
					     std::to_string(pfn) +
					     (serving ? " serves tags" : " is pool space") + ", " +
					     std::to_string(nonzero) + " granules with non-zero tags");
	munmap(p, kPage);
	return 0;
}

// A tagged page whose free the allocator refuses (a bad page) stays in use as far as the
// kernel knows: its block must keep serving tags after the grace period.
int bad_free_case(unsigned grace_ms)
{
	const std::string name = "bad page: ";
	auto *p = static_cast<std::uint8_t *>(mmap(nullptr, kPage, PROT_READ | PROT_WRITE | PROT_MTE,
						   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	if (p == MAP_FAILED) {
		report(false, name + "map");
		return 1;
	}
	set_tag(with_tag(p, 5));
	std::uint64_t pfn = pfn_of(p);
	std::size_t tag_page = (pfn - kMemBase / kPage) / 32;
	std::ofstream bad("/sys/kernel/debug/mtetag_oracle/bad_on_free");
	bad << reinterpret_cast<std::uintptr_t>(p) << std::flush;
	if (!pfn || !bad) {
		report(false, name + "mark the page bad on free");
		return 1;
	}
	bool serving_before = block_map()[tag_page] == 'T';
	// Read by mtetag-tapcollect: the one kernel report this case causes.
	std::printf("mtguest: expect kernel report: BUG: Bad page state\n");
	std::fflush(stdout);
	munmap(p, kPage);
	usleep((grace_ms + 1500) * 1000);
	bool serving_after = block_map()[tag_page] == 'T';
	report(serving_before && serving_after,
	       name + "tag page " + std::to_string(tag_page) + " of the leaked page " +
		       (serving_after ? "keeps serving tags" : "was given back"));
	return 0;
}

} // namespace

int main(int argc, char **argv)
{
	CLI::App app{"Try the paths to tag storage that go around the tag storage hook.",
		     "mte-tagpaths"};
	CLI::App *ptrace_cmd = app.add_subcommand(
		"ptrace", "PEEK/POKEMTETAGS on a PROT_MTE|PROT_NONE THP never tagged");
	CLI::App *split_cmd = app.add_subcommand(
		"thp-split", "split a THP with one tagged page, then map it all PROT_MTE");
	CLI::App *reserves_cmd = app.add_subcommand(
		"thp-reserves", "reserve callbacks for one PROT_MTE THP fault (one, not 512)");
	CLI::App *zero_cmd = app.add_subcommand(
		"zero-page", "the zero page, mapped PROT_MTE, reads zero tags from its block");
	CLI::App *bad_free_cmd = app.add_subcommand(
		"bad-free", "a tagged page whose free is refused keeps its tag storage");
	CLI::App *block_cmd = app.add_subcommand(
		"block", "tagging one data page claims exactly its block-size block");
	app.require_subcommand(1);
	std::size_t block_bytes = 0;
	unsigned grace_ms = 0;
	bad_free_cmd->add_option("GRACE_MS", grace_ms, "the module's release_grace_ms")->required();
	block_cmd->add_option("BYTES", block_bytes, "the carve-out's block-size")->required();
	block_cmd->add_option("GRACE_MS", grace_ms, "the module's release_grace_ms")->required();
	if (auto rc = mtetag::cli::parse_or_exit(app, argc, argv))
		return *rc;
	if (!enable_sync_checks()) {
		std::printf("FAIL: enable MTE tag checks: %s\n", std::strerror(errno));
		return 1;
	}
	if (*ptrace_cmd)
		ptrace_case();
	else if (*split_cmd)
		thp_split_case();
	else if (*reserves_cmd)
		thp_reserves_case();
	else if (*zero_cmd)
		zero_page_case();
	else if (*bad_free_cmd)
		bad_free_case(grace_ms);
	else if (*block_cmd)
		block_case(block_bytes, grace_ms);
	return failed ? 1 : 0;
}
