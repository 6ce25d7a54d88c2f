// SPDX-License-Identifier: GPL-2.0
/*
 * mtetag object pool: placement, eviction and compaction of compressed objects over tag pages
 * and overflow pages. The data layout and the lock are described in pool.h.
 */
#include "pool.h"

static u32 obj_footprint(u32 len)
{
	return sizeof(struct mtp_obj_hdr) + ALIGN(len, MTP_OBJ_ALIGN);
}

static struct mtp_obj_hdr *obj_hdr(struct mtp_page *pg, u32 offset)
{
	return (struct mtp_obj_hdr *)((u8 *)pg->addr + offset);
}

static bool is_tag_page(const struct mtp_page *pg)
{
	return pg->tag_index != MTP_NOT_TAG;
}

static struct list_head *buckets_of(struct mtp_pool *pool, struct mtp_page *pg)
{
	return is_tag_page(pg) ? pool->tag_buckets : pg->owner->ovf_buckets;
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
	pg->state = state;
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

/* An empty page of either tier for @owner; NULL with *err set when there is none. */
static struct mtp_page *take_empty(struct mtp_pool *pool, struct mtp_owner *owner, bool evict,
				   int *err)
{
	struct mtp_page *pg;

	/* New data leaves the last @headroom free tag pages to evictions. */
	if (!list_empty(&pool->tag_empty) && (evict || pool->st.tag_empty > pool->headroom)) {
		pg = list_first_entry(&pool->tag_empty, struct mtp_page, node);
		list_del_init(&pg->node);
		return pg;
	}
	if (!evict && owner->ovf_limit && owner->st.ovf_pages >= owner->ovf_limit) {
		*err = -ENOSPC;
		return NULL;
	}
	pg = list_first_entry_or_null(&pool->spare, struct mtp_page, node);
	if (pg) {
		list_del_init(&pg->node);
		pool->st.spare_pages--;
	} else if (evict && pool->ops->alloc_atomic) {
		pg = pool->ops->alloc_atomic();
		if (pg) {
			INIT_LIST_HEAD(&pg->node);
			pg->tag_index = MTP_NOT_TAG;
			pool->st.evict_atomic++;
		}
	}
	if (!pg) {
		*err = -EAGAIN;
		return NULL;
	}
	pg->owner = owner;
	owner->st.ovf_pages++;
	owner->st.ovf_max = max(owner->st.ovf_max, owner->st.ovf_pages);
	return pg;
}

/* Room for an object of @len bytes: tag tier first, then @owner's overflow pages. */
static struct mtp_page *place(struct mtp_pool *pool, struct mtp_owner *owner, u32 len,
			      bool evict, int *err)
{
	struct mtp_page *pg;

	if (len < MTP_PAGE_SIZE) {
		u32 need = obj_footprint(len);

		pg = find_room(pool->tag_buckets, need);
		if (!pg)
			pg = find_room(owner->ovf_buckets, need);
		if (pg)
			return pg;
	}
	pg = take_empty(pool, owner, evict, err);
	if (!pg)
		return NULL;
	if (len == MTP_PAGE_SIZE) {
		set_state(pool, pg, MTP_HUGE);
	} else {
		set_state(pool, pg, MTP_PACKED);
		pg->tail = 0;
		pg->live = 0;
		pg->nr_live = 0;
	}
	return pg;
}

static void account(struct mtp_owner *owner, struct mtp_page *pg, u32 len, int sign)
{
	owner->st.compr_bytes += sign * (s64)len;
	owner->st.nr_objects += sign;
	if (is_tag_page(pg))
		owner->st.tag_bytes += sign * (s64)len;
	if (pg->state == MTP_HUGE)
		owner->st.huge_pages += sign;
}

/* Copy an object into @pg (placed by place()) and point @slot at it. */
static void put_obj(struct mtp_pool *pool, struct mtp_owner *owner, struct mtp_page *pg,
		    u32 slot, const void *buf, u32 len)
{
	struct mtp_slot *s = &owner->slots[slot];

	s->kind = MTP_SLOT_OBJ;
	s->page = pg;
	s->len = len;
	if (pg->state == MTP_HUGE) {
		memcpy(pg->addr, buf, MTP_PAGE_SIZE);
		pg->huge_slot = slot;
		pg->owner = owner;
		s->offset = 0;
	} else {
		struct mtp_obj_hdr *hdr = obj_hdr(pg, pg->tail);

		hdr->slot = slot;
		hdr->owner = owner->id;
		hdr->len = len;
		memcpy(hdr + 1, buf, len);
		s->offset = pg->tail;
		pg->tail += obj_footprint(len);
		pg->live += obj_footprint(len);
		pg->nr_live++;
		relist(pool, pg);
	}
	account(owner, pg, len, 1);
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
	pg->owner->st.ovf_pages--;
	pg->owner = NULL;
	pg->state = MTP_EMPTY;
	if (pool->st.spare_pages < pool->spare_max) {
		list_add(&pg->node, &pool->spare);
		pool->st.spare_pages++;
	} else {
		pool->ops->free_overflow(pg);
	}
}

/* Close the holes of a packed page, rewriting the slots of the objects that move. */
static void squeeze(struct mtp_pool *pool, struct mtp_page *pg)
{
	u32 off = 0, dst = 0;

	while (off < pg->tail) {
		struct mtp_obj_hdr *hdr = obj_hdr(pg, off);
		u32 size = obj_footprint(hdr->len);

		if (hdr->owner != MTP_OWNER_DEAD) {
			if (dst != off) {
				pool->owners[hdr->owner]->slots[hdr->slot].offset = dst;
				memmove((u8 *)pg->addr + dst, hdr, size);
			}
			dst += size;
		}
		off += size;
	}
	pg->tail = dst;
	relist(pool, pg);
}

/* Drop the object an old copy of a slot named; the slot itself may name a new one already. */
static void drop_obj(struct mtp_pool *pool, struct mtp_owner *owner, struct mtp_slot old)
{
	struct mtp_page *pg = old.page;

	if (old.kind == MTP_SLOT_SAME)
		owner->st.same_pages--;
	if (old.kind != MTP_SLOT_OBJ)
		return;
	account(owner, pg, old.len, -1);
	if (pg->state == MTP_HUGE) {
		release_page(pool, pg);
		return;
	}
	obj_hdr(pg, old.offset)->owner = MTP_OWNER_DEAD;
	pg->live -= obj_footprint(old.len);
	if (--pg->nr_live == 0) {
		release_page(pool, pg);
		return;
	}
	if ((u32)(pg->tail - pg->live) >= MTP_SQUEEZE_GARBAGE) {
		squeeze(pool, pg);
		owner->st.squeezed++;
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
	BUILD_BUG_ON(MTP_PAGE_SIZE > 0xffff + 1);
	memset(pool, 0, sizeof(*pool));
	spin_lock_init(&pool->lock);
	pool->ops = ops;
	pool->headroom = 4;
	pool->spare_max = 64;
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
		pool->tag[i].tag_index = i;
		pool->tag[i].state = MTP_TAGS;
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
 */
void mtp_pool_set_tag_addr(struct mtp_pool *pool, u32 first, void *addr, u32 nr)
{
	u32 i;

	for (i = 0; i < nr && first + i < pool->nr_tag; i++)
		pool->tag[first + i].addr = (u8 *)addr + (size_t)i * MTP_PAGE_SIZE;
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
 * @page: descriptor with @addr set; the pool frees it through ops->free_overflow
 */
void mtp_pool_add_spare(struct mtp_pool *pool, struct mtp_page *page)
{
	unsigned long flags;

	INIT_LIST_HEAD(&page->node);
	page->tag_index = MTP_NOT_TAG;
	page->state = MTP_EMPTY;
	page->owner = NULL;
	spin_lock_irqsave(&pool->lock, flags);
	list_add(&page->node, &pool->spare);
	pool->st.spare_pages++;
	spin_unlock_irqrestore(&pool->lock, flags);
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
 * mtp_owner_init() - register a device with @nr_slots slots
 * @pool: the pool
 * @owner: the owner to set up
 * @nr_slots: slots (4 KiB pages of the device)
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
	owner->slots = mtp_zalloc_array(nr_slots ? nr_slots : 1, sizeof(*owner->slots));
	if (!owner->slots)
		return -ENOMEM;
	owner->nr_slots = nr_slots;
	spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < MTP_MAX_OWNERS && id < 0; i++)
		if (!pool->owners[i])
			id = i;
	if (id >= 0) {
		owner->id = id;
		pool->owners[id] = owner;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	if (id < 0) {
		mtp_free_array(owner->slots);
		owner->slots = NULL;
		return -ENOSPC;
	}
	return 0;
}

/**
 * mtp_owner_destroy() - drop every object of a device and unregister it
 * @pool: the pool
 * @owner: the owner
 */
void mtp_owner_destroy(struct mtp_pool *pool, struct mtp_owner *owner)
{
	unsigned long flags;
	u32 i;

	if (!owner->slots)
		return;
	spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < owner->nr_slots; i++) {
		struct mtp_slot old = owner->slots[i];

		owner->slots[i].kind = MTP_SLOT_EMPTY;
		drop_obj(pool, owner, old);
	}
	pool->owners[owner->id] = NULL;
	spin_unlock_irqrestore(&pool->lock, flags);
	mtp_free_array(owner->slots);
	owner->slots = NULL;
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
 * the owner's mem_limit is reached; -EINVAL for a bad length. On error the slot is unchanged.
 */
int mtp_write(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, const void *buf, u32 len)
{
	unsigned long flags;
	struct mtp_page *pg;
	struct mtp_slot old;
	int err = 0;

	if (slot >= owner->nr_slots || !len || (len > MTP_HUGE_THRESHOLD && len != MTP_PAGE_SIZE))
		return -EINVAL;
	spin_lock_irqsave(&pool->lock, flags);
	pg = place(pool, owner, len, false, &err);
	if (pg) {
		old = owner->slots[slot];
		put_obj(pool, owner, pg, slot, buf, len);
		if (len == MTP_PAGE_SIZE)
			owner->st.huge_since++;
		drop_obj(pool, owner, old);
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	return err;
}

/* Point @slot at no object (empty or same-filled) and drop what it named. */
static void replace_slot(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot,
			 enum mtp_slot_kind kind, u64 fill)
{
	unsigned long flags;
	struct mtp_slot old;

	if (slot >= owner->nr_slots)
		return;
	spin_lock_irqsave(&pool->lock, flags);
	old = owner->slots[slot];
	owner->slots[slot].kind = kind;
	if (kind == MTP_SLOT_SAME) {
		owner->slots[slot].fill = fill;
		owner->st.same_pages++;
	}
	drop_obj(pool, owner, old);
	spin_unlock_irqrestore(&pool->lock, flags);
}

/**
 * mtp_write_same() - record that @slot holds a page of one repeated word; takes no space
 * @pool: the pool
 * @owner: the device
 * @slot: the slot
 * @fill: the word
 */
void mtp_write_same(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, u64 fill)
{
	replace_slot(pool, owner, slot, MTP_SLOT_SAME, fill);
}

/**
 * mtp_read() - copy out what @slot holds
 * @pool: the pool
 * @owner: the device
 * @slot: the slot
 * @buf: MTP_PAGE_SIZE bytes for the object
 * @len: set to the object's length (MTP_PAGE_SIZE: raw page)
 * @fill: set to the word of a same-filled page
 *
 * Return: the enum mtp_slot_kind of the slot, or -EINVAL for a slot out of range.
 */
int mtp_read(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, void *buf, u32 *len,
	     u64 *fill)
{
	unsigned long flags;
	struct mtp_slot *s;
	int kind;

	if (slot >= owner->nr_slots)
		return -EINVAL;
	spin_lock_irqsave(&pool->lock, flags);
	s = &owner->slots[slot];
	kind = s->kind;
	if (kind == MTP_SLOT_SAME) {
		*fill = s->fill;
	} else if (kind == MTP_SLOT_OBJ) {
		*len = s->len;
		if (s->page->state == MTP_HUGE)
			memcpy(buf, s->page->addr, MTP_PAGE_SIZE);
		else
			memcpy(buf, obj_hdr(s->page, s->offset) + 1, s->len);
	}
	spin_unlock_irqrestore(&pool->lock, flags);
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
	replace_slot(pool, owner, slot, MTP_SLOT_EMPTY, 0);
}

/* Move the object @slot names (its bytes at @src) to room elsewhere, else drop it. */
static bool move_obj(struct mtp_pool *pool, struct mtp_owner *owner, u32 slot, const void *src,
		     u32 len)
{
	struct mtp_slot *s = &owner->slots[slot];
	struct mtp_page *to;
	int err = 0;

	account(owner, s->page, len, -1);
	owner->st.evicted_in++;
	pool->st.evicted_objects++;
	to = place(pool, owner, len, true, &err);
	if (!to) {
		/* Cannot happen while headroom or spares last; counted, never silent. */
		s->kind = MTP_SLOT_EMPTY;
		pool->st.evict_lost++;
		return false;
	}
	put_obj(pool, owner, to, slot, src, len);
	return true;
}

/* Empty a tag page that is about to serve tags. Bounded: at most one page of objects. */
static u32 evict(struct mtp_pool *pool, struct mtp_page *pg)
{
	u32 moved = 0, off = 0;

	list_del_init(&pg->node);
	if (pg->state == MTP_HUGE) {
		if (move_obj(pool, pg->owner, pg->huge_slot, pg->addr, MTP_PAGE_SIZE))
			moved = MTP_PAGE_SIZE;
	} else if (pg->state == MTP_PACKED) {
		while (off < pg->tail) {
			struct mtp_obj_hdr *hdr = obj_hdr(pg, off);

			off += obj_footprint(hdr->len);
			if (hdr->owner != MTP_OWNER_DEAD &&
			    move_obj(pool, pool->owners[hdr->owner], hdr->slot, hdr + 1, hdr->len))
				moved += hdr->len;
		}
	}
	if (pg->state == MTP_HUGE || pg->state == MTP_PACKED)
		pool->st.evictions++;
	pool->st.evicted_bytes += moved;
	pg->tail = 0;
	pg->live = 0;
	pg->nr_live = 0;
	set_state(pool, pg, MTP_TAGS);
	return moved;
}

/**
 * mtp_tag_mark() - data pages covered by tag page @tag_index are about to be tagged
 * @pool: the pool
 * @tag_index: the tag page
 * @pages: which of its 32 data pages, as a bit mask (idempotent: marking twice is once)
 *
 * Moves every object out of the tag page first. Never sleeps, never fails.
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
	spin_lock_irqsave(&pool->lock, flags);
	pool->st.tag_marks += hweight32(pages & ~pg->tagged);
	pg->tagged |= pages;
	if (pg->state != MTP_TAGS)
		moved = evict(pool, pg);
	spin_unlock_irqrestore(&pool->lock, flags);
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
	unsigned long flags;
	struct mtp_page *pg;
	bool idle;

	if (tag_index >= pool->nr_tag)
		return false;
	pg = &pool->tag[tag_index];
	spin_lock_irqsave(&pool->lock, flags);
	pool->st.tag_clears += hweight32(pages & pg->tagged);
	pg->tagged &= ~pages;
	idle = !pg->tagged && pg->state == MTP_TAGS;
	spin_unlock_irqrestore(&pool->lock, flags);
	return idle;
}

/**
 * mtp_tag_return() - give an idle tag page to the pool
 * @pool: the pool
 * @tag_index: the tag page
 *
 * Return: true when the page joined the pool; false when a covered page is tagged again.
 */
bool mtp_tag_return(struct mtp_pool *pool, u32 tag_index)
{
	unsigned long flags;
	struct mtp_page *pg;
	bool ret = false;

	if (tag_index >= pool->nr_tag)
		return false;
	pg = &pool->tag[tag_index];
	spin_lock_irqsave(&pool->lock, flags);
	if (pg->state == MTP_TAGS && !pg->tagged && pg->addr) {
		set_state(pool, pg, MTP_EMPTY);
		list_add_tail(&pg->node, &pool->tag_empty);
		pool->st.returns++;
		ret = true;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	return ret;
}

/* Move the objects of a sparse overflow page into room elsewhere; true when it emptied. */
static bool evacuate(struct mtp_pool *pool, struct mtp_page *pg)
{
	u32 off = 0;

	list_del_init(&pg->node); /* so place() does not pick the page itself */
	while (off < pg->tail && pg->nr_live) {
		struct mtp_obj_hdr *hdr = obj_hdr(pg, off);
		struct mtp_owner *owner;
		struct mtp_page *to;
		u32 need = obj_footprint(hdr->len);

		off += need;
		if (hdr->owner == MTP_OWNER_DEAD)
			continue;
		owner = pool->owners[hdr->owner];
		to = find_room(pool->tag_buckets, need);
		if (!to)
			to = find_room(owner->ovf_buckets, need);
		if (!to)
			break;
		account(owner, pg, hdr->len, -1);
		put_obj(pool, owner, to, hdr->slot, hdr + 1, hdr->len);
		hdr->owner = MTP_OWNER_DEAD;
		pg->live -= need;
		pg->nr_live--;
	}
	if (!pg->nr_live) {
		release_page(pool, pg);
		return true;
	}
	squeeze(pool, pg);
	return false;
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
	struct list_head todo;
	struct mtp_page *pg;
	unsigned long flags;
	u64 done = 0;
	u32 i, b;

	spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < pool->nr_tag; i++) {
		pg = &pool->tag[i];
		if (pg->state == MTP_PACKED && pg->tail != pg->live) {
			squeeze(pool, pg);
			done++;
		}
	}
	/*
	 * Pages with more than half their bytes free give their objects to fuller pages. Take
	 * them off their buckets first so that each is tried once and none receives objects.
	 */
	INIT_LIST_HEAD(&todo);
	for (b = MTP_NR_BUCKETS / 2 + 1; b < MTP_NR_BUCKETS; b++) {
		while ((pg = list_first_entry_or_null(&owner->ovf_buckets[b], struct mtp_page,
						      node))) {
			list_del_init(&pg->node);
			list_add_tail(&pg->node, &todo);
		}
	}
	while ((pg = list_first_entry_or_null(&todo, struct mtp_page, node))) {
		evacuate(pool, pg);
		done++;
	}
	owner->st.squeezed += done;
	spin_unlock_irqrestore(&pool->lock, flags);
	return done;
}

static int check_page(struct mtp_pool *pool, struct mtp_page *pg)
{
	u32 off = 0, live = 0, nr = 0;

	if (pg->state == MTP_TAGS || pg->state == MTP_EMPTY)
		return pg->tail || pg->nr_live ? -1 : 0;
	if (is_tag_page(pg) && pg->tagged)
		return -2; /* I1: a page covering tagged memory holds objects */
	if (pg->state == MTP_HUGE) {
		struct mtp_slot *s = &pg->owner->slots[pg->huge_slot];

		return s->kind == MTP_SLOT_OBJ && s->page == pg ? 0 : -3;
	}
	while (off < pg->tail) {
		struct mtp_obj_hdr *hdr = obj_hdr(pg, off);

		if (hdr->owner != MTP_OWNER_DEAD) {
			struct mtp_owner *o = NULL;
			struct mtp_slot *s;

			if (hdr->owner < MTP_MAX_OWNERS)
				o = pool->owners[hdr->owner];
			if (!o || hdr->slot >= o->nr_slots)
				return -4;
			s = &o->slots[hdr->slot];
			if (s->kind != MTP_SLOT_OBJ || s->page != pg || s->offset != off ||
			    s->len != hdr->len)
				return -5;
			live += obj_footprint(hdr->len);
			nr++;
		}
		off += obj_footprint(hdr->len);
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

	spin_lock_irqsave(&pool->lock, flags);
	for (i = 0; i < pool->nr_tag && !err; i++) {
		struct mtp_page *pg = &pool->tag[i];

		by_state[pg->state]++;
		if (pg->tagged && pg->state != MTP_TAGS)
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
		u64 bytes = 0, tag_bytes = 0, objs = 0, same = 0, huge = 0;

		if (!owner)
			continue;
		for (i = 0; i < owner->nr_slots && !err; i++) {
			struct mtp_slot *s = &owner->slots[i];

			if (s->kind == MTP_SLOT_SAME)
				same++;
			if (s->kind != MTP_SLOT_OBJ)
				continue;
			objs++;
			bytes += s->len;
			if (is_tag_page(s->page))
				tag_bytes += s->len;
			if (s->page->state == MTP_HUGE)
				huge++;
			if (!is_tag_page(s->page))
				err = check_page(pool, s->page);
		}
		if (!err && (bytes != owner->st.compr_bytes || tag_bytes != owner->st.tag_bytes ||
			     objs != owner->st.nr_objects || same != owner->st.same_pages ||
			     huge != owner->st.huge_pages))
			err = -12;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	return err;
}
