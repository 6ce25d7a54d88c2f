// SPDX-License-Identifier: GPL-2.0
// mtetagctl against a fake sysfs/procfs tree that answers as the driver does: the zramctl
// command line, the order of the set-up writes, hot_add and hot_remove, every column, the
// formats, the errors.
#include "mtetagctl.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

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

// mm_stat's eleven columns: orig compr mem_used_total mem_limit mem_used_max same_pages
// pages_compacted huge_pages huge_pages_since ram_used ram_used_max.
const char *const kBusyMmStat = " 41943040 10485760 16777216 0 20971520 100 7 3 9 2097152 "
				"4194304\n";
const char *const kIdleMmStat = "0 0 0 0 0 0 0 0 0 0 0\n";

// The driver, as far as mtetagctl can tell: writes are recorded in order, disksize and
// comp_algorithm are refused while initialised, reset uninitialises (refused while open),
// hot_add creates a device initialised with the module's default size, hot_remove removes.
class FakeDriver : public Sysfs {
public:
	explicit FakeDriver(fs::path root) : Sysfs(root), root_(std::move(root)) {}

	// Every write, "relative/path=value", in order, refused or not.
	mutable std::vector<std::string> writes;
	mutable unsigned hot_adds = 0;

	void add_device(unsigned id, std::uint64_t disksize) const
	{
		const std::string dir = "sys/block/mtetag" + std::to_string(id) + "/";
		put(dir + "disksize", std::to_string(disksize) + "\n");
		put(dir + "initstate", disksize ? "1\n" : "0\n");
		put(dir + "comp_algorithm", bracketed(disksize ? "zstd" : "lz4"));
		put(dir + "mm_stat", disksize ? kBusyMmStat : kIdleMmStat);
		put(dir + "tag_stat", disksize ? tag_stat(8388608, 2097152, 4456448)
					       : tag_stat(0, 0, 0));
		put(dir + "max_comp_streams", "2\n");
		for (const char *attr : {"reset", "algorithm_params"})
			put(dir + attr, "");
	}
	// Held open (swap, a mount): reset and hot_remove are refused with EBUSY.
	void set_open(unsigned id) const { put(dev(id) / ".open", ""); }

	std::string read(const fs::path &rel) const override
	{
		if (rel == "sys/class/mtetag-control/hot_add" && Sysfs::exists(rel)) {
			unsigned id = 0;
			while (Sysfs::exists(dev(id)))
				id++;
			add_device(id, kDefaultDisksize);
			hot_adds++;
			return std::to_string(id) + "\n";
		}
		return Sysfs::read(rel);
	}

	void write(const fs::path &rel, std::string_view value) const override
	{
		writes.push_back(rel.string() + "=" + std::string(value));
		const std::string attr = rel.filename().string();
		const fs::path dir = rel.parent_path();
		if (rel == "sys/class/mtetag-control/hot_remove") {
			const fs::path victim = dev(std::stoul(std::string(value)));
			if (!Sysfs::exists(victim))
				throw Error("hot_remove: No such device", ENODEV);
			if (Sysfs::exists(victim / ".open"))
				throw Error("hot_remove: Device or resource busy", EBUSY);
			fs::remove_all(path(victim));
			return;
		}
		if (!Sysfs::exists(rel))
			throw Error(rel.string() + ": No such file or directory", ENOENT);
		const bool initialised = std::stoull(Sysfs::read(dir / "disksize")) != 0;
		if (attr == "reset") {
			if (Sysfs::exists(dir / ".open"))
				throw Error(rel.string() + ": Device or resource busy", EBUSY);
			put(dir / "disksize", "0\n");
			put(dir / "initstate", "0\n");
			put(dir / "mm_stat", kIdleMmStat);
		} else if (attr == "disksize" || attr == "comp_algorithm") {
			if (initialised)
				throw Error(rel.string() + ": Device or resource busy", EBUSY);
			if (attr == "disksize") {
				put(dir / "disksize", std::string(value) + "\n");
				put(dir / "initstate", "1\n");
			} else {
				put(dir / "comp_algorithm", bracketed(value));
			}
		} else {
			Sysfs::write(rel, value);
		}
	}

	static constexpr std::uint64_t kDefaultDisksize = 536870912; // disksize=auto's answer

private:
	static fs::path dev(unsigned long id) { return "sys/block/mtetag" + std::to_string(id); }
	static std::string bracketed(std::string_view chosen)
	{
		std::string out;
		for (std::string alg : {"lzo", "lzo-rle", "lz4", "lz4hc", "zstd"})
			out += (chosen == alg ? "[" + alg + "]" : alg) + " ";
		out.back() = '\n';
		return out;
	}
	void put(const fs::path &rel, const std::string &text) const
	{
		fs::create_directories((root_ / rel).parent_path());
		std::ofstream(root_ / rel) << text;
	}

	fs::path root_;
};

class FakeSysfs : public ::testing::Test {
protected:
	void SetUp() override
	{
		root_ = fs::temp_directory_path() /
			("mtetagctl-" + std::to_string(::getpid()) + "-" +
			 ::testing::UnitTest::GetInstance()->current_test_info()->name());
		fs::remove_all(root_);
		driver_ = std::make_unique<FakeDriver>(root_);
		driver_->add_device(0, 1073741824); // set up, and swap below
		driver_->add_device(1, 0);	    // as after modprobe mtetag disksize=0
		put("sys/block/sda/disksize", "0\n");
		put("sys/class/mtetag-control/hot_add", "");
		put("sys/class/mtetag-control/hot_remove", "");
		put("proc/swaps", "Filename Type Size Used Priority\n"
				  "/dev/mtetag0 partition 1048572 0 -2\n");
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

	struct Result {
		int status;
		std::string out, err;
	};
	// mtetagctl ARGS... through run(), as main() calls it, against the fake driver.
	Result run_args(std::vector<std::string> args, std::uint64_t page_size = 4096)
	{
		args.insert(args.begin(), "mtetagctl");
		std::vector<char *> argv;
		for (auto &a : args)
			argv.push_back(a.data());
		argv.push_back(nullptr);
		std::ostringstream out, err;
		const Context ctx{*driver_, out, err, page_size, false};
		int status = run(static_cast<int>(args.size()), argv.data(), ctx);
		return {status, out.str(), err.str()};
	}
	// The real binary, for what only main() does.
	std::pair<int, std::string> run_binary(const std::string &args)
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
	std::unique_ptr<FakeDriver> driver_;
};

// parse_args() alone: the options it settled on, or its exit status and complaint.
struct Parsed {
	std::optional<Options> options;
	int status;
	std::string out, err;
};
Parsed parse(std::vector<std::string> args, std::uint64_t page_size = 4096)
{
	args.insert(args.begin(), "mtetagctl");
	std::vector<char *> argv;
	for (auto &a : args)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	std::ostringstream out, err;
	ParseResult r = parse_args(static_cast<int>(args.size()), argv.data(), page_size, out, err);
	return {r.options, r.status, out.str(), err.str()};
}

// The options of a command line that must parse.
Options must_parse(std::vector<std::string> args, std::uint64_t page_size = 4096)
{
	auto p = parse(std::move(args), page_size);
	EXPECT_TRUE(p.options) << p.err;
	return p.options.value_or(Options{});
}

std::vector<std::string> names(const std::vector<Column> &cols)
{
	std::vector<std::string> out;
	for (Column c : cols)
		out.emplace_back(info(c).name);
	return out;
}

std::vector<std::string> words(const std::string &line)
{
	std::istringstream in(line);
	std::vector<std::string> out;
	for (std::string w; in >> w;)
		out.push_back(w);
	return out;
}

std::vector<std::string> lines(const std::string &text)
{
	std::istringstream in(text);
	std::vector<std::string> out;
	for (std::string l; std::getline(in, l);)
		out.push_back(l);
	return out;
}

} // namespace

TEST(Columns, ZramctlOrderThenTheCarveOut)
{
	EXPECT_EQ(names(all_columns()),
		  (std::vector<std::string>{"NAME", "DISKSIZE", "DATA", "COMPR", "ALGORITHM",
					    "STREAMS", "ZERO-PAGES", "TOTAL", "MEM-LIMIT",
					    "MEM-USED", "MIGRATED", "COMP-RATIO", "MOUNTPOINT",
					    "TAG-TOTAL", "TAG-SERVING", "TAG-POOL", "TAG-FREE",
					    "EVICTIONS", "OVERFLOW"}));
	EXPECT_EQ(names(default_columns()),
		  (std::vector<std::string>{"NAME", "ALGORITHM", "DISKSIZE", "DATA", "COMPR",
					    "TOTAL", "STREAMS", "MOUNTPOINT"}));
	for (std::size_t i = 0; i < kColumns.size(); i++)
		EXPECT_EQ(static_cast<std::size_t>(kColumns[i].id), i) << "table order";
}

TEST(Columns, ParseNamesCaseAndPlus)
{
	EXPECT_EQ(parse_columns("NAME,tag-pool"),
		  (std::vector<Column>{Column::Name, Column::TagPool}));
	auto plus = parse_columns("+COMP-RATIO", default_columns());
	EXPECT_EQ(plus.size(), default_columns().size() + 1);
	EXPECT_EQ(plus.back(), Column::CompRatio);
	EXPECT_EQ(parse_columns("DATA", default_columns()), std::vector<Column>{Column::Data});
	EXPECT_THROW(parse_columns("NAME,BOGUS"), std::invalid_argument);
	EXPECT_THROW(parse_columns(""), std::invalid_argument);
}

TEST(Sizes, HumanAsUtilLinux)
{
	EXPECT_EQ(human_size(0), "0B");
	EXPECT_EQ(human_size(1023), "1023B");
	EXPECT_EQ(human_size(1536), "1.5K");
	EXPECT_EQ(human_size(2007), "2K"); // 1.96K rounds up to the next whole unit
	EXPECT_EQ(human_size(1073741824), "1G");
	EXPECT_EQ(human_size(10 * 1048576 + 1), "10M");
	EXPECT_EQ(human_size(16252928), "15.5M");
	EXPECT_EQ(human_size(947703398), "903.8M"); // one decimal at any magnitude
}

TEST(Sizes, ParsedAsStrtosize)
{
	EXPECT_EQ(parse_size("4096"), 4096u);
	EXPECT_EQ(parse_size("4K"), 4096u);
	EXPECT_EQ(parse_size("4k"), 4096u);
	EXPECT_EQ(parse_size("4KiB"), 4096u);
	EXPECT_EQ(parse_size("4KB"), 4000u);
	EXPECT_EQ(parse_size("64M"), 67108864u);
	EXPECT_EQ(parse_size("64MiB"), 67108864u);
	EXPECT_EQ(parse_size("64MB"), 64000000u);
	EXPECT_EQ(parse_size("1G"), 1073741824u);
	EXPECT_EQ(parse_size("1GiB"), 1073741824u);
	EXPECT_EQ(parse_size("1GB"), 1000000000u);
	EXPECT_EQ(parse_size("2TiB"), 2199023255552u);
	EXPECT_EQ(parse_size("1.5G"), 1610612736u);
	EXPECT_EQ(parse_size("0.25MiB"), 262144u);
	EXPECT_EQ(parse_size(" 8M"), 8388608u);
	EXPECT_EQ(parse_size("0x10"), 16u); // strtoumax(base 0), as strtosize
	for (const char *bad : {"", "abc", "-1", "-1G", "1 G", "1Q", "1.5", "1GiBx", "1Gi", "G",
				"1KIB", "1iB"}) {
		try {
			parse_size(bad);
			ADD_FAILURE() << "accepted '" << bad << "'";
		} catch (const Error &e) {
			EXPECT_EQ(e.errnum, EINVAL) << bad;
		}
	}
	for (const char *huge : {"16E", "1Z", "18446744073709551616", "17179869184GiB"}) {
		try {
			parse_size(huge);
			ADD_FAILURE() << "accepted '" << huge << "'";
		} catch (const Error &e) {
			EXPECT_EQ(e.errnum, ERANGE) << huge;
		}
	}
}

TEST(Args, SetUpWithTheDeviceFirst)
{
	auto p = parse({"/dev/mtetag0", "-s", "64MiB", "-a", "zstd", "-p", "level=9", "-t", "2"});
	ASSERT_TRUE(p.options) << p.err;
	EXPECT_EQ(p.options->action, Action::Create);
	EXPECT_EQ(p.options->devices, std::vector<std::string>{"/dev/mtetag0"});
	EXPECT_EQ(p.options->setup.size, 67108864u);
	EXPECT_EQ(p.options->setup.algorithm, "zstd");
	EXPECT_EQ(p.options->setup.algorithm_params, "level=9");
	EXPECT_EQ(p.options->setup.streams, 2u);
	auto l = parse({"--find", "--size=1G", "--algorithm-params=algo=zstd level=3"});
	ASSERT_TRUE(l.options) << l.err;
	EXPECT_TRUE(l.options->find);
	EXPECT_EQ(l.options->setup.algorithm_params, "algo=zstd level=3");
}

TEST(Args, SizesRoundUpToThePage)
{
	EXPECT_EQ(must_parse({"-f", "-s", "5000"}).setup.size, 8192u);
	EXPECT_EQ(must_parse({"-f", "-s", "1"}, 16384).setup.size, 16384u);
	EXPECT_EQ(must_parse({"-f", "-s", "64MiB"}, 16384).setup.size, 67108864u);
	EXPECT_EQ(must_parse({"-f", "-s", "1GB"}).setup.size, 1000001536u);
}

TEST(Args, ActionsAsZramctl)
{
	EXPECT_EQ(must_parse({}).action, Action::Status);
	EXPECT_EQ(must_parse({"/dev/mtetag0"}).action, Action::Status);
	EXPECT_EQ(must_parse({"-f"}).action, Action::FindOnly);
	auto reset = must_parse({"-r", "mtetag0", "/dev/mtetag1"});
	EXPECT_EQ(reset.action, Action::Reset);
	EXPECT_EQ(reset.devices.size(), 2u);
	auto map = must_parse({"map", "-w", "16"});
	EXPECT_EQ(map.action, Action::Map);
	EXPECT_EQ(map.map_width, 16u);
	EXPECT_EQ(must_parse({"--output-all", "-o", "+NAME"}).columns.size(), kColumns.size() + 1);
	auto fmt = must_parse({"-b", "-n", "--raw", "-J"}).format;
	EXPECT_TRUE(fmt.bytes && fmt.noheadings && fmt.raw && fmt.json);
}

TEST(Args, BadArgumentsExitOne)
{
	const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
		{{"--no-such-option"}, "unrecognized option '--no-such-option'"},
		{{"-x"}, "invalid option -- 'x'"},
		{{"-bx"}, "invalid option -- 'x'"},
		{{"-s"}, "option requires an argument -- 's'"},
		{{"--size"}, "option '--size' requires an argument"},
		{{"--raw=1"}, "option '--raw' doesn't allow an argument"},
		{{"-f", "-s", "lots"}, "failed to parse size: 'lots'"},
		{{"-f", "-s", "1Z"}, "failed to parse size: '1Z': Numerical result out of range"},
		{{"-f", "-s", "1G", "-t", "x"}, "failed to parse streams: 'x'"},
		{{"-o", "NOPE"}, "unknown column: NOPE"},
		{{"-f", "-r"}, "mutually exclusive arguments: --find --output --reset"},
		{{"-r", "-s", "1G", "mtetag0"},
		 "mutually exclusive arguments: --output --reset --size"},
		{{"-o", "NAME", "-s", "1G", "mtetag0"}, "mutually exclusive arguments"},
		{{"-f", "/dev/mtetag0"}, "option --find is mutually exclusive with <device>"},
		{{"/dev/mtetag0", "/dev/mtetag1"}, "only one <device> at a time is allowed"},
		{{"-a", "zstd"}, "must be combined with --size"},
		{{"-f", "-p", "level=3"}, "must be combined with --size"},
		{{"-t", "4", "/dev/mtetag0"}, "must be combined with --size"},
		{{"-r"}, "no device specified"},
		{{"-s", "1G"}, "no device specified"},
		{{"map", "-w", "2"}, "map width must be 8 to 512"},
		{{"map", "mtetag0"}, "map takes no device"},
	};
	for (const auto &[args, message] : cases) {
		std::string line;
		for (const auto &a : args)
			line += a + " ";
		auto p = parse(args);
		EXPECT_FALSE(p.options) << line;
		EXPECT_EQ(p.status, 1) << line;
		EXPECT_EQ(p.err.rfind("mtetagctl: ", 0), 0u) << line << "-> " << p.err;
		EXPECT_NE(p.err.find(message), std::string::npos) << line << "-> " << p.err;
	}
	EXPECT_NE(parse({"--bogus"}).err.find("Try 'mtetagctl --help'"), std::string::npos);
	// Repeating an option is no conflict, as in zramctl.
	EXPECT_TRUE(parse({"-o", "NAME", "-o", "DATA"}).options);
}

TEST(Args, HelpAndVersionExitZero)
{
	auto h = parse({"--help"});
	EXPECT_FALSE(h.options);
	EXPECT_EQ(h.status, 0);
	EXPECT_NE(h.out.find("Usage:"), std::string::npos);
	EXPECT_NE(h.out.find("--algorithm-params"), std::string::npos);
	EXPECT_NE(h.out.find(" COMP-RATIO  compression ratio: DATA/TOTAL"), std::string::npos);
	auto v = parse({"-V"});
	EXPECT_EQ(v.status, 0);
	EXPECT_EQ(v.out, "mtetagctl from mtetag 0.1\n");
}

TEST_F(FakeSysfs, ReadsEveryField)
{
	EXPECT_EQ(driver_->devices(), (std::vector<std::string>{"mtetag0", "mtetag1"}));
	DeviceStats d = read_device(*driver_, "mtetag0");
	EXPECT_EQ(d.name, "/dev/mtetag0");
	EXPECT_EQ(d.disksize, 1073741824u);
	EXPECT_EQ(d.algorithm, "zstd");
	EXPECT_EQ(d.streams, 2u);
	EXPECT_EQ(d.orig_data_size, 41943040u);
	EXPECT_EQ(d.compr_data_size, 10485760u);
	EXPECT_EQ(d.mem_used_total, 16777216u);
	EXPECT_EQ(d.mem_used_max, 20971520u);
	EXPECT_EQ(d.same_pages, 100u);
	EXPECT_EQ(d.pages_compacted, 7u);
	EXPECT_EQ(d.huge_pages_since, 9u);
	EXPECT_EQ(d.ram_used, 2097152u);
	EXPECT_EQ(d.ram_used_max, 4194304u);
	EXPECT_EQ(d.tag_serving, 10u);
	EXPECT_EQ(d.tag_used, 16000u);
	EXPECT_EQ(d.overflow_bytes, 2097152u);
	EXPECT_EQ(d.mountpoint, "[SWAP]");
	EXPECT_EQ(read_device(*driver_, "mtetag1").mountpoint, "");
	EXPECT_THROW(read_device(*driver_, "mtetag7"), Error);
}

TEST_F(FakeSysfs, MountPointsThroughGetmntent)
{
	put("proc/self/mounts", "proc /proc proc rw 0 0\n"
				"/dev/mtetag1 /mnt/with\\040space ext4 rw 0 0\n");
	EXPECT_EQ(read_device(*driver_, "mtetag1").mountpoint, "/mnt/with space");
}

TEST_F(FakeSysfs, EveryColumnHasItsValue)
{
	DeviceStats d = read_device(*driver_, "mtetag0");
	Format b;
	b.bytes = true;
	std::map<Column, std::string> want = {
		{Column::Name, "/dev/mtetag0"}, {Column::Disksize, "1073741824"},
		{Column::Data, "41943040"}, {Column::Compr, "10485760"},
		{Column::Algorithm, "zstd"}, {Column::Streams, "2"}, {Column::ZeroPages, "100"},
		{Column::Total, "16777216"}, // mm_stat's mem_used_total, as zramctl
		{Column::MemLimit, "0"}, {Column::MemUsed, "20971520"}, {Column::Migrated, "7"},
		{Column::CompRatio, "2.5000"}, {Column::Mountpoint, "[SWAP]"},
		{Column::TagTotal, "16384"}, {Column::TagServing, "10"}, {Column::TagPool, "16000"},
		{Column::TagFree, "374"}, {Column::Evictions, "5"}, {Column::Overflow, "2097152"},
	};
	ASSERT_EQ(want.size(), kColumns.size());
	for (auto &[c, v] : want)
		EXPECT_EQ(cell(d, c, b), v) << info(c).name;
	EXPECT_EQ(cell(d, Column::Disksize, Format{}), "1G");
	EXPECT_EQ(cell(d, Column::MemLimit, Format{}), "0B");
}

TEST_F(FakeSysfs, CompRatioIsDataOverTotal)
{
	put("sys/block/mtetag0/mm_stat", "3000000 1000000 1200000 0 1200000 0 0 0 0 0 0\n");
	auto r = run_args({"--raw", "-n", "-o", "NAME,COMP-RATIO", "/dev/mtetag0"});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "/dev/mtetag0 2.5000\n");
	// Nothing stored: no ratio, blank in the table and null in JSON.
	EXPECT_EQ(cell(read_device(*driver_, "mtetag1"), Column::CompRatio, Format{}), "");
	r = run_args({"-J", "-o", "NAME,COMP-RATIO", "/dev/mtetag1"});
	auto j = nlohmann::json::parse(r.out);
	EXPECT_TRUE(j["mtetagdevices"][0]["comp-ratio"].is_null()) << r.out;
}

TEST_F(FakeSysfs, StatusListsSetUpDevicesInZramctlColumns)
{
	auto r = run_args({"--raw"});
	EXPECT_EQ(r.status, 0) << r.err;
	auto l = lines(r.out);
	ASSERT_EQ(l.size(), 2u) << r.out; // mtetag1 has no disksize: not listed
	EXPECT_EQ(l[0], "NAME ALGORITHM DISKSIZE DATA COMPR TOTAL STREAMS MOUNTPOINT");
	EXPECT_EQ(l[1], "/dev/mtetag0 zstd 1G 40M 10M 16M 2 [SWAP]");
	// The aligned table holds the same words.
	auto t = run_args({});
	auto tl = lines(t.out);
	ASSERT_EQ(tl.size(), 2u) << t.out;
	EXPECT_EQ(words(tl[0]), words(l[0]));
	EXPECT_EQ(words(tl[1]), words(l[1]));
	EXPECT_EQ(tl[0].find("DISKSIZE") + 8, tl[1].find("1G") + 2) << "sizes align right\n"
								     << t.out;
	// A named device is shown though not set up; -n drops the heading; -b gives bytes.
	r = run_args({"-n", "--raw", "-b", "-o", "NAME,DISKSIZE,DATA", "mtetag1"});
	EXPECT_EQ(r.out, "/dev/mtetag1 0 0\n");
	r = run_args({"--raw", "-o", "+TAG-POOL,OVERFLOW"});
	l = lines(r.out);
	ASSERT_EQ(l.size(), 2u) << r.out;
	EXPECT_EQ(words(l[0]).back(), "OVERFLOW");
	EXPECT_EQ(words(l[1]).back(), "2M");
}

TEST_F(FakeSysfs, JsonNamesAndTypes)
{
	put("sys/block/mtetag1/disksize", "4096\n"); // listed too, with nothing stored
	auto r = run_args({"--json", "--bytes", "--output-all"});
	ASSERT_EQ(r.status, 0) << r.err;
	auto j = nlohmann::json::parse(r.out);
	ASSERT_EQ(j["mtetagdevices"].size(), 2u) << r.out;
	auto &d0 = j["mtetagdevices"][0];
	for (const auto &ci : kColumns) {
		std::string key(ci.name);
		std::transform(key.begin(), key.end(), key.begin(), ::tolower);
		EXPECT_TRUE(d0.contains(key)) << key;
	}
	EXPECT_EQ(d0["name"], "/dev/mtetag0");
	EXPECT_EQ(d0["disksize"], 1073741824u);
	EXPECT_EQ(d0["data"], 41943040u);
	EXPECT_EQ(d0["total"], 16777216u);
	EXPECT_EQ(d0["tag-pool"], 16000u);
	EXPECT_DOUBLE_EQ(d0["comp-ratio"].get<double>(), 2.5);
	EXPECT_EQ(d0["mountpoint"], "[SWAP]");
	EXPECT_TRUE(j["mtetagdevices"][1]["mountpoint"].is_null());
	// Without --bytes sizes are strings, as lsblk's.
	r = run_args({"-J", "-o", "DISKSIZE,STREAMS", "mtetag0"});
	j = nlohmann::json::parse(r.out);
	EXPECT_EQ(j["mtetagdevices"][0]["disksize"], "1G");
	EXPECT_EQ(j["mtetagdevices"][0]["streams"], 2);
	// One field a line, as the guest test's sed reads it.
	EXPECT_NE(r.out.find("\n         \"disksize\": \"1G\",\n"), std::string::npos) << r.out;
}

TEST_F(FakeSysfs, SetUpResetsFirstInZramctlOrder)
{
	// mtetag0 is initialised (as every device after a plain modprobe): without the reset
	// its disksize and comp_algorithm would be refused with EBUSY.
	EXPECT_THROW(driver_->write("sys/block/mtetag0/disksize", "1"), Error);
	driver_->writes.clear();
	auto r = run_args(
		{"/dev/mtetag0", "-s", "64MiB", "-a", "lz4hc", "-p", "level=9", "-t", "3"});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, ""); // zramctl names the device only when it found it
	EXPECT_EQ(driver_->writes, (std::vector<std::string>{
					   "sys/block/mtetag0/reset=1",
					   "sys/block/mtetag0/max_comp_streams=3",
					   "sys/block/mtetag0/comp_algorithm=lz4hc",
					   "sys/block/mtetag0/algorithm_params=level=9",
					   "sys/block/mtetag0/disksize=67108864",
				   }));
	DeviceStats d = read_device(*driver_, "mtetag0");
	EXPECT_EQ(d.disksize, 67108864u);
	EXPECT_EQ(d.algorithm, "lz4hc");
	EXPECT_EQ(get("sys/block/mtetag0/algorithm_params"), "level=9");
	// Without -a, -p and -t: reset and disksize alone.
	driver_->writes.clear();
	EXPECT_EQ(run_args({"mtetag1", "-s", "1GB"}).status, 0);
	EXPECT_EQ(driver_->writes,
		  (std::vector<std::string>{"sys/block/mtetag1/reset=1",
					    "sys/block/mtetag1/disksize=1000001536"}));
}

TEST_F(FakeSysfs, SetUpFailuresExitOne)
{
	driver_->set_open(0);
	auto r = run_args({"/dev/mtetag0", "-s", "1G"});
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "mtetagctl: /dev/mtetag0: failed to reset: Device or resource busy\n");
	EXPECT_EQ(get("sys/block/mtetag0/disksize"), "1073741824\n"); // untouched
	r = run_args({"/dev/mtetag9", "-s", "1G"});
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "mtetagctl: /dev/mtetag9: No such device\n");
	r = run_args({"/dev/zram0", "-s", "1G"});
	EXPECT_EQ(r.err, "mtetagctl: zram0: not an mtetag device\n");
	fs::remove(root_ / "sys/block/mtetag1/algorithm_params"); // an older kernel
	r = run_args({"mtetag1", "-s", "1G", "-p", "level=1"});
	EXPECT_EQ(r.status, 1);
	EXPECT_NE(r.err.find("/dev/mtetag1: failed to set algorithm parameters"), std::string::npos)
		<< r.err;
	EXPECT_EQ(get("sys/block/mtetag1/disksize"), "0\n"); // stopped before the size
}

TEST_F(FakeSysfs, FindTakesAFreeDeviceOrHotAddsOne)
{
	auto r = run_args({"-f"});
	EXPECT_EQ(r.out, "/dev/mtetag1\n");
	r = run_args({"--find", "--size", "64M", "--algorithm", "lzo-rle"});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "/dev/mtetag1\n");
	EXPECT_EQ(driver_->hot_adds, 0u);
	EXPECT_EQ(read_device(*driver_, "mtetag1").algorithm, "lzo-rle");
	// Both in use: hot_add gives mtetag2, set up with the driver's default size; it is
	// new, so it is taken, and reset first so that it takes the size asked for.
	driver_->writes.clear();
	r = run_args({"-f", "-s", "16M"});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(r.out, "/dev/mtetag2\n");
	EXPECT_EQ(driver_->hot_adds, 1u);
	EXPECT_EQ(driver_->writes,
		  (std::vector<std::string>{"sys/block/mtetag2/reset=1",
					    "sys/block/mtetag2/disksize=16777216"}));
	EXPECT_EQ(read_device(*driver_, "mtetag2").disksize, 16777216u);
	// -f alone hot-adds too, and prints the new device.
	EXPECT_EQ(run_args({"-f"}).out, "/dev/mtetag3\n");
	EXPECT_EQ(driver_->hot_adds, 2u);
	// No control interface: nothing to be found.
	fs::remove_all(root_ / "sys/class/mtetag-control");
	r = run_args({"-f"});
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "mtetagctl: no free mtetag device found\n");
}

TEST_F(FakeSysfs, ResetRemovesThroughHotRemove)
{
	auto r = run_args({"-r", "/dev/mtetag1"});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_EQ(driver_->writes,
		  (std::vector<std::string>{"sys/block/mtetag1/reset=1",
					    "sys/class/mtetag-control/hot_remove=1"}));
	EXPECT_FALSE(fs::exists(root_ / "sys/block/mtetag1"));
	// One bad device among several: reported, the others still reset and removed.
	driver_->add_device(1, 0);
	r = run_args({"--reset", "mtetag0", "/dev/mtetag5", "/dev/mtetag1"});
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "mtetagctl: /dev/mtetag5: failed to reset: No such device\n");
	EXPECT_FALSE(fs::exists(root_ / "sys/block/mtetag0"));
	EXPECT_FALSE(fs::exists(root_ / "sys/block/mtetag1"));
	// In use: the reset is refused, and so is the removal, which is not reported twice.
	driver_->add_device(0, 1073741824);
	driver_->set_open(0);
	driver_->writes.clear();
	r = run_args({"-r", "/dev/mtetag0"});
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "mtetagctl: /dev/mtetag0: failed to reset: Device or resource busy\n");
	EXPECT_EQ(driver_->writes,
		  (std::vector<std::string>{"sys/block/mtetag0/reset=1",
					    "sys/class/mtetag-control/hot_remove=0"}));
	EXPECT_TRUE(fs::exists(root_ / "sys/block/mtetag0"));
}

TEST_F(FakeSysfs, StatusErrors)
{
	auto r = run_args({"/dev/mtetag7"});
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "mtetagctl: /dev/mtetag7: No such device\n");
	r = run_args({"/dev/zram0"});
	EXPECT_EQ(r.status, 1);
	EXPECT_EQ(r.err, "mtetagctl: zram0: not an mtetag device\n");
	EXPECT_EQ(device_name("/dev/mtetag3"), "mtetag3");
	EXPECT_THROW(device_name("mtetag"), Error);
	EXPECT_THROW(device_name("mtetag1x"), Error);
}

TEST_F(FakeSysfs, MapCountsStates)
{
	std::string m = render_map(*driver_, 64);
	EXPECT_NE(m.find("32 tag pages"), std::string::npos) << m;
	EXPECT_NE(m.find("T serving tags 2"), std::string::npos) << m;
	EXPECT_NE(m.find("P packed data 10"), std::string::npos) << m;
	EXPECT_NE(m.find("H raw page 2"), std::string::npos) << m;
	EXPECT_NE(m.find("TTPP....HH..............PPPPPPPP"), std::string::npos) << m;
	auto r = run_args({"map", "--width", "16"});
	EXPECT_EQ(r.status, 0) << r.err;
	EXPECT_NE(r.out.find("TTPP....HH......\n"), std::string::npos) << r.out;
}

TEST_F(FakeSysfs, BinaryMainWiring)
{
	auto [rc, out] = run_binary("--raw -n -o NAME,DATA");
	EXPECT_EQ(rc, 0) << out;
	EXPECT_EQ(out, "/dev/mtetag0 40M\n");
	std::tie(rc, out) = run_binary("--no-such-option");
	EXPECT_EQ(rc, 1);
	EXPECT_NE(out.find("mtetagctl: unrecognized option '--no-such-option'"), std::string::npos)
		<< out;
	std::tie(rc, out) = run_binary("-V");
	EXPECT_EQ(rc, 0);
	EXPECT_EQ(out, "mtetagctl from mtetag 0.1\n");
}
