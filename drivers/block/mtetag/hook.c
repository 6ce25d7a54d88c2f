// SPDX-License-Identifier: GPL-2.0
/*
 * mtetag's side of the tag storage hook: reserve empties a tag page before its data pages
 * are tagged; release queues a tag page whose data pages are all untagged, and a work item
 * gives it back to the pool once it stayed idle for the grace period.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/debugfs.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/panic.h>
#include <linux/mte_tag_storage.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>
#include <asm/mte.h>

#include "mtetag.h"

#define CREATE_TRACE_POINTS
#include "mtetag_trace.h"

static unsigned int release_grace_ms = 500;
module_param(release_grace_ms, uint, 0644);
MODULE_PARM_DESC(release_grace_ms,
		 "A tag page whose data pages are all untagged returns to the pool after staying so this long (default 500)");

#if IS_ENABLED(CONFIG_MTETAG_TESTING)
static bool test_disable_hook;
module_param(test_disable_hook, bool, 0444);
MODULE_PARM_DESC(test_disable_hook,
		 "Negative control of the test suites: no hook, the pool uses every tag page: swap data corrupts live tags");
#else
static const bool test_disable_hook;
#endif

/* Reserve latency histogram: 4 buckets per power of two of nanoseconds. */
#define LAT_SUB_SHIFT 2
#define LAT_BUCKETS (64 << LAT_SUB_SHIFT)
/*
 * Reserves that may evict are all timed; of the lockless ones, which take a few dozen ns, one
 * in LAT_SAMPLE is, and counts LAT_SAMPLE times: two clock reads would double their cost.
 */
#define LAT_SAMPLE 64

/*
 * Per CPU, so that the hooks on the fault and free paths share no cache line. The call
 * counts use raw_cpu ops, as vm events do: an atomic per call costs more than the rare count
 * lost when an interrupt or, on preemptible kernels, a migration splits the increment.
 */
struct mtetag_hook_counts {
	u64 reserves;         /* reserve callbacks */
	u64 releases;         /* release callbacks */
	u64 lat[LAT_BUCKETS]; /* reserve latency histogram, weighted by sampling */
	u64 lat_max;          /* slowest reserve, ns */
};

static DEFINE_PER_CPU(struct mtetag_hook_counts, hook_counts);

struct mtetag_hook_state {
	atomic64_t returned;         /* tag pages given back after their grace period */
	bool scanned;                /* every region scanned: give-backs may start */
	bool exiting;                /* unloading: no more give-backs */
	unsigned long *pending;      /* tag pages waiting for their grace period */
	unsigned long *idle_since;   /* jiffies when each pending page went idle */
	struct delayed_work give_back;
	struct dentry *debugfs;
};

static struct mtetag_hook_state hs;

/* The tag page of data page @page in region @r and its bit there; false if @r does not cover it. */
static __always_inline bool region_locate(const struct mtetag_region *r, const struct page *page,
					  struct mtp_page **pg, u32 *bit)
{
	/* One unsigned compare: a page below the region wraps to a huge offset. */
	unsigned long off = page - r->first_page;

	if (off >= r->nr_pages)
		return false;
	*pg = r->tag + off / MTR_DATA_PAGES_PER_TAG_PAGE;
	*bit = off % MTR_DATA_PAGES_PER_TAG_PAGE;
	return true;
}

/*
 * The tag page of data page @page and its bit there; false for memory no region tags.
 * Inlined, region 0 first (most machines have one): under TCG every instruction on the fault
 * and free paths shows.
 */
static __always_inline bool locate(const struct page *page, struct mtp_page **pg, u32 *bit)
{
	int i;

	if (likely(region_locate(&mtetag_regions[0], page, pg, bit)))
		return true;
	for (i = 1; i < mtetag_nr_regions; i++)
		if (region_locate(&mtetag_regions[i], page, pg, bit))
			return true;
	return false;
}

static u32 tag_page_index(const struct mtp_page *pg)
{
	return pg - mtetag_pool.tag;
}

static u32 mark(u32 tag_index, u32 pages)
{
	u32 moved = mtp_tag_mark(&mtetag_pool, tag_index, pages);

	if (moved)
		trace_evict(tag_index, moved);
	return moved;
}

/* A tag page whose data pages are all untagged now: give it back after the grace period. */
static noinline void note_idle(u32 tag_index)
{
	WRITE_ONCE(hs.idle_since[tag_index], jiffies);
	/* The time before the bit: give_back_work() must not pair the bit with an old time. */
	smp_mb__before_atomic();
	set_bit(tag_index, hs.pending);
	queue_delayed_work(system_wq, &hs.give_back, msecs_to_jiffies(release_grace_ms));
}

/* Nothing to add up: an idle tag page is queued for its give-back here. */
static u32 clear(struct mtp_page *pg, u32 pages)
{
	if (mtp_tag_unmark(pg, pages))
		note_idle(tag_page_index(pg));
	return 0;
}

/*
 * Mark (@reserve) or clear the data pages [@pfn, @pfn + @nr) in their tag pages, one call
 * per tag page; returns the bytes mark() moved.
 */
static u32 walk_tag_pages(unsigned long pfn, unsigned long nr, bool reserve)
{
	unsigned long end = pfn + nr;
	u32 bit, pages, ret = 0;
	struct mtp_page *pg;
	unsigned long n;

	while (pfn < end) {
		if (!locate(pfn_to_page(pfn), &pg, &bit)) {
			pfn++;
			continue;
		}
		n = min_t(unsigned long, end - pfn, MTR_DATA_PAGES_PER_TAG_PAGE - bit);
		pages = (n == 32 ? ~0u : (BIT(n) - 1)) << bit;
		ret += reserve ? mark(tag_page_index(pg), pages) : clear(pg, pages);
		pfn += n;
	}
	return ret;
}

static void record_latency(u64 ns, unsigned int weight)
{
	unsigned int b = 0;
	u64 max;

	if (ns >= BIT(LAT_SUB_SHIFT)) {
		unsigned int log = ilog2(ns);

		unsigned int sub = (ns >> (log - LAT_SUB_SHIFT)) & (BIT(LAT_SUB_SHIFT) - 1);

		b = (log << LAT_SUB_SHIFT) | sub;
	}
	this_cpu_add(hook_counts.lat[min_t(unsigned int, b, LAT_BUCKETS - 1)], weight);
	max = this_cpu_read(hook_counts.lat_max);
	if (ns > max)
		this_cpu_write(hook_counts.lat_max, ns);
}

/* Reserve in full: timing, eviction, several pages, tracing. */
static noinline void reserve_slow(struct page *page, unsigned int order, bool sampled)
{
	bool tracing = trace_reserve_enabled();
	unsigned long pfn = page_to_pfn(page);
	u64 start = ktime_get_ns(), ns;
	unsigned int weight = 1;
	struct mtp_page *pg;
	u32 bit, moved = 0;

	/*
	 * Timed here: the sample of the common case, which stands for LAT_SAMPLE of them unless
	 * tracing times them all, and every reserve the common case did not cover.
	 */
	if (sampled && !tracing && !order && locate(page, &pg, &bit) &&
	    mtp_tag_mark_serving(pg, BIT(bit)))
		weight = LAT_SAMPLE;
	else
		moved = walk_tag_pages(pfn, 1UL << order, true);
	ns = ktime_get_ns() - start;
	record_latency(ns, weight);
	trace_reserve(pfn, order, moved, ns);
	/* Evictions may have used spare pages: top them up where sleeping is allowed. */
	if (moved)
		mtetag_refill_async();
}

/*
 * Runs before the first tag write, in any context: no sleeping, no failing. The common case,
 * one page whose tag page serves tags already and no timing sample due, is a compare-and-swap
 * here; anything else goes to reserve_slow(), so that this path saves no registers.
 */
static void mtetag_reserve(struct page *page, unsigned int order)
{
	bool sampled = !(raw_cpu_inc_return(hook_counts.reserves) % LAT_SAMPLE);
	struct mtp_page *pg;
	u32 bit;

	if (likely(!order && !sampled && !trace_reserve_enabled() &&
		   locate(page, &pg, &bit) && mtp_tag_mark_serving(pg, BIT(bit))))
		return;
	reserve_slow(page, order, sampled);
}

static noinline void release_slow(struct page *page, unsigned int order)
{
	unsigned long pfn = page_to_pfn(page);

	trace_release(pfn, order);
	walk_tag_pages(pfn, 1UL << order, false);
}

/* Runs from the free path, in any context: only bookkeeping, the give-back is deferred. */
static void mtetag_release(struct page *page, unsigned int order)
{
	struct mtp_page *pg;
	u32 bit;

	raw_cpu_inc(hook_counts.releases);
	if (likely(!order && !trace_release_enabled() && locate(page, &pg, &bit))) {
		if (mtp_tag_unmark(pg, BIT(bit)))
			note_idle(tag_page_index(pg));
		return;
	}
	release_slow(page, order);
}

static void give_back_work(struct work_struct *work)
{
	unsigned long grace = msecs_to_jiffies(READ_ONCE(release_grace_ms));
	unsigned long idx, waiting = 0;

	/* A block may cover tagged pages the load-time scan has not reached yet. */
	if (!smp_load_acquire(&hs.scanned) || READ_ONCE(hs.exiting))
		return;
	for_each_set_bit(idx, hs.pending, mtetag_pool.nr_tag) {
		smp_rmb(); /* the bit, then its time: pairs with note_idle() */
		if (time_before(jiffies, READ_ONCE(hs.idle_since[idx]) + grace)) {
			waiting++;
			continue;
		}
		clear_bit(idx, hs.pending);
		/* A note_idle() between the check and the clear restarted the grace period. */
		smp_mb__after_atomic();
		if (time_before(jiffies, READ_ONCE(hs.idle_since[idx]) + grace)) {
			set_bit(idx, hs.pending);
			waiting++;
			continue;
		}
		/* Refused when a covered page was tagged again meanwhile: it stays with tags. */
		if (mtp_tag_return(&mtetag_pool, idx))
			atomic64_inc(&hs.returned);
	}
	if (waiting)
		queue_delayed_work(system_wq, &hs.give_back, max(grace / 2, 1UL));
}

static const struct mte_tag_storage_ops mtetag_hook_ops = {
	.reserve = mtetag_reserve,
	.release = mtetag_release,
};

/**
 * mtetag_hook_stats() - counters of the hook for tag_stat
 * @reserves: reserve callbacks
 * @releases: release callbacks
 * @returned: tag pages given back after their grace period
 */
void mtetag_hook_stats(u64 *reserves, u64 *releases, u64 *returned)
{
	int cpu;

	*reserves = 0;
	*releases = 0;
	for_each_possible_cpu(cpu) {
		*reserves += per_cpu(hook_counts.reserves, cpu);
		*releases += per_cpu(hook_counts.releases, cpu);
	}
	*returned = atomic64_read(&hs.returned);
}

/*
 * A data page whose tags are live: tagged, or its tag lock taken (tags being written). The
 * zero page's tags are cleared once at boot and read through every PROT_MTE mapping of it,
 * with or without PG_mte_tagged (user mappings never set it, a KVM guest's may): its tags are
 * always live.
 */
static bool page_has_tags(unsigned long pfn, bool writing_too)
{
	/* Offline memory has a memmap that means nothing, and no tags. */
	struct page *page = pfn_to_online_page(pfn);

	if (!page)
		return false;
	return is_zero_page(page) || page_mte_tagged(page) ||
	       (writing_too && test_bit(PG_mte_lock, &page->flags));
}

/*
 * The folio of data page @pfn, held, or NULL when it cannot be (free, or frozen for
 * migration). Held across the test and the mark of the scan, it cannot be freed in between:
 * its release would run before the mark, which would then stay forever.
 */
static struct folio *hold_folio(unsigned long pfn)
{
	struct page *page = pfn_to_page(pfn);
	struct folio *folio = page_folio(page);

	if (!folio_try_get(folio))
		return NULL;
	if (unlikely(page_folio(page) != folio)) { /* split or freed meanwhile */
		folio_put(folio);
		return NULL;
	}
	return folio;
}

/* Mark the tag pages of the data pages of @r that are tagged; returns how many were. */
static unsigned long mark_tagged(struct mtetag_region *r)
{
	unsigned long first = PHYS_PFN(r->range.mem_base), pfn, idx, tagged = 0;
	struct folio *held;

	for (pfn = first; pfn < first + PHYS_PFN(r->range.mem_size); pfn++) {
		if (!(pfn % MTR_DATA_PAGES_PER_TAG_PAGE))
			cond_resched();
		if (!page_has_tags(pfn, true))
			continue;
		/*
		 * Tested again, under the hold when there is one. A tagged page that cannot
		 * be held (frozen for migration) is marked all the same: a mark that stays
		 * keeps one block out of the pool, a missing one would break I1.
		 */
		held = is_zero_page(pfn_to_page(pfn)) ? NULL : hold_folio(pfn);
		if (page_has_tags(pfn, true)) {
			idx = (pfn - first) / MTR_DATA_PAGES_PER_TAG_PAGE;
			mtp_tag_mark(&mtetag_pool, r->first_tag_page + idx,
				     BIT((pfn - first) % MTR_DATA_PAGES_PER_TAG_PAGE));
			tagged++;
		}
		if (held)
			folio_put(held);
	}
	return tagged;
}

static void publish_map(struct mtetag_region *r)
{
	mtp_pool_set_tag_addr(&mtetag_pool, r->first_tag_page, r->addr,
			      r->range.tag_size >> PAGE_SHIFT, r->range.block_size >> PAGE_SHIFT);
}

/**
 * mtetag_scan_tagged() - mark the tag pages of data pages tagged before the hook was there
 *
 * Every tag page starts serving tags; once every region is scanned, the blocks that cover no
 * tagged page join the pool and give-backs may start. Runs after the hook is registered, so
 * a page tagged meanwhile is marked either way.
 */
void mtetag_scan_tagged(void)
{
	unsigned long tagged[MTETAG_MAX_REGIONS], idx, joined;
	int i;

	for (i = 0; i < mtetag_nr_regions; i++)
		tagged[i] = mark_tagged(&mtetag_regions[i]);
	for (i = 0; i < mtetag_nr_regions; i++)
		publish_map(&mtetag_regions[i]);
	for (i = 0; i < mtetag_nr_regions; i++) {
		struct mtetag_region *r = &mtetag_regions[i];
		const struct mtr_range *rg = &r->range;
		unsigned long nr_tag = rg->tag_size >> PAGE_SHIFT;

		joined = 0;
		for (idx = 0; idx < nr_tag; idx++) {
			joined += mtp_tag_return(&mtetag_pool, r->first_tag_page + idx) ?
				  rg->block_size >> PAGE_SHIFT : 0;
			cond_resched();
		}
		pr_info("%s: tags %pa+%pa for data %pa+%pa, block-size %u: %lu data pages tagged, %lu of %lu tag pages free\n",
			r->name, &rg->tag_base, &rg->tag_size, &rg->mem_base, &rg->mem_size,
			rg->block_size, tagged[i], joined, nr_tag);
	}
	/* Pairs with give_back_work(): the marks and maps above are seen before the flag. */
	smp_store_release(&hs.scanned, true);
	queue_delayed_work(system_wq, &hs.give_back, 0);
}

/* Without the hook: every tag page joins the pool, tagged or not (test only). */
static void mtetag_give_all_tag_pages(void)
{
	u32 idx;
	int i;

	for (i = 0; i < mtetag_nr_regions; i++)
		publish_map(&mtetag_regions[i]);
	for (idx = 0; idx < mtetag_pool.nr_tag; idx++)
		mtp_tag_return(&mtetag_pool, idx);
}

#if IS_ENABLED(CONFIG_MTETAG_TESTING)
/* I1 from the outside: no tag page that covers a tagged data page holds an object. */
static int audit_show(struct seq_file *m, void *v)
{
	unsigned long pfn, tagged = 0, bad = 0;
	struct mtp_page *pg;
	int i, check;
	u32 bit;

	for (i = 0; i < mtetag_nr_regions; i++) {
		const struct mtetag_region *r = &mtetag_regions[i];

		unsigned long end = PHYS_PFN(r->range.mem_base + r->range.mem_size);

		for (pfn = PHYS_PFN(r->range.mem_base); pfn < end; pfn++) {
			/*
			 * Not the lock bit: it is set before reserve runs. PG_mte_tagged is
			 * set after reserve ran and the tags were written.
			 */
			if (!page_has_tags(pfn, false) || !locate(pfn_to_page(pfn), &pg, &bit))
				continue;
			tagged++;
			if (!mtp_block_serves_tags(&mtetag_pool, tag_page_index(pg))) {
				if (bad++ < 8)
					seq_printf(m, "pfn %#lx is tagged but the block of tag page %u holds data\n",
						   pfn, tag_page_index(pg));
			}
		}
	}
	check = mtp_check(&mtetag_pool);
	seq_printf(m, "audit: %s tagged_pages=%lu violations=%lu pool_check=%d\n",
		   bad || check ? "dirty" : "clean", tagged, bad, check);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(audit);

/* Writing 1 leaves evictions no room: the forced-loss test (mtetag_test_starve()). */
static int starve_set(void *data, u64 val)
{
	if (val != 1)
		return -EINVAL;
	mtetag_test_starve();
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(starve_fops, NULL, starve_set, "%llu\n");

/* The longest hold of the pool lock since load, or since 0 was written (make bench). */
static int lock_hold_get(void *data, u64 *val)
{
	*val = READ_ONCE(mtetag_pool.st.lock_hold_max_ns);
	return 0;
}

static int lock_hold_set(void *data, u64 val)
{
	if (val)
		return -EINVAL;
	WRITE_ONCE(mtetag_pool.st.lock_hold_max_ns, 0);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(lock_hold_fops, lock_hold_get, lock_hold_set, "%llu\n");

static int lock_hold_at_show(struct seq_file *m, void *v)
{
	seq_printf(m, "%pS\n", READ_ONCE(mtetag_pool.lock_hold_max_at));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(lock_hold_at);

/* A module built for the test suites: the loader taints the kernel (TAINT_TEST) and says so. */
MODULE_INFO(test, "Y");

static void testing_init(struct dentry *dir)
{
	debugfs_create_file("audit", 0400, dir, NULL, &audit_fops);
	debugfs_create_file_unsafe("starve_evictions", 0200, dir, NULL, &starve_fops);
	debugfs_create_file_unsafe("lock_hold_max_ns", 0600, dir, NULL, &lock_hold_fops);
	debugfs_create_file("lock_hold_max_at", 0400, dir, NULL, &lock_hold_at_fops);
}
#else
static void testing_init(struct dentry *dir)
{
}
#endif

/* One character per tag page: T serves tags, . free, P packed objects, H a raw page. */
static int block_map_show(struct seq_file *m, void *v)
{
	static const char state_char[] = { [MTP_TAGS] = 'T', [MTP_EMPTY] = '.',
					   [MTP_PACKED] = 'P', [MTP_HUGE] = 'H' };
	u32 i;

	for (i = 0; i < mtetag_pool.nr_tag; i++) {
		if (i % 64 == 0)
			seq_printf(m, "%s%8u ", i ? "\n" : "", i);
		seq_putc(m, state_char[READ_ONCE(mtetag_pool.tag[i].state)]);
	}
	seq_putc(m, '\n');
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(block_map);

/* Upper bound in ns of histogram bucket @b. */
static u64 bucket_limit(unsigned int b)
{
	unsigned int log = b >> LAT_SUB_SHIFT, sub = b & (BIT(LAT_SUB_SHIFT) - 1);

	if (log < LAT_SUB_SHIFT)
		return BIT(LAT_SUB_SHIFT);
	return (BIT_ULL(log) + ((u64)(sub + 1) << (log - LAT_SUB_SHIFT))) - 1;
}

static u64 bucket_count(unsigned int b)
{
	u64 n = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		n += per_cpu(hook_counts.lat[b], cpu);
	return n;
}

static int reserve_latency_show(struct seq_file *m, void *v)
{
	u64 total = 0, seen = 0, p50 = 0, p99 = 0, slowest = 0, reserves, releases, returned;
	unsigned int b;
	int cpu;

	for (b = 0; b < LAT_BUCKETS; b++)
		total += bucket_count(b);
	for_each_possible_cpu(cpu)
		slowest = max(slowest, per_cpu(hook_counts.lat_max, cpu));
	for (b = 0; b < LAT_BUCKETS && total; b++) {
		seen += bucket_count(b);
		if (!p50 && seen * 2 >= total)
			p50 = bucket_limit(b);
		if (!p99 && seen * 100 >= total * 99)
			p99 = bucket_limit(b);
	}
	mtetag_hook_stats(&reserves, &releases, &returned);
	seq_printf(m, "reserves=%llu p50_ns<=%llu p99_ns<=%llu max_ns=%llu weighted=%llu\n",
		   reserves, p50, p99, slowest, total);
	for (b = 0; b < LAT_BUCKETS; b++)
		if (bucket_count(b))
			seq_printf(m, "<=%llu %llu\n", bucket_limit(b), bucket_count(b));
	return 0;
}

DEFINE_SHOW_ATTRIBUTE(reserve_latency);

/**
 * mtetag_hook_init() - register the hook, then scan for pages tagged before it
 *
 * Return: 0 or -errno.
 */
int mtetag_hook_init(void)
{
	int i, err;

	for (i = 0; i < mtetag_nr_regions; i++)
		mtetag_regions[i].tag = &mtetag_pool.tag[mtetag_regions[i].first_tag_page];
	INIT_DELAYED_WORK(&hs.give_back, give_back_work);
	hs.pending = bitmap_zalloc(mtetag_pool.nr_tag, GFP_KERNEL);
	hs.idle_since = kvcalloc(mtetag_pool.nr_tag, sizeof(*hs.idle_since), GFP_KERNEL);
	if (!hs.pending || !hs.idle_since) {
		err = -ENOMEM;
		goto free;
	}
	if (test_disable_hook) {
		/* The negative control of the faithful machine: it must see corruption. */
		pr_crit("test_disable_hook: no tag hook, swap data WILL corrupt live MTE tags\n");
		mtetag_give_all_tag_pages();
	} else {
		err = mte_tag_storage_register(&mtetag_hook_ops);
		if (err == -EOPNOTSUPP)
			pr_err("not with hardware tag-based kasan (it tags every kernel page) or debug_pagealloc (it unmaps free pages)\n");
		else if (err)
			pr_err("cannot register the tag storage hook: %d\n", err);
		if (err)
			goto free;
		mtetag_scan_tagged();
	}
	hs.debugfs = debugfs_create_dir("mtetag", NULL);
	testing_init(hs.debugfs);
	debugfs_create_file("block_map", 0400, hs.debugfs, NULL, &block_map_fops);
	debugfs_create_file("reserve_latency", 0400, hs.debugfs, NULL, &reserve_latency_fops);
	return 0;
free:
	kvfree(hs.idle_since);
	bitmap_free(hs.pending);
	return err;
}

/**
 * mtetag_hook_exit() - unregister the hook and wait for its callbacks and work
 */
void mtetag_hook_exit(void)
{
	debugfs_remove_recursive(hs.debugfs);
	/*
	 * Every tag page is tag storage again before the hook goes: the devices are gone, so
	 * this moves nothing, but it does the cache maintenance of the change.
	 */
	WRITE_ONCE(hs.exiting, true);
	cancel_delayed_work_sync(&hs.give_back);
	mtp_claim_all(&mtetag_pool);
	if (!test_disable_hook)
		mte_tag_storage_unregister(&mtetag_hook_ops);
	cancel_delayed_work_sync(&hs.give_back);
	kvfree(hs.idle_since);
	bitmap_free(hs.pending);
}
