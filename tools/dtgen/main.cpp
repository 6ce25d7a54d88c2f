// SPDX-License-Identifier: GPL-2.0
// mtetag-dtgen: print the dts fragment that describes the tag carve-out.
//   mtetag-dtgen --data-mib N [--tag-mib N] [--block-size BYTES] [--mem-base ADDR] [--force]
// --tag-mib and --force exist to make deliberately malformed trees for negative tests.
#include "tag_layout.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string_view>

namespace {

int usage()
{
	std::cerr << "usage: mtetag-dtgen --data-mib N [--tag-mib N] [--block-size BYTES]"
		     " [--mem-base ADDR] [--force]\n";
	return 2;
}

bool parse_u64(const char *s, std::uint64_t &out)
{
	char *end;
	out = std::strtoull(s, &end, 0);
	return *s && !*end;
}

} // namespace

int main(int argc, char **argv)
{
	std::uint64_t data_mib = 0, tag_kib = 0, block = mtetag::dt::kPageSize, base = 0x40000000;
	bool force = false;
	for (int i = 1; i < argc; i++) {
		std::string_view a = argv[i];
		std::uint64_t v;
		if (a == "--force") {
			force = true;
			continue;
		}
		if (i + 1 >= argc || !parse_u64(argv[i + 1], v))
			return usage();
		i++;
		if (a == "--data-mib")
			data_mib = v;
		else if (a == "--tag-mib")
			tag_kib = v * 1024;
		else if (a == "--tag-kib")
			tag_kib = v;
		else if (a == "--block-size")
			block = v;
		else if (a == "--mem-base")
			base = v;
		else
			return usage();
	}
	if (data_mib == 0)
		return usage();
	mtetag::dt::TagRegion r = mtetag::dt::default_region(base, data_mib << 20, block);
	if (tag_kib)
		r.tag_size = tag_kib << 10;
	if (auto err = mtetag::dt::validate({r}); err && !force) {
		std::cerr << "mtetag-dtgen: " << *err << "\n";
		return 1;
	}
	std::cout << mtetag::dt::render_fragment({r});
	return 0;
}
