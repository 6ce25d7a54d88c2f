// SPDX-License-Identifier: GPL-2.0
/*
 * mtetag block devices: the I/O path and the zram-compatible sysfs attributes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/ctype.h>
#include <linux/blkdev.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "mtetag.h"

/* Default disksize: the carve-out times a typical lz4 ratio for anonymous memory. */
#define MTETAG_DEFAULT_RATIO 4
/* Largest disksize accepted, in multiples of RAM. */
#define MTETAG_MAX_RAM_MULTIPLE 16

static char *disksize = "auto";
module_param(disksize, charp, 0444);
MODULE_PARM_DESC(disksize,
		 "Disk size of new devices: auto (4x the carve-out, the default), 0 (uninitialised, as zram), or a size such as 1G");

/* The largest disksize a device accepts: MTETAG_MAX_RAM_MULTIPLE times RAM, U32_MAX pages. */
static u64 max_disksize(void)
{
	/* Slots are numbered in 32 bits. */
	return min_t(u64, (u64)totalram_pages() * MTETAG_MAX_RAM_MULTIPLE, U32_MAX) << PAGE_SHIFT;
}

/* Disksize of a device created at load or by hot_add; 0: uninitialised. */
static u64 default_disksize(void)
{
	u64 size;

	if (!strcmp(disksize, "auto"))
		return (u64)mtetag_pool.nr_tag * PAGE_SIZE * MTETAG_DEFAULT_RATIO;
	if (mtetag_parse_size(disksize, &size))
		return 0; /* refused at load already */
	return min(PAGE_ALIGN(size), max_disksize());
}

#define SECTORS_PER_PAGE_SHIFT (PAGE_SHIFT - SECTOR_SHIFT)
#define SECTORS_PER_PAGE BIT(SECTORS_PER_PAGE_SHIFT)

static int mtetag_major;
static DEFINE_IDR(mtetag_idr);
static DEFINE_MUTEX(mtetag_idr_lock);

static struct mtetag_dev *dev_to_mtetag(struct device *dev)
{
	return dev_to_disk(dev)->private_data;
}

static bool initialised(struct mtetag_dev *mt)
{
	return mt->disksize != 0;
}

/* A page of one repeated word takes no space: record the word. */
static bool page_same_filled(const void *mem, u64 *fill)
{
	const u64 *word = mem;
	unsigned int i;

	for (i = 1; i < PAGE_SIZE / sizeof(*word); i++)
		if (word[i] != word[0])
			return false;
	*fill = word[0];
	return true;
}

static int write_page(struct mtetag_dev *mt, struct page *page, u32 index)
{
	struct mtetag_stream *s;
	unsigned int len;
	void *mem;
	u64 fill;
	int err;

	err = mtp_prepare_slot(&mtetag_pool, &mt->owner, index);
	if (err)
		return err;
	if (mtetag_spares_low())
		mtetag_refill_spares(GFP_NOIO | __GFP_NOWARN);
	mem = kmap_local_page(page);
	if (page_same_filled(mem, &fill)) {
		kunmap_local(mem);
		return mtp_write_same(&mtetag_pool, &mt->owner, index, fill);
	}
	do {
		s = mtetag_stream_get(&mt->comp);
		if (mtetag_compress(&mt->comp, s, mem, &len) || len > MTP_HUGE_THRESHOLD)
			err = mtp_write(&mtetag_pool, &mt->owner, index, mem, PAGE_SIZE);
		else
			err = mtp_write(&mtetag_pool, &mt->owner, index, s->buffer, len);
		mtetag_stream_put(&mt->comp);
		/*
		 * The pool needs a page of RAM that is not the eviction reserve's: get one where
		 * sleeping is allowed and retry; no page is an error, not another round.
		 */
	} while (err == -EAGAIN && !mtetag_add_spare(GFP_NOIO));
	kunmap_local(mem);
	return err;
}

static int read_page(struct mtetag_dev *mt, struct page *page, u32 index)
{
	struct mtetag_stream *s;
	unsigned int len = 0;
	u64 fill = 0, *word;
	int kind, err = 0;
	void *mem;
	unsigned int i;

	s = mtetag_stream_get(&mt->comp);
	kind = mtp_read(&mtetag_pool, &mt->owner, index, s->buffer, &len, &fill);
	mem = kmap_local_page(page);
	switch (kind) {
	case MTP_SLOT_EMPTY:
		memset(mem, 0, PAGE_SIZE);
		break;
	case MTP_SLOT_SAME:
		word = mem;
		for (i = 0; i < PAGE_SIZE / sizeof(*word); i++)
			word[i] = fill;
		break;
	case MTP_SLOT_OBJ:
		if (len == PAGE_SIZE)
			memcpy(mem, s->buffer, PAGE_SIZE);
		else
			err = mtetag_decompress(&mt->comp, s, s->buffer, len, mem);
		break;
	case MTP_SLOT_LOST:
		atomic64_inc(&mt->io.lost_reads);
		pr_warn_ratelimited("%s: page %u was lost to an eviction without room: I/O error\n",
				    mt->disk->disk_name, index);
		err = -EIO;
		break;
	case -EBADMSG:
		atomic64_inc(&mt->io.corrupt_reads);
		pr_warn_ratelimited("%s: page %u failed its checksum: I/O error\n",
				    mt->disk->disk_name, index);
		err = -EIO;
		break;
	default:
		err = -EIO;
	}
	kunmap_local(mem);
	mtetag_stream_put(&mt->comp);
	return err;
}

/* One piece of a bio inside one device page; partial pages go through a bounce page. */
static int rw_bvec(struct mtetag_dev *mt, struct bio_vec *bv, u32 index, u32 offset, bool write)
{
	struct page *bounce;
	int err;

	if (bv->bv_len == PAGE_SIZE && !offset) {
		if (write)
			return write_page(mt, bv->bv_page, index);
		err = read_page(mt, bv->bv_page, index);
		if (!err)
			flush_dcache_page(bv->bv_page);
		return err;
	}
	bounce = alloc_page(GFP_NOIO);
	if (!bounce)
		return -ENOMEM;
	err = read_page(mt, bounce, index);
	if (!err && write) {
		memcpy_from_bvec(page_address(bounce) + offset, bv);
		err = write_page(mt, bounce, index);
	} else if (!err) {
		memcpy_to_bvec(bv, page_address(bounce) + offset);
	}
	__free_page(bounce);
	return err;
}

static void rw_bio(struct mtetag_dev *mt, struct bio *bio, bool write)
{
	struct bvec_iter iter = bio->bi_iter;
	u32 index = iter.bi_sector >> SECTORS_PER_PAGE_SHIFT;
	u32 offset = (iter.bi_sector & (SECTORS_PER_PAGE - 1)) << SECTOR_SHIFT;

	while (iter.bi_size) {
		struct bio_vec bv = bio_iter_iovec(bio, iter);

		bv.bv_len = min_t(u32, bv.bv_len, PAGE_SIZE - offset);
		if (rw_bvec(mt, &bv, index, offset, write)) {
			atomic64_inc(write ? &mt->io.failed_writes : &mt->io.failed_reads);
			bio->bi_status = BLK_STS_IOERR;
			break;
		}
		bio_advance_iter_single(bio, &iter, bv.bv_len);
		offset += bv.bv_len;
		if (offset == PAGE_SIZE) {
			offset = 0;
			index++;
		}
	}
	bio_endio(bio);
}

/* Discard and write-zeroes free whole pages at once; an empty slot reads as zeroes. */
static void discard_bio(struct mtetag_dev *mt, struct bio *bio)
{
	u32 index = bio->bi_iter.bi_sector >> SECTORS_PER_PAGE_SHIFT;
	u32 offset = (bio->bi_iter.bi_sector & (SECTORS_PER_PAGE - 1)) << SECTOR_SHIFT;
	u32 left = bio->bi_iter.bi_size;

	if (offset) {
		if (left <= PAGE_SIZE - offset)
			goto out;
		left -= PAGE_SIZE - offset;
		index++;
	}
	for (; left >= PAGE_SIZE; left -= PAGE_SIZE)
		mtp_discard(&mtetag_pool, &mt->owner, index++);
out:
	bio_endio(bio);
}

/* Inside the device and in whole logical blocks (one page), as zram checks too. */
static bool valid_io(struct mtetag_dev *mt, struct bio *bio)
{
	u64 end = bio->bi_iter.bi_sector + (bio->bi_iter.bi_size >> SECTOR_SHIFT);

	return initialised(mt) && end <= (mt->disksize >> SECTOR_SHIFT) &&
	       IS_ALIGNED(bio->bi_iter.bi_sector, SECTORS_PER_PAGE) &&
	       IS_ALIGNED(bio->bi_iter.bi_size, PAGE_SIZE);
}

/**
 * mtetag_submit_bio() - the block layer's entry for reads, writes and discards
 * @bio: the request
 */
void mtetag_submit_bio(struct bio *bio)
{
	struct mtetag_dev *mt = bio->bi_bdev->bd_disk->private_data;

	if (!valid_io(mt, bio)) {
		atomic64_inc(&mt->io.invalid_io);
		bio_io_error(bio);
		return;
	}
	switch (bio_op(bio)) {
	case REQ_OP_READ:
		rw_bio(mt, bio, false);
		break;
	case REQ_OP_WRITE:
		rw_bio(mt, bio, true);
		break;
	case REQ_OP_DISCARD:
	case REQ_OP_WRITE_ZEROES:
		discard_bio(mt, bio);
		break;
	default:
		atomic64_inc(&mt->io.invalid_io);
		bio_io_error(bio);
	}
}

/**
 * mtetag_slot_free_notify() - swap frees a slot: drop its object now (runs under a spinlock)
 * @bdev: the device
 * @index: the page index
 */
void mtetag_slot_free_notify(struct block_device *bdev, unsigned long index)
{
	struct mtetag_dev *mt = bdev->bd_disk->private_data;

	atomic64_inc(&mt->io.notify_free);
	mtp_discard(&mtetag_pool, &mt->owner, index);
}

static int mtetag_open(struct gendisk *disk, blk_mode_t mode)
{
	struct mtetag_dev *mt = disk->private_data;

	return mt->claim ? -EBUSY : 0;
}

static const struct block_device_operations mtetag_fops = {
	.owner = THIS_MODULE,
	.open = mtetag_open,
	.submit_bio = mtetag_submit_bio,
	.swap_slot_free_notify = mtetag_slot_free_notify,
};

/**
 * mtetag_parse_size() - parse a size as zram does (K/M/G/T/P/E suffixes)
 * @buf: the text, one trailing newline allowed
 * @size: the bytes
 *
 * Stricter than memparse(), which wraps silently: trailing garbage, signs and values that do
 * not fit in 64 bits, page-aligned, are refused.
 *
 * Return: 0 or -EINVAL.
 */
int mtetag_parse_size(const char *buf, u64 *size)
{
	static const char suffixes[] = "KMGTPE";
	unsigned int digits = 0, shift = 0;
	char num[24];
	const char *p;

	while (isdigit(buf[digits]))
		digits++;
	if (!digits || digits >= sizeof(num))
		return -EINVAL;
	memcpy(num, buf, digits);
	num[digits] = '\0';
	if (kstrtoull(num, 10, size))
		return -EINVAL;
	p = buf + digits;
	if (*p && strchr(suffixes, toupper(*p))) {
		shift = 10 * (strchr(suffixes, toupper(*p)) - suffixes + 1);
		p++;
	}
	if (*p == '\n')
		p++;
	if (*p || *size > (U64_MAX - PAGE_SIZE) >> shift)
		return -EINVAL;
	*size <<= shift;
	return 0;
}

static int init_device(struct mtetag_dev *mt, u64 size)
{
	int err;

	err = mtetag_comp_create(&mt->comp, mt->comp_name);
	if (err)
		return err;
	err = mtp_owner_init(&mtetag_pool, &mt->owner, size >> PAGE_SHIFT);
	if (err) {
		mtetag_comp_destroy(&mt->comp);
		return err;
	}
	mt->owner.ovf_limit = mt->mem_limit >> PAGE_SHIFT;
	mt->disksize = size;
	set_capacity_and_notify(mt->disk, size >> SECTOR_SHIFT);
	return 0;
}

static void reset_device(struct mtetag_dev *mt)
{
	if (!initialised(mt))
		return;
	set_capacity_and_notify(mt->disk, 0);
	mt->disksize = 0;
	mtp_owner_destroy(&mtetag_pool, &mt->owner);
	mtetag_comp_destroy(&mt->comp);
	memset(&mt->io, 0, sizeof(mt->io));
}

static ssize_t disksize_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dev_to_mtetag(dev)->disksize);
}

static ssize_t disksize_store(struct device *dev, struct device_attribute *attr, const char *buf,
			      size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	u64 size;
	int err;

	err = mtetag_parse_size(buf, &size);
	if (err)
		return err;
	size = PAGE_ALIGN(size);
	if (!size || size > max_disksize())
		return -EINVAL;
	down_write(&mt->init_lock);
	err = initialised(mt) ? -EBUSY : init_device(mt, size);
	up_write(&mt->init_lock);
	return err ? err : len;
}

static ssize_t initstate_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n", initialised(dev_to_mtetag(dev)));
}

static ssize_t comp_algorithm_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	ssize_t n;

	down_read(&mt->init_lock);
	n = mtetag_comp_list(mt->comp_name, buf);
	up_read(&mt->init_lock);
	return n;
}

static ssize_t comp_algorithm_store(struct device *dev, struct device_attribute *attr,
				    const char *buf, size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	char name[sizeof(mt->comp_name)];
	int err = 0;

	if (!mtetag_comp_known(buf))
		return -EINVAL;
	strscpy(name, buf, sizeof(name));
	down_write(&mt->init_lock);
	if (initialised(mt))
		err = -EBUSY;
	else
		strscpy(mt->comp_name, strim(name), sizeof(mt->comp_name));
	up_write(&mt->init_lock);
	return err ? err : len;
}

static ssize_t mem_limit_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", dev_to_mtetag(dev)->mem_limit);
}

static ssize_t mem_limit_store(struct device *dev, struct device_attribute *attr, const char *buf,
			       size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	u64 limit;
	int err;

	err = mtetag_parse_size(buf, &limit);
	if (err)
		return err;
	down_write(&mt->init_lock);
	mt->mem_limit = PAGE_ALIGN(limit);
	WRITE_ONCE(mt->owner.ovf_limit, mt->mem_limit >> PAGE_SHIFT);
	up_write(&mt->init_lock);
	return len;
}

static ssize_t reset_store(struct device *dev, struct device_attribute *attr, const char *buf,
			   size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	struct gendisk *disk = mt->disk;
	bool do_reset;
	int err;

	err = kstrtobool(buf, &do_reset);
	if (err)
		return err;
	if (!do_reset)
		return -EINVAL;
	mutex_lock(&disk->open_mutex);
	if (disk_openers(disk) || mt->claim) {
		mutex_unlock(&disk->open_mutex);
		return -EBUSY;
	}
	mt->claim = true; /* no new openers until the reset is done */
	mutex_unlock(&disk->open_mutex);
	sync_blockdev(disk->part0);
	down_write(&mt->init_lock);
	reset_device(mt);
	up_write(&mt->init_lock);
	mutex_lock(&disk->open_mutex);
	mt->claim = false;
	mutex_unlock(&disk->open_mutex);
	return len;
}

static ssize_t compact_store(struct device *dev, struct device_attribute *attr, const char *buf,
			     size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);

	down_read(&mt->init_lock);
	if (initialised(mt))
		mtp_compact(&mtetag_pool, &mt->owner);
	up_read(&mt->init_lock);
	return len;
}

static struct mtp_owner_stats owner_stats(struct mtetag_dev *mt)
{
	struct mtp_owner_stats st;
	unsigned long flags;

	spin_lock_irqsave(&mtetag_pool.lock, flags);
	st = mt->owner.st;
	spin_unlock_irqrestore(&mtetag_pool.lock, flags);
	return st;
}

/* zram's columns; mem_used_* count ordinary RAM (overflow), the carve-out is in tag_stat. */
static ssize_t mm_stat_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	struct mtp_owner_stats st = {};
	ssize_t n;

	down_read(&mt->init_lock);
	if (initialised(mt))
		st = owner_stats(mt);
	n = sysfs_emit(buf, "%8llu %8llu %8llu %8llu %8llu %8llu %8llu %8llu %8llu\n",
		       (st.nr_objects + st.same_pages) << PAGE_SHIFT, st.compr_bytes,
		       st.ovf_pages << PAGE_SHIFT, mt->mem_limit, st.ovf_max << PAGE_SHIFT,
		       st.same_pages, st.squeezed, st.huge_pages, st.huge_since);
	up_read(&mt->init_lock);
	return n;
}

static ssize_t io_stat_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);

	/* zram's four columns, then ours: tools that know zram read the first four. */
	return sysfs_emit(buf, "%8llu %8llu %8llu %8llu %8llu %8llu\n",
			  (u64)atomic64_read(&mt->io.failed_reads),
			  (u64)atomic64_read(&mt->io.failed_writes),
			  (u64)atomic64_read(&mt->io.invalid_io),
			  (u64)atomic64_read(&mt->io.notify_free),
			  (u64)atomic64_read(&mt->io.corrupt_reads),
			  (u64)atomic64_read(&mt->io.lost_reads));
}

/*
 * The carve-out: "version 2", then one "name value" line a field, so that readers find
 * fields by name and new ones can follow. Shared by every device (one carve-out, one hook)
 * except pool_bytes and overflow_bytes (this device's compressed bytes) and meta_bytes (its
 * slot table, the carve-out's page descriptors and the overflow descriptors).
 */
static ssize_t tag_stat_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	struct mtp_owner_stats own = {};
	struct mtp_pool_stats st;
	unsigned long flags;
	u64 meta, reserves, releases, returned;
	ssize_t n;
	unsigned int i;

	down_read(&mt->init_lock);
	spin_lock_irqsave(&mtetag_pool.lock, flags);
	st = mtetag_pool.st;
	if (initialised(mt))
		own = mt->owner.st;
	spin_unlock_irqrestore(&mtetag_pool.lock, flags);
	/* Overflow and spare pages carry a descriptor each, from kmalloc. */
	meta = (initialised(mt) ? mtp_owner_meta_bytes(&mt->owner) : 0) +
	       (u64)mtetag_pool.nr_tag * sizeof(struct mtp_page) +
	       (own.ovf_pages + st.spare_pages) * kmalloc_size_roundup(sizeof(struct mtp_ovf_page));
	up_read(&mt->init_lock);
	mtetag_hook_stats(&reserves, &releases, &returned);
	{
		const struct {
			const char *name;
			u64 value;
		} fields[] = {
			{ "tag_pages", st.tag_pages },
			{ "tag_serving", st.tag_serving },
			{ "tag_used", st.tag_used },
			{ "tag_empty", st.tag_empty },
			{ "pool_bytes", own.tag_bytes },
			{ "overflow_bytes", own.compr_bytes - own.tag_bytes },
			{ "evictions", st.evictions },
			{ "evicted_objects", st.evicted_objects },
			{ "evicted_bytes", st.evicted_bytes },
			{ "evict_lost", st.evict_lost },
			{ "reserves", reserves },
			{ "releases", releases },
			{ "returned", returned },
			{ "spare_pages", st.spare_pages },
			{ "meta_bytes", meta },
			{ "corrupt_pages", st.corrupt_pages },
			{ "corrupt_lost", st.corrupt_lost },
		};

		n = sysfs_emit(buf, "version %d\n", MTETAG_TAG_STAT_VERSION);
		for (i = 0; i < ARRAY_SIZE(fields); i++)
			n += sysfs_emit_at(buf, n, "%s %llu\n", fields[i].name, fields[i].value);
	}
	return n;
}

static DEVICE_ATTR_RW(disksize);
static DEVICE_ATTR_RO(initstate);
static DEVICE_ATTR_RW(comp_algorithm);
static DEVICE_ATTR_RW(mem_limit);
static DEVICE_ATTR_WO(reset);
static DEVICE_ATTR_WO(compact);
static DEVICE_ATTR_RO(mm_stat);
static DEVICE_ATTR_RO(io_stat);
static DEVICE_ATTR_RO(tag_stat);

static struct attribute *mtetag_disk_attrs[] = {
	&dev_attr_disksize.attr,
	&dev_attr_initstate.attr,
	&dev_attr_comp_algorithm.attr,
	&dev_attr_mem_limit.attr,
	&dev_attr_reset.attr,
	&dev_attr_compact.attr,
	&dev_attr_mm_stat.attr,
	&dev_attr_io_stat.attr,
	&dev_attr_tag_stat.attr,
	NULL,
};
ATTRIBUTE_GROUPS(mtetag_disk);

/**
 * mtetag_dev_add() - create /dev/mtetagN, initialised with the default disksize if any
 *
 * Return: the new device's id, or -errno.
 */
int mtetag_dev_add(void)
{
	struct queue_limits lim = {
		.logical_block_size = PAGE_SIZE,
		.physical_block_size = PAGE_SIZE,
		.io_min = PAGE_SIZE,
		.io_opt = PAGE_SIZE,
		.max_hw_discard_sectors = UINT_MAX,
		.max_write_zeroes_sectors = UINT_MAX,
		.features = BLK_FEAT_STABLE_WRITES | BLK_FEAT_SYNCHRONOUS,
	};
	struct mtetag_dev *mt;
	u64 size;
	int err;

	mt = kzalloc(sizeof(*mt), GFP_KERNEL);
	if (!mt)
		return -ENOMEM;
	init_rwsem(&mt->init_lock);
	strscpy(mt->comp_name, mtetag_comp_default(), sizeof(mt->comp_name));
	/*
	 * Held until the device is whole, as zram's index mutex: the id is published at once
	 * and a hot_remove of it must not find a half-built device.
	 */
	mutex_lock(&mtetag_idr_lock);
	err = idr_alloc(&mtetag_idr, mt, 0, 0, GFP_KERNEL);
	if (err < 0)
		goto unlock;
	mt->id = err;
	mt->disk = blk_alloc_disk(&lim, NUMA_NO_NODE);
	if (IS_ERR(mt->disk)) {
		err = PTR_ERR(mt->disk);
		goto remove_id;
	}
	mt->disk->major = mtetag_major;
	mt->disk->first_minor = mt->id;
	mt->disk->minors = 1;
	mt->disk->flags |= GENHD_FL_NO_PART;
	mt->disk->fops = &mtetag_fops;
	mt->disk->private_data = mt;
	snprintf(mt->disk->disk_name, DISK_NAME_LEN, "mtetag%d", mt->id);
	set_capacity(mt->disk, 0);
	size = default_disksize();
	if (size) {
		err = init_device(mt, size);
		if (err)
			goto put_disk;
	}
	err = device_add_disk(NULL, mt->disk, mtetag_disk_groups);
	if (err)
		goto reset;
	mutex_unlock(&mtetag_idr_lock);
	pr_info("added %s, disksize %llu\n", mt->disk->disk_name, mt->disksize);
	return mt->id;

reset:
	reset_device(mt);
put_disk:
	put_disk(mt->disk);
remove_id:
	idr_remove(&mtetag_idr, mt->id);
unlock:
	mutex_unlock(&mtetag_idr_lock);
	kfree(mt);
	return err;
}

static int remove_device(struct mtetag_dev *mt)
{
	mutex_lock(&mt->disk->open_mutex);
	if (disk_openers(mt->disk) || mt->claim) {
		mutex_unlock(&mt->disk->open_mutex);
		return -EBUSY;
	}
	mt->claim = true;
	mutex_unlock(&mt->disk->open_mutex);
	del_gendisk(mt->disk);
	reset_device(mt);
	put_disk(mt->disk);
	kfree(mt);
	return 0;
}

/**
 * mtetag_dev_remove() - remove /dev/mtetag@id unless it is open
 * @id: the device id
 *
 * Return: 0, -ENODEV for no such device, -EBUSY while open.
 */
int mtetag_dev_remove(int id)
{
	struct mtetag_dev *mt;
	int err;

	mutex_lock(&mtetag_idr_lock);
	mt = idr_find(&mtetag_idr, id);
	err = mt ? remove_device(mt) : -ENODEV;
	if (!err)
		idr_remove(&mtetag_idr, id);
	mutex_unlock(&mtetag_idr_lock);
	return err;
}

/**
 * mtetag_dev_remove_all() - remove every device (module exit: none can be open)
 */
void mtetag_dev_remove_all(void)
{
	struct mtetag_dev *mt;
	int id;

	mutex_lock(&mtetag_idr_lock);
	idr_for_each_entry(&mtetag_idr, mt, id)
		WARN_ON(remove_device(mt));
	idr_destroy(&mtetag_idr);
	mutex_unlock(&mtetag_idr_lock);
}

/**
 * mtetag_blk_init() - check the disksize parameter, register the block major
 *
 * Return: 0 or -errno.
 */
int mtetag_blk_init(void)
{
	u64 size;

	if (strcmp(disksize, "auto") && mtetag_parse_size(disksize, &size)) {
		pr_err("disksize=%s: expected auto, 0 or a size\n", disksize);
		return -EINVAL;
	}
	mtetag_major = register_blkdev(0, "mtetag");
	return mtetag_major < 0 ? mtetag_major : 0;
}

/**
 * mtetag_blk_exit() - unregister the block major
 */
void mtetag_blk_exit(void)
{
	unregister_blkdev(mtetag_major, "mtetag");
}
