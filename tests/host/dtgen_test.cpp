// SPDX-License-Identifier: GPL-2.0
#include "tag_layout.hpp"

#include <gtest/gtest.h>

using mtetag::dt::default_region;
using mtetag::dt::render_fragment;
using mtetag::dt::TagRegion;
using mtetag::dt::validate;

namespace {
constexpr std::uint64_t kMiB = 1 << 20;
constexpr std::uint64_t kBase = 0x40000000;
} // namespace

TEST(TagLayout, DefaultIsDataThenOneThirtySecond)
{
	TagRegion r = default_region(kBase, 2048 * kMiB);
	EXPECT_EQ(r.tag_base, 0xc0000000u);
	EXPECT_EQ(r.tag_size, 64 * kMiB);
	EXPECT_EQ(r.block_size, 4096u);
	EXPECT_EQ(validate({r}), std::nullopt);
}

TEST(TagLayout, RejectsWrongRatio)
{
	TagRegion r = default_region(kBase, 512 * kMiB);
	r.tag_size += 4096;
	auto err = validate({r});
	ASSERT_TRUE(err);
	EXPECT_NE(err->find("1/32"), std::string::npos) << *err;
	EXPECT_NE(err->find("tag-storage@60000000"), std::string::npos) << *err;
}

TEST(TagLayout, RejectsBadBlockSize)
{
	for (std::uint64_t bs : {0ull, 1000ull, 6144ull}) {
		TagRegion r = default_region(kBase, 512 * kMiB, bs);
		auto err = validate({r});
		ASSERT_TRUE(err) << bs;
		EXPECT_NE(err->find("block-size"), std::string::npos) << *err;
	}
	EXPECT_EQ(validate({default_region(kBase, 512 * kMiB, 8192)}), std::nullopt);
}

TEST(TagLayout, RejectsOverlap)
{
	TagRegion a = default_region(kBase, 512 * kMiB);
	TagRegion b = a; // the very same ranges again
	ASSERT_TRUE(validate({a, b}));
	EXPECT_NE(validate({a, b})->find("overlaps another"), std::string::npos);
	TagRegion self = a;
	self.tag_base = kBase; // carve-out inside its own data
	EXPECT_NE(validate({self})->find("overlaps the memory"), std::string::npos);
	TagRegion c = default_region(0x100000000ull, 512 * kMiB);
	EXPECT_EQ(validate({a, c}), std::nullopt);
}

TEST(TagLayout, RejectsEmptyAndNothing)
{
	EXPECT_TRUE(validate({}));
	EXPECT_TRUE(validate({default_region(kBase, 0)}));
}

TEST(TagLayout, FragmentNamesNodesAndCells)
{
	std::string dts = render_fragment({default_region(kBase, 2048 * kMiB)});
	// QEMU drops root nodes named memory@ under -dtb: ours must be named otherwise.
	EXPECT_EQ(dts.find("memory@"), std::string::npos);
	EXPECT_NE(dts.find("mtetag_mem0: dram@40000000 {"), std::string::npos);
	EXPECT_NE(dts.find("device_type = \"memory\";"), std::string::npos);
	EXPECT_NE(dts.find("reg = <0x0 0x40000000 0x0 0x80000000>;"), std::string::npos);
	EXPECT_NE(dts.find("tag-storage@c0000000 {"), std::string::npos);
	EXPECT_NE(dts.find("compatible = \"arm,mte-tag-storage\";"), std::string::npos);
	EXPECT_NE(dts.find("reg = <0x0 0xc0000000 0x0 0x4000000>;"), std::string::npos);
	EXPECT_NE(dts.find("block-size = <0x1000>;"), std::string::npos);
	EXPECT_NE(dts.find("tagged-memory = <&mtetag_mem0>;"), std::string::npos);
	EXPECT_NE(dts.find("reusable;"), std::string::npos);
}

TEST(TagLayout, FragmentAbove4GiBSplitsCells)
{
	std::string dts = render_fragment({default_region(0x880000000ull, 1024 * kMiB)});
	EXPECT_NE(dts.find("reg = <0x8 0x80000000 0x0 0x40000000>;"), std::string::npos) << dts;
	EXPECT_NE(dts.find("tag-storage@8c0000000"), std::string::npos) << dts;
}
