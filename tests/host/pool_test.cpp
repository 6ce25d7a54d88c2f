// SPDX-License-Identifier: GPL-2.0
// The portable pool core (drivers/block/mtetag/pool.c) against a reference model.
#include <gtest/gtest.h>

extern "C" {
#include "pool.h"
}

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <thread>
#include <vector>

namespace {

std::atomic<long> g_ovf_pages{0};
// Object sizes of the tests are for 4 KiB pages: the 16 KiB build scales them.
constexpr std::uint32_t kScale = MTP_PAGE_SIZE / 4096;

mtp_page *new_ovf()
{
	auto *ovf = new mtp_ovf_page{};
	ovf->addr = std::aligned_alloc(MTP_PAGE_SIZE, MTP_PAGE_SIZE);
	g_ovf_pages++;
	return &ovf->pg;
}

void free_ovf(struct mtp_page *pg)
{
	mtp_ovf_page *ovf = mtp_to_ovf(pg);
	std::free(ovf->addr);
	delete ovf;
	g_ovf_pages--;
}

std::atomic<bool> g_atomic_ok{false};

mtp_page *alloc_atomic()
{
	if (!g_atomic_ok)
		return nullptr;
	return new_ovf();
}

const mtp_pool_ops kOps = {free_ovf, alloc_atomic, nullptr, nullptr};

std::vector<std::uint8_t> random_bytes(std::mt19937_64 &rng, std::uint32_t len);
std::uint32_t random_len(std::mt19937_64 &rng);

struct Expect {
	enum { Empty, Same, Bytes } kind = Empty;
	std::uint64_t fill = 0;
	std::vector<std::uint8_t> bytes;
};

class PoolTest : public ::testing::Test {
protected:
	void SetUp() override { make_pool(64); }

	void TearDown() override
	{
		for (auto &o : owners_)
			mtp_owner_destroy(&pool_, o.get());
		mtp_pool_destroy(&pool_);
		for (auto *c : carve_)
			std::free(c);
		EXPECT_EQ(g_ovf_pages.load(), 0) << "overflow pages leaked";
	}

	void make_pool(std::uint32_t tag_pages, std::uint32_t block_pages = 1,
		       const mtp_pool_ops *ops = &kOps)
	{
		// Two separately mapped ranges, as two carve-out regions: a page's address must come
		// from the right one.
		const std::uint32_t first_part = tag_pages / 2;
		const std::uint32_t parts[2] = {first_part, tag_pages - first_part};
		ASSERT_EQ(mtp_pool_init(&pool_, ops, tag_pages), 0);
		mtp_pool_set_reserve(&pool_, 4, 64);
		for (int i = 0; i < 2; i++) {
			carve_[i] = static_cast<std::uint8_t *>(
				std::aligned_alloc(MTP_PAGE_SIZE, parts[i] * std::size_t{MTP_PAGE_SIZE}));
			ASSERT_EQ(mtp_pool_set_tag_addr(&pool_, i ? first_part : 0, carve_[i],
							parts[i], block_pages),
				  0);
		}
		// One return gives back a whole block; the other pages of it are taken already.
		for (std::uint32_t i = 0; i < tag_pages; i++)
			ASSERT_EQ(mtp_tag_return(&pool_, i), i % block_pages == 0) << i;
	}

	void remake_pool(std::uint32_t tag_pages, std::uint32_t block_pages,
			 const mtp_pool_ops *ops = &kOps)
	{
		mtp_pool_destroy(&pool_);
		for (auto *&c : carve_) {
			std::free(c);
			c = nullptr;
		}
		make_pool(tag_pages, block_pages, ops);
	}

	mtp_owner *add_owner(std::uint32_t slots)
	{
		owners_.push_back(std::make_unique<mtp_owner>());
		EXPECT_EQ(mtp_owner_init(&pool_, owners_.back().get(), slots), 0);
		return owners_.back().get();
	}

	void add_spare()
	{
		mtp_pool_add_spare(&pool_, new_ovf());
	}

	// No spare overflow page left: an eviction past the reserve needs the atomic fallback.
	void drop_spares()
	{
		while (mtp_pool_nr_spare(&pool_)) {
			auto *pg = list_first_entry(&pool_.spare, mtp_page, node);
			list_del_init(&pg->node);
			pool_.st.spare_pages--;
			free_ovf(pg);
		}
	}

	// Tag every tag page with no spare left; @atomic_ok: whether atomic allocations succeed.
	void mark_all_without_spares(bool atomic_ok)
	{
		drop_spares();
		g_atomic_ok = atomic_ok;
		for (std::uint32_t t = 0; t < pool_.nr_tag; t++)
			mtp_tag_mark(&pool_, t, 1);
		g_atomic_ok = false;
	}

	// Slots 0 .. n - 1 of @o written with random objects; what each must read back.
	std::map<std::uint32_t, Expect> fill_random(mtp_owner *o, std::uint32_t n, std::mt19937_64 &rng)
	{
		std::map<std::uint32_t, Expect> model;
		for (std::uint32_t s = 0; s < n; s++) {
			auto b = random_bytes(rng, random_len(rng));
			EXPECT_EQ(write(o, s, b), 0);
			model[s] = {Expect::Bytes, 0, b};
		}
		return model;
	}

	// Write like the driver does: supply an overflow page whenever the pool asks for one.
	int write(mtp_owner *o, std::uint32_t slot, const std::vector<std::uint8_t> &b)
	{
		int err = mtp_prepare_slot(&pool_, o, slot);
		if (err)
			return err;
		while ((err = mtp_write(&pool_, o, slot, b.data(), b.size())) == -EAGAIN)
			add_spare();
		return err;
	}

	void concurrent_io_against_eviction(bool walkers);

	int write_same(mtp_owner *o, std::uint32_t slot, std::uint64_t fill)
	{
		int err = mtp_prepare_slot(&pool_, o, slot);
		return err ? err : mtp_write_same(&pool_, o, slot, fill);
	}

	// Every slot of @model reads back exactly, and the pool's invariants hold.
	void expect_intact(mtp_owner *o, const std::map<std::uint32_t, Expect> &model)
	{
		for (auto &[s, e] : model)
			EXPECT_TRUE(matches(o, s, e));
		EXPECT_EQ(mtp_check(&pool_), 0);
	}

	// Each slot of @model reads back its data or fails with an error, never other bytes.
	// Returns how many read back.
	std::uint32_t expect_data_or_error(mtp_owner *o, const std::map<std::uint32_t, Expect> &model,
					   const char *when)
	{
		std::vector<std::uint8_t> buf(MTP_PAGE_SIZE);
		std::uint32_t right = 0;
		for (auto &[s, e] : model) {
			std::uint32_t len = 0;
			std::uint64_t fill = 0;
			int kind = mtp_read(&pool_, o, s, buf.data(), &len, &fill);
			if (kind == -EBADMSG || kind == MTP_SLOT_LOST)
				continue;
			EXPECT_TRUE(matches(o, s, e)) << when << ": wrong data, not an error";
			right++;
		}
		return right;
	}

	::testing::AssertionResult matches(mtp_owner *o, std::uint32_t slot, const Expect &e)
	{
		std::vector<std::uint8_t> buf(MTP_PAGE_SIZE);
		std::uint32_t len = 0;
		std::uint64_t fill = 0;
		int kind = mtp_read(&pool_, o, slot, buf.data(), &len, &fill);
		switch (e.kind) {
		case Expect::Empty:
			if (kind == MTP_SLOT_EMPTY)
				return ::testing::AssertionSuccess();
			break;
		case Expect::Same:
			if (kind == MTP_SLOT_SAME && fill == e.fill)
				return ::testing::AssertionSuccess();
			break;
		case Expect::Bytes:
			buf.resize(len);
			if (kind == MTP_SLOT_OBJ && buf == e.bytes)
				return ::testing::AssertionSuccess();
			break;
		}
		return ::testing::AssertionFailure() << "slot " << slot << " kind " << kind;
	}

	mtp_pool pool_;
	std::uint8_t *carve_[2] = {};
	std::vector<std::unique_ptr<mtp_owner>> owners_;
};

std::vector<std::uint8_t> random_bytes(std::mt19937_64 &rng, std::uint32_t len)
{
	std::vector<std::uint8_t> v(len);
	for (auto &b : v)
		b = static_cast<std::uint8_t>(rng());
	return v;
}

std::uint32_t random_len(std::mt19937_64 &rng)
{
	switch (rng() % 4) {
	case 0:
		return MTP_PAGE_SIZE; // raw
	case 1:
		return 1 + rng() % 200;
	default:
		return 1 + rng() % MTP_HUGE_THRESHOLD;
	}
}

} // namespace

// A carve-out descriptor costs RAM/2048 in all: it must not grow unnoticed.
TEST(PoolLayout, CarveOutDescriptorIs40Bytes)
{
	EXPECT_EQ(sizeof(mtp_page), 40u);
}

TEST_F(PoolTest, TagPagesOutsideEveryMappingAreNeverUsed)
{
	mtp_pool pool{};
	ASSERT_EQ(mtp_pool_init(&pool, &kOps, 8), 0);
	auto *carve = static_cast<std::uint8_t *>(std::aligned_alloc(MTP_PAGE_SIZE, 4 * std::size_t{MTP_PAGE_SIZE}));
	ASSERT_EQ(mtp_pool_set_tag_addr(&pool, 0, carve, 4, 1), 0);
	EXPECT_EQ(mtp_pool_set_tag_addr(&pool, 8, carve, 4, 1), -EINVAL);
	EXPECT_EQ(mtp_pool_set_tag_addr(&pool, 6, carve, 4, 1), -EINVAL) << "past the end";
	EXPECT_EQ(mtp_pool_set_tag_addr(&pool, 4, carve, 3, 2), -EINVAL) << "not whole blocks";
	EXPECT_EQ(mtp_pool_set_tag_addr(&pool, 4, carve, 4, 0), -EINVAL);
	for (std::uint32_t i = 0; i < 8; i++)
		EXPECT_EQ(mtp_tag_return(&pool, i), i < 4) << "tag page " << i;
	mtp_pool_destroy(&pool);
	std::free(carve);
}

TEST_F(PoolTest, TagTierFirstThenOverflow)
{
	mtp_owner *o = add_owner(1024);
	std::mt19937_64 rng(1);
	std::uint32_t slot = 0;
	// Until only the reserve is left, data lands in the carve-out and costs no RAM.
	while (pool_.st.tag_empty > pool_.reserve || o->st.ovf_pages == 0) {
		ASSERT_EQ(write(o, slot++, random_bytes(rng, 2000)), 0);
		if (o->st.ovf_pages == 0) {
			EXPECT_EQ(o->st.tag_bytes, o->st.compr_bytes);
		}
	}
	EXPECT_EQ(pool_.st.tag_empty, pool_.reserve);
	EXPECT_GT(o->st.compr_bytes, o->st.tag_bytes);
	EXPECT_EQ(mtp_check(&pool_), 0);
}

// Same-sized objects that leave a fifth of every page unused when kept whole (3 x 1.1 KiB)
// fill the carve-out as densely as zsmalloc packs them, because tails take split objects.
TEST_F(PoolTest, SameSizedObjectsPackDensely)
{
	mtp_owner *o = add_owner(1024);
	std::mt19937_64 rng(8);
	std::map<std::uint32_t, Expect> model;
	std::uint32_t slot = 0;
	while (pool_.st.tag_empty > pool_.reserve) {
		auto b = random_bytes(rng, 1090);
		ASSERT_EQ(write(o, slot, b), 0);
		model[slot++] = {Expect::Bytes, 0, b};
	}
	double fill = double(o->st.tag_bytes) / double(pool_.st.tag_used * MTP_PAGE_SIZE);
	// Whole objects would fill 80%; zsmalloc's best zspage for this size fills 94%.
	EXPECT_GE(fill, 0.95) << "tag pages used " << pool_.st.tag_used;
	expect_intact(o, model);
}

// The two pieces of a split object move independently: evict the page of either.
TEST_F(PoolTest, EvictionMovesEachPieceOfASplitObject)
{
	mtp_owner *o = add_owner(64);
	std::mt19937_64 rng(9);
	std::map<std::uint32_t, Expect> model;
	for (std::uint32_t s = 0; s < 8; s++) {
		auto b = random_bytes(rng, 1500 * kScale);
		ASSERT_EQ(write(o, s, b), 0);
		model[s] = {Expect::Bytes, 0, b};
	}
	// 8 x 1.5 KiB fill two pages to the last byte and part of a third only when split.
	std::vector<std::uint32_t> used;
	std::uint32_t full = 0;
	for (std::uint32_t t = 0; t < pool_.nr_tag; t++) {
		if (pool_.tag[t].state == MTP_PACKED)
			used.push_back(t);
		if (pool_.tag[t].state == MTP_PACKED && pool_.tag[t].tail == MTP_PAGE_SIZE)
			full++;
	}
	EXPECT_EQ(used.size(), 3u);
	EXPECT_EQ(full, 2u);
	for (std::uint32_t t : used) {
		EXPECT_GT(mtp_tag_mark(&pool_, t, 1), 0u);
		ASSERT_EQ(mtp_check(&pool_), 0) << t;
		for (auto &[s, e] : model)
			ASSERT_TRUE(matches(o, s, e)) << "after evicting " << t;
	}
	EXPECT_EQ(pool_.st.evict_lost, 0u);
}

// The slot table grows a 4 KiB chunk at a time, where slots are written, and no further.
// Without splitting (the negative control's mode) every object stays whole: 2 x 1.5 KiB a page.
// Once the carve-out is full, rewrites keep freeing room in it; overflow pages must still
// take new objects and split pieces into their tails, or their free tails are RAM for nothing.
// Rewrites keep the overflow tier dense: averaged over four runs (one run's figure depends on
// where its last squeezes fell), and no run far below.
TEST_F(PoolTest, OverflowStaysDenseUnderRewrites)
{
	double sum = 0;
	for (int seed = 1; seed <= 4; seed++) {
		mtp_owner *o = add_owner(4096);
		std::mt19937_64 rng(seed);
		std::map<std::uint32_t, Expect> model;
		auto len = [&] { return 600 + std::uint32_t(rng() % 1400); };
		std::uint32_t slots = 0;
		while (o->st.ovf_pages < 64) {
			auto b = random_bytes(rng, len());
			ASSERT_EQ(write(o, slots, b), 0);
			model[slots++] = {Expect::Bytes, 0, b};
		}
		for (int i = 0; i < 20000; i++) {
			std::uint32_t slot = rng() % slots;
			auto b = random_bytes(rng, len());
			ASSERT_EQ(write(o, slot, b), 0);
			model[slot] = {Expect::Bytes, 0, b};
		}
		double ovf_fill = double(o->st.compr_bytes - o->st.tag_bytes) /
				  double(o->st.ovf_pages * MTP_PAGE_SIZE);
		EXPECT_GE(ovf_fill, 0.9) << "seed " << seed;
		sum += ovf_fill;
		for (auto &[s, e] : model)
			EXPECT_TRUE(matches(o, s, e));
		EXPECT_EQ(mtp_check(&pool_), 0);
		mtp_owner_destroy(&pool_, o);
		owners_.pop_back();
	}
	EXPECT_GE(sum / 4, 0.93);
}

TEST_F(PoolTest, NoSplitKeepsObjectsWhole)
{
	pool_.split = false;
	mtp_owner *o = add_owner(64);
	std::mt19937_64 rng(11);
	for (std::uint32_t s = 0; s < 8; s++)
		ASSERT_EQ(write(o, s, random_bytes(rng, 1500 * kScale)), 0);
	std::uint32_t used = 0;
	for (std::uint32_t t = 0; t < pool_.nr_tag; t++)
		used += pool_.tag[t].state == MTP_PACKED;
	EXPECT_EQ(used, 4u);
	EXPECT_EQ(mtp_check(&pool_), 0);
}

TEST_F(PoolTest, SlotTableGrowsWhereWritten)
{
	mtp_owner *o = add_owner(4096);
	std::mt19937_64 rng(10);
	EXPECT_EQ(o->nr_chunks, 0u);
	std::uint64_t empty_meta = mtp_owner_meta_bytes(o);
	auto b = random_bytes(rng, 700);
	ASSERT_EQ(write(o, 0, b), 0);
	ASSERT_EQ(write(o, MTP_SLOTS_PER_CHUNK - 1, b), 0);
	EXPECT_EQ(o->nr_chunks, 1u);
	// Unprepared, a chunk is not there: the write is refused and nothing changes.
	EXPECT_EQ(mtp_write_same(&pool_, o, 5 * MTP_SLOTS_PER_CHUNK, 42), -ENOMEM);
	EXPECT_EQ(mtp_write(&pool_, o, 5 * MTP_SLOTS_PER_CHUNK, b.data(), b.size()), -ENOMEM);
	EXPECT_EQ(o->nr_chunks, 1u);
	ASSERT_EQ(mtp_prepare_slot(&pool_, o, 5 * MTP_SLOTS_PER_CHUNK), 0);
	ASSERT_EQ(mtp_write_same(&pool_, o, 5 * MTP_SLOTS_PER_CHUNK, 42), 0);
	EXPECT_EQ(o->nr_chunks, 2u);
	// Reading or discarding a slot of a chunk never written allocates nothing.
	EXPECT_TRUE(matches(o, 3000, {}));
	mtp_discard(&pool_, o, 3000);
	EXPECT_EQ(o->nr_chunks, 2u);
	EXPECT_EQ(mtp_owner_meta_bytes(o) - empty_meta, 2u * MTP_SLOTS_PER_CHUNK * sizeof(mtp_slot));
	EXPECT_EQ(mtp_write_same(&pool_, o, 4096, 1), -EINVAL);
	EXPECT_EQ(mtp_prepare_slot(&pool_, o, 4096), -EINVAL);
	EXPECT_TRUE(matches(o, MTP_SLOTS_PER_CHUNK - 1, {Expect::Bytes, 0, b}));
	EXPECT_TRUE(matches(o, 5 * MTP_SLOTS_PER_CHUNK, {Expect::Same, 42, {}}));
	EXPECT_EQ(mtp_check(&pool_), 0);
}

TEST_F(PoolTest, SameFilledTakesNoSpace)
{
	mtp_owner *o = add_owner(16);
	for (std::uint32_t i = 0; i < 16; i++)
		ASSERT_EQ(write_same(o, i, i * 0x0101010101010101ull), 0);
	EXPECT_EQ(o->st.same_pages, 16u);
	EXPECT_EQ(o->st.compr_bytes, 0u);
	EXPECT_EQ(pool_.st.tag_used, 0u);
	EXPECT_TRUE(matches(o, 3, {Expect::Same, 3 * 0x0101010101010101ull, {}}));
	EXPECT_EQ(mtp_check(&pool_), 0);
}

TEST_F(PoolTest, MemLimitRefusesAndKeepsOldData)
{
	mtp_owner *o = add_owner(4096);
	o->ovf_limit = 2;
	std::mt19937_64 rng(2);
	std::map<std::uint32_t, Expect> model;
	std::uint32_t slot = 0;
	int err = 0;
	while (err == 0 && slot < 4096) {
		auto b = random_bytes(rng, MTP_PAGE_SIZE);
		err = write(o, slot, b);
		if (err == 0)
			model[slot] = {Expect::Bytes, 0, b};
		slot++;
	}
	EXPECT_EQ(err, -ENOSPC);
	EXPECT_EQ(o->st.ovf_pages, 2u);
	// A refused overwrite leaves the slot's old data in place.
	EXPECT_EQ(write(o, 0, random_bytes(rng, MTP_PAGE_SIZE)), -ENOSPC);
	expect_intact(o, model);
}

TEST_F(PoolTest, MarkEvictsEveryObjectAndNeverFails)
{
	mtp_owner *o = add_owner(2048);
	std::mt19937_64 rng(3);
	auto model = fill_random(o, 300, rng);
	add_spare(); // what the driver keeps in reserve for the hook
	for (std::uint32_t t = 0; t < pool_.nr_tag; t++) {
		if (mtp_pool_nr_spare(&pool_) < 2)
			add_spare();
		mtp_tag_mark(&pool_, t, 1u << (t % 32));
		ASSERT_EQ(pool_.tag[t].state, MTP_TAGS);
		ASSERT_EQ(mtp_check(&pool_), 0) << t;
	}
	EXPECT_EQ(pool_.st.evict_lost, 0u);
	EXPECT_EQ(o->st.tag_bytes, 0u);
	EXPECT_GT(pool_.st.evictions, 0u);
	for (auto &[s, e] : model)
		EXPECT_TRUE(matches(o, s, e));
	// Clearing the last tagged page lets the tag page back into the pool.
	EXPECT_TRUE(mtp_tag_clear(&pool_, 5, 1u << (5)));
	EXPECT_TRUE(mtp_tag_return(&pool_, 5));
	EXPECT_FALSE(mtp_tag_return(&pool_, 6));
	EXPECT_EQ(mtp_check(&pool_), 0);
}

TEST_F(PoolTest, EvictionWithoutSparesFallsBackToAtomicPages)
{
	mtp_owner *o = add_owner(2048);
	std::mt19937_64 rng(6);
	auto model = fill_random(o, 400, rng);
	// No spares at all: every eviction past the reserve needs the atomic fallback.
	mark_all_without_spares(true);
	EXPECT_GT(pool_.st.evict_atomic, 0u);
	EXPECT_EQ(pool_.st.evict_lost, 0u);
	expect_intact(o, model);
}

TEST_F(PoolTest, MarkIsIdempotentAndReturnWaitsForLastPage)
{
	mtp_tag_mark(&pool_, 7, 1u << 1);
	mtp_tag_mark(&pool_, 7, 1u << 1);
	mtp_tag_mark(&pool_, 7, 1u << 2);
	EXPECT_EQ(mtp_tagged_pages(&pool_.tag[7]), 0b110u);
	EXPECT_FALSE(mtp_tag_clear(&pool_, 7, 1u << (1)));
	EXPECT_FALSE(mtp_tag_return(&pool_, 7));
	EXPECT_TRUE(mtp_tag_clear(&pool_, 7, 1u << (2)));
	mtp_tag_mark(&pool_, 7, 1u << 3); // tagged again inside the grace period
	EXPECT_FALSE(mtp_tag_return(&pool_, 7));
	EXPECT_EQ(mtp_check(&pool_), 0);
}

TEST_F(PoolTest, CompactFreesSparseOverflowPages)
{
	mtp_owner *o = add_owner(4096);
	std::mt19937_64 rng(4);
	std::map<std::uint32_t, Expect> model;
	for (std::uint32_t s = 0; s < 1200; s++) {
		auto b = random_bytes(rng, 500 * kScale);
		ASSERT_EQ(write(o, s, b), 0);
		model[s] = {Expect::Bytes, 0, b};
	}
	for (std::uint32_t s = 0; s < 1200; s++) {
		if (s % 4) {
			mtp_discard(&pool_, o, s);
			model[s] = {};
		}
	}
	std::uint64_t before = o->st.ovf_pages;
	EXPECT_GT(mtp_compact(&pool_, o), 0u);
	EXPECT_LT(o->st.ovf_pages, before);
	expect_intact(o, model);
}

TEST_F(PoolTest, BadArgumentsAreRefused)
{
	mtp_owner *o = add_owner(4);
	std::vector<std::uint8_t> b(4000);
	EXPECT_EQ(mtp_write(&pool_, o, 4, b.data(), 10), -EINVAL);
	EXPECT_EQ(mtp_write(&pool_, o, 0, b.data(), 0), -EINVAL);
	EXPECT_EQ(mtp_write(&pool_, o, 0, b.data(), MTP_HUGE_THRESHOLD + 1), -EINVAL);
	std::uint32_t len;
	std::uint64_t fill;
	EXPECT_EQ(mtp_read(&pool_, o, 9, b.data(), &len, &fill), -EINVAL);
	EXPECT_EQ(mtp_tag_mark(&pool_, pool_.nr_tag, 1), 0u);
	EXPECT_EQ(mtp_tag_mark(&pool_, 0, 0), 0u);
	EXPECT_FALSE(mtp_tag_clear(&pool_, pool_.nr_tag, 1));
}

// Random operation sequences against the model; every invariant checked after every step.
TEST_F(PoolTest, RandomOperationsMatchModel)
{
	mtp_owner *a = add_owner(600);
	mtp_owner *b = add_owner(600);
	a->ovf_limit = 60;
	std::mt19937_64 rng(5);
	std::map<std::pair<mtp_owner *, std::uint32_t>, Expect> model;
	for (int step = 0; step < 20000; step++) {
		mtp_owner *o = rng() % 2 ? a : b;
		std::uint32_t s = rng() % 600;
		Expect &e = model[{o, s}];
		switch (rng() % 10) {
		case 0:
		case 1:
		case 2: {
			auto bytes = random_bytes(rng, random_len(rng));
			int err = write(o, s, bytes);
			ASSERT_TRUE(err == 0 || (err == -ENOSPC && o == a)) << err;
			if (!err)
				e = {Expect::Bytes, 0, bytes};
			break;
		}
		case 3:
			e = {Expect::Same, rng(), {}};
			ASSERT_EQ(write_same(o, s, e.fill), 0);
			break;
		case 4:
			mtp_discard(&pool_, o, s);
			e = {};
			break;
		case 5:
			// An eviction opens at most one page per owner: the driver's reserve.
			while (mtp_pool_nr_spare(&pool_) < 2)
				add_spare();
			mtp_tag_mark(&pool_, rng() % pool_.nr_tag, 1u << (rng() % 32));
			break;
		case 6: {
			std::uint32_t t = rng() % pool_.nr_tag;
			for (std::uint32_t bit = 0; bit < 32; bit++)
				if (mtp_tag_clear(&pool_, t, 1u << (bit)))
					mtp_tag_return(&pool_, t);
			break;
		}
		case 7:
			if (rng() % 50 == 0)
				mtp_compact(&pool_, o);
			break;
		default:
			ASSERT_TRUE(matches(o, s, e)) << "step " << step << " lost " << pool_.st.evict_lost;
		}
		ASSERT_EQ(mtp_check(&pool_), 0) << "step " << step;
	}
	EXPECT_EQ(pool_.st.evict_lost, 0u);
	for (auto &[key, e] : model)
		ASSERT_TRUE(matches(key.first, key.second, e));
}

// Writers and readers on their own slots while another thread tags and untags the carve-out.
// I/O threads write and read back their own slots while taggers mark and return tag pages;
// with @walkers, a compactor and a second device that fills up and tears down run too: the
// walks drop the lock between pages, so evictions and writes come in between.
void PoolTest::concurrent_io_against_eviction(bool walkers)
{
	constexpr int kThreads = 3;
	constexpr std::uint32_t kSlots = 400;
	mtp_owner *o = add_owner(kThreads * kSlots);
	std::atomic<bool> stop{false};
	std::atomic<long> bad{0};
	std::mutex spare_lock;
	auto supply = [&] {
		std::lock_guard<std::mutex> g(spare_lock);
		add_spare();
	};
	for (int i = 0; i < 4; i++)
		supply();
	// Two taggers on a few tag pages, so that lockless marks race with returns.
	std::atomic<long> tagged_but_pooled{0};
	auto tag_churn = [&](int seed) {
		std::mt19937_64 rng(seed);
		while (!stop) {
			if (mtp_pool_nr_spare(&pool_) < 4)
				supply();
			std::uint32_t t = rng() % 8, bit = seed * 16 + rng() % 16;
			mtp_tag_mark(&pool_, t, 1u << bit);
			// Between mark and clear the page must serve tags, whatever the other does.
			if (READ_ONCE(pool_.tag[t].state) != MTP_TAGS)
				tagged_but_pooled++;
			if (mtp_tag_clear(&pool_, t, 1u << (bit)))
				mtp_tag_return(&pool_, t);
		}
	};
	std::thread tagger0(tag_churn, 0), tagger1(tag_churn, 1);
	std::atomic<long> compactions{0}, teardowns{0};
	std::vector<std::thread> walker_threads;
	if (walkers) {
		walker_threads.emplace_back([&] {
			while (!stop) {
				mtp_compact(&pool_, o);
				compactions++;
			}
		});
		walker_threads.emplace_back([&] {
			std::mt19937_64 rng(99);
			while (!stop) {
				mtp_owner other{};
				if (mtp_owner_init(&pool_, &other, 256))
					break;
				for (std::uint32_t s = 0; s < 256; s++) {
					auto bytes = random_bytes(rng, random_len(rng));
					int err = mtp_prepare_slot(&pool_, &other, s);
					while (!err && (err = mtp_write(&pool_, &other, s, bytes.data(),
									bytes.size())) == -EAGAIN) {
						supply();
						err = 0;
					}
				}
				mtp_owner_destroy(&pool_, &other);
				teardowns++;
			}
		});
	}
	std::vector<std::thread> io;
	for (int t = 0; t < kThreads; t++) {
		io.emplace_back([&, t] {
			std::mt19937_64 rng(t);
			std::vector<std::vector<std::uint8_t>> mine(kSlots);
			std::vector<std::uint8_t> buf(MTP_PAGE_SIZE);
			for (int step = 0; step < 20000; step++) {
				std::uint32_t i = rng() % kSlots, slot = t * kSlots + i;
				if (rng() % 2) {
					auto bytes = random_bytes(rng, random_len(rng));
					int err = mtp_prepare_slot(&pool_, o, slot);
					while (!err && (err = mtp_write(&pool_, o, slot, bytes.data(),
									bytes.size())) == -EAGAIN) {
						supply();
						err = 0;
					}
					if (err)
						bad++;
					else
						mine[i] = bytes;
				} else if (!mine[i].empty()) {
					std::uint32_t len = 0;
					std::uint64_t fill;
					int kind = mtp_read(&pool_, o, slot, buf.data(), &len, &fill);
					if (kind != MTP_SLOT_OBJ || len != mine[i].size() ||
					    !std::equal(mine[i].begin(), mine[i].end(), buf.begin()))
						bad++;
				}
			}
		});
	}
	for (auto &th : io)
		th.join();
	stop = true;
	tagger0.join();
	tagger1.join();
	for (auto &th : walker_threads)
		th.join();
	if (walkers) {
		EXPECT_GT(compactions.load(), 0);
		EXPECT_GT(teardowns.load(), 0);
	}
	EXPECT_EQ(bad.load(), 0);
	EXPECT_EQ(tagged_but_pooled.load(), 0);
	EXPECT_EQ(pool_.st.evict_lost, 0u);
	EXPECT_GT(pool_.st.evictions, 0u);
	EXPECT_EQ(mtp_check(&pool_), 0);
}

TEST_F(PoolTest, ConcurrentIoAgainstEviction)
{
	concurrent_io_against_eviction(false);
}

TEST_F(PoolTest, CompactionAndTeardownBetweenEvictionsAndIo)
{
	concurrent_io_against_eviction(true);
}

// block-size is the unit: the hardware may keep a data page's tags in any tag page of its
// block, so marking one data page empties the whole block, and the block goes back only when
// none of its pages covers a tagged page.
TEST_F(PoolTest, BlockIsTheUnitOfReserveAndGiveBack)
{
	constexpr std::uint32_t kBlock = 4;
	remake_pool(64, kBlock);
	mtp_owner *o = add_owner(4096);
	std::mt19937_64 rng(11);
	auto model = fill_random(o, 600, rng);
	for (std::uint32_t i = 0; i < 4; i++)
		add_spare();
	ASSERT_NE(pool_.tag[9].state, MTP_TAGS);
	mtp_tag_mark(&pool_, 9, 1u << 3); // a data page covered by tag page 9: block 8..11
	for (std::uint32_t t = 0; t < pool_.nr_tag; t++)
		EXPECT_EQ(pool_.tag[t].state == MTP_TAGS, t >= 8 && t < 12) << "tag page " << t;
	EXPECT_TRUE(mtp_block_serves_tags(&pool_, 11));
	EXPECT_FALSE(mtp_block_serves_tags(&pool_, 12));
	EXPECT_EQ(mtp_check(&pool_), 0);
	for (auto &[s, e] : model)
		EXPECT_TRUE(matches(o, s, e));
	// Another page of the block tagged: the block stays until both are free.
	mtp_tag_mark(&pool_, 10, 1u << 0);
	EXPECT_TRUE(mtp_tag_clear(&pool_, 9, 1u << 3));
	EXPECT_FALSE(mtp_tag_return(&pool_, 9)) << "tag page 10 still covers a tagged page";
	for (std::uint32_t t = 8; t < 12; t++)
		EXPECT_EQ(pool_.tag[t].state, MTP_TAGS);
	EXPECT_EQ(mtp_check(&pool_), 0) << "a refused return leaves every word serving";
	EXPECT_TRUE(mtp_tag_clear(&pool_, 10, 1u << 0));
	EXPECT_TRUE(mtp_tag_return(&pool_, 10));
	for (std::uint32_t t = 8; t < 12; t++)
		EXPECT_EQ(pool_.tag[t].state, MTP_EMPTY);
	EXPECT_EQ(mtp_check(&pool_), 0);
}

// Cache maintenance when a carve-out page changes role (the RFC's order): data lines are
// invalidated after the objects left and before a lockless mark can let tags land; tag lines
// of the covered data pages once no page can be tagged unseen and before an object lands.
struct RoleLog {
	std::uint32_t to_tags = 0, to_pool = 0, misordered = 0;
};
RoleLog g_roles;

// Tag page index of a carve-out address: the maps say where each range is.
std::uint32_t index_of(const mtp_pool *pool, const void *addr)
{
	auto *a = static_cast<const std::uint8_t *>(addr);
	for (std::uint32_t i = 0; i < pool->nr_maps; i++) {
		const mtp_tag_map &m = pool->maps[i];
		if (a >= m.addr && a < m.addr + std::size_t{m.nr} * MTP_PAGE_SIZE)
			return m.first + (a - m.addr) / MTP_PAGE_SIZE;
	}
	return pool->nr_tag;
}

void log_to_tags(mtp_pool *pool, void *addr)
{
	g_roles.to_tags++;
	std::uint32_t index = index_of(pool, addr);
	const mtp_page *pg = index < pool->nr_tag ? &pool->tag[index] : nullptr;
	// No live object left in it, and no lockless mark can succeed yet.
	if (!pg || pg->state == MTP_TAGS || pg->nr_live ||
	    (atomic64_read(&pg->tag_word) & MTP_TAG_SERVING))
		g_roles.misordered++;
}

void log_to_pool(mtp_pool *pool, std::uint32_t first, std::uint32_t nr)
{
	g_roles.to_pool++;
	for (std::uint32_t i = first; i < first + nr; i++) {
		mtp_page *pg = &pool->tag[i];
		// Out of tag service (a mark must take the lock), and on no list objects come from.
		if (atomic64_read(&pg->tag_word) != 0 || pg->state != MTP_EMPTY ||
		    !list_empty(&pg->node))
			g_roles.misordered++;
	}
}

const mtp_pool_ops kLoggingOps = {free_ovf, alloc_atomic, log_to_tags, log_to_pool};

TEST_F(PoolTest, CacheMaintenanceOnEveryRoleChange)
{
	g_roles = {};
	remake_pool(64, 2, &kLoggingOps);
	EXPECT_EQ(g_roles.to_pool, 32u) << "every block, when it first joins the pool";
	mtp_owner *o = add_owner(4096);
	std::mt19937_64 rng(12);
	std::uint64_t returns = pool_.st.returns;
	for (std::uint32_t s = 0; s < 400; s++)
		ASSERT_EQ(write(o, s, random_bytes(rng, random_len(rng))), 0);
	std::uint32_t claimed = 0;
	for (std::uint32_t round = 0; round < 3; round++) {
		for (std::uint32_t t = 0; t < pool_.nr_tag; t += 2) {
			add_spare();
			add_spare();
			claimed += (pool_.tag[t].state != MTP_TAGS) + (pool_.tag[t + 1].state != MTP_TAGS);
			mtp_tag_mark(&pool_, t + round % 2, 1u << round);
		}
		for (std::uint32_t t = 0; t < pool_.nr_tag; t += 2) {
			mtp_tag_clear(&pool_, t + round % 2, 1u << round);
			mtp_tag_return(&pool_, t);
		}
		ASSERT_EQ(mtp_check(&pool_), 0);
	}
	EXPECT_EQ(g_roles.misordered, 0u);
	EXPECT_EQ(g_roles.to_tags, claimed) << "one invalidation per page that left the pool";
	EXPECT_EQ(g_roles.to_pool * 2ull, 64 + pool_.st.returns - returns)
		<< "one per block that joined it";
}

// Unloading gives every tag page back to tags, with the maintenance of that change.
TEST_F(PoolTest, ClaimAllBeforeUnload)
{
	remake_pool(64, 4, &kLoggingOps);
	mtp_tag_mark(&pool_, 5, 1);
	g_roles = {};
	mtp_claim_all(&pool_);
	for (std::uint32_t t = 0; t < pool_.nr_tag; t++) {
		EXPECT_EQ(pool_.tag[t].state, MTP_TAGS);
		EXPECT_TRUE(atomic64_read(&pool_.tag[t].tag_word) & MTP_TAG_SERVING);
	}
	EXPECT_EQ(g_roles.to_tags, 60u) << "every page that was not serving tags";
	EXPECT_EQ(g_roles.misordered, 0u);
	EXPECT_EQ(mtp_check(&pool_), 0);
}

// While hibernation runs the carve-out takes no new object; closing it is refused while one
// lies there.
TEST_F(PoolTest, ClosedCarveOutTakesNoObject)
{
	mtp_owner *o = add_owner(64);
	std::mt19937_64 rng(14);
	ASSERT_EQ(mtp_pool_close_carveout(&pool_), 0);
	for (std::uint32_t s = 0; s < 32; s++)
		ASSERT_EQ(write(o, s, random_bytes(rng, random_len(rng))), 0);
	EXPECT_EQ(pool_.st.tag_used, 0u);
	EXPECT_EQ(o->st.tag_bytes, 0u);
	mtp_pool_open_carveout(&pool_);
	ASSERT_EQ(write(o, 40, random_bytes(rng, MTP_PAGE_SIZE)), 0); // a new page: a tag page
	EXPECT_GT(pool_.st.tag_used, 0u);
	EXPECT_EQ(mtp_pool_close_carveout(&pool_), -EBUSY);
	ASSERT_EQ(write(o, 41, random_bytes(rng, 100)), 0) << "still open after a refusal";
	EXPECT_EQ(mtp_check(&pool_), 0);
}

// Past every reserve (no spare, no atomic page, no reserve) an eviction drops objects: each
// is counted and its slot reads as lost, never as an empty (zero) page, until rewritten.
TEST_F(PoolTest, LostObjectsReadAsLostNotZeros)
{
	mtp_owner *o = add_owner(4096);
	std::mt19937_64 rng(13);
	auto model = fill_random(o, 300, rng);
	mark_all_without_spares(false);
	ASSERT_GT(pool_.st.evict_lost, 0u);
	std::uint64_t lost = 0;
	std::vector<std::uint8_t> buf(MTP_PAGE_SIZE);
	for (auto &[s, e] : model) {
		std::uint32_t len = 0;
		std::uint64_t fill = 0;
		int kind = mtp_read(&pool_, o, s, buf.data(), &len, &fill);
		if (kind == MTP_SLOT_LOST) {
			lost++;
			continue;
		}
		EXPECT_TRUE(matches(o, s, e)) << "slot " << s << " kind " << kind;
	}
	EXPECT_EQ(lost, pool_.st.evict_lost);
	EXPECT_EQ(mtp_check(&pool_), 0);
	// Writing a lost slot makes it whole again.
	for (auto &[s, e] : model) {
		std::uint32_t len;
		std::uint64_t fill;
		if (mtp_read(&pool_, o, s, buf.data(), &len, &fill) != MTP_SLOT_LOST)
			continue;
		auto b = random_bytes(rng, 100);
		ASSERT_EQ(write(o, s, b), 0);
		EXPECT_TRUE(matches(o, s, {Expect::Bytes, 0, b}));
		break;
	}
}

// Bytes the carve-out gives back changed (a tag write through a missed path, a cache line
// written back late) fail their checksum: the read is an error, never wrong data, and a
// garbled header cannot make the copy run past the buffer (ASan watches). Whole objects and
// raw pages here; headers that link split objects still point into the carve-out.
TEST_F(PoolTest, ScribbledCarveOutReadsAsErrorsNotData)
{
	pool_.split = false;
	mtp_owner *o = add_owner(4096);
	std::mt19937_64 rng(15);
	auto model = fill_random(o, 200, rng);
	for (int state : {MTP_PACKED, MTP_HUGE}) {
		std::uint32_t t = 0;
		while (t < pool_.nr_tag && pool_.tag[t].state != state)
			t++;
		ASSERT_LT(t, pool_.nr_tag);
		std::uint8_t *page = carve_[t >= 32] + (t % 32) * std::size_t{MTP_PAGE_SIZE};
		std::vector<std::uint8_t> saved(page, page + MTP_PAGE_SIZE);
		auto garbage = random_bytes(rng, MTP_PAGE_SIZE);
		std::memcpy(page, garbage.data(), MTP_PAGE_SIZE);
		std::uint32_t in_page = 0, errors = 0;
		std::vector<std::uint8_t> buf(2 * MTP_PAGE_SIZE);
		for (auto &[s, e] : model) {
			std::uint32_t len = 0;
			std::uint64_t fill = 0;
			int kind = mtp_read(&pool_, o, s, buf.data(), &len, &fill);
			const mtp_slot *slot = &o->slot_dir[s >> MTP_SLOTS_SHIFT][s % MTP_SLOTS_PER_CHUNK];
			if (slot->page == &pool_.tag[t]) {
				in_page++;
				errors += kind == -EBADMSG;
			} else {
				EXPECT_TRUE(matches(o, s, e)) << "slot " << s << " outside the page";
			}
		}
		EXPECT_GT(in_page, 0u);
		EXPECT_EQ(errors, in_page) << "state " << state;
		std::memcpy(page, saved.data(), MTP_PAGE_SIZE); // whole again, for the teardown
	}
	EXPECT_EQ(mtp_check(&pool_), 0);
}

// Split links name pages by number: no word of the carve-out is the address of anything of the
// pool's (LDG would read it; a tag write through it would be a kernel write).
TEST_F(PoolTest, CarveOutHoldsNoAddress)
{
	mtp_owner *o = add_owner(4096);
	std::mt19937_64 rng(16);
	std::vector<std::uintptr_t> descriptors;
	std::uint32_t split = 0;
	for (std::uint32_t s = 0; s < 400; s++)
		ASSERT_EQ(write(o, s, random_bytes(rng, (700 + rng() % 2000) * kScale)), 0);
	for (std::uint32_t s = 0; s < 400; s++)
		split += o->slot_dir[s >> MTP_SLOTS_SHIFT][s % MTP_SLOTS_PER_CHUNK].split;
	ASSERT_GT(split, 20u);
	for (std::uint32_t b = 0; b < MTP_NR_BUCKETS; b++) {
		mtp_page *pg;
		list_for_each_entry(pg, &o->ovf_buckets[b], node)
			descriptors.push_back(reinterpret_cast<std::uintptr_t>(pg));
	}
	ASSERT_FALSE(descriptors.empty()) << "some tails must lie in overflow pages";
	const auto tag_lo = reinterpret_cast<std::uintptr_t>(pool_.tag);
	const auto tag_hi = reinterpret_cast<std::uintptr_t>(pool_.tag + pool_.nr_tag);
	std::uint32_t found = 0;
	for (std::uint32_t t = 0; t < pool_.nr_tag; t++) {
		const std::uint8_t *page = carve_[t >= 32] + (t % 32) * std::size_t{MTP_PAGE_SIZE};
		for (std::size_t off = 0; off < MTP_PAGE_SIZE; off += 8) {
			std::uintptr_t word;
			std::memcpy(&word, page + off, 8);
			found += (word >= tag_lo && word < tag_hi) ||
				 std::find(descriptors.begin(), descriptors.end(), word) != descriptors.end();
		}
	}
	EXPECT_EQ(found, 0u) << "addresses of page descriptors in the carve-out";
	EXPECT_EQ(mtp_check(&pool_), 0);
}

// Garbage written over tag pages that hold pieces (splits included), then everything the pool
// does: reads, evictions of those pages, compaction, discards and rewrites. Under ASan: no
// stray access; every read is the data or an error, never other bytes; nothing leaks.
TEST_F(PoolTest, ScribbledCarveOutCostsObjectsNeverTheKernel)
{
	mtp_owner *o = add_owner(4096);
	std::mt19937_64 rng(17);
	auto model = fill_random(o, 600, rng);
	std::vector<std::uint32_t> scribbled;
	for (std::uint32_t t = 0; t < pool_.nr_tag && scribbled.size() < 6; t += 5) {
		if (pool_.tag[t].state != MTP_PACKED)
			continue;
		std::uint8_t *page = carve_[t >= 32] + (t % 32) * std::size_t{MTP_PAGE_SIZE};
		auto garbage = random_bytes(rng, MTP_PAGE_SIZE);
		// Half the pages keep their headers' shape: plausible lengths, wrong owners and slots.
		if (scribbled.size() % 2)
			for (std::size_t off = 0; off + 8 <= MTP_PAGE_SIZE; off += 64)
				garbage[off + 7] &= 0x7;
		std::memcpy(page, garbage.data(), MTP_PAGE_SIZE);
		scribbled.push_back(t);
	}
	ASSERT_GE(scribbled.size(), 3u);
	auto check_all = [&](const char *when) {
		EXPECT_GT(expect_data_or_error(o, model, when), model.size() / 2) << when;
	};
	check_all("after the scribble");
	for (auto t : scribbled)
		mtp_tag_mark(&pool_, t, 1);
	EXPECT_GT(pool_.st.corrupt_pages, 0u);
	EXPECT_GT(pool_.st.corrupt_lost, 0u);
	check_all("after evicting the scribbled pages");
	mtp_compact(&pool_, o);
	for (std::uint32_t s = 0; s < 600; s += 3) {
		mtp_discard(&pool_, o, s);
		model[s] = {};
	}
	for (std::uint32_t s = 1; s < 600; s += 3) {
		auto b = random_bytes(rng, random_len(rng));
		ASSERT_EQ(write(o, s, b), 0);
		model[s] = {Expect::Bytes, 0, b};
	}
	check_all("after discards and rewrites");
	for (auto t : scribbled)
		mtp_tag_return(&pool_, t);
	mtp_compact(&pool_, o);
	check_all("after compaction");
}

// Writes leave the eviction reserve alone, so that two claims of a whole 16-page block (a THP
// each) find room with nothing to allocate: no object is lost.
TEST_F(PoolTest, WritesLeaveTheReserveToEvictions)
{
	remake_pool(64, 16);
	pool_.reserve = 2 * 16;
	mtp_owner *o = add_owner(8192);
	std::mt19937_64 rng(18);
	auto model = fill_random(o, 300, rng);
	// Tags take the free blocks; the refill work tops the reserve up with spares.
	for (std::uint32_t block = 0; block < 64; block += 16)
		if (pool_.tag[block].state == MTP_EMPTY)
			mtp_tag_mark(&pool_, block, 1);
	ASSERT_EQ(pool_.st.tag_empty, 0u);
	while (pool_.st.spare_pages < pool_.reserve)
		add_spare();
	// More writes: they bring pages of their own rather than take the reserve's.
	for (std::uint32_t s = 300; s < 500; s++) {
		auto b = random_bytes(rng, random_len(rng));
		ASSERT_EQ(write(o, s, b), 0);
		model[s] = {Expect::Bytes, 0, b};
	}
	EXPECT_GE(pool_.st.tag_empty + pool_.st.spare_pages, pool_.reserve);
	std::uint32_t claimed = 0;
	g_atomic_ok = false;
	for (std::uint32_t block = 0; block < 64 && claimed < 2; block += 16) {
		if (pool_.tag[block].state != MTP_PACKED && pool_.tag[block].state != MTP_HUGE)
			continue;
		mtp_tag_mark(&pool_, block, 1);
		claimed++;
	}
	EXPECT_EQ(claimed, 2u);
	EXPECT_EQ(pool_.st.evict_lost, 0u);
	EXPECT_EQ(pool_.st.evict_atomic, 0u);
	expect_intact(o, model);
}

// The review's sequence against links kept in the carve-out: a header forged in page A, in
// object y's payload, to look like the tail of split object x, and x's head rewritten to
// point there (the review's case has y alone in A; any A must survive). Discarding x must
// kill x's real tail only: A keeps its object (which reads back or fails its checksum), and
// no page a slot names is freed or given to tags.
TEST_F(PoolTest, ForgedTailFreesNoLivePage)
{
	mtp_owner *o = add_owner(4096);
	std::mt19937_64 rng(19);
	auto model = fill_random(o, 300, rng);
	auto slot_at = [&](std::uint32_t s) -> mtp_slot & {
		return o->slot_dir[s >> MTP_SLOTS_SHIFT][s % MTP_SLOTS_PER_CHUNK];
	};
	auto page_bytes = [&](const mtp_page *pg) {
		std::uint32_t t = pg - pool_.tag;
		return carve_[t >= 32] + (t % 32) * std::size_t{MTP_PAGE_SIZE};
	};
	std::uint32_t x = 0, y = 0;
	while (x < 300 && !(slot_at(x).kind == MTP_SLOT_OBJ && slot_at(x).split &&
			    slot_at(x).page->carveout))
		x++;
	while (y < 300 && !(y != x && slot_at(y).kind == MTP_SLOT_OBJ && !slot_at(y).split &&
			    slot_at(y).page->carveout && slot_at(y).page->state == MTP_PACKED &&
			    slot_at(y).page != slot_at(x).page && slot_at(y).len > 64))
		y++;
	ASSERT_LT(x, 300u);
	ASSERT_LT(y, 300u);
	mtp_page *a = slot_at(y).page, *h = slot_at(x).page;
	// A tail header for x inside y's payload, and x's head saying its tail is one byte long
	// with a link-shaped (page index, offset) pair after its header, as the old layout had.
	std::uint32_t forged = slot_at(y).off8 * MTP_OBJ_ALIGN + 16;
	mtp_obj_hdr fake = {x, 1, static_cast<std::uint8_t>(o->id), MTP_OBJ_TAIL};
	std::memcpy(page_bytes(a) + forged, &fake, sizeof(fake));
	auto *head = reinterpret_cast<mtp_obj_hdr *>(page_bytes(h) + slot_at(x).off8 * MTP_OBJ_ALIGN);
	head->len = slot_at(x).len - 1;
	std::uint64_t link[2] = {static_cast<std::uint64_t>(a - pool_.tag), forged};
	std::memcpy(head + 1, link, sizeof(link));
	mtp_discard(&pool_, o, x);
	model[x] = {};
	EXPECT_EQ(a->state, MTP_PACKED) << "the page of a live object was freed";
	EXPECT_GT(a->nr_live, 0u);
	for (std::uint32_t t = 0; t < pool_.nr_tag; t++)
		mtp_tag_mark(&pool_, t, 1); // every page to tags: evictions walk every page
	expect_data_or_error(o, model, "after every page went to tags");
}

namespace {

std::vector<std::uint64_t> g_freed_blocks;

void record_free_block(mtp_owner *, std::uint64_t block)
{
	g_freed_blocks.push_back(block);
}

} // namespace

// Writeback's part in the core: a slot taken by a pass becomes a block only if nothing wrote
// or discarded it meanwhile, and every way a written-back slot ends gives its block back.
TEST_F(PoolTest, WritebackTakesOnlyUntouchedSlotsAndFreesEveryBlock)
{
	std::mt19937_64 rng(31);
	mtp_owner *o = add_owner(64);
	o->free_block = record_free_block;
	g_freed_blocks.clear();
	auto model = fill_random(o, 8, rng);
	std::uint32_t len, prio;

	// Nothing is idle before mtp_mark_idle(); a read makes a slot busy again.
	EXPECT_EQ(mtp_pp_take(&pool_, o, 0, MTP_PP_IDLE, MTP_MAX_PRIO, &len, &prio), -ENOENT);
	mtp_mark_idle(&pool_, o);
	EXPECT_TRUE(matches(o, 1, model[1]));
	EXPECT_EQ(mtp_pp_take(&pool_, o, 1, MTP_PP_IDLE, MTP_MAX_PRIO, &len, &prio), -ENOENT);

	// Taken, written back: the slot names the block and the object is gone.
	ASSERT_EQ(mtp_pp_take(&pool_, o, 0, MTP_PP_IDLE, MTP_MAX_PRIO, &len, &prio), 0);
	EXPECT_EQ(len, model[0].bytes.size());
	EXPECT_EQ(mtp_pp_take(&pool_, o, 0, 0, MTP_MAX_PRIO, &len, &prio), -ENOENT) << "taken twice";
	const std::uint64_t objects = o->st.nr_objects;
	EXPECT_EQ(mtp_pp_written_back(&pool_, o, 0, 7, 0), 0);
	EXPECT_EQ(o->st.nr_objects, objects - 1);
	EXPECT_EQ(o->st.wb_pages, 1u);
	std::vector<std::uint8_t> buf(MTP_PAGE_SIZE);
	std::uint64_t fill = 0;
	EXPECT_EQ(mtp_read(&pool_, o, 0, buf.data(), &len, &fill), MTP_SLOT_WB);
	EXPECT_EQ(fill, 7u);
	EXPECT_EQ(mtp_check(&pool_), 0);

	// A write between take and commit wins: the pass's block is not recorded.
	ASSERT_EQ(mtp_pp_take(&pool_, o, 2, MTP_PP_IDLE, MTP_MAX_PRIO, &len, &prio), 0);
	auto fresh = random_bytes(rng, 100);
	ASSERT_EQ(write(o, 2, fresh), 0);
	model[2] = {Expect::Bytes, 0, fresh};
	EXPECT_EQ(mtp_pp_written_back(&pool_, o, 2, 8, 0), -ESTALE);
	EXPECT_TRUE(matches(o, 2, model[2]));
	// So does a discard.
	ASSERT_EQ(mtp_pp_take(&pool_, o, 3, MTP_PP_IDLE, MTP_MAX_PRIO, &len, &prio), 0);
	mtp_discard(&pool_, o, 3);
	model[3] = {};
	EXPECT_EQ(mtp_pp_written_back(&pool_, o, 3, 9, 0), -ESTALE);
	EXPECT_TRUE(g_freed_blocks.empty());

	// Discard, rewrite and teardown of written-back slots each free the block once.
	for (std::uint32_t s : {4u, 5u, 6u}) {
		ASSERT_EQ(mtp_pp_take(&pool_, o, s, MTP_PP_IDLE, MTP_MAX_PRIO, &len, &prio), 0);
		ASSERT_EQ(mtp_pp_written_back(&pool_, o, s, 100 + s, 0), 0);
	}
	mtp_discard(&pool_, o, 0);
	mtp_discard(&pool_, o, 4);
	ASSERT_EQ(write(o, 5, fresh), 0);
	ASSERT_EQ(write_same(o, 6, 42), 0);
	EXPECT_EQ(g_freed_blocks, (std::vector<std::uint64_t>{7, 104, 105, 106}));
	EXPECT_EQ(o->st.wb_pages, 0u);
	ASSERT_EQ(mtp_pp_take(&pool_, o, 7, MTP_PP_IDLE, MTP_MAX_PRIO, &len, &prio), 0);
	ASSERT_EQ(mtp_pp_written_back(&pool_, o, 7, 77, 0), 0);
	EXPECT_EQ(mtp_check(&pool_), 0);
	mtp_owner_destroy(&pool_, o);
	EXPECT_EQ(g_freed_blocks.back(), 77u);
	owners_.pop_back();
}

// The filters a pass asks for: raw objects, the tier of the head piece, incompressible ones.
TEST_F(PoolTest, PassFiltersAndRecompressedObjects)
{
	std::mt19937_64 rng(32);
	mtp_owner *o = add_owner(64);
	std::uint32_t len, prio;
	auto small = random_bytes(rng, 300);
	auto raw = random_bytes(rng, MTP_PAGE_SIZE);
	ASSERT_EQ(write(o, 0, small), 0);
	ASSERT_EQ(write(o, 1, raw), 0);
	EXPECT_EQ(mtp_pp_take(&pool_, o, 0, MTP_PP_HUGE, MTP_MAX_PRIO, &len, &prio), -ENOENT);
	ASSERT_EQ(mtp_pp_take(&pool_, o, 1, MTP_PP_HUGE, MTP_MAX_PRIO, &len, &prio), 0);
	EXPECT_EQ(len, MTP_PAGE_SIZE);
	mtp_pp_release(&pool_, o, 1, false);
	// The carve-out has room: both objects are in it, none in RAM.
	EXPECT_EQ(mtp_pp_take(&pool_, o, 0, MTP_PP_IN_RAM, MTP_MAX_PRIO, &len, &prio), -ENOENT);
	ASSERT_EQ(mtp_pp_take(&pool_, o, 0, MTP_PP_IN_CARVEOUT, MTP_MAX_PRIO, &len, &prio), 0);

	// Recompressed: stored by priority 2, read back with it; a lower pass skips it.
	auto smaller = random_bytes(rng, 120);
	ASSERT_EQ(mtp_pp_store(&pool_, o, 0, smaller.data(), smaller.size(), 2), 0);
	std::vector<std::uint8_t> buf(MTP_PAGE_SIZE);
	std::uint64_t fill = 0;
	ASSERT_EQ(mtp_read(&pool_, o, 0, buf.data(), &len, &fill), MTP_SLOT_OBJ);
	EXPECT_EQ(fill, 2u);
	buf.resize(len);
	EXPECT_EQ(buf, smaller);
	EXPECT_EQ(mtp_pp_take(&pool_, o, 0, 0, 2, &len, &prio), -ENOENT);
	EXPECT_EQ(mtp_pp_store(&pool_, o, 0, small.data(), small.size(), 1), -ESTALE)
		<< "stored without a take";
	EXPECT_EQ(mtp_pp_store(&pool_, o, 0, small.data(), small.size(), MTP_MAX_PRIO), -EINVAL);

	// No algorithm shrank slot 1: compressible passes skip it until it is written again.
	ASSERT_EQ(mtp_pp_take(&pool_, o, 1, 0, MTP_MAX_PRIO, &len, &prio), 0);
	mtp_pp_release(&pool_, o, 1, true);
	EXPECT_EQ(mtp_pp_take(&pool_, o, 1, MTP_PP_COMPRESSIBLE, MTP_MAX_PRIO, &len, &prio), -ENOENT);
	ASSERT_EQ(mtp_pp_take(&pool_, o, 1, MTP_PP_INCOMPRESSIBLE, MTP_MAX_PRIO, &len, &prio), 0);
	mtp_pp_release(&pool_, o, 1, false);
	ASSERT_EQ(write(o, 1, raw), 0);
	EXPECT_EQ(mtp_pp_take(&pool_, o, 1, MTP_PP_INCOMPRESSIBLE, MTP_MAX_PRIO, &len, &prio), -ENOENT);
	EXPECT_EQ(mtp_check(&pool_), 0);
}

// mm_stat's mem_used_total and mem_used_max: overflow pages and tag-page bytes together.
TEST_F(PoolTest, UsedCountsBothTiersAndItsMaximumResets)
{
	std::mt19937_64 rng(33);
	mtp_owner *o = add_owner(4096);
	auto model = fill_random(o, 400, rng); // more than the 64 tag pages hold
	const std::uint64_t used = mtp_owner_used(&o->st);
	EXPECT_GT(o->st.ovf_pages, 0u);
	EXPECT_GT(o->st.tag_bytes, 0u);
	EXPECT_EQ(used, (o->st.ovf_pages << MTP_PAGE_SHIFT) + o->st.tag_bytes);
	EXPECT_GE(o->st.used_max, used);
	for (std::uint32_t s = 0; s < 400; s += 2)
		mtp_discard(&pool_, o, s);
	mtp_compact(&pool_, o);
	EXPECT_LT(mtp_owner_used(&o->st), used);
	EXPECT_GE(o->st.used_max, used);
	mtp_owner_reset_max(&pool_, o);
	EXPECT_EQ(o->st.used_max, mtp_owner_used(&o->st));
	EXPECT_EQ(o->st.ovf_max, o->st.ovf_pages);
}
