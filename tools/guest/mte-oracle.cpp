// SPDX-License-Identifier: GPL-2.0
// mte-oracle: are this machine's tags really stored in the carve-out? With the test-only
// mtetag_oracle module loaded, write tag bytes through the carve-out and read them with LDG,
// then store tags with STG and read them through the carve-out.
// Output is kselftest TAP; exit 0 when both directions agree.
#include "cli.hpp"
#include "mte.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace {

constexpr const char *kTagBytes = "/sys/kernel/debug/mtetag_oracle/tag_bytes";
constexpr std::size_t kPage = 4096, kGranules = kPage / 16, kTagBytes_ = kPage / 32;

std::uint64_t pfn_of(const void *addr)
{
	int fd = open("/proc/self/pagemap", O_RDONLY);
	std::uint64_t entry = 0;
	off_t off = (reinterpret_cast<std::uintptr_t>(addr) / kPage) * sizeof(entry);
	if (fd < 0 || pread(fd, &entry, sizeof(entry), off) != sizeof(entry))
		entry = 0;
	if (fd >= 0)
		close(fd);
	return (entry >> 63) ? entry & ((1ULL << 55) - 1) : 0;
}

bool write_file(const std::string &text)
{
	int fd = open(kTagBytes, O_WRONLY);
	bool ok = fd >= 0 && write(fd, text.data(), text.size()) == (ssize_t)text.size();
	if (fd >= 0)
		close(fd);
	return ok;
}

std::string read_file()
{
	char buf[512] = {};
	int fd = open(kTagBytes, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	return n > 0 ? std::string(buf, n) : std::string();
}

// The tag of granule g in a 128-byte tag block: low nibble is the lower granule.
unsigned nibble(const std::uint8_t *bytes, std::size_t g)
{
	return (bytes[g / 2] >> (4 * (g % 2))) & 0xf;
}

} // namespace

int main(int argc, char **argv)
{
	// No options: refuse any argument rather than ignore it.
	CLI::App app{"Are the tags really stored in the carve-out? Needs mtetag_oracle loaded.",
		     "mte-oracle"};
	if (auto rc = mtetag::cli::parse_or_exit(app, argc, argv))
		return *rc;
	using namespace mtetag::mte;
	std::printf("TAP version 13\n1..2\n");
	auto *page = static_cast<std::uint8_t *>(mmap(nullptr, kPage,
						      PROT_READ | PROT_WRITE | PROT_MTE,
						      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	if (page == MAP_FAILED || !enable_sync_checks()) {
		std::printf("Bail out! no PROT_MTE page\n");
		return 1;
	}
	page[0] = 1; // fault it in: tags initialised, page tagged
	mlock(page, kPage);
	std::uint64_t pfn = pfn_of(page);
	std::printf("# data page pfn %#llx\n", static_cast<unsigned long long>(pfn));

	// Carve-out -> tags.
	std::uint8_t pattern[kTagBytes_];
	char hex[2 * kTagBytes_ + 1];
	for (std::size_t i = 0; i < kTagBytes_; i++) {
		pattern[i] = static_cast<std::uint8_t>(i * 37 + 11);
		std::snprintf(hex + 2 * i, 3, "%02x", pattern[i]);
	}
	bool wrote = pfn && write_file(std::to_string(pfn) + " " + hex);
	unsigned bad = 0;
	for (std::size_t g = 0; g < kGranules; g++)
		bad += load_tag(page + g * kGranule) != nibble(pattern, g);
	std::printf("# carve-out -> LDG: %u of %zu granules differ\n", bad, kGranules);
	std::printf("%sok 1 bytes written into the carve-out read back as tags (LDG)\n",
		    wrote && !bad ? "" : "not ");

	// Tags -> carve-out.
	for (std::size_t g = 0; g < kGranules; g++)
		set_tag(with_tag(page + g * kGranule, (g * 5 + 3) & 0xf));
	std::string text = wrote && write_file(std::to_string(pfn)) ? read_file() : "";
	std::uint8_t seen[kTagBytes_] = {};
	unsigned bad2 = text.size() >= 2 * kTagBytes_ ? 0 : kGranules;
	for (std::size_t i = 0; !bad2 && i < kTagBytes_; i++)
		seen[i] = static_cast<std::uint8_t>(std::stoul(text.substr(2 * i, 2), nullptr, 16));
	for (std::size_t g = 0; !bad2 && g < kGranules; g++)
		bad2 += nibble(seen, g) != ((g * 5 + 3) & 0xf);
	std::printf("# STG -> carve-out: %u of %zu granules differ\n", bad2, kGranules);
	std::printf("%sok 2 tags stored with STG appear in the carve-out bytes\n", bad2 ? "not " : "");
	return wrote && !bad && !bad2 ? 0 : 1;
}
