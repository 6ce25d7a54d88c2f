// SPDX-License-Identifier: GPL-2.0
// mtetag-generator: zram-generator's configuration (files, precedence, keys, size expressions,
// compression-algorithm), the units against golden text and systemd-analyze verify, systemd's
// path escaping, and the set-up against a fake driver: its order, the EBUSY retries, the lock.
#include "generator.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

namespace fs = std::filesystem;
using namespace mtetag_generator;

namespace {

constexpr std::uint64_t kMiB = 1 << 20;
// MemTotal of the fake root: "ram" is 2048 in every configuration below.
constexpr const char *kMeminfo = "MemTotal:        2097152 kB\nMemFree:         1048576 kB\n";
constexpr const char *kSelf = "/usr/lib/systemd/system-generators/mtetag-generator";
const fs::path kEtcConf = "etc/systemd/mtetag-generator.conf";

double eval(std::string_view text, double ram_mib = 2048)
{
	return Expression(text).evaluate(ram_mib);
}

// The message of the Error that @f throws, or "" when it throws none.
template <typename F> std::string error_of(F f)
{
	try {
		f();
	} catch (const Error &e) {
		return e.what();
	}
	return "";
}

bool contains(const std::string &text, std::string_view part)
{
	return text.find(part) != std::string::npos;
}

bool any_contains(const std::vector<std::string> &lines, std::string_view part)
{
	return std::any_of(lines.begin(), lines.end(),
			   [&](const std::string &l) { return contains(l, part); });
}

// A shell word for popen(): unit names hold backslashes.
std::string shell_quote(const std::string &word)
{
	std::string out = "'";
	for (char c : word)
		out += c == '\'' ? std::string("'\\''") : std::string(1, c);
	return out + "'";
}

// A command line's exit status and output, stderr included.
std::pair<int, std::string> run_shell(const std::string &cmd)
{
	std::unique_ptr<FILE, int (*)(FILE *)> p(popen((cmd + " 2>&1").c_str(), "r"), pclose);
	std::string out;
	std::array<char, 512> buf;
	while (fgets(buf.data(), buf.size(), p.get()))
		out += buf.data();
	const int status = pclose(p.release());
	return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// A fake root per test: configuration files, proc/meminfo, and what else a test puts there.
class GeneratorConfig : public ::testing::Test {
protected:
	void SetUp() override
	{
		root_ = fs::temp_directory_path() /
			("mtetag-generator-" + std::to_string(::getpid()) + "-" +
			 ::testing::UnitTest::GetInstance()->current_test_info()->name());
		fs::remove_all(root_);
		put("proc/meminfo", kMeminfo);
	}
	void TearDown() override { fs::remove_all(root_); }

	void put(const fs::path &rel, const std::string &text)
	{
		fs::create_directories((root_ / rel).parent_path());
		std::ofstream(root_ / rel) << text;
	}
	std::string get(const fs::path &rel)
	{
		std::ifstream in(root_ / rel);
		return {std::istreambuf_iterator<char>(in), {}};
	}
	// The device of that id in @config, or a failure.
	static const Device &device(const Config &config, unsigned id)
	{
		for (const Device &dev : config.devices) {
			if (dev.id == id)
				return dev;
		}
		static const Device none{};
		ADD_FAILURE() << "no mtetag" << id;
		return none;
	}
	std::vector<unsigned> ids(const Config &config)
	{
		std::vector<unsigned> out;
		for (const Device &dev : config.devices)
			out.push_back(dev.id);
		return out;
	}

	fs::path root_;
};

class GeneratorUnits : public GeneratorConfig {
protected:
	// The units of the configuration @text, by path.
	std::map<std::string, UnitFile> units_of(const std::string &text,
						 const std::string &self = kSelf)
	{
		put(kEtcConf, text);
		std::map<std::string, UnitFile> out;
		for (UnitFile &unit : generate_units(read_config(root_).devices, self))
			out[unit.path] = std::move(unit);
		return out;
	}
};

// The driver as the set-up sees it: every sysfs write recorded in order ("sys/block/mtetag0/
// reset=1"); reset refused with EBUSY while "udev" holds the device (busy_resets times);
// algorithm names with "nosuch" refused with EINVAL; modprobe and hot_add create devices.
// Every program is recorded instead of run, marked "(locked)" when it ran while the device
// node it names was flock()ed.
class FakeDriver : public System {
public:
	explicit FakeDriver(const fs::path &root) : System(root) {}

	mutable std::vector<std::string> log;
	mutable int busy_resets = 0;
	std::map<std::string, int> exit_status; // by program; 0 for the others

	void add_device(unsigned id) const
	{
		const fs::path dir = "sys/block/mtetag" + std::to_string(id);
		for (const char *attr :
		     {"reset", "disksize", "comp_algorithm", "recomp_algorithm", "algorithm_params",
		      "mem_limit", "backing_dev", "recompress"})
			put(dir / attr, "");
		put("dev/mtetag" + std::to_string(id), "");
	}

	void write(const fs::path &rel, std::string_view value) const override
	{
		log.push_back(rel.string() + "=" + std::string(value));
		const std::string attr = rel.filename().string();
		if (attr == "reset" && busy_resets > 0) {
			busy_resets--;
			throw Error(rel.string() + ": Device or resource busy", EBUSY);
		}
		if ((attr == "comp_algorithm" || attr == "recomp_algorithm") &&
		    value.find("nosuch") != std::string_view::npos)
			throw Error(rel.string() + ": Invalid argument", EINVAL);
		System::write(rel, value);
	}

	std::string read(const fs::path &rel) const override
	{
		if (rel == "sys/class/mtetag-control/hot_add") {
			unsigned id = 0;
			while (exists("sys/block/mtetag" + std::to_string(id)))
				id++;
			add_device(id);
			log.push_back("hot_add " + std::to_string(id));
			return std::to_string(id) + "\n";
		}
		return System::read(rel);
	}

	int run(const std::vector<std::string> &argv) const override
	{
		std::string line = "run";
		for (const std::string &arg : argv)
			line += " " + arg;
		if (argv[0] == "modprobe") {
			put("sys/class/mtetag-control/hot_add", "");
			const unsigned n = std::stoul(argv[2].substr(argv[2].find('=') + 1));
			for (unsigned id = 0; id < n; id++)
				add_device(id);
		}
		if (argv.back().starts_with(path("dev").string()) && locked(argv.back()))
			line += " (locked)";
		log.push_back(line);
		auto status = exit_status.find(argv[0]);
		return status == exit_status.end() ? 0 : status->second;
	}

private:
	static bool locked(const std::string &node)
	{
		const int fd = ::open(node.c_str(), O_RDONLY | O_CLOEXEC);
		const bool busy = ::flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
		::close(fd);
		return busy;
	}
	void put(const fs::path &rel, const std::string &text) const
	{
		fs::create_directories(path(rel).parent_path());
		std::ofstream(path(rel)) << text;
	}
};

class GeneratorSetup : public GeneratorConfig {
protected:
	void SetUp() override
	{
		GeneratorConfig::SetUp();
		driver_ = std::make_unique<FakeDriver>(root_);
	}
	int run_args(const std::vector<std::string> &args, bool test_mode = true)
	{
		const Context ctx{*driver_, root_, test_mode, kSelf, "mkswap", log_,
				  std::chrono::milliseconds(300)};
		return run(args, ctx);
	}
	std::string node(unsigned id)
	{
		return (root_ / "dev" / ("mtetag" + std::to_string(id))).string();
	}

	std::unique_ptr<FakeDriver> driver_;
	std::ostringstream log_;
};

} // namespace

TEST(GeneratorExpression, ArithmeticWithThePrecedenceOfSchool)
{
	EXPECT_EQ(eval("1 + 2 * 3"), 7);
	EXPECT_EQ(eval("(1 + 2) * 3"), 9);
	EXPECT_EQ(eval("10 - 4 - 3"), 3);
	EXPECT_EQ(eval("64 / 4 / 2"), 8);
	EXPECT_EQ(eval("-ram + 10", 4), 6);
	EXPECT_EQ(eval("- -3"), 3);
	EXPECT_EQ(eval("2 * -3"), -6);
	EXPECT_EQ(eval("1.5 * 2"), 3);
	EXPECT_EQ(eval(".5*4"), 2);
	EXPECT_EQ(eval("ram / 4"), 512);
}

TEST(GeneratorExpression, MinAndMaxOfAnyNumberOfArguments)
{
	EXPECT_EQ(eval("min(ram / 4, 64)"), 64);
	EXPECT_EQ(eval("min(ram / 4, 64)", 128), 32);
	EXPECT_EQ(eval("max(1, 3, 2)"), 3);
	EXPECT_EQ(eval("min(5)"), 5);
	// zram-generator.conf(5)'s piecewise example: 1:1 up to 4 GiB, then 1:2, at most 32 GiB.
	const char *piecewise = "min(min(ram, 4096) + max(ram - 4096, 0) / 2, 32 * 1024)";
	EXPECT_EQ(eval(piecewise, 2048), 2048);
	EXPECT_EQ(eval(piecewise, 8192), 6144);
	EXPECT_EQ(eval(piecewise, 131072), 32768);
	// zram-generator's default.
	EXPECT_EQ(eval("min(ram / 2, 4096)"), 1024);
	EXPECT_EQ(eval("min(ram / 2, 4096)", 10000), 4096);
}

TEST(GeneratorExpression, RefusesWhatItDoesNotKnow)
{
	for (const char *bad : {"", "ram +", "(1", "1)", "foo", "min()", "min(1,)", "2 ** 3",
				"500k", "1.2.3", "ram ram", "max(1 2)", "log(ram)", "2 ^ 3"})
		EXPECT_NE(error_of([&] { Expression{bad}; }), "") << bad;
	const std::string why = error_of([] { Expression("ram + foo"); });
	EXPECT_TRUE(contains(why, "unknown name 'foo'")) << why;
	EXPECT_TRUE(contains(why, "column 7")) << why;
	EXPECT_TRUE(std::isnan(eval("(ram - 2048) / 0")));
}

TEST(GeneratorAlgorithms, PrimaryThenRecompressionThenOptions)
{
	Algorithms a = parse_algorithms("lz4 zstd(level=3) (type=idle)");
	EXPECT_EQ(a.chain, (std::vector<Algorithm>{{"lz4", ""}, {"zstd", "level=3"}}));
	EXPECT_EQ(a.recompress, "type=idle");

	a = parse_algorithms("zstd(level=8,dict=/etc/d)  lz4hc (type=huge_idle,max_pages=100)");
	EXPECT_EQ(a.chain, (std::vector<Algorithm>{{"zstd", "level=8 dict=/etc/d"},
						   {"lz4hc", ""}}));
	EXPECT_EQ(a.recompress, "type=huge_idle max_pages=100");

	// zram-generator's own test of the grammar.
	a = parse_algorithms("zstd(dictionary=/etc/gaming,level=9) (recompargs)");
	EXPECT_EQ(a.chain, (std::vector<Algorithm>{{"zstd", "dictionary=/etc/gaming level=9"}}));
	EXPECT_EQ(a.recompress, "recompargs");

	EXPECT_EQ(parse_algorithms("  lzo-rle "), (Algorithms{{{"lzo-rle", ""}}, ""}));
	EXPECT_EQ(parse_algorithms(""), Algorithms{});
}

TEST(GeneratorEscape, AsSystemdEscapePath)
{
	// systemd-escape --path of systemd 252, with the unit type added.
	const std::vector<std::pair<std::string, std::string>> golden = {
		{"/foo//bar/baz/", "foo-bar-baz.mount"},
		{"///", "-.mount"},
		{"/", "-.mount"},
		{"/.żupan-ci3pły", "\\x2e\\xc5\\xbcupan\\x2dci3p\\xc5\\x82y.mount"},
		{"/run/compressed-mount-point", "run-compressed\\x2dmount\\x2dpoint.mount"},
		{"/a b\\c", "a\\x20b\\x5cc.mount"},
		{"/foo/.bar", "foo-.bar.mount"},
		{"/foo/./bar", "foo-bar.mount"},
		{"/var/lib:x", "var-lib:x.mount"},
		{"/a_b.c", "a_b.c.mount"},
		{"/tmp/x~y+z", "tmp-x\\x7ey\\x2bz.mount"},
		{"/mnt/ünï", "mnt-\\xc3\\xbcn\\xc3\\xaf.mount"},
	};
	for (const auto &[path, name] : golden)
		EXPECT_EQ(unit_name_from_path(path, ".mount"), name) << path;
	EXPECT_EQ(unit_name_from_path("/dev/disk/by-partlabel/swap-wb", ".device"),
		  "dev-disk-by\\x2dpartlabel-swap\\x2dwb.device");
	for (const std::string bad : {"", "relative/path", "/foo/../bar", "/.."})
		EXPECT_NE(error_of([&] { unit_name_from_path(bad, ".mount"); }), "") << bad;
	EXPECT_NE(error_of([] { unit_name_from_path("/" + std::string(250, 'a'), ".mount"); }),
		  "");
}

TEST(GeneratorNames, DeviceIdsAndTheKernelSwitch)
{
	EXPECT_EQ(device_id("mtetag0"), 0u);
	EXPECT_EQ(device_id("mtetag12"), 12u);
	for (const char *bad : {"mtetag", "mtetag01", "zram0", "mtetag-1", "mtetag1x", "mtetag+1",
				"../mtetag0"})
		EXPECT_FALSE(device_id(bad)) << bad;

	EXPECT_EQ(kernel_option("ro quiet systemd.mtetag"), true);
	EXPECT_EQ(kernel_option("systemd.mtetag=0"), false);
	EXPECT_EQ(kernel_option("systemd.mtetag=1 systemd.mtetag=off"), false);
	EXPECT_EQ(kernel_option("systemd.mtetag=no systemd.mtetag=yes\n"), true);
	EXPECT_FALSE(kernel_option("systemd.mtetag=maybe"));
	EXPECT_FALSE(kernel_option("systemd.mtetagx=1 systemd.zram=1"));
	EXPECT_FALSE(kernel_option(""));
}

TEST_F(GeneratorConfig, TheMainFileIsTheLastThatExists)
{
	put("usr/lib/systemd/mtetag-generator.conf", "[mtetag0]\nzram-size = 100\n[mtetag1]\n");
	put(kEtcConf, "[mtetag0]\nzram-size = 200\n");
	EXPECT_EQ(config_files(root_), std::vector<fs::path>{root_ / kEtcConf});
	Config config = read_config(root_);
	EXPECT_EQ(ids(config), std::vector<unsigned>{0});
	EXPECT_EQ(device(config, 0).disksize, 200 * kMiB);

	put("run/systemd/mtetag-generator.conf", "[mtetag2]\nzram-size = 300\n");
	EXPECT_EQ(config_files(root_),
		  std::vector<fs::path>{root_ / "run/systemd/mtetag-generator.conf"});
	EXPECT_EQ(ids(read_config(root_)), std::vector<unsigned>{2});
}

TEST_F(GeneratorConfig, DropInsByNameAcrossDirectoriesOverrideTheMainFile)
{
	put(kEtcConf, "[mtetag0]\nzram-size = 100\nswap-priority = 5\n");
	put("usr/lib/systemd/mtetag-generator.conf.d/10-vendor.conf",
	    "[mtetag0]\nzram-size = 300\nswap-priority = 7\n");
	put("etc/systemd/mtetag-generator.conf.d/05-admin.conf", "[mtetag0]\nzram-size = 400\n");
	// Same name in a later directory: replaces the vendor's file.
	put("run/systemd/mtetag-generator.conf.d/10-vendor.conf", "[mtetag0]\nswap-priority = 9\n");
	// A symlink to /dev/null masks the file of its name.
	put("usr/local/lib/systemd/mtetag-generator.conf.d/20-masked.conf",
	    "[mtetag0]\nzram-size = 1\n");
	const fs::path etc_dropins = root_ / "etc/systemd/mtetag-generator.conf.d";
	fs::create_symlink("/dev/null", etc_dropins / "20-masked.conf");
	put("etc/systemd/mtetag-generator.conf.d/README", "[mtetag0]\nzram-size = 2\n");

	EXPECT_EQ(config_files(root_),
		  (std::vector<fs::path>{
			  root_ / kEtcConf,
			  etc_dropins / "05-admin.conf",
			  root_ / "run/systemd/mtetag-generator.conf.d/10-vendor.conf",
		  }));
	Config config = read_config(root_);
	EXPECT_EQ(device(config, 0).disksize, 400 * kMiB);
	EXPECT_EQ(device(config, 0).swap_priority, 9);
}

TEST_F(GeneratorConfig, KeysAndTheirDefaults)
{
	put(kEtcConf, R"(# zram-generator.conf with "zram" changed to "mtetag"
[mtetag0]

[mtetag1]
zram-size = ram / 8
zram-resident-limit = min(ram / 16, 100)
compression-algorithm = zstd(level=3) lz4hc (type=huge)
writeback-device = /dev//disk/./by-partlabel/wb
swap-priority = -1
options = "discard,pri=3"

[mtetag2]
; a file system for a build cache
mount-point = /var/cache//build/
options =

[mtetag3]
fs-type = xfs
)");
	Config config = read_config(root_);
	EXPECT_EQ(ids(config), (std::vector<unsigned>{0, 1, 2, 3}));
	EXPECT_TRUE(config.messages.empty()) << config.messages.front();

	const Device &plain = device(config, 0);
	EXPECT_EQ(plain.name, "mtetag0");
	EXPECT_EQ(plain.disksize, 1024 * kMiB); // min(ram / 2, 4096)
	EXPECT_EQ(plain.mem_limit, 0u);
	EXPECT_EQ(plain.swap_priority, 100);
	EXPECT_EQ(plain.options, "discard");
	EXPECT_TRUE(plain.is_swap());
	EXPECT_EQ(plain.effective_fs_type(), "swap");
	EXPECT_EQ(plain.algorithms, Algorithms{});

	const Device &full = device(config, 1);
	EXPECT_EQ(full.disksize, 256 * kMiB);
	EXPECT_EQ(full.mem_limit, 100 * kMiB);
	EXPECT_EQ(full.algorithms.chain,
		  (std::vector<Algorithm>{{"zstd", "level=3"}, {"lz4hc", ""}}));
	EXPECT_EQ(full.algorithms.recompress, "type=huge");
	EXPECT_EQ(full.writeback_device, "/dev/disk/by-partlabel/wb");
	EXPECT_EQ(full.swap_priority, -1);
	EXPECT_EQ(full.options, "discard,pri=3");

	const Device &mounted = device(config, 2);
	EXPECT_EQ(mounted.mount_point, "/var/cache/build");
	EXPECT_FALSE(mounted.is_swap());
	EXPECT_EQ(mounted.effective_fs_type(), "ext2");
	EXPECT_EQ(mounted.options, "");

	const Device &unmounted = device(config, 3);
	EXPECT_FALSE(unmounted.is_swap());
	EXPECT_EQ(unmounted.effective_fs_type(), "xfs");
}

TEST_F(GeneratorConfig, WarnsAboutWhatItIgnores)
{
	put(kEtcConf, "size = 5\n"
		      "[zram0]\nzram-size = 100\n"
		      "[misc]\nfoo = bar\n"
		      "[mtetag0]\nzram-limit = 100\nswap-priority = 10\n"
		      "compression-algorithm = a b c d e\n");
	Config config = read_config(root_);
	const std::string file = (root_ / kEtcConf).string();
	EXPECT_TRUE(any_contains(config.messages, file + ":1: size outside a section"));
	EXPECT_TRUE(any_contains(config.messages,
				 file + ":2: ignoring section [zram0]: that is zram's device; "
					"rename it [mtetag0] to move it to mtetag"));
	EXPECT_TRUE(any_contains(config.messages, file + ":4: ignoring section [misc]"));
	EXPECT_TRUE(any_contains(config.messages, file + ":7: unknown key zram-limit, ignoring"));
	EXPECT_TRUE(any_contains(config.messages, "at most 3 recompression algorithms"));
	EXPECT_EQ(config.messages.size(), 5u); // nothing about the keys of ignored sections
	EXPECT_EQ(ids(config), std::vector<unsigned>{0});
	EXPECT_EQ(device(config, 0).swap_priority, 10);
	EXPECT_EQ(device(config, 0).algorithms.chain.size(), 4u);
}

TEST_F(GeneratorConfig, ErrorsNameTheFileLineAndKey)
{
	const std::string file = (root_ / kEtcConf).string();
	const std::vector<std::pair<std::string, std::string>> cases = {
		{"[mtetag0]\n\nswap-priority = 40000\n", file + ":3: swap-priority:"},
		{"[mtetag0]\nzram-size = ram +\n", file + ":2: zram-size:"},
		{"[mtetag0]\nmount-point = var/tmp\n", "mount-point: var/tmp is not absolute"},
		{"[mtetag0]\nmount-point = /a/../b\n", "is not normalised"},
		{"[mtetag0]\nfs-type = ../../bin/sh\n", "not a file system type"},
		{"[mtetag0]\nhost-memory-limit = lots\n", "neither a number of MiB nor \"none\""},
		{"[mtetag0]\nzram-fraction = -1\n", "zram-fraction"},
		{"[mtetag0]\nswap-priority\n", file + ":2: expected KEY = VALUE"},
		{"[mtetag0\n", file + ":1: no ] after the section name"},
		{"[mtetag0]\nzram-size = ram - 4096\n",
		 "mtetag0: zram-size = ram - 4096 gives -2048 MiB"},
		{"[mtetag0]\nzram-size = 1 / 0\n", "gives inf MiB, not a size"},
	};
	for (const auto &[text, why] : cases) {
		put(kEtcConf, text);
		const std::string got = error_of([&] { read_config(root_); });
		EXPECT_TRUE(contains(got, why)) << text << "gave: " << got;
	}
	fs::remove(root_ / "proc/meminfo");
	put(kEtcConf, "[mtetag0]\n");
	EXPECT_TRUE(contains(error_of([&] { read_config(root_); }), "meminfo"));
}

TEST_F(GeneratorConfig, HostMemoryLimitAndSizeZeroLeaveDevicesOut)
{
	put(kEtcConf, "[mtetag0]\nhost-memory-limit = 1024\n"
		      "[mtetag1]\nhost-memory-limit = 4096\n"
		      "[mtetag2]\nzram-size = 0\n"
		      "[mtetag3]\nmemory-limit = none\n"
		      // Not evaluated: the device is out before its size is asked for.
		      "[mtetag4]\nhost-memory-limit = 100\nzram-size = -1\n");
	Config config = read_config(root_);
	EXPECT_EQ(ids(config), (std::vector<unsigned>{1, 3}));
	EXPECT_TRUE(any_contains(config.messages, "mtetag0: system has too much memory "
						  "(2048 MiB), limit is 1024 MiB, ignoring"));
}

TEST_F(GeneratorConfig, KernelCommandLineAddsOrRemovesEverything)
{
	put("proc/cmdline", "ro quiet systemd.mtetag\n");
	Config config = read_config(root_);
	EXPECT_EQ(ids(config), std::vector<unsigned>{0});
	EXPECT_EQ(device(config, 0).disksize, 1024 * kMiB);

	put(kEtcConf, "[mtetag0]\nzram-size = 10\n[mtetag1]\n");
	config = read_config(root_);
	EXPECT_EQ(ids(config), (std::vector<unsigned>{0, 1}));
	EXPECT_EQ(device(config, 0).disksize, 10 * kMiB);

	put("proc/cmdline", "systemd.mtetag=1 systemd.mtetag=0\n");
	config = read_config(root_);
	EXPECT_TRUE(config.devices.empty());
	EXPECT_TRUE(any_contains(config.messages, "disabled by systemd.mtetag=0"));
}

TEST_F(GeneratorConfig, ObsoleteSizingReplacesZramSize)
{
	put(kEtcConf, "[mtetag0]\nzram-fraction = 0.25\n"
		      "[mtetag1]\nzram-fraction = 0.25\nmax-zram-size = 100\n"
		      "[mtetag2]\nmax-zram-size = none\n"
		      "[mtetag3]\nzram-size = 10\nzram-fraction = 0.1\n");
	Config config = read_config(root_);
	EXPECT_EQ(device(config, 0).disksize, 512 * kMiB);
	EXPECT_EQ(device(config, 1).disksize, 100 * kMiB);
	EXPECT_EQ(device(config, 2).disksize, 1024 * kMiB);
	EXPECT_EQ(device(config, 3).disksize, 204 * kMiB); // whole MiB of 204.8, as zram-generator
}

TEST_F(GeneratorUnits, GoldenText)
{
	auto units = units_of("[mtetag0]\nswap-priority = 50\n"
			      "writeback-device = /dev/disk/by-partlabel/wb\n"
			      "[mtetag1]\nmount-point = /var/cache/build-tree\n"
			      "options = discard,noatime\n"
			      "[mtetag2]\nfs-type = ext4\n");
	std::vector<std::string> paths;
	for (const auto &entry : units)
		paths.push_back(entry.first);
	EXPECT_EQ(paths, (std::vector<std::string>{
				 "dev-mtetag0.swap",
				 "local-fs.target.wants/var-cache-build\\x2dtree.mount",
				 "swap.target.wants/dev-mtetag0.swap",
				 "systemd-mtetag-create@.service",
				 "systemd-mtetag-setup@.service",
				 "systemd-mtetag-setup@mtetag0.service.d/bindings.conf",
				 "systemd-mtetag-setup@mtetag1.service.d/bindings.conf",
				 "var-cache-build\\x2dtree.mount",
			 }));
	const std::string head = std::string("# Automatically generated by ") + kSelf + "\n\n";
	EXPECT_EQ(units["systemd-mtetag-setup@.service"].content,
		  head + "[Unit]\n"
			 "Description=Set up compressed storage on /dev/%i (mtetag)\n"
			 "Documentation=man:mtetag-generator(8)\n"
			 "DefaultDependencies=no\n"
			 "Requires=systemd-mtetag-create@%i.service\n"
			 "After=systemd-mtetag-create@%i.service\n"
			 "BindsTo=dev-%i.device\n"
			 "After=dev-%i.device\n"
			 "\n"
			 "[Service]\n"
			 "Type=oneshot\n"
			 "RemainAfterExit=yes\n"
			 "ExecStart=/usr/lib/systemd/system-generators/mtetag-generator "
			 "--setup-device %i\n"
			 "ExecStop=/usr/lib/systemd/system-generators/mtetag-generator "
			 "--reset-device %i\n");
	EXPECT_EQ(units["systemd-mtetag-create@.service"].content,
		  head + "[Unit]\n"
			 "Description=Create /dev/%i (mtetag)\n"
			 "Documentation=man:mtetag-generator(8)\n"
			 "DefaultDependencies=no\n"
			 "\n"
			 "[Service]\n"
			 "Type=oneshot\n"
			 "ExecStart=/usr/lib/systemd/system-generators/mtetag-generator "
			 "--create-device %i\n");
	EXPECT_EQ(units["dev-mtetag0.swap"].content,
		  head + "[Unit]\n"
			 "Description=Compressed swap on /dev/mtetag0\n"
			 "Documentation=man:mtetag-generator(8)\n"
			 "DefaultDependencies=no\n"
			 "Requires=systemd-mtetag-setup@mtetag0.service\n"
			 "After=systemd-mtetag-setup@mtetag0.service\n"
			 "Before=swap.target\n"
			 "\n"
			 "[Swap]\n"
			 "What=/dev/mtetag0\n"
			 "Priority=50\n"
			 "Options=discard\n");
	EXPECT_EQ(units["swap.target.wants/dev-mtetag0.swap"].symlink, "../dev-mtetag0.swap");
	EXPECT_EQ(units["systemd-mtetag-setup@mtetag0.service.d/bindings.conf"].content,
		  head + "[Unit]\n"
			 "BindsTo=dev-mtetag0.swap dev-disk-by\\x2dpartlabel-wb.device\n"
			 "After=dev-disk-by\\x2dpartlabel-wb.device\n");
	EXPECT_EQ(units["var-cache-build\\x2dtree.mount"].content,
		  head + "[Unit]\n"
			 "Description=Compressed storage on /dev/mtetag1\n"
			 "Documentation=man:mtetag-generator(8)\n"
			 "Requires=systemd-mtetag-setup@mtetag1.service\n"
			 "After=systemd-mtetag-setup@mtetag1.service\n"
			 "\n"
			 "[Mount]\n"
			 "What=/dev/mtetag1\n"
			 "Where=/var/cache/build-tree\n"
			 "Options=discard,noatime\n");
	EXPECT_EQ(units["local-fs.target.wants/var-cache-build\\x2dtree.mount"].symlink,
		  "../var-cache-build\\x2dtree.mount");
	EXPECT_EQ(units["systemd-mtetag-setup@mtetag1.service.d/bindings.conf"].content,
		  head + "[Unit]\nBindsTo=var-cache-build\\x2dtree.mount\n");
}

TEST_F(GeneratorUnits, SpecifiersAndSpacesAreEscaped)
{
	auto units = units_of("[mtetag0]\noptions = discard=once,x=5%\n", "/opt/my tools/gen%1");
	EXPECT_TRUE(contains(units["dev-mtetag0.swap"].content, "\nOptions=discard=once,x=5%%\n"));
	const std::string setup = units["systemd-mtetag-setup@.service"].content;
	EXPECT_TRUE(contains(setup, "\nExecStart=\"/opt/my tools/gen%%1\" --setup-device %i\n"))
		<< setup;
}

TEST_F(GeneratorUnits, WrittenAgainOverTheLastRun)
{
	put(kEtcConf, "[mtetag0]\n");
	const auto units = generate_units(read_config(root_).devices, kSelf);
	const fs::path out = root_ / "run/units";
	write_units(out, units);
	write_units(out, units);
	EXPECT_EQ(fs::read_symlink(out / "swap.target.wants/dev-mtetag0.swap"),
		  "../dev-mtetag0.swap");
	EXPECT_EQ(get("run/units/dev-mtetag0.swap"), units[2].content);
}

TEST_F(GeneratorUnits, SystemdAnalyzeVerifyAcceptsThem)
{
	const fs::path analyze = "/usr/bin/systemd-analyze";
	if (!fs::exists(analyze))
		GTEST_SKIP() << analyze << " is not installed";
	put(kEtcConf, "[mtetag0]\nwriteback-device = /dev/disk/by-partlabel/wb\n"
		      "[mtetag1]\nmount-point = /var/tmp/mtetag-test\n");
	const fs::path out = root_ / "units";
	write_units(out, generate_units(read_config(root_).devices, MTETAG_GENERATOR_BIN));
	std::string cmd = analyze.string() + " verify --man=no --recursive-errors=no";
	for (const char *unit : {"dev-mtetag0.swap", "var-tmp-mtetag\\x2dtest.mount",
				 "systemd-mtetag-setup@mtetag0.service",
				 "systemd-mtetag-create@mtetag0.service"})
		cmd += " " + shell_quote((out / unit).string());
	auto [status, output] = run_shell(cmd);
	EXPECT_EQ(status, 0) << cmd << "\n" << output;
}

TEST_F(GeneratorSetup, TheDriversOrderUnderTheDeviceLock)
{
	put(kEtcConf, "[mtetag0]\nzram-size = 64\nzram-resident-limit = 32\n"
		      "compression-algorithm = zstd(level=3) lz4hc (type=huge)\n"
		      "writeback-device = /dev/vdb\n");
	driver_->add_device(0);
	driver_->busy_resets = 2; // udev probing the new device
	ASSERT_EQ(run_args({"--setup-device", "mtetag0"}), 0) << log_.str();
	EXPECT_EQ(driver_->log, (std::vector<std::string>{
					"run udevadm settle --timeout=10",
					"sys/block/mtetag0/reset=1",
					"sys/block/mtetag0/reset=1",
					"sys/block/mtetag0/reset=1",
					"sys/block/mtetag0/backing_dev=/dev/vdb",
					"sys/block/mtetag0/comp_algorithm=zstd",
					"sys/block/mtetag0/algorithm_params=priority=0 level=3",
					"sys/block/mtetag0/recomp_algorithm=algo=lz4hc priority=1",
					"sys/block/mtetag0/mem_limit=33554432",
					"sys/block/mtetag0/disksize=67108864",
					"run mkswap " + node(0) + " (locked)",
				}));
	// The lock goes with the set-up: udev may probe now.
	const int fd = ::open(node(0).c_str(), O_RDONLY | O_CLOEXEC);
	EXPECT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
	::close(fd);
}

TEST_F(GeneratorSetup, FileSystemAndAnUnknownAlgorithm)
{
	put(kEtcConf, "[mtetag1]\nzram-size = 16\nmount-point = /mnt/x\n"
		      "compression-algorithm = nosuch zstd(level=1)\n");
	driver_->add_device(1);
	ASSERT_EQ(run_args({"--setup-device", "mtetag1"}), 0) << log_.str();
	EXPECT_EQ(driver_->log, (std::vector<std::string>{
					"run udevadm settle --timeout=10",
					"sys/block/mtetag1/reset=1",
					"sys/block/mtetag1/comp_algorithm=nosuch",
					"sys/block/mtetag1/recomp_algorithm=algo=zstd priority=1",
					"sys/block/mtetag1/algorithm_params=priority=1 level=1",
					"sys/block/mtetag1/mem_limit=0",
					"sys/block/mtetag1/disksize=16777216",
					"run mkfs.ext2 " + node(1) + " (locked)",
				}));
	EXPECT_TRUE(contains(log_.str(), "mtetag1: algorithm nosuch not recognised")) << log_.str();
}

TEST_F(GeneratorSetup, GivesUpWhenTheDeviceStaysBusy)
{
	put(kEtcConf, "[mtetag0]\n");
	driver_->add_device(0);
	driver_->busy_resets = 1000;
	EXPECT_EQ(run_args({"--setup-device", "mtetag0"}), 1);
	EXPECT_TRUE(contains(log_.str(), "reset: Device or resource busy")) << log_.str();
	EXPECT_FALSE(any_contains(driver_->log, "disksize"));

	// udev's probe holds its shared lock for as long: no set-up under it.
	driver_->busy_resets = 0;
	const int fd = ::open(node(0).c_str(), O_RDONLY | O_CLOEXEC);
	ASSERT_EQ(::flock(fd, LOCK_SH), 0);
	EXPECT_EQ(run_args({"--setup-device", "mtetag0"}), 1);
	::close(fd);
	EXPECT_TRUE(contains(log_.str(), node(0) + ": lock:")) << log_.str();
	EXPECT_FALSE(any_contains(driver_->log, "disksize"));
}

TEST_F(GeneratorSetup, AFailedMkswapFails)
{
	put(kEtcConf, "[mtetag0]\n");
	driver_->add_device(0);
	driver_->exit_status["mkswap"] = 1;
	EXPECT_EQ(run_args({"--setup-device", "mtetag0"}), 1);
	EXPECT_TRUE(contains(log_.str(), "mkswap " + node(0) + " failed with exit status 1"))
		<< log_.str();
}

TEST_F(GeneratorSetup, ResetRetriesWhileBusy)
{
	driver_->add_device(0);
	driver_->busy_resets = 1;
	EXPECT_EQ(run_args({"--reset-device", "mtetag0"}), 0) << log_.str();
	EXPECT_EQ(driver_->log, (std::vector<std::string>{"sys/block/mtetag0/reset=1",
							  "sys/block/mtetag0/reset=1"}));
}

TEST_F(GeneratorSetup, CreateLoadsTheModuleOrHotAdds)
{
	put(kEtcConf, "[mtetag0]\n[mtetag2]\n");
	ASSERT_EQ(run_args({"--create-device", "mtetag2"}), 0) << log_.str();
	EXPECT_EQ(driver_->log, std::vector<std::string>{
					"run modprobe mtetag num_devices=3 disksize=0"});
	EXPECT_TRUE(driver_->exists("sys/block/mtetag2"));

	// Loaded before with one device: hot_add up to the one asked for.
	fs::remove_all(root_ / "sys/block/mtetag1");
	fs::remove_all(root_ / "sys/block/mtetag2");
	driver_->log.clear();
	ASSERT_EQ(run_args({"--create-device", "mtetag2"}), 0) << log_.str();
	EXPECT_EQ(driver_->log, (std::vector<std::string>{"hot_add 1", "hot_add 2"}));

	driver_->log.clear();
	ASSERT_EQ(run_args({"--create-device", "mtetag0"}), 0) << log_.str();
	EXPECT_TRUE(driver_->log.empty());
}

TEST_F(GeneratorSetup, RecompressWritesTheConfiguredOptions)
{
	put(kEtcConf, "[mtetag0]\ncompression-algorithm = zstd lz4hc (type=huge,max_pages=100)\n"
		      "[mtetag1]\ncompression-algorithm = zstd lz4hc\n");
	driver_->add_device(0);
	driver_->add_device(1);
	ASSERT_EQ(run_args({"--recompress-device", "mtetag0"}), 0) << log_.str();
	ASSERT_EQ(run_args({"--recompress-device", "mtetag1"}), 0) << log_.str();
	EXPECT_EQ(driver_->log, std::vector<std::string>{
					"sys/block/mtetag0/recompress=type=huge max_pages=100"});
	EXPECT_TRUE(contains(log_.str(), "mtetag1: no recompress options")) << log_.str();
}

TEST_F(GeneratorSetup, CommandLineRefusals)
{
	put(kEtcConf, "[mtetag0]\n");
	const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
		{{"--setup-device", "mtetag5"}, "mtetag5: not configured"},
		{{"--setup-device", "../sda"}, "../sda: not an mtetag device name"},
		{{"--frobnicate-device", "mtetag0"}, "--frobnicate-device: unknown option"},
		{{}, "usage:"},
		{{"--help"}, "usage:"},
		{{"a", "b"}, "usage:"},
	};
	for (const auto &[args, why] : cases) {
		log_.str("");
		EXPECT_EQ(run_args(args), 1);
		EXPECT_TRUE(contains(log_.str(), why)) << log_.str();
	}
	EXPECT_TRUE(driver_->log.empty());
}

TEST_F(GeneratorSetup, GeneratorModeWritesNothingWithoutDevicesOrInAContainer)
{
	const fs::path out = root_ / "run/units";
	fs::create_directories(out);
	ASSERT_EQ(run_args({out.string(), out.string(), out.string()}), 0) << log_.str();
	EXPECT_TRUE(fs::is_empty(out));

	put(kEtcConf, "[mtetag0]\n");
	driver_->exit_status["systemd-detect-virt"] = 0;
	ASSERT_EQ(run_args({out.string()}, false), 0) << log_.str();
	EXPECT_TRUE(fs::is_empty(out));
	EXPECT_TRUE(contains(log_.str(), "running in a container")) << log_.str();

	driver_->exit_status["systemd-detect-virt"] = 1;
	ASSERT_EQ(run_args({out.string()}, false), 0) << log_.str();
	EXPECT_TRUE(fs::exists(out / "dev-mtetag0.swap"));
}

TEST_F(GeneratorConfig, TheBinaryRunsItselfFromItsUnits)
{
	put(kEtcConf, "[mtetag0]\n[zram1]\n");
	const fs::path out = root_ / "units";
	auto [status, output] = run_shell("MTETAG_GENERATOR_ROOT=" + shell_quote(root_.string()) +
					  " " MTETAG_GENERATOR_BIN " " +
					  shell_quote(out.string()));
	EXPECT_EQ(status, 0) << output;
	EXPECT_TRUE(contains(output, "ignoring section [zram1]")) << output;
	const std::string self = fs::canonical(MTETAG_GENERATOR_BIN).string();
	EXPECT_TRUE(contains(get("units/systemd-mtetag-setup@.service"),
			     "\nExecStart=" + self + " --setup-device %i\n"));
	EXPECT_TRUE(fs::is_symlink(out / "swap.target.wants/dev-mtetag0.swap"));
}
