// SPDX-License-Identifier: GPL-2.0
/*
 * mtetag: compressed swap in the idle part of the MTE tag-storage carve-out.
 *
 * The module finds the carve-out, builds one pool over its free pages and offers zram-style
 * block devices on top; overflow beyond the carve-out comes from ordinary RAM as in zram.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/suspend.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "mtetag.h"

/* Default disksize: the carve-out times a typical lz4 ratio for anonymous memory. */
#define MTETAG_DEFAULT_RATIO 4
/* Largest disksize accepted, in multiples of RAM. */
#define MTETAG_MAX_RAM_MULTIPLE 16

static unsigned int num_devices = 1;
module_param(num_devices, uint, 0444);
MODULE_PARM_DESC(num_devices, "Devices created at load (default 1)");

static char *tag_region;
module_param(tag_region, charp, 0444);
MODULE_PARM_DESC(tag_region,
		 "<tag base>,<tag size>,<data base>[,<block-size>] in hex: a carve-out for kernels whose device tree lacks arm,mte-tag-storage (the range must not be allocator memory; block-size defaults to a page)");

static char *disksize = "auto";
module_param(disksize, charp, 0444);
MODULE_PARM_DESC(disksize,
		 "Disk size of new devices: auto (4x the carve-out, the default), 0 (uninitialised, as zram), or a size such as 1G");

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

static struct mtp_page *alloc_overflow_atomic(void)
{
	return alloc_overflow_page(GFP_ATOMIC | __GFP_NOWARN);
}

static const struct mtp_pool_ops mtetag_pool_ops = {
	.free_overflow = free_overflow_page,
	.alloc_atomic = alloc_overflow_atomic,
	.to_tags = mtetag_tag_page_to_tags,
	.to_pool = mtetag_block_to_pool,
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

/**
 * mtetag_max_disksize() - the largest disksize a device accepts
 *
 * Return: MTETAG_MAX_RAM_MULTIPLE times RAM, at most U32_MAX pages, in bytes.
 */
u64 mtetag_max_disksize(void)
{
	/* Slots are numbered in 32 bits. */
	return min_t(u64, (u64)totalram_pages() * MTETAG_MAX_RAM_MULTIPLE, U32_MAX) << PAGE_SHIFT;
}

/**
 * mtetag_default_disksize() - disksize of a device created at load or by hot_add
 *
 * Return: bytes, 0 for an uninitialised device.
 */
u64 mtetag_default_disksize(void)
{
	u64 size;

	if (!strcmp(disksize, "auto"))
		return (u64)mtetag_pool.nr_tag * PAGE_SIZE * MTETAG_DEFAULT_RATIO;
	if (mtetag_parse_size(disksize, &size))
		return 0; /* refused at load already */
	return min(PAGE_ALIGN(size), mtetag_max_disksize());
}

static ssize_t hot_add_show(const struct class *class, const struct class_attribute *attr,
			    char *buf)
{
	int id = mtetag_dev_add();

	return id < 0 ? id : sysfs_emit(buf, "%d\n", id);
}

/* Root only, as zram's: every read adds a device. */
static struct class_attribute class_attr_hot_add = __ATTR(hot_add, 0400, hot_add_show, NULL);

static ssize_t hot_remove_store(const struct class *class, const struct class_attribute *attr,
				const char *buf, size_t len)
{
	int id, err;

	err = kstrtoint(buf, 10, &id);
	if (err)
		return err;
	if (id < 0)
		return -EINVAL;
	err = mtetag_dev_remove(id);
	return err ? err : len;
}
static CLASS_ATTR_WO(hot_remove);

static struct attribute *mtetag_control_attrs[] = {
	&class_attr_hot_add.attr,
	&class_attr_hot_remove.attr,
	NULL,
};
ATTRIBUTE_GROUPS(mtetag_control);

static const struct class mtetag_control_class = {
	.name = "mtetag-control",
	.class_groups = mtetag_control_groups,
};

static int __init mtetag_init(void)
{
	u64 size;
	u32 nr_tag = 0;
	int i, err;

	BUILD_BUG_ON(MTP_PAGE_SIZE != PAGE_SIZE);

	if (strcmp(disksize, "auto") && mtetag_parse_size(disksize, &size)) {
		pr_err("disksize=%s: expected auto, 0 or a size\n", disksize);
		return -EINVAL;
	}
	if (num_devices > MTP_MAX_OWNERS) {
		pr_err("num_devices=%u: at most %d\n", num_devices, MTP_MAX_OWNERS);
		return -EINVAL;
	}
	err = mtetag_discover(tag_region);
	if (err)
		return err;
	for (i = 0; i < mtetag_nr_regions; i++)
		nr_tag += mtetag_regions[i].tag_size >> PAGE_SHIFT;
	err = mtp_pool_init(&mtetag_pool, &mtetag_pool_ops, nr_tag);
	if (err)
		goto unmap;
	mtetag_pool.reserve = MTETAG_RESERVE;
	mtetag_pool.spare_max = MTETAG_SPARES;
	err = mtetag_hook_init();
	if (err)
		goto destroy_pool;
	/* After the scan: free tag pages count towards the eviction reserve. */
	err = mtetag_refill_spares(GFP_KERNEL);
	if (err)
		goto hook_exit;
	err = mtetag_blk_init();
	if (err)
		goto hook_exit;
	err = register_pm_notifier(&mtetag_pm_nb);
	if (err)
		goto blk_exit;
	err = class_register(&mtetag_control_class);
	if (err)
		goto pm_exit;
	for (i = 0; i < num_devices; i++) {
		err = mtetag_dev_add();
		if (err < 0)
			goto remove_devices;
	}
	return 0;

remove_devices:
	/* The class first: no hot_add may create a device behind the removal. */
	class_unregister(&mtetag_control_class);
	mtetag_dev_remove_all();
pm_exit:
	unregister_pm_notifier(&mtetag_pm_nb);
blk_exit:
	mtetag_blk_exit();
hook_exit:
	mtetag_hook_exit();
destroy_pool:
	mtp_pool_destroy(&mtetag_pool);
unmap:
	mtetag_unmap_regions();
	return err;
}

static void __exit mtetag_exit(void)
{
	class_unregister(&mtetag_control_class);
	mtetag_dev_remove_all();
	unregister_pm_notifier(&mtetag_pm_nb);
	mtetag_blk_exit();
	mtetag_hook_exit();
	mtp_pool_destroy(&mtetag_pool);
	mtetag_unmap_regions();
}

module_init(mtetag_init);
module_exit(mtetag_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Compressed swap in the idle MTE tag-storage carve-out");
