// SPDX-License-Identifier: GPL-2.0
#include "mtetagctl.hpp"

#include <libsmartcols/libsmartcols.h>

#include <fcntl.h>
#include <getopt.h>
#include <mntent.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <ostream>
#include <sstream>

namespace fs = std::filesystem;

namespace mtetagctl {

namespace {

constexpr const char *kProgram = "mtetagctl";
constexpr const char *kVersion = "mtetagctl from mtetag 0.1";
const fs::path kBlock = "sys/block";
const fs::path kControl = "sys/class/mtetag-control";

// The reason of an Error without the path it names: what err(3) would append.
std::string reason(const Error &e)
{
	return e.errnum ? std::strerror(e.errnum) : e.what();
}

Error errno_error(const std::string &what, int errnum)
{
	return Error(what + ": " + std::strerror(errnum), errnum);
}

} // namespace

const ColumnInfo &info(Column c)
{
	return kColumns[static_cast<std::size_t>(c)];
}

std::optional<Column> parse_column(std::string_view name)
{
	for (const auto &ci : kColumns) {
		if (ci.name.size() == name.size() &&
		    std::equal(name.begin(), name.end(), ci.name.begin(),
			       [](char a, char b) { return std::toupper((unsigned char)a) == b; }))
			return ci.id;
	}
	return std::nullopt;
}

std::vector<Column> default_columns()
{
	return {kDefaultColumns.begin(), kDefaultColumns.end()};
}

std::vector<Column> all_columns()
{
	std::vector<Column> out;
	for (const auto &ci : kColumns)
		out.push_back(ci.id);
	return out;
}

std::vector<Column> parse_columns(std::string_view list, const std::vector<Column> &base)
{
	std::vector<Column> out;
	if (!list.empty() && list.front() == '+') {
		out = base;
		list.remove_prefix(1);
	}
	std::size_t start = 0;
	while (start <= list.size()) {
		std::size_t end = list.find(',', start);
		std::string_view name = list.substr(start, end == list.npos ? list.npos : end - start);
		auto c = parse_column(name);
		if (!c)
			throw std::invalid_argument("unknown column: " + std::string(name));
		out.push_back(*c);
		if (end == list.npos)
			break;
		start = end + 1;
	}
	return out;
}

std::string Sysfs::read(const fs::path &rel) const
{
	const fs::path p = root_ / rel;
	int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		throw errno_error(p.string(), errno);
	std::string text;
	char buf[4096];
	for (;;) {
		ssize_t n = ::read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			::close(fd);
			throw errno_error(p.string(), saved);
		}
		if (n == 0)
			break;
		text.append(buf, static_cast<std::size_t>(n));
	}
	::close(fd);
	return text;
}

void Sysfs::write(const fs::path &rel, std::string_view value) const
{
	const fs::path p = root_ / rel;
	// O_TRUNC for the fake tree's regular files; sysfs ignores it, as it does for "echo >".
	int fd = ::open(p.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		throw errno_error(p.string(), errno);
	// One write(2): a sysfs store sees the whole value, and its error comes back from it.
	ssize_t n;
	do
		n = ::write(fd, value.data(), value.size());
	while (n < 0 && errno == EINTR);
	int saved = errno;
	::close(fd);
	if (n < 0)
		throw errno_error(p.string(), saved);
	if (static_cast<std::size_t>(n) != value.size())
		throw errno_error(p.string(), EIO);
}

bool Sysfs::exists(const fs::path &rel) const
{
	std::error_code ec;
	return fs::exists(root_ / rel, ec);
}

namespace {

// The id of "mtetagN", or nullopt for any other name.
std::optional<unsigned> device_id(std::string_view name)
{
	constexpr std::string_view prefix = "mtetag";
	if (name.size() <= prefix.size() || name.substr(0, prefix.size()) != prefix ||
	    name.size() > prefix.size() + 9)
		return std::nullopt;
	unsigned id = 0;
	for (char c : name.substr(prefix.size())) {
		if (!std::isdigit((unsigned char)c))
			return std::nullopt;
		id = id * 10 + static_cast<unsigned>(c - '0');
	}
	return id;
}

} // namespace

std::vector<std::string> Sysfs::devices() const
{
	std::vector<std::pair<unsigned, std::string>> found;
	std::error_code ec;
	for (const auto &e : fs::directory_iterator(root_ / kBlock, ec)) {
		std::string n = e.path().filename().string();
		if (auto id = device_id(n))
			found.emplace_back(*id, n);
	}
	std::sort(found.begin(), found.end());
	std::vector<std::string> out;
	for (auto &[id, n] : found)
		out.push_back(n);
	return out;
}

namespace {

std::vector<std::uint64_t> numbers(const std::string &text)
{
	std::istringstream in(text);
	std::vector<std::uint64_t> v;
	std::uint64_t x;
	while (in >> x)
		v.push_back(x);
	return v;
}

// The fields of a "name value" stat file after its "version N" line (tag_stat).
std::map<std::string, std::uint64_t> named(const std::string &text)
{
	std::istringstream in(text);
	std::map<std::string, std::uint64_t> v;
	std::string key;
	std::uint64_t x;
	while (in >> key >> x)
		v[key] = x;
	return v;
}

std::uint64_t field(const std::map<std::string, std::uint64_t> &v, const std::string &name)
{
	auto it = v.find(name);
	return it == v.end() ? 0 : it->second;
}

std::uint64_t at(const std::vector<std::uint64_t> &v, std::size_t i)
{
	return i < v.size() ? v[i] : 0;
}

// The bracketed entry of "lzo-rle [lz4] zstd"; the last pair, as zramctl takes it.
std::string current_algorithm(const std::string &text)
{
	auto left = text.rfind('['), right = text.rfind(']');
	if (left == text.npos || right == text.npos || right <= left + 1)
		return "";
	return text.substr(left + 1, right - left - 1);
}

using MountTable = std::unique_ptr<FILE, int (*)(FILE *)>;

// zramctl's check_mount_point(): [SWAP] for an active swap device, else where it is mounted.
std::string mountpoint_of(const Sysfs &fs, const std::string &name)
{
	const std::string dev = "/dev/" + name;
	try {
		std::istringstream swaps(fs.read("proc/swaps"));
		std::string line;
		std::getline(swaps, line); // the heading
		while (std::getline(swaps, line)) {
			std::istringstream fields(line);
			std::string file;
			if (fields >> file && file == dev)
				return "[SWAP]";
		}
	} catch (const Error &) {
		// No swap configured in (no /proc/swaps): not a swap device.
	}
	// getmntent() undoes the octal escapes of the mount table ("\040" for a space).
	MountTable mounts(setmntent(fs.path("proc/self/mounts").c_str(), "r"), endmntent);
	if (!mounts)
		return "";
	while (const mntent *m = getmntent(mounts.get()))
		if (dev == m->mnt_fsname)
			return m->mnt_dir;
	return "";
}

} // namespace

DeviceStats read_device(const Sysfs &fs, const std::string &name)
{
	const fs::path dir = kBlock / name;
	DeviceStats d;
	d.name = "/dev/" + name;
	d.disksize = at(numbers(fs.read(dir / "disksize")), 0);
	d.algorithm = current_algorithm(fs.read(dir / "comp_algorithm"));
	d.streams = at(numbers(fs.read(dir / "max_comp_streams")), 0);
	auto mm = numbers(fs.read(dir / "mm_stat"));
	d.orig_data_size = at(mm, 0);
	d.compr_data_size = at(mm, 1);
	d.mem_used_total = at(mm, 2);
	d.mem_limit = at(mm, 3);
	d.mem_used_max = at(mm, 4);
	d.same_pages = at(mm, 5);
	d.pages_compacted = at(mm, 6);
	d.huge_pages = at(mm, 7);
	d.huge_pages_since = at(mm, 8);
	d.ram_used = at(mm, 9);
	d.ram_used_max = at(mm, 10);
	auto tag = named(fs.read(dir / "tag_stat"));
	d.tag_pages = field(tag, "tag_pages");
	d.tag_serving = field(tag, "tag_serving");
	d.tag_used = field(tag, "tag_used");
	d.tag_empty = field(tag, "tag_empty");
	d.pool_bytes = field(tag, "pool_bytes");
	d.overflow_bytes = field(tag, "overflow_bytes");
	d.evictions = field(tag, "evictions");
	d.mountpoint = mountpoint_of(fs, name);
	return d;
}

std::string human_size(std::uint64_t bytes)
{
	static constexpr std::string_view letters = "BKMGTPE";
	unsigned exp = 0; // the power of two of the unit: 0, 10, 20, ...
	while (exp < 60 && bytes >= (std::uint64_t{1} << (exp + 10)))
		exp += 10;
	std::uint64_t whole = bytes >> exp;
	std::uint64_t rest = exp ? bytes & ((std::uint64_t{1} << exp) - 1) : 0;
	// One decimal, rounded 4/5 from the first three, as util-linux; 9.96K becomes 10K.
	std::uint64_t tenths = 0;
	if (rest) {
		unsigned __int128 thousandths = (unsigned __int128)rest * 1000 >> exp;
		tenths = (static_cast<std::uint64_t>(thousandths) + 50) / 100;
		if (tenths == 10) {
			whole++;
			tenths = 0;
		}
	}
	std::string out = std::to_string(whole);
	if (tenths)
		out += "." + std::to_string(tenths);
	return out + letters[exp / 10];
}

std::uint64_t parse_size(std::string_view text)
{
	const Error invalid("invalid size", EINVAL), range("size out of range", ERANGE);
	const std::string s(text); // strtoull() needs the terminating NUL
	const char *p = s.c_str();
	while (std::isspace((unsigned char)*p))
		p++;
	if (*p == '-') // strtoull() would wrap it
		throw invalid;
	errno = 0;
	char *end;
	unsigned long long whole = std::strtoull(p, &end, 0);
	if (end == p)
		throw invalid;
	if (errno == ERANGE)
		throw range;
	p = end;

	// A fraction, kept as digits / 10^n; the digits past 10^18 cannot change a byte count.
	std::uint64_t frac = 0, frac_div = 1;
	if (*p == '.') {
		for (p++; std::isdigit((unsigned char)*p); p++) {
			if (frac_div > UINT64_MAX / 100)
				continue;
			frac = frac * 10 + static_cast<std::uint64_t>(*p - '0');
			frac_div *= 10;
		}
		if (frac && !*p) // "1.5": a fraction of a byte
			throw invalid;
	}
	if (!*p)
		return whole;

	static constexpr std::string_view units = "KMGTPEZY";
	auto unit = units.find(static_cast<char>(std::toupper((unsigned char)*p)));
	if (unit == units.npos)
		throw invalid;
	const char *tail = p + 1;
	std::uint64_t base = 1024;
	if (tail[0] == 'i' && (tail[1] == 'B' || tail[1] == 'b') && !tail[2])
		base = 1024;
	else if ((tail[0] == 'B' || tail[0] == 'b') && !tail[1])
		base = 1000;
	else if (*tail)
		throw invalid;

	std::uint64_t mult = 1;
	for (std::size_t i = 0; i <= unit; i++) {
		if (mult > UINT64_MAX / base)
			throw range;
		mult *= base;
	}
	if (whole > UINT64_MAX / mult)
		throw range;
	std::uint64_t bytes = whole * mult;
	const auto part =
		static_cast<std::uint64_t>((unsigned __int128)frac * mult / frac_div);
	if (bytes > UINT64_MAX - part)
		throw range;
	return bytes + part;
}

namespace {

std::optional<double> comp_ratio(const DeviceStats &d)
{
	if (!d.mem_used_total) // nothing stored: no ratio, rather than a division by zero
		return std::nullopt;
	return static_cast<double>(d.orig_data_size) / static_cast<double>(d.mem_used_total);
}

} // namespace

std::string cell(const DeviceStats &d, Column c, const Format &f)
{
	auto size = [&](std::uint64_t v) { return f.bytes ? std::to_string(v) : human_size(v); };
	switch (c) {
	case Column::Name: return d.name;
	case Column::Disksize: return size(d.disksize);
	case Column::Data: return size(d.orig_data_size);
	case Column::Compr: return size(d.compr_data_size);
	case Column::Algorithm: return d.algorithm;
	case Column::Streams: return std::to_string(d.streams);
	case Column::ZeroPages: return std::to_string(d.same_pages);
	case Column::Total: return size(d.mem_used_total);
	case Column::MemLimit: return size(d.mem_limit);
	case Column::MemUsed: return size(d.mem_used_max);
	case Column::Migrated: return std::to_string(d.pages_compacted);
	case Column::CompRatio: {
		auto r = comp_ratio(d);
		if (!r)
			return "";
		char buf[32];
		std::snprintf(buf, sizeof(buf), "%.4f", *r);
		return buf;
	}
	case Column::Mountpoint: return d.mountpoint;
	case Column::TagTotal: return std::to_string(d.tag_pages);
	case Column::TagServing: return std::to_string(d.tag_serving);
	case Column::TagPool: return std::to_string(d.tag_used);
	case Column::TagFree: return std::to_string(d.tag_empty);
	case Column::Evictions: return std::to_string(d.evictions);
	case Column::Overflow: return size(d.overflow_bytes);
	}
	return "";
}

namespace {

struct TableUnref {
	void operator()(libscols_table *tb) const { scols_unref_table(tb); }
};
using Table = std::unique_ptr<libscols_table, TableUnref>;

bool json_number(Kind kind, const Format &f)
{
	switch (kind) {
	case Kind::Number:
	case Kind::Ratio: return true;
	case Kind::Size: return f.bytes; // "1G" otherwise, a string
	case Kind::Text: return false;
	}
	return false;
}

// Print @tb as scols_print_table() prints it to stdout, trailing newline included.
std::string print_to_string(libscols_table *tb)
{
	char *buf = nullptr;
	std::size_t len = 0;
	FILE *stream = open_memstream(&buf, &len);
	if (!stream)
		throw errno_error("failed to allocate output", errno);
	scols_table_set_stream(tb, stream);
	int rc = scols_print_table(tb);
	scols_table_set_stream(tb, stdout); // the table must not outlive its stream
	std::fclose(stream);
	std::string out(buf ? buf : "", buf ? len : 0);
	std::free(buf);
	if (rc)
		throw errno_error("failed to print the table", -rc);
	return out;
}

} // namespace

std::string render(const std::vector<DeviceStats> &devs, const std::vector<Column> &cols,
		   const Format &f)
{
	scols_init_debug(0);
	Table tb(scols_new_table());
	if (!tb)
		throw errno_error("failed to allocate output table", ENOMEM);
	scols_table_enable_raw(tb.get(), f.raw);
	scols_table_enable_noheadings(tb.get(), f.noheadings);
	scols_table_enable_json(tb.get(), f.json);
	scols_table_set_name(tb.get(), "mtetagdevices"); // JSON: {"mtetagdevices": [...]}
	scols_table_set_termforce(tb.get(),
				  f.fit_terminal ? SCOLS_TERMFORCE_AUTO : SCOLS_TERMFORCE_NEVER);
	for (Column c : cols) {
		const ColumnInfo &ci = info(c);
		int flags = 0;
		if (ci.right)
			flags |= SCOLS_FL_RIGHT;
		if (ci.truncate)
			flags |= SCOLS_FL_TRUNC;
		libscols_column *cl = scols_table_new_column(tb.get(), std::string(ci.name).c_str(),
							     ci.width_hint, flags);
		if (!cl)
			throw errno_error("failed to initialize output column", ENOMEM);
		if (json_number(ci.kind, f))
			scols_column_set_json_type(cl, SCOLS_JSON_NUMBER);
	}
	for (const auto &d : devs) {
		libscols_line *ln = scols_table_new_line(tb.get(), nullptr);
		if (!ln)
			throw errno_error("failed to allocate output line", ENOMEM);
		for (std::size_t i = 0; i < cols.size(); i++) {
			std::string text = cell(d, cols[i], f);
			// An empty cell stays unset: blank in a table, null in JSON.
			if (!text.empty() && scols_line_set_data(ln, i, text.c_str()))
				throw errno_error("failed to add output data", ENOMEM);
		}
	}
	return print_to_string(tb.get());
}

std::string device_name(std::string_view arg)
{
	if (arg.rfind("/dev/", 0) == 0)
		arg.remove_prefix(5);
	if (!device_id(arg))
		throw Error(std::string(arg) + ": not an mtetag device");
	return std::string(arg);
}

namespace {

// One step of a set-up, named on failure as zramctl names it ("failed to set algorithm").
void set_attribute(const Sysfs &fs, const std::string &name, const char *attr,
		   const std::string &value, const std::string &failure)
{
	try {
		fs.write(kBlock / name / attr, value);
	} catch (const Error &e) {
		throw Error("/dev/" + name + ": " + failure + ": " + reason(e), e.errnum);
	}
}

// A device with a disksize holds, or may hold, someone's data (zramctl's zram_used()).
bool in_use(const Sysfs &fs, const std::string &name)
{
	try {
		return at(numbers(fs.read(kBlock / name / "disksize")), 0) != 0;
	} catch (const Error &) {
		return false;
	}
}

} // namespace

void setup_device(const Sysfs &fs, const std::string &name, const Setup &setup)
{
	if (!fs.exists(kBlock / name))
		throw errno_error("/dev/" + name, ENODEV);
	// disksize and comp_algorithm are refused (EBUSY) while initialised: start afresh.
	set_attribute(fs, name, "reset", "1", "failed to reset");
	if (setup.streams)
		set_attribute(fs, name, "max_comp_streams", std::to_string(setup.streams),
			      "failed to set number of streams");
	if (setup.algorithm)
		set_attribute(fs, name, "comp_algorithm", *setup.algorithm,
			      "failed to set algorithm");
	// After the algorithm: a kernel finds "algo=NAME" among the algorithms chosen.
	if (setup.algorithm_params)
		set_attribute(fs, name, "algorithm_params", *setup.algorithm_params,
			      "failed to set algorithm parameters");
	set_attribute(fs, name, "disksize", std::to_string(setup.size),
		      "failed to set disksize (" + std::to_string(setup.size) + " bytes)");
}

std::string find_free_device(const Sysfs &fs)
{
	for (unsigned id = 0;; id++) {
		std::string name = "mtetag" + std::to_string(id);
		if (fs.exists(kBlock / name)) {
			if (!in_use(fs, name))
				return name;
			continue;
		}
		// Past the last device: every read of hot_add creates one and answers its id.
		try {
			auto added = numbers(fs.read(kControl / "hot_add"));
			if (!added.empty())
				return "mtetag" + std::to_string(added[0]);
		} catch (const Error &) {
			// No control interface, or no memory for a device: none to be had.
		}
		throw Error("no free mtetag device found", ENODEV);
	}
}

void reset_device(const Sysfs &fs, const std::string &name)
{
	const auto id = device_id(name);
	if (!id)
		throw Error(name + ": not an mtetag device");
	std::optional<Error> failed;
	if (!fs.exists(kBlock / name)) {
		failed = Error(std::strerror(ENODEV), ENODEV);
	} else {
		try {
			fs.write(kBlock / name / "reset", "1");
		} catch (const Error &e) {
			failed = e;
		}
		// As zramctl, even after a failed reset; the driver refuses (EBUSY) one in use.
		try {
			fs.write(kControl / "hot_remove", std::to_string(*id));
		} catch (const Error &) {
		}
	}
	if (failed)
		throw Error("/dev/" + name + ": failed to reset: " + reason(*failed),
			    failed->errnum);
}

std::string render_map(const Sysfs &fs, unsigned width)
{
	std::string raw = fs.read("sys/kernel/debug/mtetag/block_map");
	std::string cells;
	std::istringstream in(raw);
	std::string index, chars;
	while (in >> index >> chars)
		cells += chars;
	std::map<char, std::size_t> count;
	for (char c : cells)
		count[c]++;
	std::string out = "carve-out: " + std::to_string(cells.size()) +
			  " tag pages  T serving tags " + std::to_string(count['T']) +
			  "  P packed data " + std::to_string(count['P']) + "  H raw page " +
			  std::to_string(count['H']) + "  . free " + std::to_string(count['.']) + "\n";
	if (!width)
		width = 64;
	// Each character of the map stands for a run of pages; the state that most needs to be
	// seen wins: T (tags) over H over P over free.
	std::size_t per = (cells.size() + width * 16 - 1) / (width * 16);
	per = std::max<std::size_t>(per, 1);
	auto rank = [](char c) { return c == 'T' ? 3 : c == 'H' ? 2 : c == 'P' ? 1 : 0; };
	std::string line;
	for (std::size_t i = 0; i < cells.size(); i += per) {
		char best = '.';
		for (std::size_t j = i; j < std::min(cells.size(), i + per); j++)
			if (rank(cells[j]) > rank(best))
				best = cells[j];
		line += best;
		if (line.size() == width) {
			out += line + "\n";
			line.clear();
		}
	}
	if (!line.empty())
		out += line + "\n";
	if (per > 1)
		out += "(one character per " + std::to_string(per) + " tag pages)\n";
	return out;
}

namespace {

enum : int { OPT_RAW = CHAR_MAX + 1, OPT_OUTPUT_ALL };

const option kLongOptions[] = {
	{"algorithm", required_argument, nullptr, 'a'},
	{"algorithm-params", required_argument, nullptr, 'p'},
	{"bytes", no_argument, nullptr, 'b'},
	{"find", no_argument, nullptr, 'f'},
	{"help", no_argument, nullptr, 'h'},
	{"json", no_argument, nullptr, 'J'},
	{"output", required_argument, nullptr, 'o'},
	{"output-all", no_argument, nullptr, OPT_OUTPUT_ALL},
	{"noheadings", no_argument, nullptr, 'n'},
	{"reset", no_argument, nullptr, 'r'},
	{"raw", no_argument, nullptr, OPT_RAW},
	{"size", required_argument, nullptr, 's'},
	{"streams", required_argument, nullptr, 't'},
	{"version", no_argument, nullptr, 'V'},
	{nullptr, 0, nullptr, 0},
};
// Leading ':' so that a missing argument is told from an unknown option.
constexpr const char *kShortOptions = ":a:bfhJno:p:rs:t:V";

// zramctl's exclusions: within a group, one option at most (repeating it is fine).
constexpr std::array<std::array<int, 3>, 2> kExclusive = {{{'f', 'o', 'r'}, {'o', 'r', 's'}}};

std::string long_name(int c)
{
	for (const option *o = kLongOptions; o->name; o++)
		if (o->val == c)
			return std::string("--") + o->name;
	return std::string("-") + static_cast<char>(c);
}

void usage(std::ostream &out)
{
	out << "\nUsage:\n"
	       " mtetagctl [options] <device>\n"
	       " mtetagctl -r <device> [...]\n"
	       " mtetagctl [options] -f | <device> -s <size>\n"
	       " mtetagctl map [-w <width>]\n"
	       "\nSet up and control mtetag devices: compressed swap in the idle MTE tag "
	       "carve-out.\n"
	       "\nOptions:\n"
	       " -a, --algorithm <alg>     compression algorithm to use\n"
	       " -b, --bytes               print sizes in bytes rather than in human readable "
	       "format\n"
	       " -f, --find                find a free device\n"
	       " -J, --json                use JSON output format\n"
	       " -n, --noheadings          don't print headings\n"
	       " -o, --output <list>       columns to use for status output\n"
	       "     --output-all          output all columns\n"
	       " -p, --algorithm-params <params>\n"
	       "                           algorithm parameters to use\n"
	       "     --raw                 use raw status output format\n"
	       " -r, --reset               reset all specified devices\n"
	       " -s, --size <size>         device size\n"
	       " -t, --streams <number>    number of compression streams\n"
	       "\n -h, --help                display this help\n"
	       " -V, --version             display version\n"
	       "\nArguments:\n"
	       " <size> arguments may be followed by the suffixes for\n"
	       "   GiB, TiB, PiB, EiB, ZiB, and YiB (the \"iB\" is optional)\n"
	       "\n <alg> specify algorithm, supported are:\n"
	       "   lzo, lzo-rle, lz4, lz4hc, deflate, 842 and zstd\n"
	       "   (the kernel's choice: cat /sys/block/mtetag0/comp_algorithm)\n"
	       "\n <params> algorithm parameters, e.g. \"level=9\" or \"algo=zstd level=9\"\n"
	       "\nAvailable output columns:\n";
	for (const auto &ci : kColumns) {
		std::string name(ci.name);
		out << " " << std::string(name.size() < 11 ? 11 - name.size() : 0, ' ') << name
		    << "  " << ci.help << "\n";
	}
	out << "\nFor more details see mtetagctl(8).\n";
}

int fail(std::ostream &err, const std::string &msg)
{
	err << kProgram << ": " << msg << "\n";
	return 1;
}

// zramctl's errtryhelp().
int try_help(std::ostream &err)
{
	err << "Try '" << kProgram << " --help' for more information.\n";
	return 1;
}

// "--raw=1" for an option that takes no argument: getopt then reports the option's value.
bool argument_not_allowed(std::string_view given, const option *longopts)
{
	auto eq = given.find('=');
	if (given.rfind("--", 0) != 0 || eq == given.npos)
		return false;
	const std::string_view name = given.substr(2, eq - 2); // maybe abbreviated
	for (const option *o = longopts; o->name; o++)
		if (o->val == optopt && o->has_arg == no_argument &&
		    std::string_view(o->name).rfind(name, 0) == 0)
			return true;
	return false;
}

// getopt's own complaint, which opterr = 0 keeps for us to print on @err.
int bad_option(int c, int argc, char **argv, const option *longopts, std::ostream &err)
{
	// The element getopt was in: optind has moved past it, except inside "-abc" clusters,
	// where only optopt is used.
	const std::string given = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	std::string msg;
	if (c == ':' && given.rfind("--", 0) == 0)
		msg = "option '" + given + "' requires an argument";
	else if (c == ':')
		msg = std::string("option requires an argument -- '") + static_cast<char>(optopt) +
		      "'";
	else if (!optopt)
		msg = "unrecognized option '" + given + "'";
	else if (argument_not_allowed(given, longopts))
		msg = "option '" + given.substr(0, given.find('=')) + "' doesn't allow an argument";
	else
		msg = std::string("invalid option -- '") + static_cast<char>(optopt) + "'";
	fail(err, msg);
	return try_help(err);
}

// zramctl's strtou64_or_err() for --streams.
std::optional<std::uint64_t> parse_u64(const char *text)
{
	if (!std::isdigit((unsigned char)*text))
		return std::nullopt;
	errno = 0;
	char *end;
	unsigned long long v = std::strtoull(text, &end, 10);
	if (*end || errno == ERANGE)
		return std::nullopt;
	return v;
}

ParseResult exit_with(int status)
{
	return ParseResult{std::nullopt, status};
}

ParseResult parse_map_args(int argc, char **argv, std::ostream &out, std::ostream &err)
{
	static const option longopts[] = {
		{"width", required_argument, nullptr, 'w'},
		{"help", no_argument, nullptr, 'h'},
		{nullptr, 0, nullptr, 0},
	};
	Options o;
	o.action = Action::Map;
	optind = 0;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, ":w:h", longopts, nullptr)) != -1) {
		switch (c) {
		case 'w': {
			auto w = parse_u64(optarg);
			if (!w || *w < 8 || *w > 512) {
				const std::string msg = "map width must be 8 to 512: '";
				return exit_with(fail(err, msg + optarg + "'"));
			}
			o.map_width = static_cast<unsigned>(*w);
			break;
		}
		case 'h':
			out << "\nUsage:\n mtetagctl map [-w <width>]\n"
			       "\nDraw the carve-out: T serves tags, P holds packed data,"
			       " H a raw page, . free.\n"
			       "\nOptions:\n"
			       " -w, --width <n>   characters per line (8 to 512, default 64)\n";
			return exit_with(0);
		default:
			return exit_with(bad_option(c, argc, argv, longopts, err));
		}
	}
	if (optind < argc)
		return exit_with(fail(err, std::string("map takes no device: '") + argv[optind] +
						   "'"));
	return ParseResult{o, 0};
}

} // namespace

ParseResult parse_args(int argc, char **argv, std::uint64_t page_size, std::ostream &out,
		       std::ostream &err)
{
	if (argc > 1 && std::string_view(argv[1]) == "map")
		return parse_map_args(argc - 1, argv + 1, out, err);

	page_size = std::max<std::uint64_t>(page_size, 1);
	Options o;
	std::optional<Action> action;
	bool output_all = false;
	std::optional<std::string> output;
	std::array<int, kExclusive.size()> exclusive_seen{};

	optind = 0; // glibc: start afresh, so that parse_args() can run again (tests)
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, kShortOptions, kLongOptions, nullptr)) != -1) {
		for (std::size_t g = 0; g < kExclusive.size(); g++) {
			const auto &group = kExclusive[g];
			if (std::find(group.begin(), group.end(), c) == group.end())
				continue;
			if (!exclusive_seen[g]) {
				exclusive_seen[g] = c;
			} else if (exclusive_seen[g] != c) {
				std::string msg = "mutually exclusive arguments:";
				for (int member : group)
					msg += " " + long_name(member);
				return exit_with(fail(err, msg));
			}
		}
		switch (c) {
		case 'a':
			o.setup.algorithm = optarg;
			break;
		case 'p':
			o.setup.algorithm_params = optarg;
			break;
		case 'b':
			o.format.bytes = true;
			break;
		case 'f':
			o.find = true;
			break;
		case 'o':
			output = optarg;
			break;
		case OPT_OUTPUT_ALL:
			output_all = true;
			break;
		case 's':
			try {
				std::uint64_t size = parse_size(optarg);
				// The kernel would round up too; doing it here shows the size set.
				if (size > UINT64_MAX - (page_size - 1))
					throw Error("size out of range", ERANGE);
				o.setup.size = (size + page_size - 1) / page_size * page_size;
			} catch (const Error &e) {
				return exit_with(fail(err, std::string("failed to parse size: '") +
								   optarg + "': " + reason(e)));
			}
			action = Action::Create;
			break;
		case 't':
			if (auto n = parse_u64(optarg)) {
				o.setup.streams = *n;
			} else {
				const std::string msg = "failed to parse streams: '";
				return exit_with(fail(err, msg + optarg + "'"));
			}
			break;
		case 'r':
			action = Action::Reset;
			break;
		case OPT_RAW:
			o.format.raw = true;
			break;
		case 'n':
			o.format.noheadings = true;
			break;
		case 'J':
			o.format.json = true;
			break;
		case 'V':
			out << kVersion << "\n";
			return exit_with(0);
		case 'h':
			usage(out);
			return exit_with(0);
		default:
			return exit_with(bad_option(c, argc, argv, kLongOptions, err));
		}
	}
	for (int i = optind; i < argc; i++)
		o.devices.emplace_back(argv[i]);

	if (o.find && !o.devices.empty())
		return exit_with(fail(err, "option --find is mutually exclusive with <device>"));
	o.action = action.value_or(o.find ? Action::FindOnly : Action::Status);
	if (o.action != Action::Reset && o.devices.size() > 1)
		return exit_with(fail(err, "only one <device> at a time is allowed"));
	if ((o.action == Action::Status || o.action == Action::FindOnly) &&
	    (o.setup.algorithm || o.setup.algorithm_params || o.setup.streams))
		return exit_with(fail(err, "options --algorithm, --algorithm-params and --streams "
					   "must be combined with --size"));
	if ((o.action == Action::Reset || (o.action == Action::Create && !o.find)) &&
	    o.devices.empty())
		return exit_with(fail(err, "no device specified"));
	if (o.action == Action::Status) {
		o.columns = output_all ? all_columns() : default_columns();
		if (output) {
			try {
				o.columns = parse_columns(*output, o.columns);
			} catch (const std::invalid_argument &e) {
				return exit_with(fail(err, e.what()));
			}
		}
	}
	return ParseResult{o, 0};
}

namespace {

int show_status(const Context &ctx, const Options &o)
{
	std::vector<std::string> names;
	if (!o.devices.empty()) {
		// A named device is shown whether set up or not, as zramctl does.
		std::string name = device_name(o.devices.front());
		if (!ctx.fs.exists(kBlock / name))
			throw errno_error("/dev/" + name, ENODEV);
		names.push_back(name);
	} else {
		for (const auto &n : ctx.fs.devices())
			if (in_use(ctx.fs, n))
				names.push_back(n);
	}
	int rc = 0;
	std::vector<DeviceStats> stats;
	for (const auto &n : names) {
		try {
			stats.push_back(read_device(ctx.fs, n));
		} catch (const Error &e) {
			rc = fail(ctx.err, e.what());
		}
	}
	Format f = o.format;
	f.fit_terminal = ctx.fit_terminal;
	ctx.out << render(stats, o.columns, f);
	return rc;
}

int reset_all(const Context &ctx, const std::vector<std::string> &devices)
{
	int rc = 0;
	for (const auto &arg : devices) {
		try {
			reset_device(ctx.fs, device_name(arg));
		} catch (const Error &e) {
			rc = fail(ctx.err, e.what()); // the others are still reset
		}
	}
	return rc;
}

int create(const Context &ctx, const Options &o)
{
	std::string name = o.find ? find_free_device(ctx.fs) : device_name(o.devices.front());
	setup_device(ctx.fs, name, o.setup);
	if (o.find) // the caller needs the name of the device it got
		ctx.out << "/dev/" << name << "\n";
	return 0;
}

} // namespace

int run(int argc, char **argv, const Context &ctx)
{
	ParseResult parsed = parse_args(argc, argv, ctx.page_size, ctx.out, ctx.err);
	if (!parsed.options)
		return parsed.status;
	const Options &o = *parsed.options;
	try {
		switch (o.action) {
		case Action::Status:
			return show_status(ctx, o);
		case Action::Create:
			return create(ctx, o);
		case Action::FindOnly:
			ctx.out << "/dev/" << find_free_device(ctx.fs) << "\n";
			return 0;
		case Action::Reset:
			return reset_all(ctx, o.devices);
		case Action::Map:
			ctx.out << render_map(ctx.fs, o.map_width);
			return 0;
		}
	} catch (const std::exception &e) {
		return fail(ctx.err, e.what());
	}
	return 1;
}

} // namespace mtetagctl
