// SPDX-License-Identifier: GPL-2.0
// Reads a guest console log: the top-level TAP results the guest's /init printed and any
// kernel report (oops, BUG, WARN, KASAN, hung task, lockup) that must fail the run.
#pragma once

#include <istream>
#include <string>
#include <vector>

namespace mtetag::tap {

enum class Status { Pass, Fail, Skip };

struct Result {
	std::string name;
	Status status;
	std::string detail; // skip reason or why it failed
};

struct ConsoleReport {
	std::vector<Result> results;              // in the order expected
	std::vector<std::string> kernel_problems; // offending kernel log lines
	bool guest_finished = false;              // /init reached its end marker
};

inline constexpr const char *kDoneMarker = "mtetag-guest: done";

// A test named in `expected` that printed no result counts as failed (the guest died or
// timed out); a result for a name not expected is reported as failed too.
ConsoleReport parse_console(std::istream &log, const std::vector<std::string> &expected);

// A printk line ("[   12.345678] ...") that reports a kernel bug or warning.
bool is_kernel_problem(const std::string &line);

} // namespace mtetag::tap
