// SPDX-License-Identifier: GPL-2.0
// mtetag-dtgen: print the dts fragment that describes the tag carve-out.
//   mtetag-dtgen --data-mib N [--tag-mib N] [--block-size BYTES] [--mem-base ADDR]
//                [--duplicate-half] [--force]
// --tag-mib, --duplicate-half (a second region describing the second half of the first
// again) and --force exist to make deliberately malformed trees for negative tests.
#include "tag_layout.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string_view>
#include <vector>

namespace {

int usage()
{
	std::cerr << "usage: mtetag-dtgen --data-mib N [--tag-mib N] [--block-size BYTES]"
		     " [--mem-base ADDR] [--duplicate-half] [--force]\n";
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
	bool force = false, duplicate_half = false;
	for (int i = 1; i < argc; i++) {
		std::string_view a = argv[i];
		std::uint64_t v;
		if (a == "--force" || a == "--duplicate-half") {
			(a == "--force" ? force : duplicate_half) = true;
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
	std::vector<mtetag::dt::TagRegion> regions{r};
	if (duplicate_half) {
		r.tag_base += r.tag_size / 2;
		r.tag_size /= 2;
		r.mem_base += r.mem_size / 2;
		r.mem_size /= 2;
		regions.push_back(r);
	}
	if (auto err = mtetag::dt::validate(regions); err && !force) {
		std::cerr << "mtetag-dtgen: " << *err << "\n";
		return 1;
	}
	std::cout << mtetag::dt::render_fragment(regions);
	return 0;
}
