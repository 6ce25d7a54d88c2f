// SPDX-License-Identifier: GPL-2.0
// mtetagctl: set up and inspect mtetag devices; see mtetagctl.8.
#include "mtetagctl.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace {

constexpr const char *kVersion = "mtetagctl 0.1";

std::string columns_help()
{
	std::string text = "\nAvailable output columns:\n";
	for (const auto &ci : mtetagctl::kColumns) {
		std::string name(ci.name);
		name.resize(12, ' ');
		text += " " + name + std::string(ci.help) + "\n";
	}
	return text;
}

int warn(const std::string &msg)
{
	std::cerr << "mtetagctl: " << msg << "\n";
	return 1;
}

} // namespace

int main(int argc, char **argv)
{
	using namespace mtetagctl;
	CLI::App app{"Set up and control mtetag devices: compressed swap in the idle MTE tag "
		     "carve-out."};
	app.footer(columns_help());
	std::vector<std::string> devices;
	bool find = false, reset = false, output_all = false, raw = false, bytes = false,
	     noheadings = false, json = false;
	std::string size, algorithm, output;
	unsigned map_width = 64;

	app.add_option("device", devices, "mtetag device(s), e.g. /dev/mtetag0");
	auto *o_find = app.add_flag("-f,--find", find, "find a free device (or add one)");
	auto *o_size = app.add_option("-s,--size", size, "device size (K, M, G suffixes)");
	auto *o_alg = app.add_option("-a,--algorithm", algorithm,
				     "compression algorithm: lz4, lzo-rle, lz4hc, zstd");
	auto *o_reset = app.add_flag("-r,--reset", reset, "reset the given devices");
	auto *o_out = app.add_option("-o,--output", output, "columns to print (+LIST adds)");
	auto *o_all = app.add_flag("--output-all", output_all, "print all columns");
	app.add_flag("--raw", raw, "use raw output format");
	app.add_flag("-b,--bytes", bytes, "print sizes in bytes");
	app.add_flag("-n,--noheadings", noheadings, "don't print headings");
	app.add_flag("-J,--json", json, "use JSON output format");
	app.set_version_flag("-V,--version", kVersion);
	o_reset->excludes(o_find)->excludes(o_size)->excludes(o_alg)->excludes(o_out)->excludes(o_all);
	o_out->excludes(o_all);
	o_alg->needs(o_size);
	auto *map = app.add_subcommand("map", "draw the carve-out: which tag pages serve tags");
	map->add_option("-w,--width", map_width, "characters per line")->check(CLI::Range(8, 512));
	CLI11_PARSE(app, argc, argv);

	const char *root = std::getenv("MTETAGCTL_SYSROOT"); // tests point this at a fake tree
	Sysfs fs(root ? root : "/");
	try {
		if (*map) {
			std::cout << render_map(fs, map_width);
			return 0;
		}
		if (reset) {
			if (devices.empty())
				return warn("no device specified");
			int rc = 0;
			for (const auto &d : devices) {
				try {
					reset_device(fs, device_name(d));
				} catch (const Error &e) {
					rc = warn(d + ": failed to reset: " + e.what());
				}
			}
			return rc;
		}
		if (find || !size.empty()) {
			if (find && !devices.empty())
				return warn("--find and a device name are mutually exclusive");
			if (!find && devices.size() != 1)
				return warn("--size needs exactly one device, or --find");
			std::string name = find ? find_free_device(fs) : device_name(devices[0]);
			if (!size.empty())
				setup_device(fs, name, algorithm.empty() ? std::nullopt
									 : std::optional(algorithm),
					     size);
			std::cout << "/dev/" << name << "\n";
			return 0;
		}
		std::vector<Column> cols = output_all ? all_columns()
				       : output.empty() ? default_columns()
							: parse_columns(output);
		std::vector<DeviceStats> stats;
		int rc = 0;
		std::vector<std::string> names;
		for (const auto &d : devices)
			names.push_back(device_name(d));
		if (devices.empty())
			for (const auto &n : fs.devices())
				if (read_device(fs, n).disksize)
					names.push_back(n);
		for (const auto &n : names) {
			try {
				stats.push_back(read_device(fs, n));
			} catch (const Error &e) {
				rc = warn(e.what());
			}
		}
		Format f{bytes, raw, !noheadings};
		if (json)
			std::cout << render_json(stats, cols, f).dump(3) << "\n";
		else if (!stats.empty())
			std::cout << render_table(stats, cols, f);
		return rc;
	} catch (const std::exception &e) {
		return warn(e.what());
	}
}
