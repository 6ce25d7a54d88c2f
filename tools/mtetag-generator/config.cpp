// SPDX-License-Identifier: GPL-2.0
// The configuration as zram-generator reads its own: the same files (with "mtetag" for
// "zram"), the same precedence, keys, defaults and size expressions.
#include "generator.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace fs = std::filesystem;

namespace mtetag_generator {

namespace {

constexpr std::array<std::string_view, 4> kConfigDirs = {"usr/lib", "usr/local/lib", "etc",
							 "run"};
constexpr std::string_view kMainFile = "systemd/mtetag-generator.conf";
constexpr std::string_view kDropinDir = "systemd/mtetag-generator.conf.d";
constexpr std::string_view kDefaultSize = "min(ram / 2, 4096)";
constexpr std::string_view kKernelOption = "systemd.mtetag";
// The primary and three recompression algorithms: the driver's priorities 0 to 3, as zram's.
constexpr std::size_t kMaxAlgorithms = 4;
constexpr double kMiB = 1024.0 * 1024.0;

std::string trim(std::string_view s)
{
	const auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)); };
	while (!s.empty() && space(s.front()))
		s.remove_prefix(1);
	while (!s.empty() && space(s.back()))
		s.remove_suffix(1);
	return std::string(s);
}

// A value in matching quotes stands for what is inside them, as in rust-ini.
std::string unquote(const std::string &value)
{
	if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
	    value.back() == value.front())
		return value.substr(1, value.size() - 2);
	return value;
}

std::string read_file(const fs::path &path)
{
	std::ifstream in(path);
	if (!in)
		throw Error(path.string() + ": " + std::strerror(errno), errno);
	std::ostringstream text;
	text << in.rdbuf();
	return text.str();
}

template <typename T> std::optional<T> parse_number(std::string_view text)
{
	T value{};
	auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
	if (ec != std::errc() || end != text.data() + text.size())
		return std::nullopt;
	return value;
}

// host-memory-limit and max-zram-size: MiB, or "none" for no limit.
std::optional<std::uint64_t> parse_optional_mib(const std::string &value)
{
	if (value == "none")
		return std::nullopt;
	if (auto mib = parse_number<std::uint64_t>(value))
		return mib;
	throw Error("\"" + value + "\" is neither a number of MiB nor \"none\"");
}

// swap-priority: swapon(8)'s range.
int parse_priority(const std::string &value)
{
	auto prio = parse_number<int>(value);
	if (!prio || *prio < -1 || *prio > 32767)
		throw Error("\"" + value + "\" is not a priority from -1 to 32767");
	return *prio;
}

double parse_fraction(const std::string &value)
{
	auto fraction = parse_number<double>(value);
	if (!fraction || !std::isfinite(*fraction) || *fraction < 0)
		throw Error("\"" + value + "\" is not a non-negative number");
	return *fraction;
}

// mount-point and writeback-device: absolute, without "..", with "//" and "/./" folded.
std::string normalise_path(const std::string &value)
{
	if (value.empty() || value.front() != '/')
		throw Error(value + " is not absolute");
	std::string out;
	std::istringstream parts(value);
	for (std::string part; std::getline(parts, part, '/');) {
		if (part == "..")
			throw Error(value + " is not normalised");
		if (!part.empty() && part != ".")
			out += "/" + part;
	}
	return out.empty() ? "/" : out;
}

// fs-type becomes "mkfs.TYPE": a plain word, never a path.
std::string parse_fs_type(const std::string &value)
{
	const bool plain = !value.empty() && std::all_of(value.begin(), value.end(), [](char c) {
		return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
		       c == '-';
	});
	if (!plain)
		throw Error("\"" + value + "\" is not a file system type");
	return value;
}

Device new_device(unsigned id)
{
	Device dev;
	dev.id = id;
	dev.name = "mtetag" + std::to_string(id);
	return dev;
}

void set_key(Device &dev, const std::string &key, const std::string &value,
	     const std::string &where, Config &config)
{
	try {
		// memory-limit is zram-generator's old name of host-memory-limit.
		if (key == "host-memory-limit" || key == "memory-limit") {
			dev.host_memory_limit_mib = parse_optional_mib(value);
		} else if (key == "zram-size") {
			dev.size.emplace(value);
		} else if (key == "zram-resident-limit") {
			dev.resident_limit.emplace(value);
		} else if (key == "compression-algorithm") {
			dev.algorithms = parse_algorithms(value);
			if (dev.algorithms.chain.size() > kMaxAlgorithms) {
				config.messages.push_back(
					where + ": " + key + ": at most " +
					std::to_string(kMaxAlgorithms - 1) +
					" recompression algorithms, ignoring the rest");
				dev.algorithms.chain.resize(kMaxAlgorithms);
			}
		} else if (key == "writeback-device") {
			dev.writeback_device = normalise_path(value);
		} else if (key == "swap-priority") {
			dev.swap_priority = parse_priority(value);
		} else if (key == "mount-point") {
			dev.mount_point = normalise_path(value);
		} else if (key == "fs-type") {
			dev.fs_type = parse_fs_type(value);
		} else if (key == "options") {
			dev.options = value;
		} else if (key == "zram-fraction") {
			dev.fraction = parse_fraction(value);
			dev.obsolete_sizing = true;
		} else if (key == "max-zram-size") {
			dev.max_size_mib = parse_optional_mib(value);
			dev.obsolete_sizing = true;
		} else {
			config.messages.push_back(where + ": unknown key " + key + ", ignoring");
		}
	} catch (const Error &e) {
		throw Error(where + ": " + key + ": " + e.what());
	}
}

// One file of systemd.syntax(7)'s ini: [sections], KEY = VALUE lines, # and ; comments.
void read_fragment(const fs::path &file, std::map<unsigned, Device> &devices, Config &config)
{
	std::istringstream in(read_file(file));
	Device *section = nullptr;
	bool in_ignored_section = false;
	std::string line;
	for (unsigned lineno = 1; std::getline(in, line); lineno++) {
		const std::string where = file.string() + ":" + std::to_string(lineno);
		const std::string text = trim(line);
		if (text.empty() || text.front() == '#' || text.front() == ';')
			continue;
		if (text.front() == '[') {
			if (text.back() != ']')
				throw Error(where + ": no ] after the section name");
			const std::string name =
				trim(std::string_view(text).substr(1, text.size() - 2));
			if (auto id = device_id(name)) {
				section = &devices.try_emplace(*id, new_device(*id)).first->second;
				in_ignored_section = false;
				continue;
			}
			std::string note = where + ": ignoring section [" + name + "]";
			if (name.starts_with("zram"))
				note += ": that is zram's device; rename it [mtetag" +
					name.substr(4) + "] to move it to mtetag";
			config.messages.push_back(note);
			section = nullptr;
			in_ignored_section = true;
			continue;
		}
		const std::size_t eq = text.find('=');
		if (eq == std::string::npos)
			throw Error(where + ": expected KEY = VALUE");
		const std::string key = trim(std::string_view(text).substr(0, eq));
		const std::string value = unquote(trim(std::string_view(text).substr(eq + 1)));
		if (section)
			set_key(*section, key, value, where, config);
		else if (!in_ignored_section)
			// zram-generator's "set!VAR = command" runs a shell at boot; not here.
			config.messages.push_back(where + ": " + key +
						  " outside a section is not supported, ignoring");
	}
}

// MemTotal in whole MiB, as zram-generator's "ram".
std::uint64_t memtotal_mib(const fs::path &meminfo)
{
	std::istringstream in(read_file(meminfo));
	std::string line;
	while (std::getline(in, line)) {
		std::istringstream fields(line);
		std::string key;
		std::uint64_t kib = 0;
		if (fields >> key >> kib && key == "MemTotal:")
			return kib / 1024;
	}
	throw Error(meminfo.string() + ": no MemTotal");
}

// An expression's MiB as bytes: a negative, infinite or NaN size is a configuration error.
std::uint64_t expression_bytes(const Device &dev, std::string_view key, const Expression &expr,
			       std::uint64_t ram_mib)
{
	const double bytes = expr.evaluate(static_cast<double>(ram_mib)) * kMiB;
	// 2^64 exactly: the first double a std::uint64_t cannot hold.
	if (!(bytes >= 0 && bytes < 18446744073709551616.0)) {
		std::ostringstream value;
		value << bytes / kMiB;
		throw Error(dev.name + ": " + std::string(key) + " = " + expr.text() + " gives " +
			    value.str() + " MiB, not a size");
	}
	return static_cast<std::uint64_t>(bytes);
}

// disksize and mem_limit against MemTotal; a device over its host-memory-limit keeps none.
void size_device(Device &dev, std::uint64_t ram_mib, Config &config)
{
	if (dev.host_memory_limit_mib && *dev.host_memory_limit_mib < ram_mib) {
		config.messages.push_back(dev.name + ": system has too much memory (" +
					  std::to_string(ram_mib) + " MiB), limit is " +
					  std::to_string(*dev.host_memory_limit_mib) +
					  " MiB, ignoring");
		return;
	}
	if (dev.obsolete_sizing) {
		auto mib = static_cast<std::uint64_t>(dev.fraction * static_cast<double>(ram_mib));
		if (dev.max_size_mib)
			mib = std::min(mib, *dev.max_size_mib);
		dev.disksize = mib << 20;
	} else {
		dev.disksize = expression_bytes(dev, "zram-size",
						dev.size ? *dev.size : Expression(kDefaultSize),
						ram_mib);
	}
	if (dev.resident_limit)
		dev.mem_limit = expression_bytes(dev, "zram-resident-limit", *dev.resident_limit,
						 ram_mib);
}

} // namespace

bool Device::is_swap() const
{
	return !mount_point && (!fs_type || *fs_type == "swap");
}

std::string Device::effective_fs_type() const
{
	if (fs_type)
		return *fs_type;
	return is_swap() ? "swap" : "ext2";
}

Algorithms parse_algorithms(std::string_view value)
{
	Algorithms algorithms;
	std::istringstream words{std::string(value)};
	for (std::string word; words >> word;) {
		const std::size_t paren = word.find('(');
		std::string name = word.substr(0, paren);
		std::string params;
		if (paren != std::string::npos) {
			params = word.substr(paren + 1);
			if (!params.empty() && params.back() == ')')
				params.pop_back();
			// zram-generator's separator in the parentheses; the kernel's is a space.
			std::replace(params.begin(), params.end(), ',', ' ');
		}
		if (name.empty())
			algorithms.recompress = params;
		else
			algorithms.chain.push_back({std::move(name), std::move(params)});
	}
	return algorithms;
}

std::optional<unsigned> device_id(std::string_view name)
{
	constexpr std::string_view prefix = "mtetag";
	if (!name.starts_with(prefix))
		return std::nullopt;
	const std::string_view digits = name.substr(prefix.size());
	if (digits.empty() || (digits.size() > 1 && digits.front() == '0'))
		return std::nullopt;
	return parse_number<unsigned>(digits);
}

std::optional<bool> kernel_option(std::string_view cmdline)
{
	std::optional<bool> enabled;
	std::istringstream words{std::string(cmdline)};
	for (std::string word; words >> word;) {
		if (!word.starts_with(kKernelOption))
			continue;
		const std::string value = word.substr(kKernelOption.size());
		if (value.empty() || value == "=1" || value == "=yes" || value == "=true" ||
		    value == "=on")
			enabled = true;
		else if (value == "=0" || value == "=no" || value == "=false" || value == "=off")
			enabled = false;
	}
	return enabled;
}

std::vector<fs::path> config_files(const fs::path &root)
{
	std::vector<fs::path> files;
	for (auto dir = kConfigDirs.rbegin(); dir != kConfigDirs.rend(); ++dir) {
		const fs::path main = root / *dir / kMainFile;
		if (fs::exists(main)) {
			files.push_back(main);
			break;
		}
	}
	std::map<std::string, fs::path> dropins; // by file name: the order they are read in
	for (std::string_view dir : kConfigDirs) {
		std::error_code ec;
		for (const auto &entry : fs::directory_iterator(root / dir / kDropinDir, ec)) {
			if (entry.path().extension() == ".conf" && !entry.is_directory())
				dropins[entry.path().filename().string()] = entry.path();
		}
	}
	for (const auto &dropin : dropins) {
		const fs::path &path = dropin.second;
		std::error_code ec;
		if (!(fs::is_symlink(path, ec) && fs::read_symlink(path, ec) == "/dev/null"))
			files.push_back(path);
	}
	return files;
}

Config read_config(const fs::path &root)
{
	Config config;
	const fs::path cmdline = root / "proc/cmdline";
	// Two flags rather than an optional: GCC 12 warns of a maybe-uninitialized optional<bool>.
	bool disabled = false, forced = false;
	if (fs::exists(cmdline)) {
		if (const std::optional<bool> kernel = kernel_option(read_file(cmdline))) {
			disabled = !*kernel;
			forced = *kernel;
		}
	}
	if (disabled) {
		config.messages.push_back(
			"disabled by systemd.mtetag=0 on the kernel command line");
		return config;
	}
	const std::uint64_t ram_mib = memtotal_mib(root / "proc/meminfo");
	std::map<unsigned, Device> devices;
	for (const fs::path &file : config_files(root))
		read_fragment(file, devices, config);
	// systemd.mtetag=1 asks for mtetag0 even when no file configures it.
	if (forced)
		devices.try_emplace(0, new_device(0));
	for (auto &entry : devices) {
		Device &dev = entry.second;
		size_device(dev, ram_mib, config);
		if (dev.disksize)
			config.devices.push_back(std::move(dev));
	}
	return config;
}

} // namespace mtetag_generator
