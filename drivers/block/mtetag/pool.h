/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mtetag object pool: the portable core (kernel module and host tests build this file).
 *
 * Storage is made of store pages (one kernel page each) of two tiers: tag pages of the
 * MTE carve-out (free to use while no data page they cover is tagged) and overflow pages
 * of ordinary RAM, owned by one device each and bounded by its mem_limit. A store page is
 * in one state:
 *
 *   TAGS    a tag page that serves tags: holds no object, ever (invariant I1)
 *   EMPTY   no object: a tag page in the pool's free list, or an overflow spare
 *   PACKED  pieces back to back from offset 0 up to @tail, each behind a struct mtp_obj_hdr
 *   HUGE    one incompressible page stored raw, its owner recorded in the page descriptor
 *
 * An object is one piece, or two when it fills the tail of a page that has no room for it
 * whole, the rest going to another page. Each piece lies in one store page, so emptying a tag
 * page moves the pieces in it and nothing else. Splitting is what lets same-sized objects
 * (3 x 1.1 KiB leave 20% of a page) pack as densely as zsmalloc does.
 *
 * Callers hold slots, not addresses: a slot (in RAM) names both pieces, and moving a piece
 * (eviction, compaction) copies its bytes and rewrites the one reference to it, in the slot.
 *
 * The carve-out is memory others may write (a missed tag path, a late cache line, a wrong
 * firmware table) and read (LDG): it holds object bytes and piece headers only. Where every
 * piece is and how long it is lives in RAM, in the slot; a piece header is believed only when
 * its slot names that very spot. A page whose headers do not account for its pieces loses
 * the objects with a piece in it (they read as I/O errors); nothing is written outside the
 * pool's own pages, and kills and frees follow RAM alone.
 *
 * Locking: pool->lock, IRQ-safe because eviction runs from the tag hook with IRQs off,
 * protects every page descriptor, list and counter here and every slot of every owner;
 * the tag word of a tag page is atomic (see MTP_TAG_SERVING). It is the module's innermost
 * lock (mtetag.h has the whole order): under it only ops->alloc_atomic (an eviction's last
 * resort) calls into the allocator, and nothing sleeps; emptied overflow pages are freed
 * after the unlock. Pages come in
 * through mtp_pool_add_spare(). Whole-device walks (compaction, an owner's teardown) drop it
 * every page or object.
 */
#ifndef _MTETAG_POOL_H
#define _MTETAG_POOL_H

#include "core_compat.h"

/*
 * A store page is a kernel page: a tag page covers 32 data pages of any page size, and a
 * device slot holds one page. The host tests build the core for 4 KiB and 16 KiB.
 */
#ifdef __KERNEL__
#define MTP_PAGE_SHIFT PAGE_SHIFT
#elif !defined(MTP_PAGE_SHIFT)
#define MTP_PAGE_SHIFT 12
#endif
#define MTP_PAGE_SIZE ((u32)BIT(MTP_PAGE_SHIFT))
#define MTP_OBJ_ALIGN 8u
/* 64 free-tail classes: find a fitting page in O(64) */
#define MTP_BUCKET_SHIFT (MTP_PAGE_SHIFT - 6)
#define MTP_NR_BUCKETS (MTP_PAGE_SIZE >> MTP_BUCKET_SHIFT)
#define MTP_MAX_OWNERS 256 /* owner ids fit the u8 of the piece header */
/* Above this compressed size (7/8 of a page) an object is stored raw: it would fill a page. */
#define MTP_HUGE_THRESHOLD (MTP_PAGE_SIZE / 8 * 7)
/* Squeeze a page in place once this many bytes of it are holes: density vs memmove work. */
#define MTP_SQUEEZE_GARBAGE 256u
/* Best fit looks at this many pages of the bucket just below the guaranteed fit. */
#define MTP_FIT_PROBES 8
/* Split an object into a page tail only if the tail has this many bytes: a split costs 8. */
#define MTP_SPLIT_MIN_TAIL 128u

enum mtp_page_state { MTP_TAGS, MTP_EMPTY, MTP_PACKED, MTP_HUGE };

/* Inline header of a piece: which slot of which owner it belongs to. */
struct mtp_obj_hdr {
	u32 slot;  /* index in the owner's slot table */
	u16 len;   /* payload bytes of this piece */
	u8 owner;  /* owner id */
	u8 flags;  /* MTP_OBJ_* */
};

#define MTP_OBJ_DEAD 0x1   /* freed or moved: a hole until the page is squeezed */
#define MTP_OBJ_LINKED 0x2 /* head of a split object */
#define MTP_OBJ_TAIL 0x4   /* second piece of a split object */

/*
 * Pages are named in slots by a 32-bit number: a tag page by its index, an overflow page in
 * use by a number from pool->nr_tag up that no other page in use has, found through
 * pool->ovf_hash.
 */
#define MTP_OVF_HASH_BITS 11

struct mtp_owner;
struct mtp_pool;

/*
 * One store page. Tag pages' descriptors sit in an array, one per page of the carve-out, so
 * every byte here costs RAM/131072 (all 40: RAM/3277); overflow ones come with their page.
 */
struct mtp_page {
	atomic64_t tag_word;    /* tag pages: see MTP_TAG_SERVING; first, as the hook's target */
	struct list_head node;  /* free list, a bucket, or the spare list */
	u32 huge_slot;          /* HUGE: the slot that names the page */
	u16 tail;               /* PACKED: first free byte */
	u16 live;               /* PACKED: bytes of live pieces, headers included */
	u16 nr_live;            /* PACKED: live pieces */
	u8 state;               /* enum mtp_page_state */
	u8 bucket;              /* PACKED: free-tail class it is listed under */
	u8 owner;               /* overflow: id of the owning device; HUGE: of the object's */
	bool carveout;          /* a tag page (its index: its place in the pool's array) */
};

/*
 * An overflow page: its descriptor and where its 4 KiB are. A tag page's address follows from
 * its index (struct mtp_tag_map), which keeps the carve-out's descriptors at 40 bytes.
 */
struct mtp_ovf_page {
	struct mtp_page pg;
	void *addr;
	u32 no;                 /* while in use: its page number (see MTP_OVF_HASH_BITS) */
	struct list_head hash;  /* while in use: in its chain of pool->ovf_hash */
};

static inline struct mtp_ovf_page *mtp_to_ovf(struct mtp_page *pg)
{
	return container_of(pg, struct mtp_ovf_page, pg);
}

/*
 * The tag word of a tag page: bit n (n < 32) set = covered data page n is tagged, and
 * MTP_TAG_SERVING set while the page's whole block is in state TAGS. Marking pages of a page
 * that serves tags already is one compare-and-swap, no lock; the block leaves TAGS only by a
 * swap of each page's word from "serving, nothing tagged", under pool->lock, so a mark and a
 * return never both succeed. A block entering TAGS sets the bit in its pages only once all
 * of them are empty.
 */
#define MTP_TAG_PAGES 0xffffffffull
#define MTP_TAG_SERVING BIT_ULL(32)

static inline u32 mtp_tagged_pages(struct mtp_page *pg)
{
	return atomic64_read(&pg->tag_word) & MTP_TAG_PAGES;
}

/**
 * mtp_tag_mark_serving() - the lockless part of mtp_tag_mark(), for the hook to inline
 * @pg: the tag page
 * @pages: which of its 32 data pages are about to be tagged
 *
 * Return: true when @pg serves tags and @pages are marked; false when the caller must call
 * mtp_tag_mark(), which empties the page first.
 */
static inline bool mtp_tag_mark_serving(struct mtp_page *pg, u32 pages)
{
	/*
	 * Acquire, in both ways out: the tag writes that follow come after the pieces were
	 * copied out, which the fully ordered setting of MTP_TAG_SERVING published.
	 */
	s64 word = atomic64_read_acquire(&pg->tag_word);

	while (word & MTP_TAG_SERVING) {
		if ((word | pages) == word ||
		    atomic64_try_cmpxchg_acquire(&pg->tag_word, &word, word | pages))
			return true;
	}
	return false;
}

/**
 * mtp_tag_unmark() - the body of mtp_tag_clear(), for the hook to inline
 * @pg: the tag page
 * @pages: which of its 32 data pages are no longer tagged
 *
 * Return: true when no covered page is tagged any more (see mtp_tag_clear()).
 */
static inline bool mtp_tag_unmark(struct mtp_page *pg, u32 pages)
{
	/* Relaxed: the pages are being freed, their tags are dead; a give-back takes the lock. */
	return (atomic64_fetch_andnot_relaxed(pages, &pg->tag_word) & ~(s64)pages) ==
	       MTP_TAG_SERVING;
}

/*
 * A slot of a device: empty, a same-filled page, an object somewhere in the pool, or a page
 * written back to the device's backing disk. 24 bytes, as the table's RAM is RAM/170 of what
 * is stored: offsets are kept in MTP_OBJ_ALIGN units (11 bits reach 16 KiB).
 */
struct mtp_slot {
	union {
		struct mtp_page *page; /* MTP_SLOT_OBJ */
		u64 fill;              /* MTP_SLOT_SAME: the repeated word */
		u64 block;             /* MTP_SLOT_WB: page index on the backing device */
	};
	/*
	 * MTP_SLOT_OBJ: mtp_csum() of the object's bytes, kept in RAM: what the carve-out
	 * returns is checked against it (a missed tag path, a late cache line, a wrong table).
	 * MTP_SLOT_WB: of the page on the backing device, which is no more trusted.
	 */
	u32 csum;
	u32 off8 : 11;   /* of the head piece's header in the page, in MTP_OBJ_ALIGN units */
	u32 len : 15;    /* compressed length of all pieces; MTP_PAGE_SIZE when stored raw */
	u32 kind : 3;    /* enum mtp_slot_kind */
	u32 split : 1;   /* two pieces: */
	u32 idle : 1;    /* marked by mtp_mark_idle(), cleared when the slot is read or written */
	u32 pp : 1;      /* taken by writeback or recompression: a write or discard clears it */
	u32 tail_page;   /* split: page number of the tail piece */
	u16 tail_off8 : 11; /* split: of the tail piece's header, in MTP_OBJ_ALIGN units */
	u16 prio : 2;       /* which of the device's algorithms compressed the object */
	u16 incompressible : 1; /* recompression found no algorithm that shrinks it */
	u16 head_len;    /* split: payload bytes of the head piece; the tail has the rest */
};

/*
 * MTP_SLOT_LOST: an eviction found no room and dropped the object; reads fail, never zeros.
 * MTP_SLOT_WB: the page is on the backing device (the owner's free_block returns it).
 */
enum mtp_slot_kind { MTP_SLOT_EMPTY, MTP_SLOT_SAME, MTP_SLOT_OBJ, MTP_SLOT_LOST, MTP_SLOT_WB };

/* Algorithms a device may use, 0 the primary: zram's four priorities. */
#define MTP_MAX_PRIO 4

/* Which objects a post-processing pass (writeback, recompression) takes: mtp_pp_take(). */
#define MTP_PP_IDLE 0x1           /* only slots marked idle */
#define MTP_PP_HUGE 0x2           /* only objects stored raw */
#define MTP_PP_INCOMPRESSIBLE 0x4 /* only objects recompression could not shrink */
#define MTP_PP_COMPRESSIBLE 0x8   /* none of those */
#define MTP_PP_IN_RAM 0x10        /* only objects whose head piece is in ordinary RAM */
#define MTP_PP_IN_CARVEOUT 0x20   /* only objects whose head piece is in the carve-out */

/* Per-device accounting, kept under pool->lock. */
struct mtp_owner_stats {
	u64 compr_bytes;  /* payload bytes of this owner's objects (both tiers) */
	u64 tag_bytes;    /* of which in tag pages (pieces counted where they lie) */
	u64 nr_objects;   /* objects stored */
	u64 same_pages;   /* slots holding a same-filled page */
	u64 huge_pages;   /* objects stored raw */
	u64 huge_since;   /* raw objects ever stored */
	u64 ovf_pages;    /* overflow pages held (mm_stat's ram_used / PAGE_SIZE) */
	u64 ovf_max;      /* most overflow pages ever held */
	u64 evicted_in;   /* pieces of this owner moved out of a tag page */
	u64 squeezed;     /* pages squeezed or emptied by compaction */
	u64 wb_pages;     /* slots written back to the backing device */
	u64 used_max;     /* most of overflow pages' bytes plus tag_bytes ever held */
};

/*
 * The slot table comes in chunks of 4 KiB, each allocated when a slot in it is first written:
 * swap fills a device from its start, so a device pays for the part it has used, not for its
 * disksize (zram allocates the whole table up front).
 */
#define MTP_SLOTS_SHIFT 8
#define MTP_SLOTS_PER_CHUNK BIT(MTP_SLOTS_SHIFT)

struct mtp_owner {
	struct mtp_pool *pool;      /* whose lock guards the slots */
	struct mtp_slot **slot_dir; /* chunks of the slot table; NULL: never written, all empty */
	u32 nr_slots;
	u32 nr_chunks;              /* chunks allocated */
	u16 id;
	u64 ovf_limit;                        /* most overflow pages; 0 = no limit */
	/* Return a written-back slot's block: called under pool->lock, must not sleep. */
	void (*free_block)(struct mtp_owner *owner, u64 block);
	struct list_head ovf_buckets[MTP_NR_BUCKETS]; /* its partly used overflow pages */
	struct mtp_owner_stats st;
};

struct mtp_pool_stats {
	u64 tag_pages;       /* store pages in the carve-out */
	u64 tag_serving;     /* of which serve tags */
	u64 tag_empty;       /* of which are free */
	u64 tag_used;        /* of which hold objects (packed or huge) */
	u64 spare_pages;     /* overflow pages waiting in the spare list */
	u64 evictions;       /* tag pages emptied for tags */
	u64 evicted_objects; /* pieces moved by those evictions */
	u64 evicted_bytes;   /* payload bytes moved by them */
	u64 evict_atomic;    /* overflow pages evictions had to allocate atomically */
	u64 evict_lost;      /* objects dropped for want of room: must stay 0 */
	u64 corrupt_pages;   /* pages whose pieces the carve-out garbled: must stay 0 */
	u64 corrupt_lost;    /* objects dropped with them (they read as I/O errors) */
	u64 returns;         /* tag pages given back to the pool */
	u64 lock_hold_max_ns; /* longest hold of the lock (test builds only) */
};

struct mtp_pool_ops {
	/*
	 * Free an overflow page and its descriptor; called just after pool->lock is dropped,
	 * in the context of its holder (IRQs may be off): must not sleep.
	 */
	void (*free_overflow)(struct mtp_page *page);
	/*
	 * Last resort of an eviction that found no free tag page and no spare: a page from an
	 * allocation that cannot sleep (GFP_ATOMIC), or NULL. Called under pool->lock.
	 */
	struct mtp_page *(*alloc_atomic)(void);
	/*
	 * Cache maintenance when a carve-out page changes role (NULL: none needed).
	 * to_tags: the page at @addr held objects and is about to hold tags: its dirty data
	 * lines must not be written back over them. Called under pool->lock after the objects
	 * moved out and before a tag of the memory it covers may be written.
	 * to_pool: tag pages @first .. @first + @nr - 1 (a block) are about to hold objects:
	 * dirty tag lines of the data pages they cover must not be written back over those.
	 * Called without pool->lock (it may sleep), once no covered page is tagged and none
	 * can be without a reserve, and before an object may be placed in the block.
	 */
	void (*to_tags)(struct mtp_pool *pool, void *addr);
	void (*to_pool)(struct mtp_pool *pool, u32 first, u32 nr);
};

/*
 * Tag pages @first .. @first + @nr - 1 are mapped contiguously at @addr, in blocks of
 * @block_pages: the hardware may keep the tags of a data page in any tag page of its block
 * (interleaving), so a block serves tags or holds objects as a whole.
 */
struct mtp_tag_map {
	u32 first;
	u32 nr;
	u32 block_pages;
	u8 *addr;
};

#define MTP_MAX_TAG_MAPS 8

struct mtp_pool {
	spinlock_t lock; /* everything below and every owner's slots: see the top */
	const struct mtp_pool_ops *ops;
	struct mtp_page *tag;                          /* descriptors of the carve-out */
	u32 nr_tag;
	u32 nr_maps;
	struct mtp_tag_map maps[MTP_MAX_TAG_MAPS];     /* where the carve-out is mapped */
	/*
	 * Free tag pages and spares together that writes leave to evictions, which must never
	 * fail: an eviction needs at most one empty page per page it empties, so the reserve is
	 * sized by the owner of the pool for the claims that can come before it is refilled.
	 */
	u32 reserve;
	u32 spare_max;                                 /* spares + free tag pages to keep */
	bool split;                                    /* objects may be split (the default) */
	bool carveout_closed;                          /* no new object in a tag page */
	u32 next_ovf_no;                               /* number to try for the next one */
	struct list_head tag_empty;                    /* free tag pages, coldest first */
	struct list_head tag_buckets[MTP_NR_BUCKETS]; /* partly used tag pages */
	struct list_head spare;                        /* empty overflow pages */
	struct list_head corrupt;                      /* packed pages whose walk failed */
	struct list_head to_free;                      /* emptied overflow pages, for the unlock */
	struct mtp_owner *owners[MTP_MAX_OWNERS];
	struct list_head ovf_hash[1 << MTP_OVF_HASH_BITS];  /* overflow pages in use, by number */
	struct mtp_pool_stats st;
	u64 hold_since;                                /* when the lock was taken (tests) */
	void *lock_hold_max_at;                        /* where the longest hold ended (tests) */
};

int mtp_pool_init(struct mtp_pool *pool, const struct mtp_pool_ops *ops, u32 nr_tag_pages);
int mtp_pool_set_tag_addr(struct mtp_pool *pool, u32 first, void *addr, u32 nr,
			  u32 block_pages);
void mtp_pool_destroy(struct mtp_pool *pool);
void mtp_pool_add_spare(struct mtp_pool *pool, struct mtp_page *page);
struct mtp_page *mtp_pool_take_spare(struct mtp_pool *pool);
void mtp_pool_set_reserve(struct mtp_pool *pool, u32 reserve, u32 spare_max);
u32 mtp_pool_nr_spare(struct mtp_pool *pool);
u32 mtp_pool_nr_free_tag(struct mtp_pool *pool);

int mtp_owner_init(struct mtp_pool *pool, struct mtp_owner *owner, u32 nr_slots);
u64 mtp_owner_meta_bytes(struct mtp_owner *owner);
void mtp_owner_destroy(struct mtp_pool *pool, struct mtp_owner *owner);

int mtp_prepare_slot(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot);
int mtp_write(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, const void *buf,
	      u32 len);
int mtp_write_same(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, u64 fill);
int mtp_read(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, void *buf, u32 *len,
	     u64 *fill);
void mtp_discard(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot);
void mtp_owner_reset_max(struct mtp_pool *pool, struct mtp_owner *owner);
u64 mtp_owner_used(const struct mtp_owner_stats *st);

void mtp_mark_idle(struct mtp_pool *pool, struct mtp_owner *owner);
int mtp_pp_take(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, u32 want,
		u32 prio_below, u32 *len, u32 *prio);
int mtp_pp_store(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, const void *buf,
		 u32 len, u32 prio);
int mtp_pp_written_back(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, u64 block,
			u32 csum);
void mtp_pp_release(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot,
		    bool incompressible);

u32 mtp_tag_mark(struct mtp_pool *pool, u32 tag_index, u32 pages);
bool mtp_tag_clear(struct mtp_pool *pool, u32 tag_index, u32 pages);
bool mtp_tag_return(struct mtp_pool *pool, u32 tag_index);
bool mtp_block_serves_tags(struct mtp_pool *pool, u32 tag_index);
void mtp_claim_all(struct mtp_pool *pool);
int mtp_pool_close_carveout(struct mtp_pool *pool);
void mtp_pool_open_carveout(struct mtp_pool *pool);

u64 mtp_compact(struct mtp_pool *pool, struct mtp_owner *owner);
#if IS_ENABLED(CONFIG_MTETAG_TESTING)
int mtp_check(struct mtp_pool *pool);
#endif

#endif /* _MTETAG_POOL_H */
