// SPDX-License-Identifier: GPL-2.0
// mtetag-generator: systemd units for /dev/mtetagN from zram-generator's configuration
// syntax (sections [mtetagN] instead of [zramN]), and the set-up those units run. The library
// part (configuration, units, set-up against a System) is shared with the host tests.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mtetag_generator {

// Errors carry the system's reason in the message and its errno, 0 when there is none.
struct Error : std::runtime_error {
	explicit Error(const std::string &what, int errnum = 0)
		: std::runtime_error(what), errnum(errnum)
	{
	}
	int errnum;
};

// A size in MiB as zram-generator's zram-size takes it: numbers, "ram" (MemTotal in MiB),
// + - * / with the usual precedence, unary minus, parentheses, and min()/max() of one or more
// arguments.
class Expression {
public:
	// Throws Error saying where the text stops making sense.
	explicit Expression(std::string_view text);
	// IEEE arithmetic: a division by zero gives an infinity or NaN for the caller to refuse.
	double evaluate(double ram_mib) const;
	const std::string &text() const { return text_; }

private:
	struct Node {
		enum class Kind { Number, Ram, Negate, Add, Subtract, Multiply, Divide, Min, Max };
		explicit Node(Kind kind, double number = 0) : kind(kind), number(number) {}
		Kind kind;
		double number;
		std::vector<Node> operands;
	};
	class Parser;
	static double evaluate(const Node &node, double ram_mib);

	std::string text_;
	Node root_;
};

struct Algorithm {
	std::string name;
	std::string params; // for algorithm_params after "priority=N": "level=3 dict=/x"
	bool operator==(const Algorithm &) const = default;
};

// compression-algorithm = "lz4 zstd(level=3) (type=idle)": the primary algorithm, then the
// recompression ones in priority order, each with optional (key=value,...) parameters; a
// bare parenthesised group holds options for recompress.
struct Algorithms {
	std::vector<Algorithm> chain; // [0] is the primary (priority 0), [N] has priority N
	std::string recompress;	      // "type=idle", spaces for the commas; empty for none
	bool operator==(const Algorithms &) const = default;
};
Algorithms parse_algorithms(std::string_view value);

struct Device {
	unsigned id = 0;
	std::string name; // "mtetag0"
	std::optional<std::uint64_t> host_memory_limit_mib;
	std::optional<Expression> size;		  // zram-size; min(ram / 2, 4096) without it
	std::optional<Expression> resident_limit; // zram-resident-limit; 0 (none) without it
	// zram-generator's obsolete sizing: either key replaces zram-size by fraction * ram,
	// capped only by max-zram-size.
	bool obsolete_sizing = false;
	double fraction = 0.5;
	std::optional<std::uint64_t> max_size_mib;
	Algorithms algorithms;
	std::optional<std::string> writeback_device; // normalised absolute path
	int swap_priority = 100;
	std::optional<std::string> mount_point; // normalised absolute path
	std::optional<std::string> fs_type;
	std::string options = "discard";

	// From MemTotal, once every file is read; 0 leaves the device out.
	std::uint64_t disksize = 0;  // bytes
	std::uint64_t mem_limit = 0; // bytes

	// Swap unless a mount point or a file system other than swap is configured.
	bool is_swap() const;
	// "swap", the configured fs-type, or ext2 for a file system without one.
	std::string effective_fs_type() const;
};

struct Config {
	std::vector<Device> devices;	   // enabled, of non-zero size, in order of id
	std::vector<std::string> messages; // warnings and notes, zram-generator's and ours
};

// N of "mtetagN" (digits only, no leading zero), else nothing.
std::optional<unsigned> device_id(std::string_view name);
// systemd.mtetag on a kernel command line: bare or =1|yes|true|on is true, =0|no|false|off
// false, the last such word wins; nothing when absent.
std::optional<bool> kernel_option(std::string_view cmdline);
// The configuration files under @root in the order they are read: the main file (the last of
// usr/lib, usr/local/lib, etc and run that has one), then every drop-in of the four
// mtetag-generator.conf.d directories by file name, a later directory's file replacing an
// earlier one of the same name, one that is a symlink to /dev/null masking it.
std::vector<std::filesystem::path> config_files(const std::filesystem::path &root);
// The devices configured under @root (MTETAG_GENERATOR_ROOT, or "/"), sized from
// @root/proc/meminfo, with @root/proc/cmdline's systemd.mtetag applied. Throws Error for a
// file that cannot be read or a value that cannot be used.
Config read_config(const std::filesystem::path &root);

// systemd's unit_name_from_path(): "/run/a-b" and ".mount" give "run-a\x2db.mount". Throws
// Error for a relative path, one with "..", or a name longer than systemd takes.
std::string unit_name_from_path(std::string_view path, std::string_view suffix);

struct UnitFile {
	std::string path;    // relative to the output directory
	std::string content; // for a regular file
	std::string symlink; // the target, for a symlink (content is then empty)
};
// The units for @devices. @self, the generator's own path, is what the services run.
std::vector<UnitFile> generate_units(const std::vector<Device> &devices,
				     const std::string &self);
void write_units(const std::filesystem::path &dir, const std::vector<UnitFile> &units);

// The running system: sysfs, device nodes and programs, under "/" or a test's fake tree.
class System {
public:
	explicit System(std::filesystem::path root = "/") : root_(std::move(root)) {}
	virtual ~System() = default;
	// Virtual so that tests can answer as the driver does (EBUSY, hot_add, modprobe).
	virtual std::string read(const std::filesystem::path &rel) const;
	// One write(2), so that a sysfs store sees the whole value; throws Error with its errno.
	virtual void write(const std::filesystem::path &rel, std::string_view value) const;
	virtual bool exists(const std::filesystem::path &rel) const;
	// @argv[0] from PATH, with this process's stdout and stderr: its exit status, 127 when it
	// could not be started, 128 + N when signal N killed it.
	virtual int run(const std::vector<std::string> &argv) const;
	std::filesystem::path path(const std::filesystem::path &rel) const { return root_ / rel; }

private:
	std::filesystem::path root_;
};

// Everything run() would otherwise take from the process and the system.
struct Context {
	const System &system;
	std::filesystem::path config_root; // MTETAG_GENERATOR_ROOT, or "/"
	bool test_mode;			   // MTETAG_GENERATOR_ROOT set: no container check
	std::string self;		   // the generator's own path (/proc/self/exe)
	std::string mkswap;		   // MTETAG_MKSWAP, or "mkswap" from PATH
	std::ostream &log;
	// How long a device that udev holds open may refuse reset and its lock: kBusyPatience.
	std::chrono::milliseconds busy_patience;
};

// udev's probe of a new or changed device holds it open for a moment.
inline constexpr std::chrono::milliseconds kBusyPatience{5000};

// The command line without argv[0]:
//   NORMAL_DIR [EARLY_DIR LATE_DIR]  write the units into NORMAL_DIR (systemd.generator(7))
//   --create-device mtetagN           load the module, or hot_add, until the device exists
//   --setup-device mtetagN            reset, configure and format the device
//   --reset-device mtetagN            reset it
//   --recompress-device mtetagN       write the configured recompress options
// The exit status: 0, or 1 with the reason on @ctx.log.
int run(const std::vector<std::string> &args, const Context &ctx);

} // namespace mtetag_generator
