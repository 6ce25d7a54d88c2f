// SPDX-License-Identifier: GPL-2.0
// Command-line parsing for the guest programs (CLI11), so that all of them refuse unknown
// options and bad values, and say why, the same way.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

namespace mtetag::cli {

// Call before adding options: a repeated option keeps its last value, as it did with the argv
// loops these programs had (CLI11 would refuse the repeat). Lists say TakeAll themselves.
inline void last_value_wins(CLI::App &app)
{
	app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

// Parse argv. Returns the status main() must end with: 0 after --help, 1 after an error whose
// message and a hint went to stderr (1 as for the programs' other failures, not CLI11's own
// 105-114); nothing when the program goes on.
inline std::optional<int> parse_or_exit(CLI::App &app, int argc, char **argv)
{
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return app.exit(e) == 0 ? 0 : 1;
	}
	return std::nullopt;
}

} // namespace mtetag::cli
