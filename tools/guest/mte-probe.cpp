// SPDX-License-Identifier: GPL-2.0
// mte-probe: does this machine check tags per 16-byte granule, as the architecture says?
// QEMU 7.2 shared one tag between the granules of a page, so an access one granule past the
// end of a buffer did not fault there; these cases catch that kind of regression.
// Output is kselftest TAP; exit 0 when every case passed, 4 when MTE is absent.
#include "cli.hpp"
#include "mte.hpp"

#include <csetjmp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sys/auxv.h>
#include <sys/mman.h>

#ifndef HWCAP2_MTE
#define HWCAP2_MTE (1 << 18)
#endif

namespace {

sigjmp_buf fault_jump;
volatile int fault_code;

void on_segv(int, siginfo_t *info, void *)
{
	fault_code = info->si_code;
	siglongjmp(fault_jump, 1);
}

// 0 when the access went through, else the si_code of the SIGSEGV it raised.
int access_code(volatile unsigned char *p, bool write)
{
	fault_code = 0;
	if (sigsetjmp(fault_jump, 1) == 0) {
		if (write)
			*p = 0x5a;
		else
			(void)*p;
	}
	return fault_code;
}

int case_no;
int failed;

void report(bool ok, const char *name)
{
	std::printf("%sok %d %s\n", ok ? "" : "not ", ++case_no, name);
	failed += !ok;
}

} // namespace

int main(int argc, char **argv)
{
	// No options: refuse any argument rather than ignore it.
	CLI::App app{"Does this machine check tags per 16-byte granule?", "mte-probe"};
	if (auto rc = mtetag::cli::parse_or_exit(app, argc, argv))
		return *rc;
	using namespace mtetag::mte;
	std::printf("TAP version 13\n");
	if (!(getauxval(AT_HWCAP2) & HWCAP2_MTE)) {
		std::printf("1..0 # SKIP no MTE in HWCAP2\n");
		return 4;
	}
	std::printf("1..5\n");
	struct sigaction sa = {};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, nullptr);
	if (!enable_sync_checks()) {
		std::printf("Bail out! prctl(PR_SET_TAGGED_ADDR_CTRL) failed\n");
		return 1;
	}
	constexpr std::size_t page_size = 4096;
	auto *page = static_cast<unsigned char *>(mmap(nullptr, page_size,
						       PROT_READ | PROT_WRITE | PROT_MTE,
						       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	if (page == MAP_FAILED) {
		std::printf("Bail out! mmap(PROT_MTE) failed\n");
		return 1;
	}

	// A 16-byte buffer tagged 3, its neighbour granule tagged 5.
	unsigned char *buf = with_tag(page, 3);
	set_tag(buf);
	set_tag(with_tag(page + kGranule, 5));
	report(access_code(buf, true) == 0 && access_code(buf + kGranule - 1, false) == 0,
	       "correctly tagged access does not fault");
	report(access_code(buf + kGranule, false) == kSegvMteSerr,
	       "one granule past the end faults (SEGV_MTESERR)");
	report(access_code(page, true) == kSegvMteSerr, "untagged pointer to tagged memory faults");

	// Every granule its own tag, read back with LDG and checked by access.
	unsigned mismatched = 0, wrong_faults = 0, missed_faults = 0;
	for (std::size_t g = 0; g < page_size / kGranule; g++)
		set_tag(with_tag(page + g * kGranule, (g * 7 + 1) & 0xf));
	for (std::size_t g = 0; g < page_size / kGranule; g++) {
		unsigned tag = (g * 7 + 1) & 0xf;
		unsigned char *p = page + g * kGranule;
		mismatched += load_tag(p) != tag;
		wrong_faults += access_code(with_tag(p, tag), false) != 0;
		missed_faults += access_code(with_tag(p, tag ^ 0x8), false) != kSegvMteSerr;
	}
	std::printf("# per-granule: ldg_mismatches=%u faults_with_right_tag=%u "
		    "missed_faults_with_wrong_tag=%u\n", mismatched, wrong_faults, missed_faults);
	report(mismatched == 0, "LDG reads back a distinct tag for every granule of a page");
	report(wrong_faults == 0 && missed_faults == 0,
	       "every granule checks its own tag (right tag passes, wrong tag faults)");
	std::printf("# totals: pass:%d fail:%d\n", case_no - failed, failed);
	return failed ? 1 : 0;
}
