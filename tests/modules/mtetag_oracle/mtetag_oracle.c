// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only: read and write the carve-out bytes that hold the tags of one data page, so that
 * a test can check that the emulated machine keeps tags in the carve-out (the faithful QEMU's
 * mte-tag-carveout). Never load it on a real system: it writes tag storage behind MTE's back.
 *
 * /sys/kernel/debug/mtetag_oracle/tag_bytes
 *   write "<pfn>"             select a data page
 *   write "<pfn> <256 hex>"   select it and overwrite its 128 tag bytes
 *   read                      the 128 tag bytes of the selected page, as hex
 *
 * /sys/kernel/debug/mtetag_oracle/bad_on_free
 *   write "<address>"         make the writer's page at that address fail the page
 *                             allocator's free checks (PG_private_2): when the writer unmaps
 *                             it, the kernel reports a bad page and leaks it (with
 *                             init_on_free=1 or CONFIG_DEBUG_VM, which enable the checks)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/hex.h>
#include <linux/io.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/panic.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#define TAG_BYTES_PER_PAGE (PAGE_SIZE / 32)

static unsigned long tag_base;
module_param(tag_base, ulong, 0444);
MODULE_PARM_DESC(tag_base, "Physical address of the carve-out");

static unsigned long mem_base;
module_param(mem_base, ulong, 0444);
MODULE_PARM_DESC(mem_base, "Physical address of the data memory it tags");

static unsigned long mem_size;
module_param(mem_size, ulong, 0444);
MODULE_PARM_DESC(mem_size, "Bytes of data memory it tags");

static DEFINE_MUTEX(oracle_lock);
static unsigned long selected_pfn;
static struct dentry *oracle_dir;

/* The carve-out bytes for @pfn, mapped; NULL for a page outside the tagged memory. */
static u8 *map_tag_bytes(unsigned long pfn)
{
	phys_addr_t addr = PFN_PHYS(pfn);

	if (addr < mem_base || addr >= mem_base + mem_size)
		return NULL;
	return memremap(tag_base + (addr - mem_base) / 32, TAG_BYTES_PER_PAGE, MEMREMAP_WB);
}

static ssize_t tag_bytes_read(struct file *file, char __user *ubuf, size_t count, loff_t *ppos)
{
	char text[2 * TAG_BYTES_PER_PAGE + 2];
	u8 *tags;

	mutex_lock(&oracle_lock);
	tags = map_tag_bytes(selected_pfn);
	if (!tags) {
		mutex_unlock(&oracle_lock);
		return -EINVAL;
	}
	bin2hex(text, tags, TAG_BYTES_PER_PAGE);
	memunmap(tags);
	mutex_unlock(&oracle_lock);
	text[2 * TAG_BYTES_PER_PAGE] = '\n';
	return simple_read_from_buffer(ubuf, count, ppos, text, sizeof(text) - 1);
}

static ssize_t tag_bytes_write(struct file *file, const char __user *ubuf, size_t count,
			       loff_t *ppos)
{
	u8 bytes[TAG_BYTES_PER_PAGE];
	char hex[2 * TAG_BYTES_PER_PAGE + 1];
	unsigned long pfn;
	char *buf, *space;
	int err = 0;
	u8 *tags;

	buf = memdup_user_nul(ubuf, min_t(size_t, count, 64 + sizeof(hex)));
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	space = strchr(strim(buf), ' ');
	if (space)
		*space++ = '\0';
	if (kstrtoul(buf, 0, &pfn) ||
	    (space && (strscpy(hex, space, sizeof(hex)) != sizeof(hex) - 1 ||
		       hex2bin(bytes, hex, TAG_BYTES_PER_PAGE)))) {
		err = -EINVAL;
		goto out;
	}
	mutex_lock(&oracle_lock);
	tags = map_tag_bytes(pfn);
	if (!tags) {
		err = -EINVAL;
	} else {
		selected_pfn = pfn;
		if (space)
			memcpy(tags, bytes, TAG_BYTES_PER_PAGE);
		memunmap(tags);
	}
	mutex_unlock(&oracle_lock);
out:
	kfree(buf);
	return err ? err : count;
}

static const struct file_operations tag_bytes_fops = {
	.owner = THIS_MODULE,
	.read = tag_bytes_read,
	.write = tag_bytes_write,
	.llseek = default_llseek,
};

static ssize_t bad_on_free_write(struct file *file, const char __user *ubuf, size_t count,
				 loff_t *ppos)
{
	unsigned long addr;
	struct page *page;
	int err;

	err = kstrtoul_from_user(ubuf, count, 0, &addr);
	if (err)
		return err;
	if (get_user_pages_fast(addr, 1, 0, &page) != 1)
		return -EFAULT;
	pr_info("pfn %#lx: PG_private_2 set, its free will be refused\n", page_to_pfn(page));
	SetPagePrivate2(page);
	put_page(page);
	return count;
}

static const struct file_operations bad_on_free_fops = {
	.owner = THIS_MODULE,
	.write = bad_on_free_write,
};

static int __init oracle_init(void)
{
	if (!tag_base || !mem_size) {
		pr_err("tag_base, mem_base and mem_size are required\n");
		return -EINVAL;
	}
	add_taint(TAINT_TEST, LOCKDEP_STILL_OK);
	oracle_dir = debugfs_create_dir("mtetag_oracle", NULL);
	debugfs_create_file("tag_bytes", 0600, oracle_dir, NULL, &tag_bytes_fops);
	debugfs_create_file("bad_on_free", 0200, oracle_dir, NULL, &bad_on_free_fops);
	return 0;
}

static void __exit oracle_exit(void)
{
	debugfs_remove_recursive(oracle_dir);
}

module_init(oracle_init);
module_exit(oracle_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Test-only access to the tag bytes of the MTE carve-out");
