// SPDX-License-Identifier: GPL-2.0
// mtetagctl: set up and inspect /dev/mtetagN devices, in the manner of util-linux's zramctl.
// The library part (columns, sysfs access, formatting) is shared with the host tests.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace mtetagctl {

enum class Column {
	Name, Disksize, Data, Compr, Algorithm, Streams, ZeroPages, Total, MemLimit, MemUsed,
	Migrated, CompRatio, Mountpoint, TagTotal, TagServing, TagPool, TagFree, Evictions,
	Overflow,
};

enum class Kind { Text, Size, Number, Float };

struct ColumnInfo {
	Column id;
	std::string_view name;
	int width;
	Kind kind;
	bool shown_by_default;
	std::string_view help;
};

// One table drives parsing of --output, the help text, the table and the JSON.
inline constexpr std::array<ColumnInfo, 19> kColumns = {{
	{Column::Name, "NAME", 12, Kind::Text, true, "mtetag device name"},
	{Column::Disksize, "DISKSIZE", 8, Kind::Size, true, "limit on the uncompressed amount of data"},
	{Column::Data, "DATA", 8, Kind::Size, true, "uncompressed size of stored data"},
	{Column::Compr, "COMPR", 8, Kind::Size, true, "compressed size of stored data"},
	{Column::Algorithm, "ALGORITHM", 9, Kind::Text, true, "the selected compression algorithm"},
	{Column::Streams, "STREAMS", 7, Kind::Number, true, "number of concurrent compress operations"},
	{Column::ZeroPages, "ZERO-PAGES", 10, Kind::Number, false, "same-filled pages (no memory used)"},
	{Column::Total, "TOTAL", 8, Kind::Size, true, "all memory including the carve-out pool and metadata"},
	{Column::MemLimit, "MEM-LIMIT", 9, Kind::Size, false, "memory limit on overflow into RAM"},
	{Column::MemUsed, "MEM-USED", 8, Kind::Size, false, "most RAM used for overflow"},
	{Column::Migrated, "MIGRATED", 8, Kind::Number, false, "pages compacted"},
	{Column::CompRatio, "COMP-RATIO", 10, Kind::Float, false, "compression ratio: DATA/COMPR"},
	{Column::Mountpoint, "MOUNTPOINT", 10, Kind::Text, true, "where the device is mounted or [SWAP]"},
	{Column::TagTotal, "TAG-TOTAL", 9, Kind::Number, false, "tag pages in the carve-out"},
	{Column::TagServing, "TAG-SERVING", 11, Kind::Number, false, "tag pages serving MTE tags"},
	{Column::TagPool, "TAG-POOL", 8, Kind::Number, false, "tag pages holding compressed data"},
	{Column::TagFree, "TAG-FREE", 8, Kind::Number, false, "tag pages free for the pool"},
	{Column::Evictions, "EVICTIONS", 9, Kind::Number, false, "tag pages emptied for MTE"},
	{Column::Overflow, "OVERFLOW", 8, Kind::Size, false, "compressed bytes in RAM, beyond the carve-out"},
}};

const ColumnInfo &info(Column c);
std::optional<Column> parse_column(std::string_view name);
// "NAME,DATA" or "+TAG-POOL" (added to the defaults); throws std::invalid_argument.
std::vector<Column> parse_columns(std::string_view list);
std::vector<Column> default_columns();
std::vector<Column> all_columns();

// Errors carry the path and the system's reason, util-linux style.
struct Error : std::runtime_error {
	using std::runtime_error::runtime_error;
};

// The sysfs (and procfs) tree mtetagctl reads; a fake root in the tests.
class Sysfs {
public:
	explicit Sysfs(std::filesystem::path root = "/") : root_(std::move(root)) {}
	std::string read(const std::filesystem::path &rel) const;
	void write(const std::filesystem::path &rel, std::string_view value) const;
	bool exists(const std::filesystem::path &rel) const;
	std::vector<std::string> devices() const; // mtetag0, mtetag1, ... in order
	std::filesystem::path path(const std::filesystem::path &rel) const { return root_ / rel; }

private:
	std::filesystem::path root_;
};

struct DeviceStats {
	std::string name;
	std::uint64_t disksize = 0;
	std::string algorithm;
	std::uint64_t orig = 0, compr = 0, mem_used = 0, mem_limit = 0, mem_used_max = 0;
	std::uint64_t same_pages = 0, compacted = 0;
	std::uint64_t tag_total = 0, tag_serving = 0, tag_pool = 0, tag_free = 0;
	std::uint64_t pool_bytes = 0, overflow_bytes = 0, evictions = 0, spare_pages = 0, meta = 0;
	unsigned streams = 0;
	std::string mountpoint;
};

DeviceStats read_device(const Sysfs &fs, const std::string &name);
std::string human_size(std::uint64_t bytes);

struct Format {
	bool bytes = false;
	bool raw = false;
	bool headings = true;
};

std::string cell(const DeviceStats &d, Column c, const Format &f);
std::string render_table(const std::vector<DeviceStats> &devs, const std::vector<Column> &cols,
			 const Format &f);
nlohmann::json render_json(const std::vector<DeviceStats> &devs, const std::vector<Column> &cols,
			   const Format &f);

// The device name from "mtetag0" or "/dev/mtetag0"; throws Error for anything else.
std::string device_name(std::string_view arg);
// Initialise a device: algorithm first (zram's order), then disksize.
void setup_device(const Sysfs &fs, const std::string &name, std::optional<std::string> algorithm,
		  std::string_view size);
// The first uninitialised device, or a new one from hot_add.
std::string find_free_device(const Sysfs &fs);
void reset_device(const Sysfs &fs, const std::string &name);
// The carve-out, one character per tag page (debugfs block_map), with a legend and counts.
std::string render_map(const Sysfs &fs, unsigned width);

} // namespace mtetagctl
