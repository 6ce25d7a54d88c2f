// SPDX-License-Identifier: GPL-2.0
/*
 * mtetag carve-out discovery: "arm,mte-tag-storage" reserved-memory nodes (or the tag_region
 * parameter), their validation, the mapping of the carve-out and the load-time scan for data
 * pages that are tagged already.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/of.h>
#include <linux/of_address.h>
#include <linux/of_reserved_mem.h>
#include <linux/string.h>

#include "mtetag.h"

struct mtetag_region mtetag_regions[MTETAG_MAX_REGIONS];
int mtetag_nr_regions;

static __printf(2, 3) int reject(const struct mtetag_region *r, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_err("%s: rejected: %pV\n", r->name, &vaf);
	va_end(args);
	return -EINVAL;
}

static int check_region(const struct mtetag_region *r)
{
	const struct mtr_range *rg = &r->range;
	const char *broken = mtr_check(rg, PAGE_SIZE);

	if (!broken)
		return 0;
	return reject(r, "%s (carve-out %pa+%pa, tagged memory %pa+%pa, block-size %u)", broken,
		      &rg->tag_base, &rg->tag_size, &rg->mem_base, &rg->mem_size, rg->block_size);
}

/* The carve-out must be RAM the page allocator does not own: every page of it reserved. */
static int check_not_allocator_memory(const struct mtetag_region *r)
{
	unsigned long pfn, end = PHYS_PFN(r->range.tag_base + r->range.tag_size);

	if (region_intersects(r->range.tag_base, r->range.tag_size, IORESOURCE_SYSTEM_RAM,
			      IORES_DESC_NONE) != REGION_INTERSECTS)
		return reject(r, "carve-out %pa+%pa is not all RAM", &r->range.tag_base,
			      &r->range.tag_size);

	for (pfn = PHYS_PFN(r->range.tag_base); pfn < end; pfn++) {
		if (pfn_valid(pfn) && !PageReserved(pfn_to_page(pfn)))
			return reject(r, "page %#lx of the carve-out belongs to the page allocator",
				      pfn);
	}
	return 0;
}

static int add_region(struct mtetag_region *r)
{
	int err;

	if (mtetag_nr_regions == MTETAG_MAX_REGIONS)
		return reject(r, "more than %d regions", MTETAG_MAX_REGIONS);
	err = check_not_allocator_memory(r);
	if (err)
		return err;
	r->addr = memremap(r->range.tag_base, r->range.tag_size, MEMREMAP_WB);
	if (!r->addr)
		return reject(r, "cannot map the carve-out");
	mtetag_regions[mtetag_nr_regions++] = *r;
	return 0;
}

static int parse_node(struct device_node *np, struct mtetag_region *r)
{
	struct device_node *mem;
	struct reserved_mem *rmem;
	struct resource res, extra;
	int err;

	snprintf(r->name, sizeof(r->name), "%pOF", np);
	rmem = of_reserved_mem_lookup(np);
	if (!rmem)
		return reject(r, "not a reserved-memory region");
	r->range.tag_base = rmem->base;
	r->range.tag_size = rmem->size;
	if (of_property_read_u32(np, "block-size", &r->range.block_size))
		return reject(r, "no block-size");
	mem = of_parse_phandle(np, "tagged-memory", 0);
	if (!mem)
		return reject(r, "tagged-memory does not name a node");
	err = of_address_to_resource(mem, 0, &res);
	if (!err && !of_address_to_resource(mem, 1, &extra))
		err = -E2BIG;
	of_node_put(mem);
	if (err)
		return reject(r, "tagged-memory must have exactly one range");
	r->range.mem_base = res.start;
	r->range.mem_size = resource_size(&res);
	return 0;
}

/*
 * tag_region=<tag base>,<tag size>,<data base>[,<block-size>]: for kernels without the
 * device-tree node. The block-size defaults to one page: say it when the hardware's is larger.
 */
static int parse_param(const char *param, struct mtetag_region *r)
{
	unsigned long long base, size, mem;
	unsigned int block = PAGE_SIZE;
	int n;

	strscpy(r->name, "tag_region", sizeof(r->name));
	n = sscanf(param, "%llx,%llx,%llx,%x", &base, &size, &mem, &block);
	if (n != 3 && n != 4)
		return reject(r, "expected <tag base>,<tag size>,<data base>[,<block-size>]: %s",
			      param);
	if (size > U64_MAX / MTR_DATA_PAGES_PER_TAG_PAGE)
		return reject(r, "size %#llx too large", size);
	r->range.tag_base = base;
	r->range.tag_size = size;
	r->range.mem_base = mem;
	r->range.mem_size = size * MTR_DATA_PAGES_PER_TAG_PAGE;
	r->range.block_size = block;
	return 0;
}

/**
 * mtetag_discover() - find, validate and map every carve-out
 * @param: the tag_region module parameter, or NULL/empty to read the device tree
 *
 * Invalid regions are skipped with a message naming them.
 *
 * Return: 0 when at least one valid region was found, -ENODEV otherwise.
 */
int mtetag_discover(const char *param)
{
	/* Once, at load: off the stack. */
	static struct mtetag_region found[MTETAG_MAX_REGIONS + 1];
	static struct mtr_range ranges[MTETAG_MAX_REGIONS + 1];
	static bool ok[MTETAG_MAX_REGIONS + 1], checked[MTETAG_MAX_REGIONS + 1];
	struct device_node *np;
	int i, n = 0;
	u32 pages = 0;

	memset(found, 0, sizeof(found));
	if (param && *param) {
		ok[n] = !parse_param(param, &found[n]) && !check_region(&found[n]);
		n++;
	} else {
		for_each_compatible_node(np, NULL, "arm,mte-tag-storage") {
			if (!of_device_is_available(np))
				continue;
			if (n == ARRAY_SIZE(found)) {
				of_node_put(np);
				break;
			}
			ok[n] = !parse_node(np, &found[n]) && !check_region(&found[n]);
			n++;
		}
	}
	for (i = 0; i < n; i++) {
		ranges[i] = found[i].range;
		checked[i] = ok[i];
	}
	mtr_refuse_overlaps(ranges, ok, n);
	for (i = 0; i < n; i++)
		if (checked[i] && !ok[i])
			reject(&found[i], "overlaps another tag-storage region");
	for (i = 0; i < n; i++)
		if (ok[i])
			add_region(&found[i]);
	if (!mtetag_nr_regions) {
		pr_err("no valid arm,mte-tag-storage region: nothing to serve\n");
		return -ENODEV;
	}
	for (i = 0; i < mtetag_nr_regions; i++) {
		struct mtetag_region *r = &mtetag_regions[i];

		r->first_tag_page = pages;
		r->first_page = pfn_to_page(PHYS_PFN(r->range.mem_base));
		r->nr_pages = PHYS_PFN(r->range.mem_size);
		pages += r->range.tag_size >> PAGE_SHIFT;
	}
	return 0;
}

/**
 * mtetag_unmap_regions() - undo the mappings of mtetag_discover()
 */
void mtetag_unmap_regions(void)
{
	while (mtetag_nr_regions > 0)
		memunmap(mtetag_regions[--mtetag_nr_regions].addr);
}
