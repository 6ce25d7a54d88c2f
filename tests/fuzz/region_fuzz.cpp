// SPDX-License-Identifier: GPL-2.0
// libFuzzer target: carve-out descriptions (drivers/block/mtetag/region_rules.c) as firmware or
// the tag_region parameter may give them. Whatever the module accepts must be checked here
// again in 128-bit arithmetic: exactly 1/32, aligned, no wrap, no overlap with its own memory
// or with any other region, and every data page's tag page inside the carve-out; and a region
// built to every rule from the input must be accepted.
extern "C" {
#include "region_rules.h"
}

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

using u128 = unsigned __int128;

[[noreturn]] void fail(const char *what, const mtr_range &r)
{
	std::fprintf(stderr, "region_fuzz: %s: tag %#llx+%#llx mem %#llx+%#llx block %#x\n", what,
		     (unsigned long long)r.tag_base, (unsigned long long)r.tag_size,
		     (unsigned long long)r.mem_base, (unsigned long long)r.mem_size, r.block_size);
	std::abort();
}

bool overlap(u128 a, u128 a_size, u128 b, u128 b_size)
{
	return a < b + b_size && b < a + a_size;
}

bool overlap(const mtr_range &a, const mtr_range &b)
{
	return overlap(a.tag_base, a.tag_size, b.tag_base, b.tag_size) ||
	       overlap(a.mem_base, a.mem_size, b.mem_base, b.mem_size) ||
	       overlap(a.tag_base, a.tag_size, b.mem_base, b.mem_size) ||
	       overlap(b.tag_base, b.tag_size, a.mem_base, a.mem_size);
}

void check_accepted(const mtr_range &r, std::uint64_t page)
{
	const u128 end_tag = u128(r.tag_base) + r.tag_size, end_mem = u128(r.mem_base) + r.mem_size;
	if (!r.tag_size || u128(r.tag_size) * 32 != r.mem_size)
		fail("accepted a size that is not 1/32", r);
	if (end_tag > u128(UINT64_MAX) || end_mem > u128(UINT64_MAX))
		fail("accepted a range that wraps", r);
	if (r.tag_base % page || r.tag_size % page || r.mem_base % page)
		fail("accepted an unaligned range", r);
	if (!r.block_size || r.block_size % page || r.tag_size % r.block_size ||
	    r.block_size > 16 * page || r.tag_base % r.block_size ||
	    r.mem_base % (u128(r.block_size) * 32))
		fail("accepted a bad block-size", r);
	if (overlap(r.tag_base, r.tag_size, r.mem_base, r.mem_size))
		fail("accepted a carve-out inside its own memory", r);
	// The hook's lookup: the last data page's tags lie in the carve-out's last page.
	const u128 last = (r.mem_size - page) / 32 / page * page;
	if (last + page > r.tag_size)
		fail("the last data page's tags lie past the carve-out", r);
}

// A region built to every rule from @seed must be accepted: the rules refuse no good table.
void check_valid_accepted(std::uint64_t seed, std::uint64_t page)
{
	const std::uint64_t block = page << (seed % 5); // 1 to 16 pages
	const std::uint64_t blocks = (seed >> 3) % (1u << 16) + 1;
	mtr_range r{};
	r.block_size = std::uint32_t(block);
	r.tag_size = blocks * block;
	r.mem_size = r.tag_size * 32;
	r.mem_base = ((seed >> 19) % (1ull << 20)) * block * 32; // below 2^50 or so
	r.tag_base = (r.mem_base + r.mem_size + block - 1) / block * block + ((seed >> 39) % 64) * block;
	if (const char *broken = mtr_check(&r, page)) {
		std::fprintf(stderr, "region_fuzz: refused a valid region: %s\n", broken);
		fail("a valid region refused", r);
	}
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	constexpr std::size_t kRecord = 4 * 8 + 4;
	mtr_range r[MTR_MAX_DESCRIBED];
	bool ok[MTR_MAX_DESCRIBED];
	if (!size)
		return 0;
	const std::uint64_t page = data[0] & 1 ? 16384 : 4096;
	data++, size--;
	if (size >= 8) {
		std::uint64_t seed;
		std::memcpy(&seed, data, 8);
		check_valid_accepted(seed, page);
	}
	int n = 0;
	for (; n < 9 && size >= kRecord; n++, data += kRecord, size -= kRecord) {
		std::memcpy(&r[n].tag_base, data, 8);
		std::memcpy(&r[n].tag_size, data + 8, 8);
		std::memcpy(&r[n].mem_base, data + 16, 8);
		std::memcpy(&r[n].mem_size, data + 24, 8);
		std::memcpy(&r[n].block_size, data + 32, 4);
	}
	for (int i = 0; i < n; i++) {
		ok[i] = !mtr_check(&r[i], page);
		if (ok[i])
			check_accepted(r[i], page);
	}
	mtr_refuse_overlaps(r, ok, n);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++)
			if (i != j && ok[i] && ok[j] && overlap(r[i], r[j]))
				fail("accepted two regions that overlap", r[i]);
	return 0;
}
