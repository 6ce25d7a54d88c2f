// SPDX-License-Identifier: GPL-2.0
#include "mtetagctl.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;

namespace mtetagctl {

const ColumnInfo &info(Column c)
{
	return kColumns[static_cast<std::size_t>(c)];
}

std::optional<Column> parse_column(std::string_view name)
{
	for (const auto &ci : kColumns) {
		if (ci.name.size() == name.size() &&
		    std::equal(name.begin(), name.end(), ci.name.begin(),
			       [](char a, char b) { return std::toupper(a) == b; }))
			return ci.id;
	}
	return std::nullopt;
}

std::vector<Column> default_columns()
{
	std::vector<Column> out;
	for (const auto &ci : kColumns)
		if (ci.shown_by_default)
			out.push_back(ci.id);
	return out;
}

std::vector<Column> all_columns()
{
	std::vector<Column> out;
	for (const auto &ci : kColumns)
		out.push_back(ci.id);
	return out;
}

std::vector<Column> parse_columns(std::string_view list)
{
	std::vector<Column> out;
	if (!list.empty() && list.front() == '+') {
		out = default_columns();
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
	std::ifstream in(root_ / rel);
	if (!in)
		throw Error((root_ / rel).string() + ": " + std::strerror(errno));
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

void Sysfs::write(const fs::path &rel, std::string_view value) const
{
	std::ofstream out(root_ / rel);
	if (out)
		out << value << std::flush;
	if (!out)
		throw Error((root_ / rel).string() + ": " + std::strerror(errno));
}

bool Sysfs::exists(const fs::path &rel) const
{
	std::error_code ec;
	return fs::exists(root_ / rel, ec);
}

std::vector<std::string> Sysfs::devices() const
{
	std::vector<std::pair<int, std::string>> found;
	std::error_code ec;
	for (const auto &e : fs::directory_iterator(root_ / "sys/block", ec)) {
		std::string n = e.path().filename().string();
		if (n.rfind("mtetag", 0) == 0 && n.size() > 6 &&
		    std::all_of(n.begin() + 6, n.end(), ::isdigit))
			found.emplace_back(std::stoi(n.substr(6)), n);
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

// The bracketed entry of "lzo-rle [lz4] zstd".
std::string current_algorithm(const std::string &text)
{
	auto open = text.find('['), close = text.find(']');
	return open == text.npos || close == text.npos ? "" : text.substr(open + 1, close - open - 1);
}

unsigned count_cpus(const Sysfs &fs)
{
	// "0-3" or "0,2-5": the CPUs that may run a per-CPU stream.
	std::string text;
	try {
		text = fs.read("sys/devices/system/cpu/possible");
	} catch (const Error &) {
		return 0;
	}
	unsigned n = 0;
	std::istringstream in(text);
	std::string part;
	while (std::getline(in, part, ',')) {
		auto dash = part.find('-');
		if (dash == part.npos)
			n += 1;
		else
			n += std::stoul(part.substr(dash + 1)) - std::stoul(part.substr(0, dash)) + 1;
	}
	return n;
}

std::string mountpoint_of(const Sysfs &fs, const std::string &name)
{
	const std::string dev = "/dev/" + name;
	try {
		std::istringstream swaps(fs.read("proc/swaps"));
		std::string line;
		while (std::getline(swaps, line))
			if (line.rfind(dev + " ", 0) == 0 || line.rfind(dev + "\t", 0) == 0)
				return "[SWAP]";
		std::istringstream mounts(fs.read("proc/self/mounts"));
		while (std::getline(mounts, line)) {
			std::istringstream fields(line);
			std::string source, target;
			if (fields >> source >> target && source == dev)
				return target;
		}
	} catch (const Error &) {
	}
	return "";
}

} // namespace

DeviceStats read_device(const Sysfs &fs, const std::string &name)
{
	const fs::path dir = fs::path("sys/block") / name;
	DeviceStats d;
	d.name = "/dev/" + name;
	d.disksize = at(numbers(fs.read(dir / "disksize")), 0);
	d.algorithm = current_algorithm(fs.read(dir / "comp_algorithm"));
	auto mm = numbers(fs.read(dir / "mm_stat"));
	d.orig = at(mm, 0);
	d.compr = at(mm, 1);
	d.mem_used = at(mm, 2);
	d.mem_limit = at(mm, 3);
	d.mem_used_max = at(mm, 4);
	d.same_pages = at(mm, 5);
	d.compacted = at(mm, 6);
	auto tag = named(fs.read(dir / "tag_stat"));
	d.tag_total = field(tag, "tag_pages");
	d.tag_serving = field(tag, "tag_serving");
	d.tag_pool = field(tag, "tag_used");
	d.tag_free = field(tag, "tag_empty");
	d.pool_bytes = field(tag, "pool_bytes");
	d.overflow_bytes = field(tag, "overflow_bytes");
	d.evictions = field(tag, "evictions");
	d.spare_pages = field(tag, "spare_pages");
	d.meta = field(tag, "meta_bytes");
	d.streams = count_cpus(fs);
	d.mountpoint = mountpoint_of(fs, name);
	return d;
}

std::string human_size(std::uint64_t bytes)
{
	static constexpr std::array<const char *, 6> units = {"B", "K", "M", "G", "T", "P"};
	double v = static_cast<double>(bytes);
	std::size_t u = 0;
	while (v >= 1024 && u + 1 < units.size()) {
		v /= 1024;
		u++;
	}
	char buf[32];
	if (u == 0 || v >= 10 || v == static_cast<std::uint64_t>(v))
		std::snprintf(buf, sizeof(buf), "%.0f%s", v, units[u]);
	else
		std::snprintf(buf, sizeof(buf), "%.1f%s", v, units[u]);
	return buf;
}

namespace {

std::uint64_t total_bytes(const DeviceStats &d)
{
	// The carve-out pool pages this device fills are shared; its own part is pool_bytes.
	return d.pool_bytes + d.mem_used + d.meta;
}

std::optional<double> ratio(const DeviceStats &d)
{
	if (!d.compr)
		return std::nullopt;
	return static_cast<double>(d.orig) / static_cast<double>(d.compr);
}

} // namespace

std::string cell(const DeviceStats &d, Column c, const Format &f)
{
	auto size = [&](std::uint64_t v) { return f.bytes ? std::to_string(v) : human_size(v); };
	switch (c) {
	case Column::Name: return d.name;
	case Column::Disksize: return size(d.disksize);
	case Column::Data: return size(d.orig);
	case Column::Compr: return size(d.compr);
	case Column::Algorithm: return d.algorithm;
	case Column::Streams: return std::to_string(d.streams);
	case Column::ZeroPages: return std::to_string(d.same_pages);
	case Column::Total: return size(total_bytes(d));
	case Column::MemLimit: return size(d.mem_limit);
	case Column::MemUsed: return size(d.mem_used_max);
	case Column::Migrated: return std::to_string(d.compacted);
	case Column::CompRatio: {
		auto r = ratio(d);
		if (!r)
			return "-";
		char buf[32];
		std::snprintf(buf, sizeof(buf), "%.2f", *r);
		return buf;
	}
	case Column::Mountpoint: return d.mountpoint;
	case Column::TagTotal: return std::to_string(d.tag_total);
	case Column::TagServing: return std::to_string(d.tag_serving);
	case Column::TagPool: return std::to_string(d.tag_pool);
	case Column::TagFree: return std::to_string(d.tag_free);
	case Column::Evictions: return std::to_string(d.evictions);
	case Column::Overflow: return size(d.overflow_bytes);
	}
	return "";
}

std::string render_table(const std::vector<DeviceStats> &devs, const std::vector<Column> &cols,
			 const Format &f)
{
	std::vector<std::vector<std::string>> rows;
	if (f.headings) {
		rows.emplace_back();
		for (Column c : cols)
			rows.back().emplace_back(info(c).name);
	}
	for (const auto &d : devs) {
		rows.emplace_back();
		for (Column c : cols)
			rows.back().push_back(cell(d, c, f));
	}
	std::vector<std::size_t> width(cols.size(), 0);
	for (const auto &r : rows)
		for (std::size_t i = 0; i < r.size(); i++)
			width[i] = std::max(width[i], r[i].size());
	std::string out;
	for (const auto &r : rows) {
		std::string line;
		for (std::size_t i = 0; i < r.size(); i++) {
			if (i)
				line += ' ';
			if (f.raw) {
				line += r[i];
				continue;
			}
			bool right = info(cols[i]).kind != Kind::Text;
			std::string pad(width[i] - r[i].size(), ' ');
			line += right ? pad + r[i] : (i + 1 == r.size() ? r[i] : r[i] + pad);
		}
		out += line + "\n";
	}
	return out;
}

nlohmann::json render_json(const std::vector<DeviceStats> &devs, const std::vector<Column> &cols,
			   const Format &f)
{
	nlohmann::json list = nlohmann::json::array();
	for (const auto &d : devs) {
		nlohmann::json obj = nlohmann::json::object();
		for (Column c : cols) {
			std::string key(info(c).name);
			std::transform(key.begin(), key.end(), key.begin(), ::tolower);
			std::string text = cell(d, c, f);
			switch (info(c).kind) {
			case Kind::Number:
				obj[key] = std::stoull(text);
				break;
			case Kind::Size:
				// Numbers with --bytes, human strings otherwise (as losetup does).
				if (f.bytes)
					obj[key] = std::stoull(text);
				else
					obj[key] = text;
				break;
			case Kind::Float:
				if (auto r = ratio(d))
					obj[key] = *r;
				else
					obj[key] = nullptr;
				break;
			case Kind::Text:
				if (text.empty())
					obj[key] = nullptr;
				else
					obj[key] = text;
				break;
			}
		}
		list.push_back(obj);
	}
	return nlohmann::json{{"mtetagdevices", list}};
}

std::string device_name(std::string_view arg)
{
	if (arg.rfind("/dev/", 0) == 0)
		arg.remove_prefix(5);
	if (arg.size() <= 6 || arg.substr(0, 6) != "mtetag" ||
	    !std::all_of(arg.begin() + 6, arg.end(), ::isdigit))
		throw Error(std::string(arg) + ": not an mtetag device");
	return std::string(arg);
}

void setup_device(const Sysfs &fs, const std::string &name, std::optional<std::string> algorithm,
		  std::string_view size)
{
	const fs::path dir = fs::path("sys/block") / name;
	if (!fs.exists(dir))
		throw Error("/dev/" + name + ": no such device");
	if (algorithm)
		fs.write(dir / "comp_algorithm", *algorithm);
	fs.write(dir / "disksize", size);
}

std::string find_free_device(const Sysfs &fs)
{
	for (const auto &n : fs.devices())
		if (numbers(fs.read(fs::path("sys/block") / n / "initstate")) ==
		    std::vector<std::uint64_t>{0})
			return n;
	auto id = numbers(fs.read("sys/class/mtetag-control/hot_add"));
	if (id.empty())
		throw Error("hot_add returned no device");
	return "mtetag" + std::to_string(id[0]);
}

void reset_device(const Sysfs &fs, const std::string &name)
{
	fs.write(fs::path("sys/block") / name / "reset", "1");
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

} // namespace mtetagctl
