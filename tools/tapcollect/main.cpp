// SPDX-License-Identifier: GPL-2.0
// mtetag-tapcollect: turn a guest console log into one line per test and a verdict.
//   mtetag-tapcollect LOG TEST...
// Prints "PASS name", "FAIL name: why", "SKIP name: why", a kernel-log line when the kernel
// reported a problem (that fails the run even if every test said ok), and last
// "guest: N passed, N failed, N skipped". Exit 0 only when nothing failed.
#include "console_report.hpp"

#include <fstream>
#include <iostream>

int main(int argc, char **argv)
{
	using mtetag::tap::Status;
	if (argc < 2) {
		std::cerr << "usage: mtetag-tapcollect LOG [TEST...]\n";
		return 2;
	}
	std::ifstream log(argv[1]);
	if (!log) {
		std::cerr << "mtetag-tapcollect: cannot read " << argv[1] << "\n";
		return 2;
	}
	std::vector<std::string> expected(argv + 2, argv + argc);
	auto rep = mtetag::tap::parse_console(log, expected);
	unsigned passed = 0, failed = 0, skipped = 0;
	for (const auto &r : rep.results) {
		switch (r.status) {
		case Status::Pass:
			passed++;
			std::cout << "PASS " << r.name << "\n";
			break;
		case Status::Fail:
			failed++;
			std::cout << "FAIL " << r.name << ": " << r.detail << "\n";
			break;
		case Status::Skip:
			skipped++;
			std::cout << "SKIP " << r.name << ": " << r.detail << "\n";
			break;
		}
	}
	if (!rep.kernel_problems.empty()) {
		failed++;
		std::cout << "FAIL kernel-log: " << rep.kernel_problems.size()
			  << " kernel report(s), first: " << rep.kernel_problems.front() << "\n";
	}
	std::cout << "guest: " << passed << " passed, " << failed << " failed";
	if (skipped)
		std::cout << ", " << skipped << " skipped";
	std::cout << "\n";
	return failed ? 1 : 0;
}
