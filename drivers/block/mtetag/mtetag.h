/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtetag: compressed swap in the idle part of the MTE tag-storage carve-out.
 *
 * Lock order, outermost first:
 *
 *   mtetag_idr_lock          mutex: hot_add, hot_remove, unload (dev.c)
 *     disk->open_mutex       the block layer's: reset and remove claim the device under it
 *     dev->init_lock         rw_semaphore: disksize, algorithms, reset; sysfs shows read it
 *       backing open_mutex   backing_dev_store opens the backing disk under init_lock
 *       stream->lock         per-CPU compression stream (local_lock), on the I/O path
 *         mm locks           page table lock, folio lock: the tag hook's callers
 *           pool.lock        spinlock, IRQ-safe (pool.h)
 *             zone, slab     an eviction's GFP_ATOMIC page (pages are freed after it)
 *   wb.limit_lock            spinlock, a leaf: writeback_limit and its switch
 *
 * A device's own open_mutex is dropped before its init_lock is taken, so the two never nest.
 * The backing disk's is another disk's: an mtetag device can back another only once it has a
 * size, and a device with a size takes no backing disk, so no cycle. Writeback and
 * recompression passes hold init_lock for reading across their I/O to the backing disk; the
 * I/O path reads a written-back page through a worker of system_unbound_wq and waits for it.
 * The I/O path takes only a stream and pool.lock; the tag hook only pool.lock, from inside
 * the mm's locks (not the zone lock: the release hook runs before the free takes it).
 * Nothing under pool.lock sleeps; the allocator is the only thing it calls into.
 */
#ifndef _MTETAG_H
#define _MTETAG_H

#include <linux/atomic.h>
#include <linux/blkdev.h>
#include <linux/rwsem.h>
#include <linux/types.h>

#include "comp.h"
#include "pool.h"
#include "region_rules.h"

#define MTETAG_MAX_REGIONS 8
/* Format of /sys/block/mtetagN/tag_stat: 2 is "name value" lines (1 was one line). */
#define MTETAG_TAG_STAT_VERSION 2
/*
 * The eviction reserve, free tag pages and spare overflow pages together (evictions use both).
 * One reserve empties at most one block, MTR_MAX_BLOCK_PAGES tag pages, each into at most
 * one empty page. Writes leave MTETAG_RESERVE, two such claims, to evictions; the first
 * eviction that leaves fewer than MTETAG_SPARES_LOW, one claim more, queues the refill to
 * MTETAG_SPARES. So three claims may come before the refill work runs; past them an eviction
 * allocates atomically, and only if that fails too it drops objects (read errors, counted).
 */
#define MTETAG_RESERVE (2 * MTR_MAX_BLOCK_PAGES)
#define MTETAG_SPARES_LOW (MTETAG_RESERVE + MTR_MAX_BLOCK_PAGES)
#define MTETAG_SPARES (MTETAG_SPARES_LOW + MTR_MAX_BLOCK_PAGES)

/* One carve-out and the data memory whose tags it holds. */
struct mtetag_region {
	struct mtr_range range; /* as described, checked by mtr_check() */
	u32 first_tag_page;     /* index of its first page in the pool */
	/* The data memory as the hook looks it up: the memmap is linear (SPARSEMEM_VMEMMAP). */
	struct page *first_page;
	unsigned long nr_pages;
	struct mtp_page *tag;   /* descriptor of its first tag page in the pool */
	void *addr;             /* the carve-out, mapped write-back */
	char name[64];          /* device-tree node, or "tag_region" for the parameter */
};

struct mtetag_io_stats {
	atomic64_t failed_reads;  /* reads that returned an error */
	atomic64_t failed_writes; /* writes that returned an error */
	atomic64_t invalid_io;    /* requests beyond the disk or misaligned */
	atomic64_t notify_free;   /* swap slots freed through swap_slot_free_notify */
	atomic64_t corrupt_reads; /* reads whose bytes failed their checksum: I/O errors */
	atomic64_t lost_reads;    /* reads of objects an eviction had to drop: I/O errors */
};

/* The backing device of a device: the third tier, written back by a pass (zram's). */
struct mtetag_wb {
	struct file *file;          /* opened exclusively; NULL: none */
	struct block_device *bdev;
	unsigned long *map;         /* its pages in use */
	unsigned long nr_blocks;
	unsigned long next;         /* where the search for a free block starts */
	atomic64_t count;           /* pages in use */
	atomic64_t reads;           /* pages read back */
	atomic64_t writes;          /* pages written */
	spinlock_t limit_lock;
	u64 limit_enable;           /* 0 or 1 */
	u64 limit;                  /* 4 KiB units a writeback may still write */
};

#define MTETAG_MAX_COMPS MTP_MAX_PRIO

struct mtetag_dev {
	struct gendisk *disk;
	int id;
	struct rw_semaphore init_lock; /* disksize, algorithms, backing device, reset */
	bool claim;                    /* being reset or removed: no new openers */
	u64 disksize;                  /* bytes; 0 while not initialised */
	u64 mem_limit;                 /* most bytes of RAM for overflow; 0 = no limit */
	/* [0] the primary algorithm, [1..] recompression's; "": none */
	char comp_names[MTETAG_MAX_COMPS][16];
	struct mtetag_comp_params params[MTETAG_MAX_COMPS];
	struct mtetag_comp comps[MTETAG_MAX_COMPS]; /* live while initialised */
	atomic_t pp_busy;              /* a writeback or recompression pass runs */
	struct mtetag_wb wb;
	struct mtp_owner owner;        /* slots and accounting in the pool */
	struct mtetag_io_stats io;
};

/*
 * Who calls whom: main.c orders the others; dev.c and hook.c use the pool through store.c
 * and pool.h; dev.c reads the hook's counters; nothing calls back up into main.c.
 */

/* region.c */
extern struct mtetag_region mtetag_regions[MTETAG_MAX_REGIONS];
extern int mtetag_nr_regions;
int mtetag_discover(const char *param);
void mtetag_unmap_regions(void);

/* store.c */
extern struct mtp_pool mtetag_pool;
int mtetag_store_init(void);
void mtetag_store_exit(void);
int mtetag_refill_spares(gfp_t gfp);
void mtetag_refill_async(void);
int mtetag_add_spare(gfp_t gfp);
bool mtetag_spares_low(void);
#if IS_ENABLED(CONFIG_MTETAG_TESTING)
void mtetag_test_starve(void);
#endif

/* hook.c */
void mtetag_scan_tagged(void);
int mtetag_hook_init(void);
void mtetag_hook_exit(void);
void mtetag_hook_stats(u64 *reserves, u64 *releases, u64 *returned);

/* dev.c */
int mtetag_parse_size(const char *buf, u64 *size);
int mtetag_dev_add(void);
int mtetag_dev_remove(int id);
void mtetag_dev_remove_all(void);
int mtetag_blk_init(void);
void mtetag_blk_exit(void);
void mtetag_submit_bio(struct bio *bio);
void mtetag_slot_free_notify(struct block_device *bdev, unsigned long index);

#endif /* _MTETAG_H */
