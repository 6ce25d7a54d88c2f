// SPDX-License-Identifier: GPL-2.0
/*
 * The tag storage hook: one registered driver learns when tag storage becomes live (reserve)
 * and when it may become idle (release), and gets the cache maintenance a carve-out range
 * needs when it changes role. See include/linux/mte_tag_storage.h.
 */
#include <linux/export.h>
#include <linux/kasan-enabled.h>
#include <linux/mm.h>
#include <linux/mte_tag_storage.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <asm/cache.h>
#include <asm/cacheflush.h>
#include <asm/mte.h>
#include <asm/mte-def.h>
#include <asm/set_memory.h>
#include <asm/sysreg.h>

/* Not exported: its only users, the inline wrappers, are called from built-in code. */
DEFINE_STATIC_KEY_FALSE(mte_tag_storage_key);

static const struct mte_tag_storage_ops __rcu *tag_storage_ops;
static DEFINE_MUTEX(tag_storage_mutex);

/**
 * mte_tag_storage_register() - install the one driver that reuses idle tag storage
 * @ops: its callbacks; both must be set
 *
 * Callbacks may run before this returns: the driver must be ready for them.
 *
 * Return: 0, -EINVAL for incomplete ops, -EOPNOTSUPP when KASAN hardware tags are on (they
 * tag every kernel page, so no tag storage is ever idle) or debug_pagealloc is (it unmaps
 * free pages, whose tag lines mte_tag_storage_inval_tags() must reach), -EBUSY when a
 * driver is registered already.
 */
int mte_tag_storage_register(const struct mte_tag_storage_ops *ops)
{
	int ret = 0;

	if (!ops || !ops->reserve || !ops->release)
		return -EINVAL;
	if (kasan_hw_tags_enabled() || debug_pagealloc_enabled())
		return -EOPNOTSUPP;
	mutex_lock(&tag_storage_mutex);
	if (rcu_access_pointer(tag_storage_ops)) {
		ret = -EBUSY;
	} else {
		rcu_assign_pointer(tag_storage_ops, ops);
		static_branch_enable(&mte_tag_storage_key);
	}
	mutex_unlock(&tag_storage_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(mte_tag_storage_register);

/**
 * mte_tag_storage_unregister() - remove the driver; returns once no callback runs
 * @ops: the callbacks given to mte_tag_storage_register()
 */
void mte_tag_storage_unregister(const struct mte_tag_storage_ops *ops)
{
	mutex_lock(&tag_storage_mutex);
	if (rcu_access_pointer(tag_storage_ops) == ops) {
		static_branch_disable(&mte_tag_storage_key);
		RCU_INIT_POINTER(tag_storage_ops, NULL);
		synchronize_rcu();
	}
	mutex_unlock(&tag_storage_mutex);
}
EXPORT_SYMBOL_GPL(mte_tag_storage_unregister);

void __mte_tag_storage_reserve(struct page *page, unsigned int order)
{
	const struct mte_tag_storage_ops *ops;

	rcu_read_lock();
	ops = rcu_dereference(tag_storage_ops);
	if (ops)
		ops->reserve(page, order);
	rcu_read_unlock();
}

/*
 * Clean and invalidate the allocation tags of a page in the linear map to the point of
 * coherency (DC CIGVAC): no tag line stays in the cache to be written back later, and a tag
 * of a page in use that was dirty reaches memory instead of being dropped.
 */
static void flush_page_tags(struct page *page)
{
	unsigned long line = 4UL << SYS_FIELD_GET(CTR_EL0, DminLine,
						  read_cpuid_effective_cachetype());
	unsigned long va = (unsigned long)page_address(page), end = va + PAGE_SIZE;

	for (; va < end; va += line)
		asm volatile(__MTE_PREAMBLE "dc cigvac, %0" : : "r"(va) : "memory");
}

void __mte_tag_storage_release(struct page *page, unsigned int order, unsigned long tail_flags)
{
	const struct mte_tag_storage_ops *ops;

	/* Only a block with a tagged page reserved tag storage. */
	if (!page_mte_tagged(page) && !(tail_flags & BIT(PG_mte_tagged)))
		return;
	rcu_read_lock();
	ops = rcu_dereference(tag_storage_ops);
	if (ops)
		ops->release(page, order);
	rcu_read_unlock();
}

/**
 * mte_tag_storage_inval_data() - a carve-out range is about to hold tags
 * @addr: its kernel mapping (write-back)
 * @size: bytes
 *
 * Dirty data lines left from its use as data would be written back over the tags later:
 * invalidate them to the point of coherency. Call after the data was moved out and before
 * any tag of the memory it covers may be written.
 */
void mte_tag_storage_inval_data(void *addr, size_t size)
{
	dcache_inval_poc((unsigned long)addr, (unsigned long)addr + size);
}
EXPORT_SYMBOL_GPL(mte_tag_storage_inval_data);

/**
 * mte_tag_storage_inval_tags() - the tag storage of @nr data pages is about to hold data
 * @pfn: first data page
 * @nr: number of pages
 *
 * Written back later, dirty tag lines of pages that were tagged would overwrite that data:
 * clean and invalidate (DC CIGVAC) the allocation tags of the range, so that none stays in
 * the cache and the tags of a page tagged meanwhile stay right. Holes, reserved pages and
 * pages outside the linear map are skipped: holes are never tagged, reserved pages only as
 * the zero page is (whose tag storage is never reused), and the last cannot be reached by
 * virtual address (a reuser refuses debug_pagealloc, which unmaps every free page). Call
 * after no page of the range can be tagged without the reserve hook seeing it, and before
 * the tag storage takes data. Process context.
 */
void mte_tag_storage_inval_tags(unsigned long pfn, unsigned long nr)
{
	unsigned long end_pfn = pfn + nr;
	struct page *page;

	for (; pfn < end_pfn; pfn++) {
		if (!pfn_valid(pfn))
			continue;
		page = pfn_to_page(pfn);
		if (!PageReserved(page) && kernel_page_present(page))
			flush_page_tags(page);
		if (!(pfn % 512))
			cond_resched();
	}
	dsb(sy);
}
EXPORT_SYMBOL_GPL(mte_tag_storage_inval_tags);
