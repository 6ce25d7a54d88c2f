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
	if (!block || block % page_size || r->tag_size % block ||
	    block > MTR_MAX_BLOCK_PAGES * page_size)
		return "block-size must be a multiple of the page size, divide the size, and be at most 16 pages";
	/* Blocks are counted from the carve-out's base: it must start one, as its data must. */
	if (r->tag_base % block || r->mem_base % (block * MTR_DATA_PAGES_PER_TAG_PAGE))
		return "carve-out or tagged memory not aligned to block-size";
	if (ranges_overlap(r->tag_base, r->tag_size, r->mem_base, r->mem_size))
		return "carve-out overlaps the memory it tags";
	return NULL;
}

/**
 * mtr_overlap() - whether two regions share a byte of any of their ranges
 * @a: one region
 * @b: the other
 *
 * Return: the answer.
 */
bool mtr_overlap(const struct mtr_range *a, const struct mtr_range *b)
{
	return ranges_overlap(a->tag_base, a->tag_size, b->tag_base, b->tag_size) ||
	       ranges_overlap(a->mem_base, a->mem_size, b->mem_base, b->mem_size) ||
	       ranges_overlap(a->tag_base, a->tag_size, b->mem_base, b->mem_size) ||
	       ranges_overlap(b->tag_base, b->tag_size, a->mem_base, a->mem_size);
}

/* Whether @r names two ranges at all: a witness against regions that overlap them. */
static bool has_ranges(const struct mtr_range *r)
{
	return r->tag_size && r->mem_size && r->tag_base + r->tag_size > r->tag_base &&
	       r->mem_base + r->mem_size > r->mem_base;
}

/**
 * mtr_refuse_overlaps() - clear @ok of every region that overlaps another
 * @r: the regions firmware described
 * @ok: per region, whether it passed mtr_check(); cleared for each of an overlapping pair
 * @n: how many, at most MTR_MAX_DESCRIBED
 *
 * Of two regions that overlap, firmware got one wrong and cannot say which: both go, even
 * when the other one failed a rule of its own.
 */
void mtr_refuse_overlaps(const struct mtr_range *r, bool *ok, int n)
{
	u64 refused = 0;
	int i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (i != j && has_ranges(&r[i]) && has_ranges(&r[j]) &&
			    mtr_overlap(&r[i], &r[j]))
				refused |= BIT_ULL(i);
	for (i = 0; i < n; i++)
		if (refused & BIT_ULL(i))
			ok[i] = false;
}
