// SPDX-License-Identifier: GPL-2.0
#include "tag_layout.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace mtetag::dt {
namespace {

std::string hex(std::uint64_t v)
{
	char buf[32];
	std::snprintf(buf, sizeof(buf), "0x%llx", static_cast<unsigned long long>(v));
	return buf;
}

// A 64-bit value as two 32-bit cells.
std::string cells(std::uint64_t v)
{
	return hex(v >> 32) + " " + hex(v & 0xffffffffu);
}

bool overlaps(std::uint64_t a, std::uint64_t a_size, std::uint64_t b, std::uint64_t b_size)
{
	return a < b + b_size && b < a + a_size;
}

} // namespace

TagRegion default_region(std::uint64_t mem_base, std::uint64_t data_size, std::uint64_t block_size)
{
	return {mem_base, data_size, mem_base + data_size, data_size / kTagRatio, block_size};
}

std::optional<std::string> validate(const std::vector<TagRegion> &regions)
{
	if (regions.empty())
		return "no tag-storage region";
	for (std::size_t i = 0; i < regions.size(); i++) {
		const TagRegion &r = regions[i];
		const std::string name = "tag-storage@" + hex(r.tag_base).substr(2);
		if (r.mem_size == 0 || r.tag_size == 0)
			return name + ": empty range";
		if (r.mem_size % kPageSize || r.mem_base % kPageSize || r.tag_base % kPageSize)
			return name + ": ranges must be page aligned";
		if (r.tag_size * kTagRatio != r.mem_size)
			return name + ": size must be exactly 1/32 of the tagged memory";
		if (r.block_size == 0 || r.block_size % kPageSize)
			return name + ": block-size must be a non-zero multiple of 4 KiB";
		if (r.tag_size % r.block_size)
			return name + ": size must be a multiple of block-size";
		if (overlaps(r.tag_base, r.tag_size, r.mem_base, r.mem_size))
			return name + ": carve-out overlaps the memory it tags";
		for (std::size_t j = 0; j < i; j++) {
			const TagRegion &o = regions[j];
			if (overlaps(r.tag_base, r.tag_size, o.tag_base, o.tag_size) ||
			    overlaps(r.mem_base, r.mem_size, o.mem_base, o.mem_size) ||
			    overlaps(r.tag_base, r.tag_size, o.mem_base, o.mem_size) ||
			    overlaps(o.tag_base, o.tag_size, r.mem_base, r.mem_size))
				return name + ": overlaps another region";
		}
	}
	return std::nullopt;
}

std::string render_fragment(const std::vector<TagRegion> &regions)
{
	std::ostringstream out;
	out << "\n/* mtetag: tag carve-out (design.md section 2) */\n/ {\n";
	for (std::size_t i = 0; i < regions.size(); i++) {
		const TagRegion &r = regions[i];
		out << "\tmtetag_mem" << i << ": dram@" << hex(r.mem_base).substr(2) << " {\n"
		    << "\t\tdevice_type = \"memory\";\n"
		    << "\t\treg = <" << cells(r.mem_base) << " " << cells(r.mem_size) << ">;\n"
		    << "\t};\n";
	}
	out << "\treserved-memory {\n"
	    << "\t\t#address-cells = <2>;\n\t\t#size-cells = <2>;\n\t\tranges;\n";
	for (std::size_t i = 0; i < regions.size(); i++) {
		const TagRegion &r = regions[i];
		out << "\t\ttag-storage@" << hex(r.tag_base).substr(2) << " {\n"
		    << "\t\t\tcompatible = \"arm,mte-tag-storage\";\n"
		    << "\t\t\treg = <" << cells(r.tag_base) << " " << cells(r.tag_size) << ">;\n"
		    << "\t\t\tblock-size = <" << hex(r.block_size) << ">;\n"
		    << "\t\t\ttagged-memory = <&mtetag_mem" << i << ">;\n"
		    << "\t\t\treusable;\n"
		    << "\t\t};\n";
	}
	out << "\t};\n};\n";
	return out.str();
}

} // namespace mtetag::dt
