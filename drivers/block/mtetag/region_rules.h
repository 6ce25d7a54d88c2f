/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rules a carve-out description must satisfy (Documentation/admin-guide/blockdev/mtetag.rst,
 * "Device tree"), free of the kernel so that the host fuzzer runs the very code the module does.
 */
#ifndef _MTETAG_REGION_RULES_H
#define _MTETAG_REGION_RULES_H

#include "core_compat.h"

#define MTR_DATA_PAGES_PER_TAG_PAGE 32 /* 4 bits of tag per 16 bytes: 1/32 */
/* Largest block-size in tag pages: one reserve may have to empty a whole block. */
#define MTR_MAX_BLOCK_PAGES 16U
/* Most regions mtr_refuse_overlaps() compares. */
#define MTR_MAX_DESCRIBED 64

/* A carve-out and the data memory whose tags it holds, as firmware or the parameter says. */
struct mtr_range {
	u64 tag_base;   /* first byte of the carve-out */
	u64 tag_size;   /* bytes of carve-out: mem_size / 32 */
	u64 mem_base;   /* first byte of the tagged data memory */
	u64 mem_size;   /* bytes of tagged data memory */
	u32 block_size; /* bytes of carve-out mapping one contiguous data range */
};

const char *mtr_check(const struct mtr_range *r, u64 page_size);
void mtr_refuse_overlaps(const struct mtr_range *r, bool *ok, int n);

#endif /* _MTETAG_REGION_RULES_H */
