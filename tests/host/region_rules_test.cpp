// SPDX-License-Identifier: GPL-2.0
// The carve-out rules (drivers/block/mtetag/region_rules.c): firmware values that wrap.
#include <gtest/gtest.h>

extern "C" {
#include "region_rules.h"
}

#include <string>

namespace {

constexpr std::uint64_t kPage = 4096;

// 384 MiB of data at 1 GiB, its 12 MiB carve-out right after it, blocks of one page.
mtr_range good()
{
	return {0x58000000, 12 << 20, 0x40000000, 384 << 20, 4096};
}

std::string why(const mtr_range &r)
{
	const char *broken = mtr_check(&r, kPage);
	return broken ? broken : "accepted";
}

TEST(RegionRules, AcceptsTheMachinesCarveOut)
{
	EXPECT_EQ(why(good()), "accepted");
}

// tag_size * 32 wraps to the data size: 2^59 + 12 MiB of carve-out must not pass as 1/32.
TEST(RegionRules, SizeWhoseTimes32WrapsIsRefused)
{
	mtr_range r = good();
	r.tag_size += std::uint64_t{1} << 59;
	EXPECT_NE(why(r), "accepted");
}

// A carve-out that runs past the end of the address space would compare as below its data.
TEST(RegionRules, RangeThatWrapsIsRefused)
{
	mtr_range r = good();
	r.tag_base = ~std::uint64_t{0} - (4 << 20) + 1; // 4 MiB before the end, 12 MiB long
	EXPECT_EQ(why(r), "range wraps");
	r = good();
	r.mem_base = ~std::uint64_t{0} - (256 << 20) + 1;
	EXPECT_EQ(why(r), "range wraps");
}

TEST(RegionRules, CarveOutInsideItsMemoryIsRefused)
{
	mtr_range r = good();
	r.tag_base = r.mem_base + (64 << 20);
	EXPECT_EQ(why(r), "carve-out overlaps the memory it tags");
}

TEST(RegionRules, BothOfTwoOverlappingRegionsAreRefused)
{
	mtr_range r[3] = {good(), good(), good()};
	r[1].tag_size /= 2; // the same carve-out, half of it: wrong, but which one?
	r[1].mem_size /= 2;
	r[2].tag_base = 0x100000000; // elsewhere
	r[2].mem_base = 0x200000000;
	bool ok[3] = {true, false, true};
	mtr_refuse_overlaps(r, ok, 3);
	EXPECT_FALSE(ok[0]) << "a region that fails its own rules still witnesses an overlap";
	EXPECT_FALSE(ok[1]);
	EXPECT_TRUE(ok[2]);
}

// A node that names its carve-out but no tagged memory (no block-size, so parsing stopped)
// still witnesses against a valid region whose carve-out it overlaps.
TEST(RegionRules, HalfDescribedRegionStillRefusesAnOverlap)
{
	mtr_range r[2] = {good(), {0x58400000, 1 << 20, 0, 0, 0}};
	bool ok[2] = {true, false};
	mtr_refuse_overlaps(r, ok, 2);
	EXPECT_FALSE(ok[0]);
}

TEST(RegionRules, MoreTagPagesThanA32BitIndexIsRefused)
{
	mtr_range r = good();
	r.tag_size = std::uint64_t{1} << 45; // 2^33 tag pages
	r.mem_size = r.tag_size * 32;
	r.tag_base = std::uint64_t{1} << 62;
	EXPECT_EQ(why(r), "more than 2^32 tag pages");
}

} // namespace
