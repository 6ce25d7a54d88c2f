// SPDX-License-Identifier: GPL-2.0
/*
 * mtetag block devices: the I/O path and the zram-compatible sysfs attributes.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bio.h>
#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/kernel_read_file.h>
#include <linux/workqueue.h>
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

/*
 * Loaded as a module the device is ready for swapon; built in, it waits uninitialised for the
 * boot set-up to choose algorithm and size, as zram does.
 */
#ifdef MODULE
static char *disksize = "auto";
#else
static char *disksize = "0";
#endif
module_param(disksize, charp, 0444);
MODULE_PARM_DESC(disksize,
		 "Disk size of new devices: auto (4x the carve-out; the module's default), 0 (uninitialised, as zram; the built-in default), or a size such as 1G");

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

/* zram refuses algorithm names this long with -E2BIG (its CRYPTO_MAX_ALG_NAME). */
#define MTETAG_ALG_NAME_MAX 128

#define SECTORS_PER_PAGE_SHIFT (PAGE_SHIFT - SECTOR_SHIFT)
#define SECTORS_PER_PAGE BIT(SECTORS_PER_PAGE_SHIFT)

static int mtetag_major;
/*
 * Reads of written-back pages, waited for from submit_bio: a rescuer keeps them going when
 * the caller is reclaim or a WQ_MEM_RECLAIM worker (dm on top of us) and no worker can be
 * created.
 */
static struct workqueue_struct *mtetag_read_wq;
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
		s = mtetag_stream_get(&mt->comps[0]);
		if (mtetag_compress(&mt->comps[0], s, mem, &len) || len > MTP_HUGE_THRESHOLD)
			err = mtp_write(&mtetag_pool, &mt->owner, index, mem, PAGE_SIZE);
		else
			err = mtp_write(&mtetag_pool, &mt->owner, index, s->buffer, len);
		mtetag_stream_put(&mt->comps[0]);
		/*
		 * The pool needs a page of RAM that is not the eviction reserve's: get one where
		 * sleeping is allowed and retry; no page is an error, not another round.
		 */
	} while (err == -EAGAIN && !mtetag_add_spare(GFP_NOIO));
	kunmap_local(mem);
	return err;
}

static int read_block(struct mtetag_dev *mt, struct page *page, u64 block, u32 csum);

/* Read page @index into @page, from whichever tier holds it. */
static int read_page(struct mtetag_dev *mt, struct page *page, u32 index)
{
	struct mtetag_stream *s;
	unsigned int len = 0;
	u64 fill = 0, *word;
	int kind, err = 0;
	u32 prio = 0;
	void *mem;
	unsigned int i;

	/* The object's algorithm is known once it is read: read again with that one's stream. */
	for (;;) {
		s = mtetag_stream_get(&mt->comps[prio]);
		kind = mtp_read(&mtetag_pool, &mt->owner, index, s->buffer, &len, &fill);
		if (kind != MTP_SLOT_OBJ || fill == prio || len == PAGE_SIZE)
			break;
		mtetag_stream_put(&mt->comps[prio]);
		if (fill >= MTETAG_MAX_COMPS || !mtetag_comp_live(&mt->comps[fill]))
			return -EIO;
		prio = fill;
	}
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
			err = mtetag_decompress(&mt->comps[prio], s, s->buffer, len, mem);
		break;
	case MTP_SLOT_WB:
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
	mtetag_stream_put(&mt->comps[prio]);
	if (kind == MTP_SLOT_WB)
		err = read_block(mt, page, fill, len);
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
	/* Counted as zram counts them: each page freed is a notify_free. */
	for (; left >= PAGE_SIZE; left -= PAGE_SIZE) {
		mtp_discard(&mtetag_pool, &mt->owner, index++);
		atomic64_inc(&mt->io.notify_free);
	}
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

/* The backing device: pages are read and written whole, at block * PAGE_SIZE. */

static int rw_block_sync(struct mtetag_dev *mt, struct page *page, u64 block, blk_opf_t op)
{
	struct bio_vec bv;
	struct bio bio;

	bio_init(&bio, mt->wb.bdev, &bv, 1, op);
	bio.bi_iter.bi_sector = block << SECTORS_PER_PAGE_SHIFT;
	__bio_add_page(&bio, page, PAGE_SIZE, 0);
	return submit_bio_wait(&bio);
}

struct sync_read {
	struct work_struct work;
	struct mtetag_dev *mt;
	struct page *page;
	u64 block;
	int err;
};

static void sync_read_work(struct work_struct *work)
{
	struct sync_read *sr = container_of(work, struct sync_read, work);

	sr->err = rw_block_sync(sr->mt, sr->page, sr->block, REQ_OP_READ);
}

/*
 * Read a written-back page and check it against @csum: the backing device is trusted no more
 * than the carve-out. Bios submitted inside our submit_bio wait on current->bio_list until
 * it returns, so a worker submits the read and we wait for it (as zram's partial reads).
 * Written-back pages are cold: one round trip each is their price for being checked. An
 * O_DIRECT reader that changes its buffer meanwhile gets an I/O error, never wrong data.
 */
static int read_block(struct mtetag_dev *mt, struct page *page, u64 block, u32 csum)
{
	struct sync_read sr = { .mt = mt, .page = page, .block = block };
	void *mem;
	bool good;

	if (WARN_ON_ONCE(!mt->wb.bdev))
		return -EIO;
	atomic64_inc(&mt->wb.reads);
	INIT_WORK_ONSTACK(&sr.work, sync_read_work);
	queue_work(mtetag_read_wq, &sr.work);
	flush_work(&sr.work);
	destroy_work_on_stack(&sr.work);
	if (sr.err)
		return sr.err;
	mem = kmap_local_page(page);
	good = mtp_csum(mem, PAGE_SIZE) == csum;
	kunmap_local(mem);
	if (good)
		return 0;
	atomic64_inc(&mt->io.corrupt_reads);
	pr_warn_ratelimited("%s: page at block %llu of the backing device failed its checksum: I/O error\n",
			    mt->disk->disk_name, block);
	return -EIO;
}

/* A free block, searched from after the last one taken: a pass is linear, not quadratic. */
static u64 alloc_block(struct mtetag_dev *mt)
{
	unsigned long block, from = mt->wb.next;

	for (;;) {
		block = find_next_zero_bit(mt->wb.map, mt->wb.nr_blocks, from);
		if (block < mt->wb.nr_blocks && !test_and_set_bit(block, mt->wb.map))
			break;
		if (block < mt->wb.nr_blocks)
			from = block + 1;
		else if (from)
			from = 0;
		else
			return U64_MAX;
	}
	mt->wb.next = block + 1;
	atomic64_inc(&mt->wb.count);
	return block;
}

/* A written-back slot is dropped (by the pool, under its lock), or a pass gives up its block. */
static void free_block(struct mtp_owner *owner, u64 block)
{
	struct mtetag_dev *mt = container_of(owner, struct mtetag_dev, owner);

	if (!WARN_ON_ONCE(block >= mt->wb.nr_blocks || !test_and_clear_bit(block, mt->wb.map)))
		atomic64_dec(&mt->wb.count);
}

static void reset_backing(struct mtetag_dev *mt)
{
	if (!mt->wb.file)
		return;
	fput(mt->wb.file);
	kvfree(mt->wb.map);
	mt->wb.file = NULL;
	mt->wb.bdev = NULL;
	mt->wb.map = NULL;
	mt->wb.nr_blocks = 0;
	mt->wb.next = 0;
	atomic64_set(&mt->wb.count, 0);
}

static void reset_params(struct mtetag_dev *mt)
{
	int i;

	for (i = 0; i < MTETAG_MAX_COMPS; i++) {
		vfree(mt->params[i].dict);
		mt->params[i] = (struct mtetag_comp_params){ .level = MTETAG_NO_LEVEL };
	}
}

static void destroy_comps(struct mtetag_dev *mt)
{
	int i;

	for (i = 0; i < MTETAG_MAX_COMPS; i++)
		mtetag_comp_destroy(&mt->comps[i]);
}

static int init_device(struct mtetag_dev *mt, u64 size)
{
	int err = 0, i;

	for (i = 0; i < MTETAG_MAX_COMPS && !err; i++)
		if (mt->comp_names[i][0])
			err = mtetag_comp_create(&mt->comps[i], mt->comp_names[i],
						 &mt->params[i]);
	if (!err)
		err = mtp_owner_init(&mtetag_pool, &mt->owner, size >> PAGE_SHIFT);
	if (err) {
		/* The parameters keep their dictionaries for the next try. */
		for (i = 0; i < MTETAG_MAX_COMPS; i++)
			mt->comps[i].dict = NULL;
		destroy_comps(mt);
		return err;
	}
	/* The live algorithms own their dictionaries: algorithm_params is for the next time. */
	for (i = 0; i < MTETAG_MAX_COMPS; i++)
		if (mt->comps[i].dict)
			mt->params[i].dict = NULL;
	mt->owner.ovf_limit = mt->mem_limit >> PAGE_SHIFT;
	mt->owner.free_block = free_block;
	mt->disksize = size;
	set_capacity_and_notify(mt->disk, size >> SECTOR_SHIFT);
	return 0;
}

static void reset_device(struct mtetag_dev *mt)
{
	if (initialised(mt)) {
		set_capacity_and_notify(mt->disk, 0);
		mt->disksize = 0;
		mtp_owner_destroy(&mtetag_pool, &mt->owner);
		destroy_comps(mt);
	}
	/* As zram's reset: algorithms, limit, backing device and parameters go too. */
	strscpy(mt->comp_names[0], mtetag_comp_default(), sizeof(mt->comp_names[0]));
	memset(mt->comp_names[1], 0, sizeof(mt->comp_names) - sizeof(mt->comp_names[0]));
	mt->mem_limit = 0;
	reset_backing(mt);
	reset_params(mt);
	memset(&mt->io, 0, sizeof(mt->io));
	atomic64_set(&mt->wb.reads, 0);
	atomic64_set(&mt->wb.writes, 0);
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
	n = mtetag_comp_list(mt->comp_names[0], buf, 0);
	up_read(&mt->init_lock);
	return n;
}

/* Name algorithm @prio for the next initialisation, as zram: -EBUSY while initialised. */
static int set_algorithm(struct mtetag_dev *mt, u32 prio, const char *buf)
{
	char name[sizeof(mt->comp_names[0])];
	int err = 0;

	if (strlen(buf) >= MTETAG_ALG_NAME_MAX)
		return -E2BIG; /* as zram, for names of CRYPTO_MAX_ALG_NAME and longer */
	if (!mtetag_comp_known(buf))
		return -EINVAL;
	strscpy(name, buf, sizeof(name));
	down_write(&mt->init_lock);
	if (initialised(mt))
		err = -EBUSY;
	else
		strscpy(mt->comp_names[prio], strim(name), sizeof(mt->comp_names[prio]));
	up_write(&mt->init_lock);
	return err;
}

static ssize_t comp_algorithm_store(struct device *dev, struct device_attribute *attr,
				    const char *buf, size_t len)
{
	int err = set_algorithm(dev_to_mtetag(dev), 0, buf);

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
	u16 do_reset;
	int err;

	/* As zram: any non-zero number resets. */
	err = kstrtou16(buf, 10, &do_reset);
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
	ssize_t ret = len;

	down_read(&mt->init_lock);
	if (initialised(mt))
		mtp_compact(&mtetag_pool, &mt->owner);
	else
		ret = -EINVAL; /* as zram */
	up_read(&mt->init_lock);
	return ret;
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

/*
 * zram's nine columns, so that ratios read by position come out right: mem_used_total and
 * mem_used_max are the memory the objects occupy in both tiers (overflow pages, and the
 * bytes of their pieces in tag pages). Then ours: ram_used and ram_used_max, the overflow
 * pages alone, which mem_limit bounds.
 */
static ssize_t mm_stat_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	struct mtp_owner_stats st = {};
	ssize_t n;

	down_read(&mt->init_lock);
	if (initialised(mt))
		st = owner_stats(mt);
	n = sysfs_emit(buf, "%8llu %8llu %8llu %8llu %8llu %8llu %8llu %8llu %8llu %8llu %8llu\n",
		       (st.nr_objects + st.same_pages + st.wb_pages) << PAGE_SHIFT, st.compr_bytes,
		       mtp_owner_used(&st), mt->mem_limit, st.used_max, st.same_pages, st.squeezed,
		       st.huge_pages, st.huge_since, st.ovf_pages << PAGE_SHIFT,
		       st.ovf_max << PAGE_SHIFT);
	up_read(&mt->init_lock);
	return n;
}

static ssize_t mem_used_max_store(struct device *dev, struct device_attribute *attr,
				  const char *buf, size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	unsigned long val;

	if (kstrtoul(buf, 10, &val) || val)
		return -EINVAL;
	down_read(&mt->init_lock);
	if (initialised(mt))
		mtp_owner_reset_max(&mtetag_pool, &mt->owner);
	up_read(&mt->init_lock);
	return len;
}

/* Streams are per CPU, as zram's since 4.7: the attribute stays for the tools that write it. */
static ssize_t max_comp_streams_show(struct device *dev, struct device_attribute *attr,
				     char *buf)
{
	return sysfs_emit(buf, "%d\n", num_online_cpus());
}

static ssize_t max_comp_streams_store(struct device *dev, struct device_attribute *attr,
				      const char *buf, size_t len)
{
	return len;
}

/* zram's format: version 1, then writestall and miss_free, neither of which happens here. */
static ssize_t debug_stat_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "version: %d\n%8llu %8llu\n", 1, 0ULL, 0ULL);
}

/* Without access times (zram's CONFIG_ZRAM_TRACK_ENTRY_ACTIME) only "all" is accepted. */
static ssize_t idle_store(struct device *dev, struct device_attribute *attr, const char *buf,
			  size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	ssize_t ret = len;

	if (!sysfs_streq(buf, "all"))
		return -EINVAL;
	down_read(&mt->init_lock);
	if (initialised(mt))
		mtp_mark_idle(&mtetag_pool, &mt->owner);
	else
		ret = -EINVAL;
	up_read(&mt->init_lock);
	return ret;
}

static ssize_t recomp_algorithm_show(struct device *dev, struct device_attribute *attr,
				     char *buf)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	ssize_t n = 0;
	int prio;

	down_read(&mt->init_lock);
	for (prio = 1; prio < MTETAG_MAX_COMPS; prio++) {
		if (!mt->comp_names[prio][0])
			continue;
		n += sysfs_emit_at(buf, n, "#%d: ", prio);
		n += mtetag_comp_list(mt->comp_names[prio], buf, n);
	}
	up_read(&mt->init_lock);
	return n;
}

/* "algo=NAME [priority=N]", N from 1 (the default) to 3, as zram. */
static ssize_t recomp_algorithm_store(struct device *dev, struct device_attribute *attr,
				      const char *buf, size_t len)
{
	char *copy, *args, *param, *val, *algo = NULL;
	int prio = 1, err = 0;

	copy = kstrdup(buf, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	args = skip_spaces(copy);
	while (*args && !err) {
		args = next_arg(args, &param, &val);
		if (!val || !*val)
			err = -EINVAL;
		else if (!strcmp(param, "algo"))
			algo = val;
		else if (!strcmp(param, "priority"))
			err = kstrtoint(val, 10, &prio);
	}
	if (!err && (!algo || prio < 1 || prio >= MTETAG_MAX_COMPS))
		err = -EINVAL;
	if (!err)
		err = set_algorithm(dev_to_mtetag(dev), prio, algo);
	kfree(copy);
	return err ? err : len;
}

/* "[priority=N|algo=NAME] [level=N] [dict=PATH]", as zram: for the next initialisation. */
static ssize_t algorithm_params_store(struct device *dev, struct device_attribute *attr,
				      const char *buf, size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	char *copy, *args, *param, *val, *algo = NULL, *dict_path = NULL;
	s32 prio = 0, level = MTETAG_NO_LEVEL;
	void *dict = NULL;
	ssize_t dict_sz = 0;
	int err = 0, p;

	copy = kstrdup(buf, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	args = skip_spaces(copy);
	while (*args && !err) {
		args = next_arg(args, &param, &val);
		if (!val || !*val)
			err = -EINVAL;
		else if (!strcmp(param, "priority"))
			err = kstrtoint(val, 10, &prio);
		else if (!strcmp(param, "level"))
			err = kstrtoint(val, 10, &level);
		else if (!strcmp(param, "algo"))
			algo = val;
		else if (!strcmp(param, "dict"))
			dict_path = val;
	}
	/* Read before the lock, as zram: a file read may take long and need memory. */
	if (!err && dict_path) {
		dict_sz = kernel_read_file_from_path(dict_path, 0, &dict, INT_MAX, NULL,
						     READING_POLICY);
		if (dict_sz < 0) {
			dict = NULL;
			err = -EINVAL;
		}
	}
	down_write(&mt->init_lock);
	if (!err && algo) {
		for (prio = -EINVAL, p = 0; p < MTETAG_MAX_COMPS && prio < 0; p++)
			if (!strcmp(mt->comp_names[p], algo))
				prio = p;
	}
	if (!err && (prio < 0 || prio >= MTETAG_MAX_COMPS))
		err = -EINVAL;
	if (!err) {
		vfree(mt->params[prio].dict);
		mt->params[prio] = (struct mtetag_comp_params){
			.level = level, .dict = dict, .dict_sz = dict_sz > 0 ? dict_sz : 0,
		};
		dict = NULL;
	}
	up_write(&mt->init_lock);
	vfree(dict);
	kfree(copy);
	return err ? err : len;
}

static ssize_t backing_dev_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	ssize_t n;
	char *p;

	down_read(&mt->init_lock);
	if (!mt->wb.file) {
		n = sysfs_emit(buf, "none\n");
	} else {
		p = file_path(mt->wb.file, buf, PAGE_SIZE - 1);
		n = IS_ERR(p) ? PTR_ERR(p) : strlen(p);
		if (n >= 0) {
			memmove(buf, p, n);
			buf[n++] = '\n';
		}
	}
	up_read(&mt->init_lock);
	return n;
}

/* A block device for written-back pages, opened exclusively; before initialisation only. */
static ssize_t backing_dev_store(struct device *dev, struct device_attribute *attr,
				 const char *buf, size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	struct file *file = NULL;
	unsigned long *map = NULL;
	char *copy, *path;
	unsigned long nr;
	int err = 0;

	copy = kstrndup(buf, PATH_MAX, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	path = strim(copy);
	down_write(&mt->init_lock);
	if (initialised(mt)) {
		err = -EBUSY;
		goto out;
	}
	file = filp_open(path, O_RDWR | O_LARGEFILE | O_EXCL, 0);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		file = NULL;
		goto out;
	}
	if (!S_ISBLK(file_inode(file)->i_mode)) {
		err = -ENOTBLK;
		goto out;
	}
	/* No device can hold more pages than the largest disksize: a bitmap for those only. */
	nr = min_t(u64, i_size_read(file->f_mapping->host) >> PAGE_SHIFT,
		   max_disksize() >> PAGE_SHIFT);
	if (!nr) {
		err = -EINVAL; /* also refuses this very device: it has no size yet */
		goto out;
	}
	map = kvzalloc(BITS_TO_LONGS(nr) * sizeof(long), GFP_KERNEL | __GFP_NOWARN);
	if (!map) {
		err = -ENOMEM;
		goto out;
	}
	reset_backing(mt);
	mt->wb.file = file;
	mt->wb.bdev = I_BDEV(file->f_mapping->host);
	mt->wb.map = map;
	mt->wb.nr_blocks = nr;
	file = NULL;
	pr_info("%s: backing device %s, %lu pages\n", mt->disk->disk_name, path, nr);
out:
	up_write(&mt->init_lock);
	if (file)
		fput(file);
	kfree(copy);
	return err ? err : len;
}

static bool wb_limit_reached(struct mtetag_dev *mt)
{
	bool reached;

	spin_lock(&mt->wb.limit_lock);
	reached = mt->wb.limit_enable && !mt->wb.limit;
	spin_unlock(&mt->wb.limit_lock);
	return reached;
}

/* writeback_limit counts 4 KiB units, whatever the page size, as zram's. */
static void wb_limit_charge(struct mtetag_dev *mt)
{
	spin_lock(&mt->wb.limit_lock);
	if (mt->wb.limit_enable)
		mt->wb.limit -= min_t(u64, mt->wb.limit, 1 << (PAGE_SHIFT - 12));
	spin_unlock(&mt->wb.limit_lock);
}

/* Write back slot @index if it is what @want asks; 0, -ENOENT (not wanted) or -errno. */
static int writeback_slot(struct mtetag_dev *mt, u32 index, u32 want, struct page *page)
{
	u32 len, prio, csum;
	u64 block;
	void *mem;
	int err;

	if (mtp_pp_take(&mtetag_pool, &mt->owner, index, want, MTETAG_MAX_COMPS, &len, &prio))
		return -ENOENT;
	block = alloc_block(mt);
	if (block == U64_MAX) {
		err = -ENOSPC;
		goto release;
	}
	/* An object that does not read back (counted as such) is skipped, as zram does. */
	if (read_page(mt, page, index)) {
		err = -ENOENT;
		goto free;
	}
	mem = kmap_local_page(page);
	csum = mtp_csum(mem, PAGE_SIZE);
	kunmap_local(mem);
	err = rw_block_sync(mt, page, block, REQ_OP_WRITE | REQ_SYNC);
	if (err)
		goto free;
	atomic64_inc(&mt->wb.writes);
	/* Written or discarded meanwhile: what went to the disk is stale. */
	if (!mtp_pp_written_back(&mtetag_pool, &mt->owner, index, block, csum))
		return 0;
	err = -ENOENT;
free:
	free_block(&mt->owner, block);
release:
	mtp_pp_release(&mtetag_pool, &mt->owner, index, false);
	return err;
}

/*
 * "idle", "huge", "huge_idle", "incompressible" or "page_index=N", as zram. Cold data
 * leaves RAM first: a pass over the objects in overflow pages, then one over the rest.
 */
static ssize_t writeback_store(struct device *dev, struct device_attribute *attr,
			       const char *buf, size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	u32 first = 0, last, want, index;
	struct page *page;
	ssize_t ret = len;
	int pass, err;
	long one = 0;

	if (sysfs_streq(buf, "idle"))
		want = MTP_PP_IDLE;
	else if (sysfs_streq(buf, "huge"))
		want = MTP_PP_HUGE;
	else if (sysfs_streq(buf, "huge_idle"))
		want = MTP_PP_IDLE | MTP_PP_HUGE;
	else if (sysfs_streq(buf, "incompressible"))
		want = MTP_PP_INCOMPRESSIBLE;
	else if (!strncmp(buf, "page_index=", 11) && !kstrtol(buf + 11, 10, &one) && one >= 0)
		want = 0;
	else
		return -EINVAL;

	down_read(&mt->init_lock);
	if (!initialised(mt)) {
		up_read(&mt->init_lock);
		return -EINVAL;
	}
	last = mt->disksize >> PAGE_SHIFT;
	if (!want) {
		if (one >= last) {
			up_read(&mt->init_lock);
			return -EINVAL;
		}
		first = one;
		last = one + 1;
	}
	if (atomic_xchg(&mt->pp_busy, 1)) {
		up_read(&mt->init_lock);
		return -EAGAIN;
	}
	if (!mt->wb.file) {
		ret = -ENODEV;
		goto out;
	}
	page = alloc_page(GFP_KERNEL);
	if (!page) {
		ret = -ENOMEM;
		goto out;
	}
	for (pass = 0; pass < 2; pass++) {
		/* The second takes both tiers: an eviction may have moved an object behind us. */
		u32 tier = pass ? 0 : MTP_PP_IN_RAM;

		for (index = first; index < last; index++) {
			if (wb_limit_reached(mt)) {
				ret = -EIO;
				goto done;
			}
			err = writeback_slot(mt, index, want | tier, page);
			if (!err)
				wb_limit_charge(mt);
			else if (err == -ENOSPC)
				ret = err;
			else if (err != -ENOENT)
				ret = err; /* as zram: go on, report the last error */
			if (err == -ENOSPC)
				goto done;
			cond_resched();
		}
	}
done:
	__free_page(page);
out:
	atomic_set(&mt->pp_busy, 0);
	up_read(&mt->init_lock);
	return ret;
}

/* writeback_limit and writeback_limit_enable: a number each, under limit_lock. */
static ssize_t wb_limit_show(struct mtetag_dev *mt, const u64 *field, char *buf)
{
	u64 val;

	spin_lock(&mt->wb.limit_lock);
	val = *field;
	spin_unlock(&mt->wb.limit_lock);
	return sysfs_emit(buf, "%llu\n", val);
}

static ssize_t wb_limit_store(struct mtetag_dev *mt, u64 *field, bool flag, const char *buf,
			      size_t len)
{
	u64 val;

	if (kstrtoull(buf, 10, &val))
		return -EINVAL;
	spin_lock(&mt->wb.limit_lock);
	*field = flag ? !!val : val; /* the switch reads back 0 or 1, as zram's bool */
	spin_unlock(&mt->wb.limit_lock);
	return len;
}

static ssize_t writeback_limit_enable_show(struct device *dev, struct device_attribute *attr,
					   char *buf)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);

	return wb_limit_show(mt, &mt->wb.limit_enable, buf);
}

static ssize_t writeback_limit_enable_store(struct device *dev, struct device_attribute *attr,
					    const char *buf, size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);

	return wb_limit_store(mt, &mt->wb.limit_enable, true, buf, len);
}

static ssize_t writeback_limit_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);

	return wb_limit_show(mt, &mt->wb.limit, buf);
}

static ssize_t writeback_limit_store(struct device *dev, struct device_attribute *attr,
				     const char *buf, size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);

	return wb_limit_store(mt, &mt->wb.limit, false, buf, len);
}

/* zram's: pages on the backing device, read from it, written to it; in 4 KiB units. */
static ssize_t bd_stat_show(struct device *dev, struct device_attribute *attr, char *buf)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	unsigned int four_k = 1 << (PAGE_SHIFT - 12);

	return sysfs_emit(buf, "%8llu %8llu %8llu\n",
			  (u64)atomic64_read(&mt->wb.count) * four_k,
			  (u64)atomic64_read(&mt->wb.reads) * four_k,
			  (u64)atomic64_read(&mt->wb.writes) * four_k);
}

/*
 * Try the algorithms @prio .. @prio_max - 1 above the one that compressed slot @index; keep
 * the first result that shrinks the object's footprint and is under @threshold.
 * Return: 0; -ENOENT when the slot is not one the pass wants; -ENOSPC or -ENOMEM when the
 * pool had no room for the smaller object: the pass stops, as zram's does.
 */
static int recompress_slot(struct mtetag_dev *mt, u32 index, u32 want, u32 threshold, u32 prio,
			   u32 prio_max, struct page *page, u64 *budget)
{
	u32 old_len, old_prio, p, tried = 0, live = 0, new_len;
	struct mtetag_stream *s;
	bool shrank = false;
	int err = 0, attempt;
	void *src;

	if (mtp_pp_take(&mtetag_pool, &mt->owner, index, want | MTP_PP_COMPRESSIBLE, prio_max,
			&old_len, &old_prio))
		return -ENOENT;
	if ((threshold && old_len < threshold) || read_page(mt, page, index)) {
		mtp_pp_release(&mtetag_pool, &mt->owner, index, false);
		return 0;
	}
	/* The algorithms this pass may try on this object: all failing is "incompressible". */
	for (p = max(prio, old_prio + 1); p < prio_max; p++)
		live += mtetag_comp_live(&mt->comps[p]);
	for (p = max(prio, old_prio + 1); p < prio_max && !shrank; p++) {
		if (!mtetag_comp_live(&mt->comps[p]))
			continue;
		tried++;
		/* A second attempt when the pool asked for a page of RAM and got one. */
		for (attempt = 0; attempt < 2; attempt++) {
			s = mtetag_stream_get(&mt->comps[p]);
			src = kmap_local_page(page);
			err = mtetag_compress(&mt->comps[p], s, src, &new_len);
			kunmap_local(src);
			/* Progress is a smaller footprint in the pool, and under the threshold. */
			shrank = !err && new_len <= MTP_HUGE_THRESHOLD &&
				 (old_len == PAGE_SIZE ||
				  ALIGN(new_len, MTP_OBJ_ALIGN) < ALIGN(old_len, MTP_OBJ_ALIGN)) &&
				 (!threshold || new_len < threshold);
			err = shrank ? mtp_pp_store(&mtetag_pool, &mt->owner, index, s->buffer,
						    new_len, p) : 0;
			mtetag_stream_put(&mt->comps[p]);
			if (err != -EAGAIN || mtetag_add_spare(GFP_KERNEL))
				break;
		}
	}
	if (tried && *budget)
		(*budget)--;
	if (shrank && !err)
		return 0;
	/* Only when every algorithm ran and none shrank it: later passes skip it. */
	mtp_pp_release(&mtetag_pool, &mt->owner, index, !err && tried && tried == live);
	if (err == -EAGAIN)
		return -ENOMEM;
	return err == -ENOSPC ? err : 0; /* -ESTALE: written meanwhile, the write won */
}

/*
 * "[type=idle|huge|huge_idle] [threshold=BYTES] [max_pages=N] [algo=NAME|priority=N]", as
 * zram: recompress objects with the secondary algorithms, keeping what shrinks.
 */
static ssize_t recompress_store(struct device *dev, struct device_attribute *attr,
				const char *buf, size_t len)
{
	struct mtetag_dev *mt = dev_to_mtetag(dev);
	u32 prio = 1, prio_max = MTETAG_MAX_COMPS, want = 0, threshold = 0, index, nr;
	char *copy, *args, *param, *val, *algo = NULL;
	u64 budget = U64_MAX;
	struct page *page;
	ssize_t ret = 0;

	copy = kstrdup(buf, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	args = skip_spaces(copy);
	while (*args && !ret) {
		args = next_arg(args, &param, &val);
		if (!val || !*val) {
			ret = -EINVAL;
		} else if (!strcmp(param, "type")) {
			if (!strcmp(val, "idle"))
				want = MTP_PP_IDLE;
			if (!strcmp(val, "huge"))
				want = MTP_PP_HUGE;
			if (!strcmp(val, "huge_idle"))
				want = MTP_PP_IDLE | MTP_PP_HUGE;
		} else if (!strcmp(param, "max_pages")) {
			ret = kstrtoull(val, 10, &budget);
		} else if (!strcmp(param, "threshold")) {
			ret = kstrtouint(val, 10, &threshold);
		} else if (!strcmp(param, "algo")) {
			algo = val;
		} else if (!strcmp(param, "priority")) {
			ret = kstrtouint(val, 10, &prio);
			if (!ret) {
				prio = max(prio, 1U);
				prio_max = min(prio + 1, (u32)MTETAG_MAX_COMPS);
			}
		}
	}
	if (!ret && threshold >= MTP_HUGE_THRESHOLD)
		ret = -EINVAL;
	if (ret)
		goto free_copy;

	down_read(&mt->init_lock);
	if (!initialised(mt)) {
		ret = -EINVAL;
		goto unlock;
	}
	if (atomic_xchg(&mt->pp_busy, 1)) {
		ret = -EAGAIN;
		goto unlock;
	}
	if (algo) {
		for (ret = -EINVAL; prio < MTETAG_MAX_COMPS && ret; prio++)
			if (!strcmp(mt->comp_names[prio], algo))
				ret = 0;
		prio--;
		prio_max = prio + 1;
		if (ret)
			goto done;
	}
	page = alloc_page(GFP_KERNEL);
	if (!page) {
		ret = -ENOMEM;
		goto done;
	}
	nr = mt->disksize >> PAGE_SHIFT;
	ret = len;
	for (index = 0; index < nr && budget; index++) {
		int err = recompress_slot(mt, index, want, threshold, prio, prio_max, page,
					  &budget);

		if (err && err != -ENOENT) {
			ret = err;
			break;
		}
		cond_resched();
	}
	__free_page(page);
done:
	atomic_set(&mt->pp_busy, 0);
unlock:
	up_read(&mt->init_lock);
free_copy:
	kfree(copy);
	return ret;
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
static DEVICE_ATTR_WO(mem_used_max);
static DEVICE_ATTR_RW(max_comp_streams);
static DEVICE_ATTR_RO(debug_stat);
static DEVICE_ATTR_WO(idle);
static DEVICE_ATTR_RW(recomp_algorithm);
static DEVICE_ATTR_WO(recompress);
static DEVICE_ATTR_WO(algorithm_params);
static DEVICE_ATTR_RW(backing_dev);
static DEVICE_ATTR_WO(writeback);
static DEVICE_ATTR_RW(writeback_limit);
static DEVICE_ATTR_RW(writeback_limit_enable);
static DEVICE_ATTR_RO(bd_stat);

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
	&dev_attr_mem_used_max.attr,
	&dev_attr_max_comp_streams.attr,
	&dev_attr_debug_stat.attr,
	&dev_attr_idle.attr,
	&dev_attr_recomp_algorithm.attr,
	&dev_attr_recompress.attr,
	&dev_attr_algorithm_params.attr,
	&dev_attr_backing_dev.attr,
	&dev_attr_writeback.attr,
	&dev_attr_writeback_limit.attr,
	&dev_attr_writeback_limit_enable.attr,
	&dev_attr_bd_stat.attr,
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
	strscpy(mt->comp_names[0], mtetag_comp_default(), sizeof(mt->comp_names[0]));
	reset_params(mt);
	spin_lock_init(&mt->wb.limit_lock);
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
	mtetag_read_wq = alloc_workqueue("mtetag_read", WQ_UNBOUND | WQ_MEM_RECLAIM | WQ_HIGHPRI,
					 0);
	if (!mtetag_read_wq)
		return -ENOMEM;
	mtetag_major = register_blkdev(0, "mtetag");
	if (mtetag_major < 0) {
		destroy_workqueue(mtetag_read_wq);
		return mtetag_major;
	}
	return 0;
}

/**
 * mtetag_blk_exit() - unregister the block major
 */
void mtetag_blk_exit(void)
{
	unregister_blkdev(mtetag_major, "mtetag");
	destroy_workqueue(mtetag_read_wq);
}
