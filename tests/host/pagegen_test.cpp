// SPDX-License-Identifier: GPL-2.0
#include "pagegen.hpp"

#include <gtest/gtest.h>
#include <algorithm>
#include <map>
#include <vector>

using namespace mtetag;

TEST(PageGen, DeterministicAndChecked)
{
	PageMix mix;
	std::vector<std::uint8_t> a(kPageSize), b(kPageSize);
	for (std::uint64_t i = 0; i < 200; i++) {
		fill_page(a.data(), 7, i, mix);
		fill_page(b.data(), 7, i, mix);
		ASSERT_EQ(a, b) << i;
		ASSERT_TRUE(check_page(a.data(), 7, i, mix)) << i;
	}
}

TEST(PageGen, DetectsOneFlippedBitAndWrongIndex)
{
	PageMix mix;
	std::vector<std::uint8_t> p(kPageSize);
	for (std::uint64_t i = 0; i < 64; i++) {
		fill_page(p.data(), 3, i, mix);
		p[(i * 97) % kPageSize] ^= 0x10;
		EXPECT_FALSE(check_page(p.data(), 3, i, mix)) << i;
		fill_page(p.data(), 3, i, mix);
		if (page_kind(3, i, mix) != page_kind(3, i + 1, mix) ||
		    page_kind(3, i, mix) >= PageKind::Random) {
			EXPECT_FALSE(check_page(p.data(), 3, i + 1, mix)) << i;
		}
	}
}

TEST(PageGen, MixFollowsPercentages)
{
	PageMix mix;
	std::map<PageKind, unsigned> count;
	constexpr unsigned n = 20000;
	for (std::uint64_t i = 0; i < n; i++)
		count[page_kind(11, i, mix)]++;
	EXPECT_NEAR(count[PageKind::Zero] * 100.0 / n, mix.zero_pct, 1.5);
	EXPECT_NEAR(count[PageKind::SameFilled] * 100.0 / n, mix.same_pct, 1.5);
	EXPECT_NEAR(count[PageKind::Random] * 100.0 / n, mix.random_pct, 1.5);
}

TEST(PageGen, KindsHaveTheirShape)
{
	PageMix mix;
	std::vector<std::uint8_t> p(kPageSize);
	for (std::uint64_t i = 0; i < 400; i++) {
		fill_page(p.data(), 5, i, mix);
		switch (page_kind(5, i, mix)) {
		case PageKind::Zero:
			EXPECT_EQ(std::count(p.begin(), p.end(), 0), static_cast<long>(kPageSize));
			break;
		case PageKind::SameFilled:
			EXPECT_EQ(0, std::memcmp(p.data(), p.data() + 8, kPageSize - 8));
			EXPECT_NE(std::count(p.begin(), p.end(), 0), static_cast<long>(kPageSize));
			break;
		default:
			PageHeader h;
			std::memcpy(&h, p.data(), sizeof(h));
			EXPECT_EQ(h.index, i);
		}
	}
}
