// SPDX-License-Identifier: GPL-2.0
// mtetagctl: set up and inspect /dev/mtetagN devices as util-linux's zramctl does zram ones:
// the same options, actions, columns and exit status, plus the carve-out's own columns and map.
// The library part (argument parsing, sysfs access, output) is shared with the host tests.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mtetagctl {

// Output columns: zramctl's, in zramctl's order, then the carve-out's.
enum class Column {
	Name, Disksize, Data, Compr, Algorithm, Streams, ZeroPages, Total, MemLimit, MemUsed,
	Migrated, CompRatio, Mountpoint, TagTotal, TagServing, TagPool, TagFree, Evictions,
	Overflow,
};

// How a column's cells read: sizes follow --bytes; JSON types follow the kind.
enum class Kind { Text, Size, Number, Ratio };

struct ColumnInfo {
	Column id;
	std::string_view name;
	double width_hint; // libsmartcols: >= 1 in characters, < 1 a fraction of the terminal
	bool right;	   // right-aligned, as numbers are
	bool truncate;	   // may be cut to fit the terminal (MOUNTPOINT, as zramctl)
	Kind kind;
	std::string_view help;
};

// One table drives --output, the help text and the output; indexed by Column.
inline constexpr std::array<ColumnInfo, 19> kColumns = {{
	{Column::Name, "NAME", 0.25, false, false, Kind::Text, "mtetag device name"},
	{Column::Disksize, "DISKSIZE", 5, true, false, Kind::Size,
	 "limit on the uncompressed amount of data"},
	{Column::Data, "DATA", 5, true, false, Kind::Size, "uncompressed size of stored data"},
	{Column::Compr, "COMPR", 5, true, false, Kind::Size, "compressed size of stored data"},
	{Column::Algorithm, "ALGORITHM", 3, false, false, Kind::Text,
	 "the selected compression algorithm"},
	{Column::Streams, "STREAMS", 3, true, false, Kind::Number,
	 "number of concurrent compress operations"},
	{Column::ZeroPages, "ZERO-PAGES", 3, true, false, Kind::Number,
	 "same-filled pages, which take no memory"},
	{Column::Total, "TOTAL", 5, true, false, Kind::Size,
	 "memory holding the compressed data, carve-out and RAM, with overhead"},
	{Column::MemLimit, "MEM-LIMIT", 5, true, false, Kind::Size,
	 "limit on the RAM used beyond the carve-out"},
	{Column::MemUsed, "MEM-USED", 5, true, false, Kind::Size,
	 "peak of TOTAL since the device was set up"},
	{Column::Migrated, "MIGRATED", 5, true, false, Kind::Number,
	 "pages freed by compaction"},
	{Column::CompRatio, "COMP-RATIO", 5, true, false, Kind::Ratio,
	 "compression ratio: DATA/TOTAL"},
	{Column::Mountpoint, "MOUNTPOINT", 0.10, false, true, Kind::Text,
	 "where the device is mounted, or [SWAP]"},
	{Column::TagTotal, "TAG-TOTAL", 5, true, false, Kind::Number, "tag pages in the carve-out"},
	{Column::TagServing, "TAG-SERVING", 5, true, false, Kind::Number,
	 "tag pages serving MTE tags"},
	{Column::TagPool, "TAG-POOL", 5, true, false, Kind::Number,
	 "tag pages holding compressed data"},
	{Column::TagFree, "TAG-FREE", 5, true, false, Kind::Number, "tag pages free for the pool"},
	{Column::Evictions, "EVICTIONS", 5, true, false, Kind::Number, "tag pages emptied for MTE"},
	{Column::Overflow, "OVERFLOW", 5, true, false, Kind::Size,
	 "compressed bytes in RAM, beyond the carve-out"},
}};

// zramctl's status listing when no --output is given.
inline constexpr std::array<Column, 8> kDefaultColumns = {
	Column::Name, Column::Algorithm, Column::Disksize, Column::Data,
	Column::Compr, Column::Total, Column::Streams, Column::Mountpoint,
};

const ColumnInfo &info(Column c);
std::optional<Column> parse_column(std::string_view name);
// "NAME,DATA" replaces @base, "+TAG-POOL" is added to it; throws std::invalid_argument.
std::vector<Column> parse_columns(std::string_view list,
				  const std::vector<Column> &base = {});
std::vector<Column> default_columns();
std::vector<Column> all_columns();

// Errors carry the system's reason in the message and its errno, util-linux style.
struct Error : std::runtime_error {
	explicit Error(const std::string &what, int errnum = 0)
		: std::runtime_error(what), errnum(errnum)
	{
	}
	int errnum; // errno behind the failure, 0 if none
};

// The sysfs (and procfs) tree mtetagctl reads and writes, rooted at "/" or a test's fake.
class Sysfs {
public:
	explicit Sysfs(std::filesystem::path root = "/") : root_(std::move(root)) {}
	virtual ~Sysfs() = default;
	// Virtual so that tests can answer as the driver does (EBUSY, hot_add) on a fake tree.
	virtual std::string read(const std::filesystem::path &rel) const;
	virtual void write(const std::filesystem::path &rel, std::string_view value) const;
	virtual bool exists(const std::filesystem::path &rel) const;
	std::vector<std::string> devices() const; // mtetag0, mtetag1, ... in order of id
	std::filesystem::path path(const std::filesystem::path &rel) const { return root_ / rel; }

private:
	std::filesystem::path root_;
};

struct DeviceStats {
	std::string name; // /dev/mtetagN
	std::uint64_t disksize = 0;
	std::string algorithm;
	std::uint64_t streams = 0;
	// mm_stat, by position: zram's nine columns, then the overflow pages alone.
	std::uint64_t orig_data_size = 0, compr_data_size = 0, mem_used_total = 0, mem_limit = 0,
		      mem_used_max = 0, same_pages = 0, pages_compacted = 0, huge_pages = 0,
		      huge_pages_since = 0, ram_used = 0, ram_used_max = 0;
	// tag_stat, by name.
	std::uint64_t tag_pages = 0, tag_serving = 0, tag_used = 0, tag_empty = 0,
		      pool_bytes = 0, overflow_bytes = 0, evictions = 0;
	std::string mountpoint;
};

DeviceStats read_device(const Sysfs &fs, const std::string &name);
// util-linux's size_to_human_string(): "0B", "1023B", "1.5K", "903.8M", "1G".
std::string human_size(std::uint64_t bytes);
// util-linux's strtosize(): K/KiB/k = 1024, KB = 1000 (M, G, T, P, E likewise), plain bytes,
// a fraction with a suffix ("1.5G"), the number in any base strtoumax takes (0x10, 010).
// Throws Error (EINVAL, ERANGE).
std::uint64_t parse_size(std::string_view text);

struct Format {
	bool bytes = false;	       // -b
	bool raw = false;	       // --raw
	bool noheadings = false;       // -n
	bool json = false;	       // -J
	bool fit_terminal = false;     // cut to a terminal on stdout, as zramctl does
};

// A cell as printed; "" for no value (null in JSON).
std::string cell(const DeviceStats &d, Column c, const Format &f);
// The status table through libsmartcols: aligned, raw, without headings or JSON.
std::string render(const std::vector<DeviceStats> &devs, const std::vector<Column> &cols,
		   const Format &f);

// The device name from "mtetag0" or "/dev/mtetag0"; throws Error for anything else.
std::string device_name(std::string_view arg);

// What -s sets up, in zramctl's order after the reset.
struct Setup {
	std::uint64_t size = 0; // bytes, page-aligned
	std::optional<std::string> algorithm;
	std::optional<std::string> algorithm_params;
	std::uint64_t streams = 0; // 0: max_comp_streams left alone
};

// zramctl's set-up: reset (so that a device initialised at load takes a new size), then
// max_comp_streams, comp_algorithm, algorithm_params and disksize. Throws Error.
void setup_device(const Sysfs &fs, const std::string &name, const Setup &setup);
// The first device with no disksize; at the first missing id one from hot_add, which is new
// and so free whatever size the driver gave it. Throws Error when there is none.
std::string find_free_device(const Sysfs &fs);
// zramctl -r: reset, then hand the device back through hot_remove (a refused removal is not
// an error). Throws Error when the reset fails.
void reset_device(const Sysfs &fs, const std::string &name);
// The carve-out, one character per tag page (debugfs block_map), with a legend and counts.
std::string render_map(const Sysfs &fs, unsigned width);

// The actions of zramctl.c, plus the carve-out map.
enum class Action { Status, Create, FindOnly, Reset, Map };

struct Options {
	Action action = Action::Status;
	bool find = false;
	Setup setup;			   // Create
	std::vector<Column> columns;	   // Status
	Format format;			   // Status
	std::vector<std::string> devices;  // as given
	unsigned map_width = 64;	   // Map
};

struct ParseResult {
	std::optional<Options> options; // none: exit now with status
	int status = 0;
};

// A command line read as zramctl reads it (getopt_long, its exclusions and checks). Sizes
// round up to @page_size. --help and --version print to @out and give status 0; bad
// arguments print a reason to @err and give status 1.
ParseResult parse_args(int argc, char **argv, std::uint64_t page_size, std::ostream &out,
		       std::ostream &err);

// Everything run() would otherwise ask the system.
struct Context {
	const Sysfs &fs;
	std::ostream &out;
	std::ostream &err;
	std::uint64_t page_size;
	bool fit_terminal; // stdout may be a terminal: let libsmartcols fit the table to it
};

// The whole command: parse, act, report. Returns the exit status (0, or 1 as zramctl).
int run(int argc, char **argv, const Context &ctx);

} // namespace mtetagctl
