/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hook for a driver that reuses idle MTE tag storage.
 *
 * MTE keeps the tags of every 16 bytes in a carve-out of DRAM. Pages that are never tagged
 * leave their part of the carve-out idle, and one driver may put it to use (mtetag: a
 * compressed swap device). The kernel tells that driver:
 *
 *   reserve(page, order)  before the first tag of any of the 1 << order pages from @page
 *                         (not necessarily aligned) is written, on every path that
 *                         initialises tags; from any context, IRQs off included: it must
 *                         not sleep, must not fail and must be bounded. A THP is one call.
 *   release(page, order)  when a block with at least one tagged page goes back to the page
 *                         allocator (after the free path's checks: a bad page stays in use
 *                         and reserved), before the tagged flags are cleared; from any
 *                         context too.
 *
 * Both run under rcu_read_lock(); unregistering waits for running callbacks. With nothing
 * registered a static key keeps the cost at a NOP. Registering fails with KASAN hardware
 * tags, which tag every kernel page, so no tag storage is ever idle, and with
 * debug_pagealloc, which unmaps free pages from the linear map where their tag lines are
 * cleaned.
 *
 * When a carve-out range changes role, stale dirty lines of the old role must not be written
 * back over the new one: the driver calls mte_tag_storage_inval_data() on a range about to
 * hold tags, and mte_tag_storage_inval_tags() on the data pages whose tag storage is about
 * to hold data.
 */
#ifndef _LINUX_MTE_TAG_STORAGE_H
#define _LINUX_MTE_TAG_STORAGE_H

#include <linux/jump_label.h>
#include <linux/types.h>

struct page;

struct mte_tag_storage_ops {
	void (*reserve)(struct page *page, unsigned int order);
	void (*release)(struct page *page, unsigned int order);
};

#ifdef CONFIG_ARM64_MTE

DECLARE_STATIC_KEY_FALSE(mte_tag_storage_key);

int mte_tag_storage_register(const struct mte_tag_storage_ops *ops);
void mte_tag_storage_unregister(const struct mte_tag_storage_ops *ops);
void mte_tag_storage_inval_data(void *addr, size_t size);
void mte_tag_storage_inval_tags(unsigned long pfn, unsigned long nr);
void __mte_tag_storage_reserve(struct page *page, unsigned int order);
void __mte_tag_storage_release(struct page *page, unsigned int order, unsigned long tail_flags);

/* Before the first tag write to @page .. @page + (1 << @order) - 1. */
static inline void mte_tag_storage_reserve(struct page *page, unsigned int order)
{
	if (static_branch_unlikely(&mte_tag_storage_key))
		__mte_tag_storage_reserve(page, order);
}

/* From arch_free_pages_prepare(): @tail_flags are the other pages' flags, ORed. */
static inline void mte_tag_storage_release(struct page *page, unsigned int order,
					   unsigned long tail_flags)
{
	if (static_branch_unlikely(&mte_tag_storage_key))
		__mte_tag_storage_release(page, order, tail_flags);
}

#else

static inline void mte_tag_storage_reserve(struct page *page, unsigned int order)
{
}

static inline void mte_tag_storage_release(struct page *page, unsigned int order,
					   unsigned long tail_flags)
{
}

#endif /* CONFIG_ARM64_MTE */

#endif /* _LINUX_MTE_TAG_STORAGE_H */
