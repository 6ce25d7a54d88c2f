// SPDX-License-Identifier: GPL-2.0
// Deterministic, realistic page content for swap tests: every page can be regenerated from
// (seed, index), so a verifier needs no copy of what it wrote.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace mtetag {

inline constexpr std::size_t kPageSize = 4096;

enum class PageKind : std::uint8_t { Zero, SameFilled, Random, Text };

inline std::uint64_t mix64(std::uint64_t x)
{
	// splitmix64 finaliser: cheap and well distributed.
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

inline std::uint64_t fnv1a64(std::span<const std::uint8_t> bytes)
{
	std::uint64_t h = 0xcbf29ce484222325ULL;
	for (std::uint8_t b : bytes)
		h = (h ^ b) * 0x100000001b3ULL;
	return h;
}

// The mix decides the compression ratio: zero and same-filled pages cost nothing in zram,
// random pages are incompressible, text compresses about 3x with lz4.
struct PageMix {
	unsigned zero_pct = 20;
	unsigned same_pct = 15;
	unsigned random_pct = 15; // the rest is text
};

inline PageKind page_kind(std::uint64_t seed, std::uint64_t index, const PageMix &mix)
{
	unsigned r = static_cast<unsigned>(mix64(seed ^ mix64(index)) % 100);
	if (r < mix.zero_pct)
		return PageKind::Zero;
	if (r < mix.zero_pct + mix.same_pct)
		return PageKind::SameFilled;
	if (r < mix.zero_pct + mix.same_pct + mix.random_pct)
		return PageKind::Random;
	return PageKind::Text;
}

// Text and random pages start with a header (index, checksum of the rest) so a page that
// landed at the wrong offset is told apart from one with flipped bits.
struct PageHeader {
	std::uint64_t index;
	std::uint64_t checksum;
};

inline void fill_page(std::uint8_t *page, std::uint64_t seed, std::uint64_t index,
		      const PageMix &mix)
{
	static constexpr std::array<std::string_view, 16> words = {
		"swap ", "tag ", "page ", "block ", "memory ", "carve-out ", "kernel ", "zram ",
		"the ", "of ", "and ", "granule ", "pool ", "object ", "handle ", "compress\n",
	};
	std::uint64_t state = mix64(seed * 31 + index);
	switch (page_kind(seed, index, mix)) {
	case PageKind::Zero:
		std::memset(page, 0, kPageSize);
		return;
	case PageKind::SameFilled: {
		std::uint64_t word = state | 1; // never zero: that is the other kind
		for (std::size_t i = 0; i < kPageSize; i += sizeof(word))
			std::memcpy(page + i, &word, sizeof(word));
		return;
	}
	case PageKind::Random:
		for (std::size_t i = sizeof(PageHeader); i < kPageSize; i += sizeof(state)) {
			state = mix64(state);
			std::memcpy(page + i, &state, sizeof(state));
		}
		break;
	case PageKind::Text: {
		std::size_t i = sizeof(PageHeader);
		while (i < kPageSize) {
			state = mix64(state);
			std::string_view w = words[state % words.size()];
			std::size_t n = std::min(w.size(), kPageSize - i);
			std::memcpy(page + i, w.data(), n);
			i += n;
		}
		break;
	}
	}
	PageHeader h{index, fnv1a64({page + sizeof(PageHeader), kPageSize - sizeof(PageHeader)})};
	std::memcpy(page, &h, sizeof(h));
}

// True when the page is exactly what fill_page() wrote for (seed, index).
inline bool check_page(const std::uint8_t *page, std::uint64_t seed, std::uint64_t index,
		       const PageMix &mix)
{
	alignas(16) std::uint8_t expect[kPageSize];
	fill_page(expect, seed, index, mix);
	return std::memcmp(page, expect, kPageSize) == 0;
}

} // namespace mtetag
