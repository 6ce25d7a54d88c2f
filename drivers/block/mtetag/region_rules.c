// SPDX-License-Identifier: GPL-2.0
/*
 * mtetag carve-out rules: what a region must be before the module maps it. Every sum and
 * product is checked for wrap first: firmware tables and the tag_region parameter are 64-bit
 * and may say anything.
 */
#include "region_rules.h"

/* [a, a + a_size) and [b, b + b_size) share a byte; callers know neither wraps. */
static bool ranges_overlap(u64 a, u64 a_size, u64 b, u64 b_size)
{
	return a < b + b_size && b < a + a_size;
}

/**
 * mtr_check() - whether @r describes a carve-out the module can serve
 * @r: the region
 * @page_size: the kernel's page size
 *
 * Return: NULL when it does, otherwise the rule it breaks, for the message.
 */
const char *mtr_check(const struct mtr_range *r, u64 page_size)
{
	u64 block = r->block_size;

	if (!r->tag_size || !r->mem_size)
		return "empty range";
	if (r->tag_base + r->tag_size < r->tag_base || r->mem_base + r->mem_size < r->mem_base)
		return "range wraps";
	if (r->tag_base % page_size || r->tag_size % page_size || r->mem_base % page_size ||
	    r->mem_size % page_size)
		return "ranges must be page aligned";
	if (r->tag_size > U64_MAX / MTR_DATA_PAGES_PER_TAG_PAGE ||
	    r->tag_size * MTR_DATA_PAGES_PER_TAG_PAGE != r->mem_size)
		return "size is not 1/32 of the tagged memory";
	/* Tag pages are numbered in 32 bits. */
	if (r->tag_size / page_size > U32_MAX)
		return "more than 2^32 tag pages";
	if (!block || block % page_size || r->tag_size % block ||
	    block > MTR_MAX_BLOCK_PAGES * page_size)
		return "block-size: not a page multiple dividing the size, up to 16 pages";
	/* Blocks are counted from the carve-out's base: it must start one, as its data must. */
	if (r->tag_base % block || r->mem_base % (block * MTR_DATA_PAGES_PER_TAG_PAGE))
		return "carve-out or tagged memory not aligned to block-size";
	if (ranges_overlap(r->tag_base, r->tag_size, r->mem_base, r->mem_size))
		return "carve-out overlaps the memory it tags";
	return NULL;
}

/* A range that is there and does not wrap: a witness against ranges that overlap it. */
static bool is_range(u64 base, u64 size)
{
	return size && base + size > base;
}

/* Any range of @a overlaps any range of @b; a range that is missing or wraps is none. */
static bool any_overlap(const struct mtr_range *a, const struct mtr_range *b)
{
	const u64 ar[2][2] = { { a->tag_base, a->tag_size }, { a->mem_base, a->mem_size } };
	const u64 br[2][2] = { { b->tag_base, b->tag_size }, { b->mem_base, b->mem_size } };
	int i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 2; j++)
			if (is_range(ar[i][0], ar[i][1]) && is_range(br[j][0], br[j][1]) &&
			    ranges_overlap(ar[i][0], ar[i][1], br[j][0], br[j][1]))
				return true;
	return false;
}

/**
 * mtr_refuse_overlaps() - clear @ok of every region that overlaps another
 * @r: the regions firmware described
 * @ok: per region, whether it passed mtr_check(); cleared for each of an overlapping pair
 * @n: how many; past MTR_MAX_DESCRIBED all are refused
 *
 * Of two regions that overlap, firmware got one wrong and cannot say which: both go, even
 * when the other one failed a rule of its own, or named only one of its ranges.
 */
void mtr_refuse_overlaps(const struct mtr_range *r, bool *ok, int n)
{
	u64 refused = 0;
	int i, j;

	for (i = 0; i < n && i < MTR_MAX_DESCRIBED; i++)
		for (j = 0; j < n && j < MTR_MAX_DESCRIBED; j++)
			if (i != j && any_overlap(&r[i], &r[j]))
				refused |= BIT_ULL(i);
	for (i = 0; i < n; i++)
		if (i >= MTR_MAX_DESCRIBED || refused & BIT_ULL(i))
			ok[i] = false;
}
