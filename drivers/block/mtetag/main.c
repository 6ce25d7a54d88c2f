// SPDX-License-Identifier: GPL-2.0
/*
 * mtetag: compressed swap in the idle part of the MTE tag-storage carve-out.
 *
 * The module finds the carve-out (region.c), builds one pool over its free pages (store.c),
 * registers the tag hook (hook.c) and offers zram-style block devices on top (dev.c); overflow
 * beyond the carve-out comes from ordinary RAM as in zram. This file only orders them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/sysfs.h>

#include "mtetag.h"

static unsigned int num_devices = 1;
module_param(num_devices, uint, 0444);
MODULE_PARM_DESC(num_devices, "Devices created at load (default 1)");

static char *tag_region;
module_param(tag_region, charp, 0444);
MODULE_PARM_DESC(tag_region,
		 "<tag base>,<tag size>,<data base>[,<block-size>] in hex: a carve-out for kernels whose device tree lacks arm,mte-tag-storage (the range must not be allocator memory; block-size defaults to a page)");

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
	int i, err;

	if (num_devices > MTP_MAX_OWNERS) {
		pr_err("num_devices=%u: at most %d\n", num_devices, MTP_MAX_OWNERS);
		return -EINVAL;
	}
	/* Parameters first: a bad disksize costs no scan of memory. */
	err = mtetag_blk_init();
	if (err)
		return err;
	err = mtetag_discover(tag_region);
	if (err)
		goto blk_exit;
	err = mtetag_store_init();
	if (err)
		goto unmap;
	err = mtetag_hook_init();
	if (err)
		goto store_exit;
	/* After the scan: free tag pages count towards the eviction reserve. */
	err = mtetag_refill_spares(GFP_KERNEL);
	if (err)
		goto hook_exit;
	err = class_register(&mtetag_control_class);
	if (err)
		goto hook_exit;
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
hook_exit:
	mtetag_hook_exit();
store_exit:
	mtetag_store_exit();
unmap:
	mtetag_unmap_regions();
blk_exit:
	mtetag_blk_exit();
	return err;
}

static void __exit mtetag_exit(void)
{
	class_unregister(&mtetag_control_class);
	mtetag_dev_remove_all();
	mtetag_hook_exit();
	mtetag_store_exit();
	mtetag_unmap_regions();
	mtetag_blk_exit();
}

module_init(mtetag_init);
module_exit(mtetag_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Compressed swap in the idle MTE tag-storage carve-out");
