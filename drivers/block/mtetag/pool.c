// SPDX-License-Identifier: GPL-2.0
/*
 * mtetag object pool: placement, eviction and compaction of compressed objects over tag pages
 * and overflow pages. The data layout and the lock are described in pool.h.
 */
#include "pool.h"

/*
 * The pool lock is IRQ-safe and taken on the fault path: every hold is meant to be about one
 * page's work (one block's for an eviction). The test build records the longest hold, which
 * make bench reports. Overflow pages that emptied are freed after the unlock: a free may
 * drain a per-CPU list into the buddy allocator, many pages' work.
 */
static void pool_lock(struct mtp_pool *pool, unsigned long *flags)
	__acquires(&pool->lock)
{
	spin_lock_irqsave(&pool->lock, *flags);
	if (IS_ENABLED(CONFIG_MTETAG_TESTING))
		pool->hold_since = mtp_now_ns();
}

static void pool_unlock(struct mtp_pool *pool, unsigned long flags)
	__releases(&pool->lock)
{
	struct mtp_page *pg, *next;
	LIST_HEAD(dead);

	list_splice_init(&pool->to_free, &dead);
	if (IS_ENABLED(CONFIG_MTETAG_TESTING)) {
		u64 held = mtp_now_ns() - pool->hold_since;

		if (held > pool->st.lock_hold_max_ns) {
			pool->st.lock_hold_max_ns = held;
			/* Inlined, this names the caller of the pool function that held it. */
			pool->lock_hold_max_at = __builtin_return_address(0);
		}
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	list_for_each_entry_safe(pg, next, &dead, node)
		pool->ops->free_overflow(pg);
}

/* Where the 4 KiB of @pg are: tag pages in the carve-out's mappings, overflow pages own theirs. */
static const struct mtp_tag_map *map_of(const struct mtp_pool *pool, u32 index);

static u8 *page_addr(const struct mtp_pool *pool, struct mtp_page *pg)
{
	const struct mtp_tag_map *map;
	u32 index;

	if (!pg->carveout)
		return mtp_to_ovf(pg)->addr;
	index = pg - pool->tag;
	map = map_of(pool, index);
	return map ? map->addr + (size_t)(index - map->first) * MTP_PAGE_SIZE : NULL;
}

static struct mtp_obj_hdr *obj_hdr(const struct mtp_pool *pool, struct mtp_page *pg, u32 offset)
{
	return (struct mtp_obj_hdr *)(page_addr(pool, pg) + offset);
}

static u8 *piece_data(struct mtp_obj_hdr *hdr)
{
	return (u8 *)(hdr + 1);
}

/* Bytes a piece of @len payload bytes takes in its page. */
static u32 footprint(u32 len)
{
	return sizeof(struct mtp_obj_hdr) + ALIGN(len, MTP_OBJ_ALIGN);
}

/* What a header says its piece takes: to be checked before it is believed. */
static u32 piece_footprint(const struct mtp_obj_hdr *hdr)
{
	return footprint(hdr->len);
}

static bool is_tag_page(const struct mtp_page *pg)
{
	return pg->carveout;
}

static struct list_head *ovf_chain(struct mtp_pool *pool, u32 no)
{
	return &pool->ovf_hash[(u32)(no * 0x9e3779b9u) >> (32 - MTP_OVF_HASH_BITS)];
}

/* The page in use under number @no, or NULL. */
static struct mtp_page *page_by_no(struct mtp_pool *pool, u32 no)
{
	struct mtp_ovf_page *ovf;

	if (no < pool->nr_tag)
		return &pool->tag[no];
	list_for_each_entry(ovf, ovf_chain(pool, no), hash)
		if (ovf->no == no)
			return &ovf->pg;
	return NULL;
}

/* An overflow page comes into use: a number no page in use has, so that a slot can name it. */
static void ovf_number(struct mtp_pool *pool, struct mtp_page *pg)
{
	struct mtp_ovf_page *ovf = mtp_to_ovf(pg);

	do {
		ovf->no = pool->next_ovf_no++;
		if (pool->next_ovf_no < pool->nr_tag)
			pool->next_ovf_no = pool->nr_tag; /* wrapped */
	} while (ovf->no < pool->nr_tag || page_by_no(pool, ovf->no));
	list_add(&ovf->hash, ovf_chain(pool, ovf->no));
}

static u32 page_no(struct mtp_pool *pool, struct mtp_page *pg)
{
	return is_tag_page(pg) ? (u32)(pg - pool->tag) : mtp_to_ovf(pg)->no;
}

/* A slot of @owner, or NULL when its chunk of the table was never written: an empty slot. */
static struct mtp_slot *find_slot(struct mtp_owner *owner, u32 slot)
{
	struct mtp_slot *chunk = owner->slot_dir[slot >> MTP_SLOTS_SHIFT];

	lockdep_assert_held(&owner->pool->lock);
	return chunk ? &chunk[slot & (MTP_SLOTS_PER_CHUNK - 1)] : NULL;
}

/* A slot that names an object: its chunk exists. */
static struct mtp_slot *slot_of(struct mtp_owner *owner, u32 slot)
{
	lockdep_assert_held(&owner->pool->lock);
	return &owner->slot_dir[slot >> MTP_SLOTS_SHIFT][slot & (MTP_SLOTS_PER_CHUNK - 1)];
}

static struct mtp_owner *page_owner(struct mtp_pool *pool, struct mtp_page *pg)
{
	return pool->owners[pg->owner];
}

static struct list_head *buckets_of(struct mtp_pool *pool, struct mtp_page *pg)
{
	return is_tag_page(pg) ? pool->tag_buckets : page_owner(pool, pg)->ovf_buckets;
}

/* Tag pages keep per-state counts so tag_stat needs no walk. */
static void set_state(struct mtp_pool *pool, struct mtp_page *pg, enum mtp_page_state state)
{
	if (is_tag_page(pg)) {
		u64 *count[] = {
			[MTP_TAGS] = &pool->st.tag_serving,
			[MTP_EMPTY] = &pool->st.tag_empty,
			[MTP_PACKED] = &pool->st.tag_used,
			[MTP_HUGE] = &pool->st.tag_used,
		};

		(*count[pg->state])--;
		(*count[state])++;
	}
	WRITE_ONCE(pg->state, state);
}

/* The map of tag page @index, or NULL while it is not mapped. */
static const struct mtp_tag_map *map_of(const struct mtp_pool *pool, u32 index)
{
	u32 i;

	for (i = 0; i < pool->nr_maps; i++)
		if (index - pool->maps[i].first < pool->maps[i].nr)
			return &pool->maps[i];
	return NULL;
}

/* The first tag page of the block of @index, and in *@nr its pages (1 while not mapped). */
static u32 block_of(const struct mtp_pool *pool, u32 index, u32 *nr)
{
	const struct mtp_tag_map *map = map_of(pool, index);

	if (!map) {
		*nr = 1;
		return index;
	}
	*nr = map->block_pages;
	return map->first + (index - map->first) / map->block_pages * map->block_pages;
}

/* Put a packed page on the list of its free-tail class. */
static void relist(struct mtp_pool *pool, struct mtp_page *pg)
{
	list_del_init(&pg->node);
	if (pg->state != MTP_PACKED)
		return;
	pg->bucket = (MTP_PAGE_SIZE - pg->tail) >> MTP_BUCKET_SHIFT;
	list_add(&pg->node, &buckets_of(pool, pg)[pg->bucket]);
}

/*
 * The page with the least free tail that still fits @need, so that tails get filled: a few
 * pages of the class just below the guaranteed fit first, then the smallest class that fits.
 */
static struct mtp_page *find_room(struct list_head *buckets, u32 need)
{
	struct mtp_page *pg;
	u32 b = need >> MTP_BUCKET_SHIFT, probes = 0;

	if (b < MTP_NR_BUCKETS) {
		list_for_each_entry(pg, &buckets[b], node) {
			if (MTP_PAGE_SIZE - pg->tail >= need)
				return pg;
			if (++probes == MTP_FIT_PROBES)
				break;
		}
	}
	for (b++; b < MTP_NR_BUCKETS; b++)
		if (!list_empty(&buckets[b]))
			return list_first_entry(&buckets[b], struct mtp_page, node);
	return NULL;
}

/* The page with the largest tail below @need (and at least MTP_SPLIT_MIN_TAIL), or NULL. */
static struct mtp_page *find_tail(struct list_head *buckets, u32 need)
{
	int b = min(need >> MTP_BUCKET_SHIFT, MTP_NR_BUCKETS - 1);
	struct mtp_page *pg;

	/* Signed: with 16 KiB pages the smallest tail lies in class 0. */
	for (; b >= (int)(MTP_SPLIT_MIN_TAIL >> MTP_BUCKET_SHIFT); b--) {
		list_for_each_entry(pg, &buckets[b], node)
			if (MTP_PAGE_SIZE - pg->tail < need &&
			    MTP_PAGE_SIZE - pg->tail >= MTP_SPLIT_MIN_TAIL)
				return pg;
	}
	return NULL;
}

/*
 * Both tiers searched with @find; of two candidates, the fuller page (@fuller: the tighter fit
 * for a whole object) or the emptier one (the largest tail to start a split object in), the
 * carve-out on a tie. Preferring the carve-out outright would leave the tails of overflow pages
 * unused for good once it is full (rewrites keep freeing room in it), and that is RAM: 84%
 * dense instead of 98%.
 */
static struct mtp_page *search_tiers(struct mtp_pool *pool, struct mtp_owner *owner, u32 need,
				     struct mtp_page *(*find)(struct list_head *, u32), bool fuller)
{
	struct mtp_page *tag = find(pool->tag_buckets, need), *ovf;

	if (!owner->st.ovf_pages)
		return tag;
	ovf = find(owner->ovf_buckets, need);
	if (!tag || !ovf || ovf->tail == tag->tail)
		return tag ? tag : ovf;
	return (ovf->tail > tag->tail) == fuller ? ovf : tag;
}

/* A packed page with room for @need bytes. */
static struct mtp_page *find_fit(struct mtp_pool *pool, struct mtp_owner *owner, u32 need)
{
	return search_tiers(pool, owner, need, find_room, true);
}

/* The page to start a split object of @need bytes in. */
static struct mtp_page *split_tail(struct mtp_pool *pool, struct mtp_owner *owner, u32 need)
{
	return search_tiers(pool, owner, need, find_tail, false);
}

/**
 * mtp_owner_used() - memory an owner's objects occupy in both tiers
 * @st: the owner's statistics
 *
 * Return: bytes of its overflow pages plus the bytes its pieces take in tag pages.
 */
u64 mtp_owner_used(const struct mtp_owner_stats *st)
{
	return (st->ovf_pages << MTP_PAGE_SHIFT) + st->tag_bytes;
}

static void note_used(struct mtp_owner *owner)
{
	owner->st.used_max = max(owner->st.used_max, mtp_owner_used(&owner->st));
}

/* An empty page of either tier for @owner; NULL with *err set when there is none. */
static struct mtp_page *take_empty(struct mtp_pool *pool, struct mtp_owner *owner, bool evict,
				   int *err)
{
	struct mtp_page *pg;

	/*
	 * New data leaves @reserve pages, free tag pages first and spares for the rest, to
	 * evictions: they must not fail, and run where nothing can be allocated but atomically.
	 * Past it a write brings a page of its own (-EAGAIN: the caller adds a spare).
	 */
	if (!list_empty(&pool->tag_empty) && !(pool->carveout_closed && !evict) &&
	    (evict || pool->st.tag_empty > pool->reserve)) {
		pg = list_first_entry(&pool->tag_empty, struct mtp_page, node);
		list_del_init(&pg->node);
		return pg;
	}
	if (!evict && owner->ovf_limit && owner->st.ovf_pages >= owner->ovf_limit) {
		*err = -ENOSPC;
		return NULL;
	}
	pg = NULL;
	if (evict || pool->st.spare_pages + pool->st.tag_empty > pool->reserve)
		pg = list_first_entry_or_null(&pool->spare, struct mtp_page, node);
	if (pg) {
		list_del_init(&pg->node);
		pool->st.spare_pages--;
	} else if (evict && pool->ops->alloc_atomic) {
		pg = pool->ops->alloc_atomic();
		if (pg) {
			INIT_LIST_HEAD(&pg->node);
			INIT_LIST_HEAD(&mtp_to_ovf(pg)->hash);
			pg->carveout = false;
			pool->st.evict_atomic++;
		}
	}
	if (!pg) {
		*err = -EAGAIN;
		return NULL;
	}
	ovf_number(pool, pg);
	pg->owner = owner->id;
	owner->st.ovf_pages++;
	owner->st.ovf_max = max(owner->st.ovf_max, owner->st.ovf_pages);
	note_used(owner);
	return pg;
}

/* An empty page made ready for pieces, or for one raw page when @huge. */
static struct mtp_page *open_page(struct mtp_pool *pool, struct mtp_owner *owner, bool huge,
				  bool evict, int *err)
{
	struct mtp_page *pg = take_empty(pool, owner, evict, err);

	if (!pg)
		return NULL;
	pg->tail = 0;
	pg->live = 0;
	pg->nr_live = 0;
	set_state(pool, pg, huge ? MTP_HUGE : MTP_PACKED);
	return pg;
}

/* Room for a piece of @need bytes; an evicting caller may use the reserve and atomic pages. */
static struct mtp_page *place_piece(struct mtp_pool *pool, struct mtp_owner *owner, u32 need,
				    bool evict, int *err)
{
	struct mtp_page *pg = find_fit(pool, owner, need);

	return pg ? pg : open_page(pool, owner, false, evict, err);
}

static void count_piece(struct mtp_owner *owner, struct mtp_page *pg, u32 len, int sign)
{
	if (!is_tag_page(pg))
		return;
	owner->st.tag_bytes += sign * (s64)len;
	if (sign > 0)
		note_used(owner);
}

/* Append a piece to packed page @pg; the caller fills the link of a head that has one. */
static struct mtp_obj_hdr *append_piece(struct mtp_pool *pool, struct mtp_owner *owner,
					struct mtp_page *pg, u32 slot, u8 flags,
					const void *data, u32 len)
{
	struct mtp_obj_hdr *hdr = obj_hdr(pool, pg, pg->tail);

	hdr->slot = slot;
	hdr->len = len;
	hdr->owner = owner->id;
	hdr->flags = flags;
	memcpy(piece_data(hdr), data, len);
	pg->tail += footprint(len);
	pg->live += footprint(len);
	pg->nr_live++;
	relist(pool, pg);
	count_piece(owner, pg, len, 1);
	return hdr;
}

/* The one reference to a checked piece, in its slot: where the head or the tail now is. */
static void repoint(struct mtp_pool *pool, struct mtp_obj_hdr *hdr, struct mtp_page *pg,
		    u32 offset)
{
	struct mtp_slot *s = slot_of(pool->owners[hdr->owner], hdr->slot);

	if (hdr->flags & MTP_OBJ_TAIL) {
		s->tail_page = page_no(pool, pg);
		s->tail_off8 = offset / MTP_OBJ_ALIGN;
	} else {
		s->page = pg;
		s->off8 = offset / MTP_OBJ_ALIGN;
	}
}

/* A live piece of @from becomes a hole there and is appended, unchanged, to @to. */
static void move_piece(struct mtp_pool *pool, struct mtp_page *from, struct mtp_obj_hdr *hdr,
		       struct mtp_page *to)
{
	struct mtp_owner *owner = pool->owners[hdr->owner];
	u32 size = piece_footprint(hdr);

	repoint(pool, hdr, to, to->tail);
	memcpy(obj_hdr(pool, to, to->tail), hdr, size);
	to->tail += size;
	to->live += size;
	to->nr_live++;
	relist(pool, to);
	count_piece(owner, to, hdr->len, 1);
	count_piece(owner, from, hdr->len, -1);
	hdr->flags |= MTP_OBJ_DEAD;
	from->live -= size;
	from->nr_live--;
}

/*
 * Store @len bytes (less than a page) for @slot: whole in the fullest page that fits them,
 * else split across the largest tail that does not and a second page, else whole in a new one.
 */
static int put_packed(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot,
		      const void *buf, u32 len)
{
	struct mtp_slot *s = slot_of(owner, slot);
	struct mtp_page *pg, *head_pg;
	struct mtp_obj_hdr *head, *tail;
	u32 need = footprint(len), head_len;
	int err = 0;

	pg = find_fit(pool, owner, need);
	if (pg)
		goto whole;
	head_pg = pool->split ? split_tail(pool, owner, need) : NULL;
	if (!head_pg) {
		pg = open_page(pool, owner, false, false, &err);
		if (!pg)
			return err;
		goto whole;
	}
	head_len = MTP_PAGE_SIZE - head_pg->tail - sizeof(struct mtp_obj_hdr);
	/* Off the lists while the tail piece looks for a page, so it lands elsewhere. */
	list_del_init(&head_pg->node);
	pg = place_piece(pool, owner, footprint(len - head_len), false, &err);
	if (!pg) {
		relist(pool, head_pg);
		return err;
	}
	tail = append_piece(pool, owner, pg, slot, MTP_OBJ_TAIL, (const u8 *)buf + head_len,
			    len - head_len);
	head = append_piece(pool, owner, head_pg, slot, MTP_OBJ_LINKED, buf, head_len);
	s->tail_page = page_no(pool, pg);
	s->tail_off8 = ((u8 *)tail - page_addr(pool, pg)) / MTP_OBJ_ALIGN;
	s->head_len = head_len;
	pg = head_pg;
	s->split = 1;
	goto named;
whole:
	head = append_piece(pool, owner, pg, slot, 0, buf, len);
	s->split = 0;
named:
	s->kind = MTP_SLOT_OBJ;
	s->page = pg;
	s->off8 = ((u8 *)head - page_addr(pool, pg)) / MTP_OBJ_ALIGN;
	s->len = len;
	return 0;
}

/* Store a raw page for @slot in a page of its own. */
static void put_huge(struct mtp_pool *pool, struct mtp_owner *owner, struct mtp_page *pg,
		     u32 slot, const void *buf)
{
	struct mtp_slot *s = slot_of(owner, slot);

	memcpy(page_addr(pool, pg), buf, MTP_PAGE_SIZE);
	pg->huge_slot = slot;
	pg->owner = owner->id;
	s->kind = MTP_SLOT_OBJ;
	s->page = pg;
	s->off8 = 0;
	s->len = MTP_PAGE_SIZE;
	s->split = 0;
	count_piece(owner, pg, MTP_PAGE_SIZE, 1);
}

/* The slot a live piece header names, or NULL when the header is garbage. */
static struct mtp_slot *piece_slot(struct mtp_pool *pool, struct mtp_obj_hdr *hdr)
{
	struct mtp_owner *o = pool->owners[hdr->owner];
	struct mtp_slot *s = o && hdr->slot < o->nr_slots ? find_slot(o, hdr->slot) : NULL;

	return s && s->kind == MTP_SLOT_OBJ ? s : NULL;
}

/* A slot that takes new contents forgets what post-processing knew of the old. */
static void set_kind(struct mtp_slot *s, enum mtp_slot_kind kind)
{
	s->kind = kind;
	s->idle = 0;
	s->pp = 0;
	s->prio = 0;
	s->incompressible = 0;
}

/* Payload bytes of the head (or only) piece of object slot @s; the tail has the rest. */
static u32 head_len_of(const struct mtp_slot *s)
{
	return s->split ? s->head_len : s->len;
}

/* The tail piece of split object slot @s, where RAM says it is. */
static struct mtp_obj_hdr *tail_of(struct mtp_pool *pool, const struct mtp_slot *s,
				   struct mtp_page **tail_pg)
{
	*tail_pg = page_by_no(pool, s->tail_page);
	return obj_hdr(pool, *tail_pg, s->tail_off8 * MTP_OBJ_ALIGN);
}

enum mtp_piece { MTP_PIECE_LIVE, MTP_PIECE_DEAD, MTP_PIECE_BAD };

/*
 * What the header at @off of packed page @pg is, before a walk steps by it: inside the used
 * part, and when live, the very piece its slot names, of the length the slot says.
 */
static enum mtp_piece check_hdr(struct mtp_pool *pool, struct mtp_page *pg, u32 off)
{
	struct mtp_obj_hdr *hdr = obj_hdr(pool, pg, off);
	struct mtp_slot *s;

	if ((hdr->flags & ~(MTP_OBJ_DEAD | MTP_OBJ_LINKED | MTP_OBJ_TAIL)) ||
	    (hdr->flags & MTP_OBJ_LINKED && hdr->flags & MTP_OBJ_TAIL) ||
	    off + piece_footprint(hdr) > pg->tail)
		return MTP_PIECE_BAD;
	if (hdr->flags & MTP_OBJ_DEAD)
		return MTP_PIECE_DEAD;
	s = piece_slot(pool, hdr);
	if (!s || s->page->state != MTP_PACKED)
		return MTP_PIECE_BAD;
	if (!(hdr->flags & MTP_OBJ_TAIL))
		return s->page == pg && s->off8 * MTP_OBJ_ALIGN == off &&
		       hdr->flags == (s->split ? MTP_OBJ_LINKED : 0) &&
		       hdr->len == head_len_of(s) ? MTP_PIECE_LIVE : MTP_PIECE_BAD;
	return s->split && s->tail_page == page_no(pool, pg) &&
	       s->tail_off8 * MTP_OBJ_ALIGN == off &&
	       hdr->len == s->len - s->head_len ? MTP_PIECE_LIVE : MTP_PIECE_BAD;
}

/* Whether the headers of packed page @pg account for its live pieces exactly. */
static bool walk_checks_out(struct mtp_pool *pool, struct mtp_page *pg)
{
	u32 off = 0, live = 0, nr = 0;

	while (off < pg->tail) {
		enum mtp_piece piece = check_hdr(pool, pg, off);
		u32 size;

		if (piece == MTP_PIECE_BAD)
			return false;
		size = piece_footprint(obj_hdr(pool, pg, off));
		if (piece == MTP_PIECE_LIVE) {
			live += size;
			nr++;
		}
		off += size;
	}
	return live == pg->live && nr == pg->nr_live;
}

/* An empty page goes back to the free tag list, the spare list or the page allocator. */
static void release_page(struct mtp_pool *pool, struct mtp_page *pg)
{
	list_del_init(&pg->node);
	pg->tail = 0;
	pg->live = 0;
	pg->nr_live = 0;
	if (is_tag_page(pg)) {
		set_state(pool, pg, MTP_EMPTY);
		list_add_tail(&pg->node, &pool->tag_empty);
		return;
	}
	page_owner(pool, pg)->st.ovf_pages--;
	list_del_init(&mtp_to_ovf(pg)->hash);
	pg->state = MTP_EMPTY;
	/* Evictions use free tag pages before spares: keep what the two lack together. */
	if (pool->st.spare_pages + pool->st.tag_empty < pool->spare_max) {
		list_add(&pg->node, &pool->spare);
		pool->st.spare_pages++;
	} else {
		list_add(&pg->node, &pool->to_free); /* freed by pool_unlock() */
	}
}

/*
 * Close the holes of a packed page, rewriting the references of the pieces that move. A page
 * whose headers do not account for its pieces is set aside for drop_corrupt_pages() instead,
 * off the lists: no piece lands there any more.
 */
static void squeeze(struct mtp_pool *pool, struct mtp_page *pg)
{
	u32 off = 0, dst = 0;

	if (!walk_checks_out(pool, pg)) {
		list_del_init(&pg->node);
		list_add_tail(&pg->node, &pool->corrupt);
		return;
	}
	while (off < pg->tail) {
		struct mtp_obj_hdr *hdr = obj_hdr(pool, pg, off);
		u32 size = piece_footprint(hdr);

		if (!(hdr->flags & MTP_OBJ_DEAD)) {
			if (dst != off) {
				repoint(pool, hdr, pg, dst);
				memmove(page_addr(pool, pg) + dst, hdr, size);
			}
			dst += size;
		}
		off += size;
	}
	pg->tail = dst;
	relist(pool, pg);
}

/* A piece of @len payload bytes dies: its size comes from RAM, whatever its header says. */
static void kill_piece(struct mtp_owner *owner, struct mtp_page *pg, struct mtp_obj_hdr *hdr,
		       u32 len)
{
	hdr->flags |= MTP_OBJ_DEAD;
	pg->live -= footprint(len);
	pg->nr_live--;
	count_piece(owner, pg, len, -1);
}

/* After pieces died in @pg: free it when empty, squeeze it when holes add up. */
static void settle(struct mtp_pool *pool, struct mtp_owner *owner, struct mtp_page *pg)
{
	if (!pg->nr_live) {
		release_page(pool, pg);
	} else if ((u32)(pg->tail - pg->live) >= MTP_SQUEEZE_GARBAGE) {
		squeeze(pool, pg);
		owner->st.squeezed++;
	}
}

/*
 * Drop the object an old copy of a slot named; the slot itself may name a new one already.
 * Pieces in @busy (a page being emptied by the caller) only die: the caller resets the page.
 * Where the pieces are and what they take comes from the slot: a garbled header changes
 * neither, and the next walk of its page finds it.
 */
static void drop_obj(struct mtp_pool *pool, struct mtp_owner *owner, struct mtp_slot old,
		     struct mtp_page *busy)
{
	struct mtp_page *pg = old.page, *tail_pg = NULL;

	if (old.kind == MTP_SLOT_SAME)
		owner->st.same_pages--;
	if (old.kind == MTP_SLOT_WB) {
		owner->st.wb_pages--;
		if (owner->free_block)
			owner->free_block(owner, old.block);
	}
	if (old.kind != MTP_SLOT_OBJ)
		return;
	owner->st.compr_bytes -= old.len;
	owner->st.nr_objects--;
	if (pg->state == MTP_HUGE) {
		owner->st.huge_pages--;
		count_piece(owner, pg, MTP_PAGE_SIZE, -1);
		if (pg != busy)
			release_page(pool, pg);
		return;
	}
	/* Both pieces die before either page is settled: a squeeze would move the other. */
	if (old.split) {
		struct mtp_obj_hdr *tail = tail_of(pool, &old, &tail_pg);

		kill_piece(owner, tail_pg, tail, old.len - old.head_len);
	}
	kill_piece(owner, pg, obj_hdr(pool, pg, old.off8 * MTP_OBJ_ALIGN), head_len_of(&old));
	if (pg != busy)
		settle(pool, owner, pg);
	if (tail_pg && tail_pg != pg && tail_pg != busy)
		settle(pool, owner, tail_pg);
}

/*
 * The headers of @pg do not account for its pieces: the carve-out was written behind the
 * pool's back. Every object with a piece in @pg is lost (it reads as an I/O error, never as
 * what is there now), found from the slots. The caller resets @pg. Rare, and bounded by the
 * slots in use, like a device reset.
 */
static void drop_corrupt(struct mtp_pool *pool, struct mtp_page *pg)
{
	u32 no = page_no(pool, pg), o, i;

	pool->st.corrupt_pages++;
	for (o = 0; o < MTP_MAX_OWNERS; o++) {
		struct mtp_owner *owner = pool->owners[o];

		for (i = 0; owner && i < owner->nr_slots; i++) {
			struct mtp_slot *s = find_slot(owner, i), old;

			if (!s) {
				i |= MTP_SLOTS_PER_CHUNK - 1; /* the whole chunk is empty */
				continue;
			}
			if (s->kind != MTP_SLOT_OBJ ||
			    (s->page != pg && !(s->split && s->tail_page == no)))
				continue;
			old = *s;
			set_kind(s, MTP_SLOT_LOST);
			drop_obj(pool, owner, old, pg);
			pool->st.corrupt_lost++;
		}
	}
}

/*
 * Empty the pages squeeze() set aside, at the end of an operation rather than inside the
 * drop that found them: a drop holds pages its caller settles next.
 */
static void drop_corrupt_pages(struct mtp_pool *pool)
{
	struct mtp_page *pg;

	while ((pg = list_first_entry_or_null(&pool->corrupt, struct mtp_page, node))) {
		list_del_init(&pg->node);
		drop_corrupt(pool, pg);
		release_page(pool, pg);
	}
}

/**
 * mtp_pool_init() - set up an empty pool over @nr_tag_pages carve-out pages
 * @pool: the pool
 * @ops: how to free overflow pages
 * @nr_tag_pages: pages of carve-out; all start as serving tags until mtp_tag_return()
 *
 * Return: 0 or -ENOMEM.
 */
int mtp_pool_init(struct mtp_pool *pool, const struct mtp_pool_ops *ops, u32 nr_tag_pages)
{
	u32 i;

	BUILD_BUG_ON(sizeof(struct mtp_obj_hdr) != MTP_OBJ_ALIGN);
	/* 24 bytes a slot, the table RAM/170 of what is stored; len takes 15 bits. */
	BUILD_BUG_ON(sizeof(struct mtp_slot) != 24);
	BUILD_BUG_ON(MTP_PAGE_SHIFT > 14);
	/* off8 and tail_off8 take 11 bits. */
	BUILD_BUG_ON(MTP_PAGE_SIZE / MTP_OBJ_ALIGN > BIT(11));
	/* A descriptor per tag page, whether used or not: 40 bytes, 1/100 of the carve-out. */
	BUILD_BUG_ON(sizeof(struct mtp_page) > 40);
	memset(pool, 0, sizeof(*pool));
	spin_lock_init(&pool->lock);
	pool->ops = ops;
	pool->split = true; /* no reserve until the owner sizes it: mtp_pool_set_reserve() */
	pool->next_ovf_no = nr_tag_pages;
	INIT_LIST_HEAD(&pool->corrupt);
	INIT_LIST_HEAD(&pool->to_free);
	for (i = 0; i < ARRAY_SIZE(pool->ovf_hash); i++)
		INIT_LIST_HEAD(&pool->ovf_hash[i]);
	INIT_LIST_HEAD(&pool->tag_empty);
	INIT_LIST_HEAD(&pool->spare);
	for (i = 0; i < MTP_NR_BUCKETS; i++)
		INIT_LIST_HEAD(&pool->tag_buckets[i]);
	pool->tag = mtp_zalloc_array(nr_tag_pages ? nr_tag_pages : 1, sizeof(*pool->tag));
	if (!pool->tag)
		return -ENOMEM;
	pool->nr_tag = nr_tag_pages;
	for (i = 0; i < nr_tag_pages; i++) {
		INIT_LIST_HEAD(&pool->tag[i].node);
		pool->tag[i].carveout = true;
		pool->tag[i].state = MTP_TAGS;
		atomic64_set(&pool->tag[i].tag_word, MTP_TAG_SERVING);
	}
	pool->st.tag_pages = nr_tag_pages;
	pool->st.tag_serving = nr_tag_pages;
	return 0;
}

/**
 * mtp_pool_set_tag_addr() - tell the pool where carve-out pages are mapped
 * @pool: the pool
 * @first: index of the first page
 * @addr: its address; the following @nr pages follow contiguously
 * @nr: number of pages
 * @block_pages: tag pages per block (the hardware's block-size), dividing @nr
 *
 * Return: 0, or -EINVAL when the range is out of bounds or not made of whole blocks, or
 * MTP_MAX_TAG_MAPS ranges are set.
 */
int mtp_pool_set_tag_addr(struct mtp_pool *pool, u32 first, void *addr, u32 nr,
			  u32 block_pages)
{
	struct mtp_tag_map *map;

	if (pool->nr_maps == MTP_MAX_TAG_MAPS || first >= pool->nr_tag || !block_pages ||
	    nr % block_pages || nr > pool->nr_tag - first)
		return -EINVAL;
	map = &pool->maps[pool->nr_maps++];
	map->first = first;
	map->nr = nr;
	map->block_pages = block_pages;
	map->addr = addr;
	return 0;
}

/**
 * mtp_pool_destroy() - free the spare pages and descriptors; every owner must be gone
 * @pool: the pool
 */
void mtp_pool_destroy(struct mtp_pool *pool)
{
	struct mtp_page *pg;

	while ((pg = list_first_entry_or_null(&pool->spare, struct mtp_page, node))) {
		list_del_init(&pg->node);
		pool->ops->free_overflow(pg);
	}
	pool->st.spare_pages = 0;
	mtp_free_array(pool->tag);
	pool->tag = NULL;
}

/**
 * mtp_pool_add_spare() - hand the pool an empty overflow page to use without allocating
 * @pool: the pool
 * @page: the descriptor of a struct mtp_ovf_page with its addr set; the pool frees it through
 *        ops->free_overflow
 */
void mtp_pool_add_spare(struct mtp_pool *pool, struct mtp_page *page)
{
	unsigned long flags;

	INIT_LIST_HEAD(&page->node);
	INIT_LIST_HEAD(&mtp_to_ovf(page)->hash);
	page->carveout = false;
	page->state = MTP_EMPTY;
	pool_lock(pool, &flags);
	list_add(&page->node, &pool->spare);
	pool->st.spare_pages++;
	pool_unlock(pool, flags);
}

/**
 * mtp_pool_take_spare() - take one spare overflow page back from the pool
 * @pool: the pool
 *
 * Return: the page, to free through ops->free_overflow, or NULL when the pool has none.
 */
struct mtp_page *mtp_pool_take_spare(struct mtp_pool *pool)
{
	struct mtp_page *page;
	unsigned long flags;

	pool_lock(pool, &flags);
	page = list_first_entry_or_null(&pool->spare, struct mtp_page, node);
	if (page) {
		list_del_init(&page->node);
		pool->st.spare_pages--;
	}
	pool_unlock(pool, flags);
	return page;
}

/**
 * mtp_pool_set_reserve() - size the room that writes leave to evictions
 * @pool: the pool
 * @reserve: free tag pages and spares together that writes may not take
 * @spare_max: free tag pages and spares together to keep when pages empty
 */
void mtp_pool_set_reserve(struct mtp_pool *pool, u32 reserve, u32 spare_max)
{
	unsigned long flags;

	pool_lock(pool, &flags);
	pool->reserve = reserve;
	pool->spare_max = spare_max;
	pool_unlock(pool, flags);
}

/**
 * mtp_pool_nr_spare() - how many spare overflow pages the pool holds
 * @pool: the pool
 *
 * Return: the count; racy by nature, for refill decisions only.
 */
u32 mtp_pool_nr_spare(struct mtp_pool *pool)
{
	return READ_ONCE(pool->st.spare_pages);
}

/**
 * mtp_pool_nr_free_tag() - how many tag pages are free in the pool
 * @pool: the pool
 *
 * Return: the count; racy by nature, for refill decisions only.
 */
u32 mtp_pool_nr_free_tag(struct mtp_pool *pool)
{
	return READ_ONCE(pool->st.tag_empty);
}

/**
 * mtp_owner_init() - register a device with @nr_slots slots
 * @pool: the pool
 * @owner: the owner to set up
 * @nr_slots: slots (pages of the device)
 *
 * Return: 0, -ENOMEM, or -ENOSPC when MTP_MAX_OWNERS are registered.
 */
int mtp_owner_init(struct mtp_pool *pool, struct mtp_owner *owner, u32 nr_slots)
{
	unsigned long flags;
	u32 i;
	int id = -1;

	memset(owner, 0, sizeof(*owner));
	for (i = 0; i < MTP_NR_BUCKETS; i++)
		INIT_LIST_HEAD(&owner->ovf_buckets[i]);
	owner->slot_dir = mtp_zalloc_array(DIV_ROUND_UP(nr_slots, MTP_SLOTS_PER_CHUNK) + 1,
					   sizeof(*owner->slot_dir));
	if (!owner->slot_dir)
		return -ENOMEM;
	owner->nr_slots = nr_slots;
	pool_lock(pool, &flags);
	for (i = 0; i < MTP_MAX_OWNERS && id < 0; i++)
		if (!pool->owners[i])
			id = i;
	if (id >= 0) {
		owner->id = id;
		owner->pool = pool;
		pool->owners[id] = owner;
	}
	pool_unlock(pool, flags);
	if (id < 0) {
		mtp_free_array(owner->slot_dir);
		owner->slot_dir = NULL;
		return -ENOSPC;
	}
	return 0;
}

/**
 * mtp_owner_meta_bytes() - RAM the slot table of @owner takes
 * @owner: the owner
 *
 * Return: bytes of the chunk directory and of the chunks allocated so far.
 */
u64 mtp_owner_meta_bytes(struct mtp_owner *owner)
{
	return (u64)(DIV_ROUND_UP(owner->nr_slots, MTP_SLOTS_PER_CHUNK) + 1) *
		       sizeof(*owner->slot_dir) +
	       (u64)READ_ONCE(owner->nr_chunks) * MTP_SLOTS_PER_CHUNK * sizeof(struct mtp_slot);
}

/**
 * mtp_prepare_slot() - allocate the part of the slot table that holds @slot
 * @pool: the pool
 * @owner: the device
 * @slot: the slot
 *
 * May sleep (allocates without I/O): call it before mtp_write() or mtp_write_same() of the
 * slot, which run where sleeping is not allowed.
 *
 * Return: 0, -EINVAL for a slot out of range, -ENOMEM.
 */
int mtp_prepare_slot(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot)
{
	struct mtp_slot **dir;
	struct mtp_slot *chunk;
	unsigned long flags;

	if (slot >= owner->nr_slots)
		return -EINVAL;
	dir = &owner->slot_dir[slot >> MTP_SLOTS_SHIFT];
	if (READ_ONCE(*dir))
		return 0;
	chunk = mtp_zalloc_noio(MTP_SLOTS_PER_CHUNK * sizeof(*chunk));
	if (!chunk)
		return -ENOMEM;
	pool_lock(pool, &flags);
	if (!*dir) {
		WRITE_ONCE(*dir, chunk);
		owner->nr_chunks++;
		chunk = NULL;
	}
	pool_unlock(pool, flags);
	mtp_free(chunk); /* another writer installed one first */
	return 0;
}

/**
 * mtp_owner_destroy() - drop every object of a device and unregister it
 * @pool: the pool
 * @owner: the owner
 */
void mtp_owner_destroy(struct mtp_pool *pool, struct mtp_owner *owner)
{
	u32 nr_dir = DIV_ROUND_UP(owner->nr_slots, MTP_SLOTS_PER_CHUNK);
	unsigned long flags;
	u32 c, i;

	if (!owner->slot_dir)
		return;
	/*
	 * One object per hold: dropping one may squeeze or free a page, a page's work. The
	 * caller stopped the device's I/O, and nothing else fills an empty slot: those are
	 * skipped without the lock.
	 */
	for (c = 0; c < nr_dir; c++) {
		struct mtp_slot *chunk = owner->slot_dir[c];

		for (i = 0; chunk && i < MTP_SLOTS_PER_CHUNK; i++) {
			struct mtp_slot old;

			/* Unlocked: an eviction may rewrite the slot, never make it empty. */
			if (chunk[i].kind == MTP_SLOT_EMPTY)
				continue;
			pool_lock(pool, &flags);
			old = chunk[i];
			chunk[i].kind = MTP_SLOT_EMPTY;
			drop_obj(pool, owner, old, NULL);
			drop_corrupt_pages(pool);
			pool_unlock(pool, flags);
		}
		mtp_cond_resched();
	}
	pool_lock(pool, &flags);
	pool->owners[owner->id] = NULL;
	pool_unlock(pool, flags);
	for (c = 0; c < nr_dir; c++)
		mtp_free(owner->slot_dir[c]);
	mtp_free_array(owner->slot_dir);
	owner->slot_dir = NULL;
}

/*
 * Store @len bytes for @slot; with @pp_only, only while a post-processing pass still holds it
 * (nothing wrote or discarded it since mtp_pp_take()): recompressed by algorithm @prio.
 */
static int store(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, const void *buf,
		 u32 len, bool pp_only, u32 prio)
{
	unsigned long flags;
	struct mtp_slot old, *s;
	struct mtp_page *pg;
	int err = 0;
	u32 csum;

	if (slot >= owner->nr_slots || !len || (len > MTP_HUGE_THRESHOLD && len != MTP_PAGE_SIZE))
		return -EINVAL;
	csum = mtp_csum(buf, len);
	pool_lock(pool, &flags);
	s = find_slot(owner, slot);
	if (!s || (pp_only && !(s->pp && s->kind == MTP_SLOT_OBJ))) {
		pool_unlock(pool, flags);
		return s ? -ESTALE : -ENOMEM;
	}
	old = *s;
	if (len == MTP_PAGE_SIZE) {
		pg = open_page(pool, owner, true, false, &err);
		if (pg) {
			put_huge(pool, owner, pg, slot, buf);
			owner->st.huge_pages++;
			owner->st.huge_since++;
		}
	} else {
		err = put_packed(pool, owner, slot, buf, len);
	}
	if (!err) {
		set_kind(s, MTP_SLOT_OBJ);
		s->prio = prio;
		s->csum = csum;
		owner->st.compr_bytes += len;
		owner->st.nr_objects++;
		drop_obj(pool, owner, old, NULL);
		drop_corrupt_pages(pool);
	}
	pool_unlock(pool, flags);
	return err;
}

/**
 * mtp_write() - store @len bytes for @slot, replacing what it held
 * @pool: the pool
 * @owner: the device
 * @slot: the slot
 * @buf: compressed bytes, or the raw page when @len is MTP_PAGE_SIZE
 * @len: 1 to MTP_HUGE_THRESHOLD, or MTP_PAGE_SIZE
 *
 * Return: 0; -EAGAIN when an overflow page is needed (add a spare, call again); -ENOSPC when
 * the owner's mem_limit is reached; -EINVAL for a bad length; -ENOMEM when the slot was not
 * prepared (mtp_prepare_slot()). On error the slot is unchanged.
 */
int mtp_write(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, const void *buf, u32 len)
{
	return store(pool, owner, slot, buf, len, false, 0);
}

/*
 * Point @slot at no object (empty or same-filled) and drop what it named. Return: false when
 * the slot's part of the table does not exist (the slot is empty).
 */
static bool replace_slot(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot,
			 enum mtp_slot_kind kind, u64 fill)
{
	unsigned long flags;
	struct mtp_slot old, *s;

	pool_lock(pool, &flags);
	s = find_slot(owner, slot);
	if (s) {
		old = *s;
		set_kind(s, kind);
		if (kind == MTP_SLOT_SAME) {
			s->fill = fill;
			owner->st.same_pages++;
		}
		drop_obj(pool, owner, old, NULL);
		drop_corrupt_pages(pool);
	}
	pool_unlock(pool, flags);
	return s;
}

/**
 * mtp_write_same() - record that @slot holds a page of one repeated word; takes no space
 * @pool: the pool
 * @owner: the device
 * @slot: the slot
 * @fill: the word
 *
 * Return: 0, -EINVAL for a slot out of range, -ENOMEM when the slot was not prepared
 * (mtp_prepare_slot()).
 */
int mtp_write_same(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, u64 fill)
{
	if (slot >= owner->nr_slots)
		return -EINVAL;
	return replace_slot(pool, owner, slot, MTP_SLOT_SAME, fill) ? 0 : -ENOMEM;
}

/*
 * Copy out the @s->len bytes of an object from where the slot says its pieces are: what the
 * carve-out did to them shows in the checksum, never in where or how much is copied.
 */
static void read_pieces(struct mtp_pool *pool, const struct mtp_slot *s, u8 *buf)
{
	u32 head_len = head_len_of(s);
	struct mtp_page *tail_pg;

	memcpy(buf, piece_data(obj_hdr(pool, s->page, s->off8 * MTP_OBJ_ALIGN)), head_len);
	if (s->split)
		memcpy(buf + head_len, piece_data(tail_of(pool, s, &tail_pg)), s->len - head_len);
}

/**
 * mtp_read() - copy out what @slot holds
 * @pool: the pool
 * @owner: the device
 * @slot: the slot
 * @buf: MTP_PAGE_SIZE bytes for the object
 * @len: set to the object's length (MTP_PAGE_SIZE: raw page), or to the checksum of a
 *	 written-back page
 * @fill: set to the word of a same-filled page, the block of a written-back one, or the
 *	  algorithm (priority) that compressed an object
 *
 * Reading a slot makes it not idle.
 *
 * Return: the enum mtp_slot_kind of the slot (MTP_SLOT_LOST: the data is gone, an I/O
 * error for the caller), -EBADMSG when the bytes read do not match their checksum (an I/O
 * error too, never data), or -EINVAL for a slot out of range.
 */
int mtp_read(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, void *buf, u32 *len,
	     u64 *fill)
{
	unsigned long flags;
	struct mtp_slot *s;
	u32 csum = 0;
	int kind;

	if (slot >= owner->nr_slots)
		return -EINVAL;
	pool_lock(pool, &flags);
	s = find_slot(owner, slot);
	kind = s ? s->kind : MTP_SLOT_EMPTY;
	if (s)
		s->idle = 0;
	if (kind == MTP_SLOT_SAME) {
		*fill = s->fill;
	} else if (kind == MTP_SLOT_WB) {
		*fill = s->block;
		*len = s->csum;
	} else if (kind == MTP_SLOT_OBJ) {
		*len = s->len;
		*fill = s->prio;
		csum = s->csum;
		if (s->page->state == MTP_HUGE)
			memcpy(buf, page_addr(pool, s->page), MTP_PAGE_SIZE);
		else
			read_pieces(pool, s, buf);
	}
	pool_unlock(pool, flags);
	/* Outside the lock: what came back is checked, not what we hold. */
	if (kind == MTP_SLOT_OBJ && mtp_csum(buf, *len) != csum)
		return -EBADMSG;
	return kind;
}

/**
 * mtp_discard() - empty @slot
 * @pool: the pool
 * @owner: the device
 * @slot: the slot
 */
void mtp_discard(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot)
{
	if (slot < owner->nr_slots)
		replace_slot(pool, owner, slot, MTP_SLOT_EMPTY, 0);
}

/**
 * mtp_owner_reset_max() - restart the high-water marks of @owner at what it holds now
 * @pool: the pool
 * @owner: the device
 */
void mtp_owner_reset_max(struct mtp_pool *pool, struct mtp_owner *owner)
{
	unsigned long flags;

	pool_lock(pool, &flags);
	owner->st.used_max = mtp_owner_used(&owner->st);
	owner->st.ovf_max = owner->st.ovf_pages;
	pool_unlock(pool, flags);
}

/**
 * mtp_mark_idle() - mark every object of @owner idle, as zram's "idle all"
 * @pool: the pool
 * @owner: the device
 *
 * Same-filled and written-back slots and those a pass holds are left alone. Holds the lock
 * for one chunk of the table at a time; may sleep between them.
 */
void mtp_mark_idle(struct mtp_pool *pool, struct mtp_owner *owner)
{
	u32 nr_dir = DIV_ROUND_UP(owner->nr_slots, MTP_SLOTS_PER_CHUNK);
	unsigned long flags;
	u32 c, i;

	for (c = 0; c < nr_dir; c++) {
		struct mtp_slot *chunk;

		pool_lock(pool, &flags);
		chunk = owner->slot_dir[c];
		for (i = 0; chunk && i < MTP_SLOTS_PER_CHUNK; i++)
			if (chunk[i].kind == MTP_SLOT_OBJ && !chunk[i].pp)
				chunk[i].idle = 1;
		pool_unlock(pool, flags);
		mtp_cond_resched();
	}
}

static bool pp_wanted(const struct mtp_slot *s, u32 want, u32 prio_below)
{
	if (s->kind != MTP_SLOT_OBJ || s->pp || s->prio >= prio_below)
		return false;
	if ((want & MTP_PP_IDLE) && !s->idle)
		return false;
	if ((want & MTP_PP_HUGE) && s->len != MTP_PAGE_SIZE)
		return false;
	if ((want & MTP_PP_INCOMPRESSIBLE) && !s->incompressible)
		return false;
	if ((want & MTP_PP_COMPRESSIBLE) && s->incompressible)
		return false;
	if ((want & MTP_PP_IN_RAM) && is_tag_page(s->page))
		return false;
	return !(want & MTP_PP_IN_CARVEOUT) || is_tag_page(s->page);
}

/**
 * mtp_pp_take() - take @slot for a post-processing pass if it is what the pass wants
 * @pool: the pool
 * @owner: the device
 * @slot: the slot
 * @want: MTP_PP_* conditions, all of which must hold
 * @prio_below: take only objects compressed by an algorithm of a lower priority
 * @len: set to the object's length
 * @prio: set to the priority of the algorithm that compressed it
 *
 * The pass then reads the slot, and ends with mtp_pp_store(), mtp_pp_written_back() or
 * mtp_pp_release(). A write or discard in between wins: the pass's result is dropped.
 *
 * Return: 0 when taken, -ENOENT when the slot is not one the pass wants, -EINVAL when out
 * of range.
 */
int mtp_pp_take(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, u32 want,
		u32 prio_below, u32 *len, u32 *prio)
{
	unsigned long flags;
	struct mtp_slot *s;
	int err = -ENOENT;

	if (slot >= owner->nr_slots)
		return -EINVAL;
	pool_lock(pool, &flags);
	s = find_slot(owner, slot);
	if (s && pp_wanted(s, want, prio_below)) {
		s->pp = 1;
		*len = s->len;
		*prio = s->prio;
		err = 0;
	}
	pool_unlock(pool, flags);
	return err;
}

/**
 * mtp_pp_store() - replace a taken slot's object by its recompressed bytes
 * @pool: the pool
 * @owner: the device
 * @slot: the slot, taken by mtp_pp_take()
 * @buf: the bytes
 * @len: their length, as mtp_write()
 * @prio: the algorithm that produced them
 *
 * Return: as mtp_write(), and -ESTALE when the slot was written or discarded since it was
 * taken (it keeps that). Ends the pass's hold on the slot when it succeeds.
 */
int mtp_pp_store(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, const void *buf,
		 u32 len, u32 prio)
{
	if (prio >= MTP_MAX_PRIO)
		return -EINVAL;
	return store(pool, owner, slot, buf, len, true, prio);
}

/**
 * mtp_pp_written_back() - a taken slot's page is now at @block of the backing device
 * @pool: the pool
 * @owner: the device
 * @slot: the slot, taken by mtp_pp_take()
 * @block: where its page was written
 * @csum: mtp_csum() of the page, to check what the device returns
 *
 * Return: 0, the object is dropped and the slot names @block; -ESTALE when the slot was
 * written or discarded since it was taken: @block is the caller's to free.
 */
int mtp_pp_written_back(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, u64 block,
			u32 csum)
{
	unsigned long flags;
	struct mtp_slot old, *s;
	int err = -ESTALE;

	if (slot >= owner->nr_slots)
		return -EINVAL;
	pool_lock(pool, &flags);
	s = find_slot(owner, slot);
	if (s && s->pp && s->kind == MTP_SLOT_OBJ) {
		old = *s;
		set_kind(s, MTP_SLOT_WB);
		s->block = block;
		s->csum = csum;
		owner->st.wb_pages++;
		drop_obj(pool, owner, old, NULL);
		drop_corrupt_pages(pool);
		err = 0;
	}
	pool_unlock(pool, flags);
	return err;
}

/**
 * mtp_pp_release() - end a pass's hold on @slot without changing its object
 * @pool: the pool
 * @owner: the device
 * @slot: the slot, taken by mtp_pp_take()
 * @incompressible: no algorithm shrank it: later recompression passes skip it
 */
void mtp_pp_release(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot,
		    bool incompressible)
{
	unsigned long flags;
	struct mtp_slot *s;

	if (slot >= owner->nr_slots)
		return;
	pool_lock(pool, &flags);
	s = find_slot(owner, slot);
	if (s && s->pp && s->kind == MTP_SLOT_OBJ) {
		s->pp = 0;
		s->incompressible |= incompressible;
	}
	pool_unlock(pool, flags);
}

/*
 * Cannot happen while the reserve lasts (see struct mtp_pool); counted, and the slot reads
 * as an error until it is written or discarded again, never as zeros.
 */
static void lose_obj(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot,
		     struct mtp_page *busy)
{
	struct mtp_slot old = *slot_of(owner, slot);

	set_kind(slot_of(owner, slot), MTP_SLOT_LOST);
	drop_obj(pool, owner, old, busy);
	pool->st.evict_lost++;
}

/* Move the raw page in @pg to a page of its own elsewhere. */
static bool evict_huge(struct mtp_pool *pool, struct mtp_page *pg)
{
	struct mtp_owner *owner = page_owner(pool, pg);
	struct mtp_page *to;
	int err = 0;

	to = open_page(pool, owner, true, true, &err);
	if (!to) {
		lose_obj(pool, owner, pg->huge_slot, pg);
		return false;
	}
	count_piece(owner, pg, MTP_PAGE_SIZE, -1);
	put_huge(pool, owner, to, pg->huge_slot, page_addr(pool, pg));
	owner->st.evicted_in++;
	pool->st.evicted_objects++;
	return true;
}

/* Empty a tag page that is about to serve tags. Bounded: at most one page of pieces. */
static u32 evict(struct mtp_pool *pool, struct mtp_page *pg)
{
	u32 moved = 0, off = 0;

	list_del_init(&pg->node);
	if (pg->state == MTP_HUGE) {
		if (evict_huge(pool, pg))
			moved = MTP_PAGE_SIZE;
	} else if (pg->state == MTP_PACKED) {
		while (off < pg->tail) {
			enum mtp_piece piece = check_hdr(pool, pg, off);
			struct mtp_obj_hdr *hdr = obj_hdr(pool, pg, off);
			struct mtp_owner *owner = pool->owners[hdr->owner];
			struct mtp_page *to;
			u32 size;
			int err = 0;

			if (piece == MTP_PIECE_BAD)
				break;
			size = piece_footprint(hdr);
			off += size;
			if (piece == MTP_PIECE_DEAD)
				continue;
			to = place_piece(pool, owner, size, true, &err);
			if (!to) {
				lose_obj(pool, owner, hdr->slot, pg);
				continue;
			}
			move_piece(pool, pg, hdr, to);
			moved += hdr->len;
			owner->st.evicted_in++;
			pool->st.evicted_objects++;
		}
		/* Pieces the walk could not account for: their objects are lost. */
		if (pg->nr_live)
			drop_corrupt(pool, pg);
	}
	if (pg->state == MTP_HUGE || pg->state == MTP_PACKED)
		pool->st.evictions++;
	pool->st.evicted_bytes += moved;
	pg->tail = 0;
	pg->live = 0;
	pg->nr_live = 0;
	if (pool->ops->to_tags)
		pool->ops->to_tags(pool, page_addr(pool, pg));
	set_state(pool, pg, MTP_TAGS);
	return moved;
}

/*
 * The block of tag page @index is about to serve tags: empty each of its pages that does not
 * yet, then let lockless marks in. Bounded: the block's pages of pieces.
 */
static u32 claim_block(struct mtp_pool *pool, u32 index)
{
	u32 nr, i, first = block_of(pool, index, &nr), moved = 0;

	/* Off the free and bucket lists first: no piece may move into a page of the block. */
	for (i = first; i < first + nr; i++)
		list_del_init(&pool->tag[i].node);
	for (i = first; i < first + nr; i++)
		if (pool->tag[i].state != MTP_TAGS)
			moved += evict(pool, &pool->tag[i]);
	/*
	 * Fully ordered, and last: every page of the block is empty before a lockless mark of
	 * any of them can see the bit and let tags be written.
	 */
	for (i = first; i < first + nr; i++)
		atomic64_fetch_or(MTP_TAG_SERVING, &pool->tag[i].tag_word);
	return moved;
}

/**
 * mtp_tag_mark() - data pages covered by tag page @tag_index are about to be tagged
 * @pool: the pool
 * @tag_index: the tag page
 * @pages: which of its 32 data pages, as a bit mask (idempotent: marking twice is once)
 *
 * Moves every object out of the tag page's block first. Never sleeps, never fails.
 *
 * Return: payload bytes moved.
 */
u32 mtp_tag_mark(struct mtp_pool *pool, u32 tag_index, u32 pages)
{
	unsigned long flags;
	struct mtp_page *pg;
	u32 moved = 0;

	if (tag_index >= pool->nr_tag || !pages)
		return 0;
	pg = &pool->tag[tag_index];
	/* The common case, a page that serves tags already: no lock, IRQs untouched. */
	if (mtp_tag_mark_serving(pg, pages))
		return 0;
	pool_lock(pool, &flags);
	atomic64_or(pages, &pg->tag_word);
	moved = claim_block(pool, tag_index);
	drop_corrupt_pages(pool);
	pool_unlock(pool, flags);
	return moved;
}

/**
 * mtp_tag_clear() - data pages covered by tag page @tag_index are no longer tagged
 * @pool: the pool
 * @tag_index: the tag page
 * @pages: which of its 32 data pages, as a bit mask
 *
 * Return: true when no covered page is tagged any more: the caller may give the page back
 * with mtp_tag_return() after its grace period.
 */
bool mtp_tag_clear(struct mtp_pool *pool, u32 tag_index, u32 pages)
{
	if (tag_index >= pool->nr_tag)
		return false;
	return mtp_tag_unmark(&pool->tag[tag_index], pages);
}

/*
 * Take the block @first .. @first + @nr - 1 out of tag service if none of its pages covers a
 * tagged page: each word goes from "serving, nothing tagged" to 0, and a page marked meanwhile
 * puts back the ones taken. Lockless marks of a page taken fail and wait for pool->lock.
 */
static bool unserve_block(struct mtp_pool *pool, u32 first, u32 nr)
{
	u32 i;

	for (i = first; i < first + nr; i++) {
		s64 idle = MTP_TAG_SERVING;

		if (pool->tag[i].state != MTP_TAGS ||
		    !atomic64_try_cmpxchg(&pool->tag[i].tag_word, &idle, 0))
			break;
	}
	if (i == first + nr)
		return true;
	while (i-- > first)
		atomic64_fetch_or(MTP_TAG_SERVING, &pool->tag[i].tag_word);
	return false;
}

/**
 * mtp_tag_return() - give the block of an idle tag page to the pool
 * @pool: the pool
 * @tag_index: the tag page
 *
 * May sleep when the pool's to_pool op does (cache maintenance of the whole block).
 *
 * Return: true when its block left tag service for the pool (a reserve may claim it back at
 * once); false when a page the block covers is tagged (again), or the block is not in tag
 * service or not mapped.
 */
bool mtp_tag_return(struct mtp_pool *pool, u32 tag_index)
{
	unsigned long flags;
	u32 first, nr, i;

	if (tag_index >= pool->nr_tag)
		return false;
	pool_lock(pool, &flags);
	first = block_of(pool, tag_index, &nr);
	if (!map_of(pool, tag_index) || !unserve_block(pool, first, nr)) {
		pool_unlock(pool, flags);
		return false;
	}
	/* EMPTY but on no list: no object can be placed; a reserve meanwhile claims it back. */
	for (i = first; i < first + nr; i++)
		set_state(pool, &pool->tag[i], MTP_EMPTY);
	pool_unlock(pool, flags);
	if (pool->ops->to_pool)
		pool->ops->to_pool(pool, first, nr);
	pool_lock(pool, &flags);
	for (i = first; i < first + nr; i++) {
		struct mtp_page *pg = &pool->tag[i];

		if (pg->state == MTP_EMPTY && list_empty(&pg->node)) {
			list_add_tail(&pg->node, &pool->tag_empty);
			pool->st.returns++;
		}
	}
	pool_unlock(pool, flags);
	return true;
}

/**
 * mtp_claim_all() - give every tag page back to tags; the pool must hold no object
 * @pool: the pool
 *
 * For unloading: the pages are tag storage again afterwards, with the cache maintenance of
 * that change done.
 */
void mtp_claim_all(struct mtp_pool *pool)
{
	unsigned long flags;
	u32 i;

	/* A block at a time: the lock is IRQ-safe and the carve-out may be large. */
	for (i = 0; i < pool->nr_tag; i++) {
		pool_lock(pool, &flags);
		if (pool->tag[i].state != MTP_TAGS)
			claim_block(pool, i);
		drop_corrupt_pages(pool);
		pool_unlock(pool, flags);
		mtp_cond_resched();
	}
}

/**
 * mtp_pool_close_carveout() - place no new object in a tag page, if none holds one
 * @pool: the pool
 *
 * Hibernation saves the carve-out as memory: it must hold nothing of ours meanwhile.
 *
 * Return: 0, or -EBUSY when a tag page holds objects (the carve-out stays open).
 */
int mtp_pool_close_carveout(struct mtp_pool *pool)
{
	unsigned long flags;
	int err = 0;

	pool_lock(pool, &flags);
	if (pool->st.tag_used)
		err = -EBUSY;
	else
		pool->carveout_closed = true;
	pool_unlock(pool, flags);
	return err;
}

/**
 * mtp_pool_open_carveout() - undo mtp_pool_close_carveout()
 * @pool: the pool
 */
void mtp_pool_open_carveout(struct mtp_pool *pool)
{
	unsigned long flags;

	pool_lock(pool, &flags);
	pool->carveout_closed = false;
	pool_unlock(pool, flags);
}

/**
 * mtp_block_serves_tags() - whether every tag page of the block of @tag_index serves tags
 * @pool: the pool
 * @tag_index: the tag page
 *
 * Return: the answer; racy unless the block's data pages cannot change state (the audit).
 */
bool mtp_block_serves_tags(struct mtp_pool *pool, u32 tag_index)
{
	u32 nr, i, first;

	if (tag_index >= pool->nr_tag)
		return false;
	first = block_of(pool, tag_index, &nr);
	for (i = first; i < first + nr; i++)
		if (READ_ONCE(pool->tag[i].state) != MTP_TAGS)
			return false;
	return true;
}

/* Move the pieces of a sparse overflow page into room elsewhere; true when it emptied. */
static bool evacuate(struct mtp_pool *pool, struct mtp_page *pg)
{
	u32 off = 0;

	list_del_init(&pg->node); /* so find_fit() does not pick the page itself */
	while (off < pg->tail && pg->nr_live) {
		enum mtp_piece piece = check_hdr(pool, pg, off);
		struct mtp_obj_hdr *hdr = obj_hdr(pool, pg, off);
		struct mtp_page *to;
		u32 size;

		if (piece == MTP_PIECE_BAD)
			break;
		size = piece_footprint(hdr);
		off += size;
		if (piece == MTP_PIECE_DEAD)
			continue;
		to = find_fit(pool, pool->owners[hdr->owner], size);
		if (!to)
			break;
		move_piece(pool, pg, hdr, to);
	}
	if (!pg->nr_live) {
		release_page(pool, pg);
		return true;
	}
	squeeze(pool, pg);
	return false;
}

/* The overflow page of @owner with most bytes free, if over half, listed longest there. */
static struct mtp_page *sparsest_page(struct mtp_owner *owner)
{
	u32 b;

	for (b = MTP_NR_BUCKETS - 1; b > MTP_NR_BUCKETS / 2; b--)
		if (!list_empty(&owner->ovf_buckets[b]))
			return list_last_entry(&owner->ovf_buckets[b], struct mtp_page, node);
	return NULL;
}

/**
 * mtp_compact() - squeeze holes out of packed pages and empty sparse overflow pages
 * @pool: the pool
 * @owner: the device whose overflow pages to empty
 *
 * Return: pages squeezed or freed.
 */
u64 mtp_compact(struct mtp_pool *pool, struct mtp_owner *owner)
{
	struct mtp_page *pg;
	unsigned long flags;
	u64 done = 0, budget;
	u32 i;

	/* A page per hold of the lock: writes and evictions go on meanwhile. */
	for (i = 0; i < pool->nr_tag; i++) {
		pool_lock(pool, &flags);
		pg = &pool->tag[i];
		if (pg->state == MTP_PACKED && pg->tail != pg->live) {
			squeeze(pool, pg);
			done++;
		}
		pool_unlock(pool, flags);
		mtp_cond_resched();
	}
	/*
	 * Pages with more than half their bytes free give their objects to fuller pages, one
	 * page a hold, so that writes and evictions see all the others meanwhile. As many tries
	 * as the device had overflow pages: a page that kept some pieces goes back to the head
	 * of its bucket, and the next try takes a tail.
	 */
	pool_lock(pool, &flags);
	budget = owner->st.ovf_pages;
	pool_unlock(pool, flags);
	for (; budget; budget--) {
		pool_lock(pool, &flags);
		pg = sparsest_page(owner);
		if (pg) {
			evacuate(pool, pg);
			done++;
		}
		pool_unlock(pool, flags);
		if (!pg)
			break;
		mtp_cond_resched();
	}
	pool_lock(pool, &flags);
	owner->st.squeezed += done;
	drop_corrupt_pages(pool);
	pool_unlock(pool, flags);
	return done;
}

#if IS_ENABLED(CONFIG_MTETAG_TESTING)
/* Head and tail of a split object name each other and add up to the slot's length. */
static int check_piece(struct mtp_pool *pool, struct mtp_page *pg, u32 off)
{
	return check_hdr(pool, pg, off) == MTP_PIECE_LIVE ? 0 : -5;
}

static int check_page(struct mtp_pool *pool, struct mtp_page *pg)
{
	u32 off = 0, live = 0, nr = 0;
	int err;

	if (pg->state == MTP_TAGS || pg->state == MTP_EMPTY)
		return pg->tail || pg->nr_live ? -1 : 0;
	if (is_tag_page(pg) && mtp_tagged_pages(pg))
		return -2; /* I1: a page covering tagged memory holds objects */
	if (pg->state == MTP_HUGE) {
		struct mtp_slot *s = slot_of(page_owner(pool, pg), pg->huge_slot);

		return s->kind == MTP_SLOT_OBJ && s->page == pg ? 0 : -3;
	}
	while (off < pg->tail) {
		struct mtp_obj_hdr *hdr = obj_hdr(pool, pg, off);

		if (!(hdr->flags & MTP_OBJ_DEAD)) {
			err = check_piece(pool, pg, off);
			if (err)
				return err;
			live += piece_footprint(hdr);
			nr++;
		}
		off += piece_footprint(hdr);
	}
	if (off != pg->tail || live != pg->live || nr != pg->nr_live || !nr)
		return -6;
	return 0;
}

/**
 * mtp_check() - verify every invariant of the pool (tests and the debugfs audit)
 * @pool: the pool
 *
 * Walks every tag page and every slot: no tag page covering a tagged data page holds an
 * object, page contents match their descriptors, and the counters add up.
 *
 * Return: 0 when consistent, a negative code naming the first broken rule otherwise.
 */
int mtp_check(struct mtp_pool *pool)
{
	u64 by_state[4] = { 0 };
	unsigned long flags;
	int err = 0;
	u32 i, o;

	pool_lock(pool, &flags);
	for (i = 0; i < pool->nr_tag && !err; i++) {
		struct mtp_page *pg = &pool->tag[i];
		s64 word = atomic64_read(&pg->tag_word);
		bool serving = word & MTP_TAG_SERVING, tags = pg->state == MTP_TAGS;

		by_state[pg->state]++;
		/* Outside TAGS no page is marked: lockless marks happen only inside it. */
		if (serving != tags || (!serving && (word & MTP_TAG_PAGES)))
			err = -10;
		else
			err = check_page(pool, pg);
	}
	if (!err && (by_state[MTP_TAGS] != pool->st.tag_serving ||
		     by_state[MTP_EMPTY] != pool->st.tag_empty ||
		     by_state[MTP_PACKED] + by_state[MTP_HUGE] != pool->st.tag_used ||
		     pool->st.tag_serving + pool->st.tag_empty + pool->st.tag_used !=
			     pool->st.tag_pages))
		err = -11;
	for (o = 0; o < MTP_MAX_OWNERS && !err; o++) {
		struct mtp_owner *owner = pool->owners[o];
		u64 bytes = 0, tag_bytes = 0, objs = 0, same = 0, huge = 0, wb = 0;

		if (!owner)
			continue;
		for (i = 0; i < owner->nr_slots && !err; i++) {
			struct mtp_slot *s = find_slot(owner, i);

			if (!s) {
				i |= MTP_SLOTS_PER_CHUNK - 1; /* the whole chunk is empty */
				continue;
			}
			if (s->kind == MTP_SLOT_SAME)
				same++;
			if (s->kind == MTP_SLOT_WB)
				wb++;
			if (s->kind != MTP_SLOT_OBJ)
				continue;
			objs++;
			bytes += s->len;
			if (!is_tag_page(s->page))
				err = check_page(pool, s->page);
			if (s->page->state == MTP_HUGE) {
				huge++;
				tag_bytes += is_tag_page(s->page) ? s->len : 0;
				continue;
			}
			tag_bytes += is_tag_page(s->page) ? head_len_of(s) : 0;
			if (!err && s->split) {
				struct mtp_page *tail_pg = page_by_no(pool, s->tail_page);

				if (!tail_pg) {
					err = -5;
					break;
				}
				tag_bytes += is_tag_page(tail_pg) ? s->len - s->head_len : 0;
				if (!is_tag_page(tail_pg))
					err = check_page(pool, tail_pg);
			}
		}
		if (!err && (bytes != owner->st.compr_bytes || tag_bytes != owner->st.tag_bytes ||
			     objs != owner->st.nr_objects || same != owner->st.same_pages ||
			     huge != owner->st.huge_pages || wb != owner->st.wb_pages))
			err = -12;
	}
	pool_unlock(pool, flags);
	return err;
}
#endif
