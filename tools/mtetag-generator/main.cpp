// SPDX-License-Identifier: GPL-2.0
// mtetag-generator: systemd units for mtetag devices from zram-generator's configuration
// syntax, and the set-up those units run; see mtetag-generator.8.
#include "generator.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>

int main(int argc, char **argv)
{
	const char *root = std::getenv("MTETAG_GENERATOR_ROOT"); // tests: a fake root
	const char *mkswap = std::getenv("MTETAG_MKSWAP");
	const std::vector<std::string> args(argv + 1, argv + argc);
	// The units run this very binary, wherever it was built or installed.
	std::error_code ec;
	const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
	// PID 1 runs generators with stdout and stderr on /dev/null: what they have to say goes
	// to the kernel log, as with systemd's own generators. Run by hand, to the terminal.
	std::ofstream kmsg;
	if (!root && !args.empty() && !args[0].starts_with("-") && !isatty(STDERR_FILENO))
		kmsg.open("/dev/kmsg");
	const mtetag_generator::System system;
	const mtetag_generator::Context ctx{
		system,
		root ? root : "/",
		root != nullptr,
		ec ? argv[0] : self.string(),
		mkswap ? mkswap : "mkswap",
		kmsg.is_open() ? static_cast<std::ostream &>(kmsg) : std::cerr,
		mtetag_generator::kBusyPatience,
	};
	return mtetag_generator::run(args, ctx);
}
