// SPDX-License-Identifier: GPL-2.0
// Thin wrappers over the MTE instructions and the prctl ABI for the guest test programs.
#pragma once

#include <cstdint>
#include <sys/prctl.h>

#ifndef PROT_MTE
#define PROT_MTE 0x20
#endif
#ifndef PR_SET_TAGGED_ADDR_CTRL
#define PR_SET_TAGGED_ADDR_CTRL 55
#define PR_TAGGED_ADDR_ENABLE (1UL << 0)
#endif
#ifndef PR_MTE_TCF_SYNC
#define PR_MTE_TCF_SYNC (1UL << 1)
#define PR_MTE_TAG_SHIFT 3
#endif

namespace mtetag::mte {

inline constexpr std::uintptr_t kGranule = 16;
// si_code of a synchronous tag check fault (SEGV_MTESERR in the uapi headers).
inline constexpr int kSegvMteSerr = 9;

// Synchronous tag checks; IRG may pick any tag but 0.
inline bool enable_sync_checks()
{
	return prctl(PR_SET_TAGGED_ADDR_CTRL,
		     PR_TAGGED_ADDR_ENABLE | PR_MTE_TCF_SYNC | (0xfffeUL << PR_MTE_TAG_SHIFT), 0,
		     0, 0) == 0;
}

template <typename T> inline T *with_tag(T *p, unsigned tag)
{
	auto v = reinterpret_cast<std::uintptr_t>(p);
	v = (v & ~(std::uintptr_t{0xf} << 56)) | (std::uintptr_t{tag & 0xfu} << 56);
	return reinterpret_cast<T *>(v);
}

inline unsigned tag_of(const void *p)
{
	return (reinterpret_cast<std::uintptr_t>(p) >> 56) & 0xf;
}

// Store the pointer's tag as the allocation tag of its granule.
inline void set_tag(void *tagged)
{
	asm volatile("stg %0, [%0]" : : "r"(tagged) : "memory");
}

// Read the allocation tag of the granule at p.
inline unsigned load_tag(const void *p)
{
	auto v = reinterpret_cast<std::uintptr_t>(p);
	asm volatile("ldg %0, [%0]" : "+r"(v));
	return (v >> 56) & 0xf;
}

inline void *random_tag(void *p)
{
	void *out;
	asm volatile("irg %0, %1" : "=r"(out) : "r"(p));
	return out;
}

} // namespace mtetag::mte
