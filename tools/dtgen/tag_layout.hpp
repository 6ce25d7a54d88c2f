// SPDX-License-Identifier: GPL-2.0
// The tag carve-out layout of the emulated machine and its device-tree fragment
// (design.md section 2). The validation rules are the ones the module applies to the tree.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mtetag::dt {

inline constexpr std::uint64_t kTagRatio = 32; // 4 bits of tag per 16 bytes of data
inline constexpr std::uint64_t kPageSize = 4096;

struct TagRegion {
	std::uint64_t mem_base;   // first byte of tagged data memory
	std::uint64_t mem_size;   // bytes of tagged data memory
	std::uint64_t tag_base;   // first byte of the carve-out
	std::uint64_t tag_size;   // bytes of carve-out: mem_size / 32
	std::uint64_t block_size; // carve-out bytes that map one contiguous data range
};

// Data at mem_base, carve-out right after it: the layout QEMU's RAM gives us.
TagRegion default_region(std::uint64_t mem_base, std::uint64_t data_size,
			 std::uint64_t block_size = kPageSize);

// Why the regions are not a valid binding, or nothing when they are.
std::optional<std::string> validate(const std::vector<TagRegion> &regions);

// A dts fragment to append to QEMU's own tree: one dram@ node per region (not named
// memory@, which QEMU drops under -dtb) and reserved-memory/tag-storage@ nodes.
std::string render_fragment(const std::vector<TagRegion> &regions);

} // namespace mtetag::dt
