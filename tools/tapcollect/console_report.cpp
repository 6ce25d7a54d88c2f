// SPDX-License-Identifier: GPL-2.0
#include "console_report.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <regex>
#include <string_view>

namespace mtetag::tap {
namespace {

// printk prefix with CONFIG_PRINTK_TIME; user space output never starts like this.
const std::regex kPrintk(R"(^\[\s*\d+\.\d+\]\s)");
// Top-level result of /init: "ok 3 name", "not ok 4 name", "ok 5 name # SKIP why".
const std::regex kResult(R"(^(not )?ok (\d+) (\S+)(?:\s+#\s*(SKIP\b)?\s*(.*?))?\s*$)");

// The debug kernel's checkers add kmemleak's and DEBUG_LIST's reports to the usual ones.
constexpr std::array<std::string_view, 15> kProblemMarks = {
	"Oops", "BUG:", "kernel BUG at", "WARNING:", "Kernel panic", "KASAN",
	"Unable to handle kernel", "blocked for more than", "soft lockup", "hard LOCKUP",
	"detected stalls", "UBSAN:", "suspected memory leak", "list_add corruption",
	"list_del corruption",
};

// A test that causes a kernel report on purpose announces it: "mtguest: expect kernel
// report: TEXT" excuses one problem line containing TEXT, wherever the two land in the log.
constexpr std::string_view kExpectReport = "mtguest: expect kernel report: ";

std::string strip_cr(std::string s)
{
	s.erase(std::remove(s.begin(), s.end(), '\r'), s.end());
	return s;
}

} // namespace

bool is_kernel_problem(const std::string &line)
{
	if (!std::regex_search(line, kPrintk))
		return false;
	return std::any_of(kProblemMarks.begin(), kProblemMarks.end(),
			   [&](std::string_view m) { return line.find(m) != std::string::npos; });
}

ConsoleReport parse_console(std::istream &log, const std::vector<std::string> &expected)
{
	ConsoleReport rep;
	std::map<std::string, Result> seen;
	std::vector<std::string> unexpected, announced;
	std::string line;
	while (std::getline(log, line)) {
		line = strip_cr(line);
		if (line.find(kDoneMarker) != std::string::npos)
			rep.guest_finished = true;
		if (is_kernel_problem(line)) {
			rep.kernel_problems.push_back(line);
			continue;
		}
		if (auto at = line.find(kExpectReport); at != std::string::npos) {
			announced.push_back(line.substr(at + kExpectReport.size()));
			continue;
		}
		std::smatch m;
		if (!std::regex_match(line, m, kResult))
			continue;
		Result r{m[3], m[1].matched ? Status::Fail : Status::Pass, m[5]};
		if (m[4].matched && !m[1].matched)
			r.status = Status::Skip;
		if (std::find(expected.begin(), expected.end(), r.name) == expected.end())
			unexpected.push_back(r.name);
		else
			seen.insert_or_assign(r.name, r);
	}
	for (const std::string &name : expected) {
		auto it = seen.find(name);
		if (it != seen.end())
			rep.results.push_back(it->second);
		else
			rep.results.push_back({name, Status::Fail,
					       rep.guest_finished ? "printed no result"
								  : "no result: guest died or timed out"});
	}
	for (const std::string &name : unexpected)
		rep.results.push_back({name, Status::Fail, "result for a test that was not run"});
	for (const std::string &text : announced) {
		auto it = std::find_if(rep.kernel_problems.begin(), rep.kernel_problems.end(),
				       [&](const std::string &p) { return p.find(text) != std::string::npos; });
		if (it != rep.kernel_problems.end())
			rep.kernel_problems.erase(it);
	}
	return rep;
}

} // namespace mtetag::tap
