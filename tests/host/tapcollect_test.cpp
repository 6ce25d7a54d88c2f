// SPDX-License-Identifier: GPL-2.0
#include "console_report.hpp"

#include <gtest/gtest.h>
#include <sstream>

using mtetag::tap::parse_console;
using mtetag::tap::Status;

namespace {

mtetag::tap::ConsoleReport parse(const std::string &log, std::vector<std::string> expected)
{
	std::istringstream in(log);
	return parse_console(in, expected);
}

} // namespace

TEST(ConsoleReport, CountsTopLevelResultsOnly)
{
	auto rep = parse("TAP version 13\r\n1..3\n"
			 "# TAP version 13\n# ok 1 inner case\n# not ok 2 inner fail\n"
			 "ok 1 cpuinfo\n"
			 "not ok 2 mte-probe\n"
			 "ok 3 zram-hog # SKIP no zram\n"
			 "mtetag-guest: done\n",
			 {"cpuinfo", "mte-probe", "zram-hog"});
	ASSERT_EQ(rep.results.size(), 3u);
	EXPECT_EQ(rep.results[0].status, Status::Pass);
	EXPECT_EQ(rep.results[1].status, Status::Fail);
	EXPECT_EQ(rep.results[2].status, Status::Skip);
	EXPECT_EQ(rep.results[2].detail, "no zram");
	EXPECT_TRUE(rep.guest_finished);
	EXPECT_TRUE(rep.kernel_problems.empty());
}

TEST(ConsoleReport, MissingResultFailsAndSaysWhy)
{
	auto rep = parse("ok 1 a\n[    3.100000] Kernel panic - not syncing: x\n", {"a", "b"});
	ASSERT_EQ(rep.results.size(), 2u);
	EXPECT_EQ(rep.results[1].status, Status::Fail);
	EXPECT_NE(rep.results[1].detail.find("died"), std::string::npos);
	EXPECT_FALSE(rep.guest_finished);
	EXPECT_EQ(rep.kernel_problems.size(), 1u);
}

TEST(ConsoleReport, KernelReportsAreProblemsUserTextIsNot)
{
	using mtetag::tap::is_kernel_problem;
	EXPECT_TRUE(is_kernel_problem("[   12.345678] WARNING: CPU: 1 PID: 7 at mm/x.c:1"));
	EXPECT_TRUE(is_kernel_problem("[    1.000001] BUG: sleeping function called from"));
	EXPECT_TRUE(is_kernel_problem("[  100.5] INFO: task fio:71 blocked for more than 120 s"));
	EXPECT_TRUE(is_kernel_problem("[    9.9] Internal error: Oops: 0000000096000004"));
	EXPECT_TRUE(is_kernel_problem("[    2.0] BUG: KASAN: slab-out-of-bounds in x"));
	EXPECT_TRUE(is_kernel_problem(
		"[   30.1] kmemleak: 2 new suspected memory leaks (see /sys/kernel/debug/kmemleak)"));
	EXPECT_TRUE(is_kernel_problem("[    4.2] list_add corruption. prev->next should be next"));
	EXPECT_FALSE(is_kernel_problem("# WARNING: user space said so"));
	EXPECT_FALSE(is_kernel_problem("[    2.0] zram: Added device: zram0"));
}

TEST(ConsoleReport, UnexpectedNameFails)
{
	auto rep = parse("ok 1 a\nok 2 ghost\nmtetag-guest: done\n", {"a"});
	ASSERT_EQ(rep.results.size(), 2u);
	EXPECT_EQ(rep.results[1].name, "ghost");
	EXPECT_EQ(rep.results[1].status, Status::Fail);
}

TEST(ConsoleReport, NoResultAfterCleanEndSaysPrintedNothing)
{
	auto rep = parse("mtetag-guest: done\n", {"a"});
	ASSERT_EQ(rep.results.size(), 1u);
	EXPECT_EQ(rep.results[0].status, Status::Fail);
	EXPECT_EQ(rep.results[0].detail, "printed no result");
}

TEST(ConsoleReport, DirectiveCommentsKeepTheirText)
{
	auto rep = parse("not ok 1 a # exit=141\nok 2 b # SKIP\nok 3 c # took 2 s\n", {"a", "b", "c"});
	ASSERT_EQ(rep.results.size(), 3u);
	EXPECT_EQ(rep.results[0].status, Status::Fail);
	EXPECT_EQ(rep.results[0].detail, "exit=141");
	EXPECT_EQ(rep.results[1].status, Status::Skip);
	EXPECT_EQ(rep.results[2].status, Status::Pass);
}

TEST(ConsoleReport, AnnouncedReportIsExcusedOnce)
{
	auto rep = parse("# mtguest: expect kernel report: BUG: Bad page state\n"
			 "[    5.000000] BUG: Bad page state in process x  pfn:4a000\n"
			 "[    6.000000] BUG: Bad page state in process x  pfn:4a001\n"
			 "[    7.000000] WARNING: CPU: 0 PID: 1 at mm/x.c:1\n"
			 "ok 1 a\n",
			 {"a"});
	ASSERT_EQ(rep.kernel_problems.size(), 2u);
	EXPECT_NE(rep.kernel_problems[0].find("pfn:4a001"), std::string::npos);
	EXPECT_NE(rep.kernel_problems[1].find("WARNING"), std::string::npos);
}
