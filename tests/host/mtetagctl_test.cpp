// SPDX-License-Identifier: GPL-2.0
// mtetagctl against a fake sysfs/procfs tree: every column, the formats, the errors.
#include "mtetagctl.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

namespace fs = std::filesystem;
using namespace mtetagctl;

namespace {

// A tag_stat as the driver writes it (version 2), with the per-device fields given.
std::string tag_stat(std::uint64_t pool_bytes, std::uint64_t overflow_bytes, std::uint64_t meta)
{
	return "version 2\ntag_pages 16384\ntag_serving 10\ntag_used 16000\ntag_empty 374\n"
	       "pool_bytes " + std::to_string(pool_bytes) + "\noverflow_bytes " +
	       std::to_string(overflow_bytes) + "\nevictions 5\nevicted_objects 50\n"
	       "evicted_bytes 4096\nevict_lost 0\nreserves 1000\nreleases 900\nreturned 4\n"
	       "spare_pages 64\nmeta_bytes " + std::to_string(meta) + "\ncorrupt_pages 0\n"
	       "corrupt_lost 0\n";
}

class FakeSysfs : public ::testing::Test {
protected:
	void SetUp() override
	{
		root_ = fs::temp_directory_path() /
			("mtetagctl-" + std::to_string(::getpid()) + "-" +
			 ::testing::UnitTest::GetInstance()->current_test_info()->name());
		fs::remove_all(root_);
		put("sys/block/mtetag0/disksize", "1073741824\n");
		put("sys/block/mtetag0/initstate", "1\n");
		put("sys/block/mtetag0/comp_algorithm", "lz4 lzo-rle [zstd] lz4hc\n");
		// orig compr mem_used limit used_max same compacted huge huge_since
		put("sys/block/mtetag0/mm_stat",
		    " 41943040 10485760  2097152        0  4194304      100        7       3        9\n");
		put("sys/block/mtetag0/tag_stat", tag_stat(8388608, 2097152, 4456448));
		put("sys/block/mtetag0/reset", "");
		put("sys/block/mtetag1/disksize", "0\n");
		put("sys/block/mtetag1/initstate", "0\n");
		put("sys/block/mtetag1/comp_algorithm", "[lz4] lzo-rle zstd lz4hc\n");
		put("sys/block/mtetag1/mm_stat", "0 0 0 0 0 0 0 0 0\n");
		put("sys/block/mtetag1/tag_stat", tag_stat(0, 0, 0));
		put("sys/block/sda/disksize", "0\n");
		put("sys/class/mtetag-control/hot_add", "2\n");
		put("sys/devices/system/cpu/possible", "0-1,4\n");
		put("proc/swaps", "Filename Type Size Used Priority\n/dev/mtetag0 partition 1048572 0 -2\n");
		put("proc/self/mounts", "proc /proc proc rw 0 0\n");
		put("sys/kernel/debug/mtetag/block_map",
		    "       0 TTPP....HH......\n      16 ........PPPPPPPP\n");
	}
	void TearDown() override { fs::remove_all(root_); }

	void put(const std::string &rel, const std::string &text)
	{
		fs::create_directories((root_ / rel).parent_path());
		std::ofstream(root_ / rel) << text;
	}
	std::string get(const std::string &rel)
	{
		std::ifstream in(root_ / rel);
		return {std::istreambuf_iterator<char>(in), {}};
	}
	// Run the real binary against the fake tree; returns exit status and output.
	std::pair<int, std::string> run(const std::string &args)
	{
		std::string cmd = "MTETAGCTL_SYSROOT=" + root_.string() + " " MTETAGCTL_BIN " " +
				  args + " 2>&1";
		std::unique_ptr<FILE, int (*)(FILE *)> p(popen(cmd.c_str(), "r"), pclose);
		std::string out;
		std::array<char, 512> buf;
		while (fgets(buf.data(), buf.size(), p.get()))
			out += buf.data();
		int status = pclose(p.release());
		return {WEXITSTATUS(status), out};
	}

	fs::path root_;
};

} // namespace

TEST(Columns, ParseNamesCaseAndPlus)
{
	EXPECT_EQ(parse_columns("NAME,tag-pool"),
		  (std::vector<Column>{Column::Name, Column::TagPool}));
	auto plus = parse_columns("+EVICTIONS");
	EXPECT_EQ(plus.size(), default_columns().size() + 1);
	EXPECT_EQ(plus.back(), Column::Evictions);
	EXPECT_THROW(parse_columns("NAME,BOGUS"), std::invalid_argument);
	EXPECT_THROW(parse_columns(""), std::invalid_argument);
	EXPECT_EQ(all_columns().size(), kColumns.size());
	for (std::size_t i = 0; i < kColumns.size(); i++)
		EXPECT_EQ(static_cast<std::size_t>(kColumns[i].id), i) << "table order";
}

TEST(Columns, HumanSizes)
{
	EXPECT_EQ(human_size(0), "0B");
	EXPECT_EQ(human_size(1023), "1023B");
	EXPECT_EQ(human_size(1536), "1.5K");
	EXPECT_EQ(human_size(1073741824), "1G");
	EXPECT_EQ(human_size(10 * 1048576 + 1), "10M");
}

TEST_F(FakeSysfs, ReadsEveryField)
{
	Sysfs sys(root_);
	EXPECT_EQ(sys.devices(), (std::vector<std::string>{"mtetag0", "mtetag1"}));
	DeviceStats d = read_device(sys, "mtetag0");
	EXPECT_EQ(d.name, "/dev/mtetag0");
	EXPECT_EQ(d.disksize, 1073741824u);
	EXPECT_EQ(d.algorithm, "zstd");
	EXPECT_EQ(d.orig, 41943040u);
	EXPECT_EQ(d.compr, 10485760u);
	EXPECT_EQ(d.mem_used_max, 4194304u);
	EXPECT_EQ(d.same_pages, 100u);
	EXPECT_EQ(d.tag_serving, 10u);
	EXPECT_EQ(d.tag_pool, 16000u);
	EXPECT_EQ(d.overflow_bytes, 2097152u);
	EXPECT_EQ(d.meta, 4456448u);
	EXPECT_EQ(d.streams, 3u);
	EXPECT_EQ(d.mountpoint, "[SWAP]");
	EXPECT_EQ(read_device(sys, "mtetag1").mountpoint, "");
	EXPECT_THROW(read_device(sys, "mtetag7"), Error);
}

TEST_F(FakeSysfs, EveryColumnHasItsValue)
{
	Sysfs sys(root_);
	DeviceStats d = read_device(sys, "mtetag0");
	Format b{true, false, true};
	std::map<Column, std::string> want = {
		{Column::Name, "/dev/mtetag0"}, {Column::Disksize, "1073741824"},
		{Column::Data, "41943040"}, {Column::Compr, "10485760"},
		{Column::Algorithm, "zstd"}, {Column::Streams, "3"}, {Column::ZeroPages, "100"},
		{Column::Total, std::to_string(8388608 + 2097152 + 4456448)},
		{Column::MemLimit, "0"}, {Column::MemUsed, "4194304"}, {Column::Migrated, "7"},
		{Column::CompRatio, "4.00"}, {Column::Mountpoint, "[SWAP]"},
		{Column::TagTotal, "16384"}, {Column::TagServing, "10"}, {Column::TagPool, "16000"},
		{Column::TagFree, "374"}, {Column::Evictions, "5"}, {Column::Overflow, "2097152"},
	};
	ASSERT_EQ(want.size(), kColumns.size());
	for (auto &[c, v] : want)
		EXPECT_EQ(cell(d, c, b), v) << info(c).name;
	EXPECT_EQ(cell(d, Column::Disksize, Format{}), "1G");
	EXPECT_EQ(cell(read_device(sys, "mtetag1"), Column::CompRatio, b), "-");
}

TEST_F(FakeSysfs, TableHeadingsAlignmentRaw)
{
	Sysfs sys(root_);
	std::vector<DeviceStats> devs = {read_device(sys, "mtetag0")};
	std::vector<Column> cols = {Column::Name, Column::Data, Column::Algorithm};
	std::string t = render_table(devs, cols, Format{});
	EXPECT_EQ(t, "NAME         DATA ALGORITHM\n/dev/mtetag0  40M zstd\n");
	EXPECT_EQ(render_table(devs, cols, Format{false, true, false}), "/dev/mtetag0 40M zstd\n");
}

TEST_F(FakeSysfs, JsonTypesAndNames)
{
	Sysfs sys(root_);
	std::vector<DeviceStats> devs = {read_device(sys, "mtetag0"), read_device(sys, "mtetag1")};
	auto j = render_json(devs, all_columns(), Format{true, false, true});
	ASSERT_EQ(j["mtetagdevices"].size(), 2u);
	auto &d0 = j["mtetagdevices"][0];
	for (const auto &ci : kColumns) {
		std::string key(ci.name);
		std::transform(key.begin(), key.end(), key.begin(), ::tolower);
		EXPECT_TRUE(d0.contains(key)) << key;
	}
	EXPECT_TRUE(d0["disksize"].is_number());
	EXPECT_TRUE(d0["tag-pool"].is_number());
	EXPECT_DOUBLE_EQ(d0["comp-ratio"].get<double>(), 4.0);
	EXPECT_EQ(d0["mountpoint"], "[SWAP]");
	EXPECT_TRUE(j["mtetagdevices"][1]["mountpoint"].is_null());
	EXPECT_TRUE(j["mtetagdevices"][1]["comp-ratio"].is_null());
	auto human = render_json(devs, {Column::Disksize}, Format{});
	EXPECT_EQ(human["mtetagdevices"][0]["disksize"], "1G");
}

TEST_F(FakeSysfs, SetupFindReset)
{
	Sysfs sys(root_);
	setup_device(sys, "mtetag1", "lz4hc", "512M");
	EXPECT_EQ(get("sys/block/mtetag1/comp_algorithm"), "lz4hc");
	EXPECT_EQ(get("sys/block/mtetag1/disksize"), "512M");
	EXPECT_THROW(setup_device(sys, "mtetag9", std::nullopt, "1G"), Error);
	put("sys/block/mtetag1/initstate", "0\n");
	EXPECT_EQ(find_free_device(sys), "mtetag1");
	put("sys/block/mtetag1/initstate", "1\n");
	EXPECT_EQ(find_free_device(sys), "mtetag2"); // from hot_add
	reset_device(sys, "mtetag0");
	EXPECT_EQ(get("sys/block/mtetag0/reset"), "1");
	EXPECT_EQ(device_name("/dev/mtetag3"), "mtetag3");
	EXPECT_THROW(device_name("/dev/zram0"), Error);
	EXPECT_THROW(device_name("mtetag"), Error);
	EXPECT_THROW(device_name("mtetag1x"), Error);
}

TEST_F(FakeSysfs, MapCountsStates)
{
	Sysfs sys(root_);
	std::string m = render_map(sys, 64);
	EXPECT_NE(m.find("32 tag pages"), std::string::npos) << m;
	EXPECT_NE(m.find("T serving tags 2"), std::string::npos) << m;
	EXPECT_NE(m.find("P packed data 10"), std::string::npos) << m;
	EXPECT_NE(m.find("H raw page 2"), std::string::npos) << m;
	EXPECT_NE(m.find("TTPP....HH..............PPPPPPPP"), std::string::npos) << m;
}

TEST_F(FakeSysfs, BinaryExitCodesAndMessages)
{
	auto [rc, out] = run("--bytes -o NAME,DATA");
	EXPECT_EQ(rc, 0) << out;
	EXPECT_EQ(out, "NAME             DATA\n/dev/mtetag0 41943040\n");
	std::tie(rc, out) = run("--json --output-all /dev/mtetag0");
	EXPECT_EQ(rc, 0);
	EXPECT_EQ(nlohmann::json::parse(out)["mtetagdevices"][0]["name"], "/dev/mtetag0");
	std::tie(rc, out) = run("--reset /dev/mtetag0 /dev/mtetag5");
	EXPECT_EQ(rc, 1);
	EXPECT_NE(out.find("mtetagctl: /dev/mtetag5: failed to reset"), std::string::npos) << out;
	EXPECT_EQ(get("sys/block/mtetag0/reset"), "1"); // the good one was still reset
	std::tie(rc, out) = run("-o NOPE");
	EXPECT_EQ(rc, 1);
	EXPECT_NE(out.find("unknown column: NOPE"), std::string::npos) << out;
	std::tie(rc, out) = run("--reset --find");
	EXPECT_NE(rc, 0);
	std::tie(rc, out) = run("--find --size 64M --algorithm lzo-rle");
	EXPECT_EQ(rc, 0) << out;
	EXPECT_EQ(out, "/dev/mtetag1\n");
	EXPECT_EQ(get("sys/block/mtetag1/comp_algorithm"), "lzo-rle");
	std::tie(rc, out) = run("/dev/zram0");
	EXPECT_EQ(rc, 1);
	EXPECT_NE(out.find("not an mtetag device"), std::string::npos);
	std::tie(rc, out) = run("map --width 16");
	EXPECT_EQ(rc, 0);
	EXPECT_NE(out.find("T serving tags 2"), std::string::npos);
}
