// SPDX-License-Identifier: GPL-2.0
/*
 * mtetag's store: the one pool over every carve-out region, its ops (overflow pages, the
 * cache maintenance of a tag page changing role) and its eviction reserve (spare pages and
 * their refill), and the hibernation rule. The block devices and the tag hook use the pool
 * through this file and pool.h; neither calls the other for it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mte_tag_storage.h>
#include <linux/slab.h>
#include <linux/suspend.h>
#include <linux/workqueue.h>

#include "mtetag.h"

struct mtp_pool mtetag_pool;

static void free_overflow_page(struct mtp_page *page)
{
	struct mtp_ovf_page *ovf = mtp_to_ovf(page);

	free_page((unsigned long)ovf->addr);
	kfree(ovf);
}

/* An overflow page and its descriptor, or NULL. */
static struct mtp_page *alloc_overflow_page(gfp_t gfp)
{
	struct mtp_ovf_page *ovf = kzalloc(sizeof(*ovf), gfp);

	if (ovf)
		ovf->addr = (void *)__get_free_page(gfp);
	if (ovf && !ovf->addr) {
		kfree(ovf);
		ovf = NULL;
	}
	return ovf ? &ovf->pg : NULL;
}

static void refill_work(struct work_struct *work);
static DECLARE_WORK(refill, refill_work);

#if IS_ENABLED(CONFIG_MTETAG_TESTING)
/* The suites' forced loss: evictions find neither reserve nor memory. */
static bool test_starved;

static bool starved(void)
{
	return READ_ONCE(test_starved);
}

/**
 * mtetag_test_starve() - leave evictions no room at all (test builds only)
 *
 * No reserve, no spare, no atomic allocation: the next eviction that finds no free tag page
 * drops objects, whose reads must then fail. Lasts until the module is unloaded.
 */
void mtetag_test_starve(void)
{
	struct mtp_page *page;

	WRITE_ONCE(test_starved, true);
	flush_work(&refill); /* a refill under way would bring spares back */
	mtp_pool_set_reserve(&mtetag_pool, 0, 0);
	while ((page = mtp_pool_take_spare(&mtetag_pool)))
		free_overflow_page(page);
}
#else
static bool starved(void)
{
	return false;
}
#endif

static struct mtp_page *alloc_overflow_atomic(void)
{
	return starved() ? NULL : alloc_overflow_page(GFP_ATOMIC | __GFP_NOWARN);
}

/* Pool op: a carve-out page that held objects will hold tags. */
static void tag_page_to_tags(struct mtp_pool *pool, void *addr)
{
	mte_tag_storage_inval_data(addr, MTP_PAGE_SIZE);
}

/*
 * Pool op: a block of tag pages is about to hold objects. Cleans and invalidates the tag
 * lines of the data pages the block covers, at give-back rather than on every free of a
 * tagged page: frees are many, give-backs few.
 */
static void block_to_pool(struct mtp_pool *pool, u32 first, u32 nr)
{
	int i;

	for (i = 0; i < mtetag_nr_regions; i++) {
		const struct mtetag_region *r = &mtetag_regions[i];

		if (first - r->first_tag_page < r->range.tag_size >> PAGE_SHIFT) {
			mte_tag_storage_inval_tags(PHYS_PFN(r->range.mem_base) +
						   (first - r->first_tag_page) *
						   MTR_DATA_PAGES_PER_TAG_PAGE,
						   nr * MTR_DATA_PAGES_PER_TAG_PAGE);
			return;
		}
	}
}

static const struct mtp_pool_ops mtetag_pool_ops = {
	.free_overflow = free_overflow_page,
	.alloc_atomic = alloc_overflow_atomic,
	.to_tags = tag_page_to_tags,
	.to_pool = block_to_pool,
};

/*
 * Hibernation saves the carve-out as memory (it is in the linear map) and restores it under
 * the tags it puts back: no object may lie there from the start of hibernation (the image's
 * preallocation swaps out to us too) to its end. Refused while objects lie there; swapping
 * off and resetting the devices lets it proceed.
 */
static int mtetag_pm_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	switch (action) {
	case PM_HIBERNATION_PREPARE:
	case PM_RESTORE_PREPARE:
		if (!mtp_pool_close_carveout(&mtetag_pool))
			return NOTIFY_OK;
		pr_warn("hibernation refused: %llu carve-out pages hold swap data (swapoff and reset the devices first)\n",
			READ_ONCE(mtetag_pool.st.tag_used));
		return notifier_from_errno(-EBUSY);
	case PM_POST_HIBERNATION:
	case PM_POST_RESTORE:
		mtp_pool_open_carveout(&mtetag_pool);
		return NOTIFY_OK;
	}
	return NOTIFY_DONE;
}

static struct notifier_block mtetag_pm_nb = {
	.notifier_call = mtetag_pm_notify,
};

/*
 * Evictions draw on free tag pages first, then on spares: the two together make the reserve.
 * One spare at least, for a write that found no free tag page.
 */
static u32 spares_wanted(void)
{
	u32 free_tag = mtp_pool_nr_free_tag(&mtetag_pool);

	if (starved())
		return 0;
	return free_tag >= MTETAG_SPARES ? 1 : MTETAG_SPARES - free_tag;
}

/**
 * mtetag_spares_low() - whether the eviction reserve needs a refill
 *
 * Return: true when free tag pages and spare pages together are below MTETAG_SPARES_LOW.
 */
bool mtetag_spares_low(void)
{
	return mtp_pool_nr_spare(&mtetag_pool) + mtp_pool_nr_free_tag(&mtetag_pool) <
	       MTETAG_SPARES_LOW;
}

/**
 * mtetag_add_spare() - give the pool one more overflow page, for a write it asked one of
 * @gfp: allocation flags of the caller's context
 *
 * Return: 0, or -ENOMEM when no page could be allocated.
 */
int mtetag_add_spare(gfp_t gfp)
{
	struct mtp_page *page = alloc_overflow_page(gfp);

	if (!page)
		return -ENOMEM;
	mtp_pool_add_spare(&mtetag_pool, page);
	return 0;
}

/**
 * mtetag_refill_spares() - top up the pool's spare overflow pages
 * @gfp: allocation flags of the caller's context
 *
 * Return: 0 when the pool has at least one spare page, -ENOMEM otherwise.
 */
int mtetag_refill_spares(gfp_t gfp)
{
	while (mtp_pool_nr_spare(&mtetag_pool) < spares_wanted()) {
		struct mtp_page *page = alloc_overflow_page(gfp);

		if (!page)
			break;
		mtp_pool_add_spare(&mtetag_pool, page);
	}
	return mtp_pool_nr_spare(&mtetag_pool) ? 0 : -ENOMEM;
}

/* Evictions used spares: top them up where sleeping is allowed. */
static void refill_work(struct work_struct *work)
{
	mtetag_refill_spares(GFP_KERNEL);
}

/**
 * mtetag_refill_async() - top up the eviction reserve from a work item, if it is low
 *
 * For callers that cannot sleep: the tag hook after an eviction.
 */
void mtetag_refill_async(void)
{
	if (mtetag_spares_low())
		schedule_work(&refill);
}

/**
 * mtetag_store_init() - the pool over every discovered region
 *
 * Return: 0 or -errno.
 */
int mtetag_store_init(void)
{
	u64 nr_tag = 0;
	int i, err;

	BUILD_BUG_ON(MTP_PAGE_SIZE != PAGE_SIZE);
	for (i = 0; i < mtetag_nr_regions; i++)
		nr_tag += mtetag_regions[i].range.tag_size >> PAGE_SHIFT;
	if (nr_tag > U32_MAX) { /* tag pages are numbered in 32 bits */
		pr_err("%llu tag pages in all: at most 2^32\n", nr_tag);
		return -EINVAL;
	}
	err = mtp_pool_init(&mtetag_pool, &mtetag_pool_ops, nr_tag);
	if (err)
		return err;
	mtp_pool_set_reserve(&mtetag_pool, MTETAG_RESERVE, MTETAG_SPARES);
	err = register_pm_notifier(&mtetag_pm_nb);
	if (err)
		mtp_pool_destroy(&mtetag_pool);
	return err;
}

/**
 * mtetag_store_exit() - undo mtetag_store_init(), once nothing uses the pool
 */
void mtetag_store_exit(void)
{
	unregister_pm_notifier(&mtetag_pm_nb);
	cancel_work_sync(&refill);
	mtp_pool_destroy(&mtetag_pool);
}
