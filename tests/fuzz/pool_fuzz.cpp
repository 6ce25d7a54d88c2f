// SPDX-License-Identifier: GPL-2.0
// libFuzzer target: operation sequences on the portable pool core (drivers/block/mtetag/pool.c)
// against a model. Writes, discards, reads, evictions (tag marks), releases, give-backs,
// compaction, spare and atomic-allocation failures, and scribbles over carve-out pages. A read
// must give the bytes last written or an error, never other bytes; without a scribble and with
// a reserve that holds, nothing may be lost and mtp_check() must find the pool consistent.
extern "C" {
#include "pool.h"
}

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <vector>

namespace {

constexpr std::uint32_t kTagPages = 32;
constexpr std::uint32_t kSlots = 96;

long g_ovf_pages;
bool g_atomic_ok;

mtp_page *new_ovf()
{
	auto *ovf = new mtp_ovf_page{};
	ovf->addr = std::aligned_alloc(MTP_PAGE_SIZE, MTP_PAGE_SIZE);
	g_ovf_pages++;
	return &ovf->pg;
}

void free_ovf(mtp_page *pg)
{
	mtp_ovf_page *ovf = mtp_to_ovf(pg);
	std::free(ovf->addr);
	delete ovf;
	g_ovf_pages--;
}

mtp_page *alloc_atomic()
{
	return g_atomic_ok ? new_ovf() : nullptr;
}

const mtp_pool_ops kOps = {free_ovf, alloc_atomic, nullptr, nullptr};

// The input, read a byte or a word at a time; zeros once it runs out.
struct Input {
	const std::uint8_t *p;
	std::size_t left;
	std::uint8_t u8()
	{
		if (!left)
			return 0;
		left--;
		return *p++;
	}
	std::uint16_t u16() { return std::uint16_t(u8() | u8() << 8); }
};

[[noreturn]] void fail(const char *what)
{
	std::fprintf(stderr, "pool_fuzz: %s\n", what);
	std::abort();
}

struct Model {
	enum Kind { Empty, Same, Bytes, Wb } kind = Empty;
	std::uint64_t fill = 0; // Same: the word; Wb: the block
	std::vector<std::uint8_t> bytes;
};

// Blocks of the pretend backing device that written-back slots hold: each freed exactly once.
std::set<std::uint64_t> g_live_blocks;

void free_block(mtp_owner *, std::uint64_t block)
{
	if (!g_live_blocks.erase(block))
		fail("a block freed that no slot held");
}

// Object bytes from a seed: runs of a repeated byte mixed with noise, as compressed data is not.
std::vector<std::uint8_t> object(std::uint32_t len, std::uint16_t seed)
{
	std::vector<std::uint8_t> b(len);
	std::uint32_t x = seed * 2654435761u + 1;
	for (auto &c : b) {
		x = x * 1103515245u + 12345u;
		c = std::uint8_t(x >> 24);
	}
	return b;
}

class Run {
public:
	explicit Run(std::uint32_t block_pages) : block_pages_(block_pages)
	{
		if (mtp_pool_init(&pool_, &kOps, kTagPages))
			fail("pool init");
		carve_ = static_cast<std::uint8_t *>(
			std::aligned_alloc(MTP_PAGE_SIZE, kTagPages * std::size_t{MTP_PAGE_SIZE}));
		if (mtp_pool_set_tag_addr(&pool_, 0, carve_, kTagPages, block_pages))
			fail("tag map");
		for (std::uint32_t i = 0; i < kTagPages; i += block_pages)
			mtp_tag_return(&pool_, i);
		mtp_pool_set_reserve(&pool_, 2 * block_pages, 4 * block_pages);
		if (mtp_owner_init(&pool_, &owner_, kSlots))
			fail("owner init");
		owner_.free_block = free_block;
		g_live_blocks.clear();
	}

	~Run()
	{
		mtp_owner_destroy(&pool_, &owner_);
		if (!g_live_blocks.empty())
			fail("teardown kept a written-back slot's block");
		mtp_pool_destroy(&pool_);
		std::free(carve_);
		if (g_ovf_pages)
			fail("overflow pages leaked");
	}

	void step(Input &in)
	{
		const std::uint8_t op = in.u8();
		const std::uint32_t slot = in.u8() % kSlots;
		switch (op % 14) {
		case 0:
		case 1: { // write an object: small, around the split sizes, or a raw page
			std::uint32_t len = in.u16() % (MTP_HUGE_THRESHOLD + 64) + 1;
			if (len > MTP_HUGE_THRESHOLD)
				len = MTP_PAGE_SIZE;
			write(slot, object(len, in.u16()));
			break;
		}
		case 2: { // a same-filled page
			const std::uint64_t fill = in.u16() * 0x0001000100010001ull;
			if (!mtp_prepare_slot(&pool_, &owner_, slot) &&
			    !mtp_write_same(&pool_, &owner_, slot, fill)) {
				model_[slot] = {Model::Same, fill, {}};
				lost_.erase(slot);
				touched(slot);
			}
			break;
		}
		case 3:
			mtp_discard(&pool_, &owner_, slot);
			model_.erase(slot);
			lost_.erase(slot);
			touched(slot);
			break;
		case 4:
			read(slot);
			break;
		case 5: // a reserve: data pages of a tag page are about to be tagged
			mtp_tag_mark(&pool_, in.u8() % kTagPages, 1u << (in.u8() % 32));
			break;
		case 6: { // their release, and the give-back after the grace period
			const std::uint32_t t = in.u8() % kTagPages;
			if (mtp_tag_clear(&pool_, t, 1u << (in.u8() % 32)))
				mtp_tag_return(&pool_, t);
			break;
		}
		case 7:
			mtp_compact(&pool_, &owner_);
			break;
		case 8: { // the carve-out written behind the pool's back
			std::uint8_t *page = carve_ + (in.u8() % kTagPages) * std::size_t{MTP_PAGE_SIZE};
			const std::uint32_t off = in.u16() % MTP_PAGE_SIZE;
			const std::uint32_t n = in.u8() % 64 + 1;
			for (std::uint32_t i = 0; i < n && off + i < MTP_PAGE_SIZE; i++)
				page[off + i] = in.u8();
			scribbled_ = true;
			break;
		}
		case 9: // an allocator that fails, or recovers
			g_atomic_ok = in.u8() & 1;
			break;
		case 10: // the refill work
			if (mtp_pool_nr_spare(&pool_) < 8)
				mtp_pool_add_spare(&pool_, new_ovf());
			break;
		case 11:
			mtp_mark_idle(&pool_, &owner_);
			break;
		case 12: { // a writeback or recompression pass takes a slot
			static const std::uint32_t kWants[] = {0, MTP_PP_IDLE, MTP_PP_HUGE, MTP_PP_IN_RAM,
							       MTP_PP_IN_CARVEOUT, MTP_PP_COMPRESSIBLE};
			std::uint32_t len, prio;
			if (!mtp_pp_take(&pool_, &owner_, slot, kWants[in.u8() % 6], MTP_MAX_PRIO, &len,
					 &prio))
				taken_[slot] = false;
			break;
		}
		case 13: // ... and ends: written back, recompressed or released
			finish_pass(slot, in);
			break;
		}
		if (!scribbled_ && mtp_check(&pool_))
			fail("mtp_check");
		check_i1();
	}

	// I1 whatever was scribbled: a block with a tagged data page serves tags in every page,
	// and no object has a piece in a page that serves tags.
	void check_i1()
	{
		for (std::uint32_t t = 0; t < kTagPages; t++) {
			if (!mtp_tagged_pages(&pool_.tag[t]))
				continue;
			const std::uint32_t first = t / block_pages_ * block_pages_;
			for (std::uint32_t b = first; b < first + block_pages_; b++)
				if (pool_.tag[b].state != MTP_TAGS)
					fail("I1: a block with a tagged data page does not serve tags");
		}
		for (std::uint32_t s = 0; s < kSlots; s++) {
			const mtp_slot *chunk = owner_.slot_dir[s >> MTP_SLOTS_SHIFT];
			const mtp_slot *slot = chunk ? &chunk[s & (MTP_SLOTS_PER_CHUNK - 1)] : nullptr;
			if (!slot || slot->kind != MTP_SLOT_OBJ)
				continue;
			if (slot->page->carveout && slot->page->state == MTP_TAGS)
				fail("I1: an object lies in a page that serves tags");
			if (slot->split && slot->tail_page < kTagPages &&
			    pool_.tag[slot->tail_page].state == MTP_TAGS)
				fail("I1: a split object's tail lies in a page that serves tags");
		}
	}

	void read_all()
	{
		for (std::uint32_t s = 0; s < kSlots; s++)
			read(s);
	}

private:
	// A write, discard or loss since the take: the pass must not win over it.
	void touched(std::uint32_t slot)
	{
		auto it = taken_.find(slot);
		if (it != taken_.end())
			it->second = true;
	}

	void finish_pass(std::uint32_t slot, Input &in)
	{
		auto it = taken_.find(slot);
		if (it == taken_.end())
			return;
		const bool stale = it->second;
		taken_.erase(it);
		std::vector<std::uint8_t> buf(MTP_PAGE_SIZE);
		std::uint32_t len = 0;
		std::uint64_t fill = 0;
		const int kind = mtp_read(&pool_, &owner_, slot, buf.data(), &len, &fill);
		// A read that fails its checksum ends the driver's pass there; a slot lost to an
		// eviction or a scribble meanwhile is as stale as a written one.
		if (kind == -EBADMSG) {
			mtp_pp_release(&pool_, &owner_, slot, false);
			return;
		}
		const bool gone = kind == MTP_SLOT_LOST;
		int err;
		switch (in.u8() % 3) {
		case 0: {
			const std::uint64_t block = next_block_++;
			g_live_blocks.insert(block);
			err = mtp_pp_written_back(&pool_, &owner_, slot, block, 0);
			if (!err) {
				model_[slot] = {Model::Wb, block, {}};
			} else if (!g_live_blocks.erase(block)) {
				fail("a refused writeback freed its block");
			}
			break;
		}
		case 1: {
			auto b = object(in.u16() % MTP_HUGE_THRESHOLD + 1, in.u16());
			err = mtp_pp_store(&pool_, &owner_, slot, b.data(), std::uint32_t(b.size()),
					   1 + in.u8() % (MTP_MAX_PRIO - 1));
			if (!err)
				model_[slot] = {Model::Bytes, 0, b};
			if (err == -EAGAIN || err == -ENOSPC) {
				mtp_pp_release(&pool_, &owner_, slot, false);
				return;
			}
			break;
		}
		default:
			mtp_pp_release(&pool_, &owner_, slot, in.u8() & 1);
			return;
		}
		if (err && err != -ESTALE)
			fail("a pass failed for another reason than a stale slot");
		if ((err == -ESTALE) != (stale || gone))
			fail(err ? "a pass lost to nothing" : "a pass won over a write or discard");
		if (!err)
			lost_.erase(slot);
	}

	void write(std::uint32_t slot, const std::vector<std::uint8_t> &b)
	{
		int err = mtp_prepare_slot(&pool_, &owner_, slot);
		// The driver's write loop: one more page per -EAGAIN, as long as the allocator gives.
		for (int tries = 0; !err && tries < 4; tries++) {
			err = mtp_write(&pool_, &owner_, slot, b.data(), std::uint32_t(b.size()));
			if (err != -EAGAIN)
				break;
			mtp_pool_add_spare(&pool_, new_ovf());
		}
		if (!err) {
			model_[slot] = {Model::Bytes, 0, b};
			lost_.erase(slot);
			touched(slot);
		}
		// On error the slot is unchanged: the model too.
	}

	void read(std::uint32_t slot)
	{
		std::vector<std::uint8_t> buf(MTP_PAGE_SIZE);
		std::uint32_t len = 0;
		std::uint64_t fill = 0;
		const int kind = mtp_read(&pool_, &owner_, slot, buf.data(), &len, &fill);
		auto it = model_.find(slot);
		if (it == model_.end()) {
			if (kind != MTP_SLOT_EMPTY)
				fail("a slot never written (or discarded) does not read as empty");
			return;
		}
		// An error, never data: a checksum mismatch only after a scribble, a loss only for
		// as many slots as the pool says it dropped.
		if (kind == -EBADMSG) {
			if (!scribbled_)
				fail("checksum error with nothing scribbled");
			return;
		}
		if (kind == MTP_SLOT_LOST) {
			lost_.insert(slot);
			if (lost_.size() > pool_.st.evict_lost + pool_.st.corrupt_lost)
				fail("more slots read as lost than the pool dropped");
			return;
		}
		const Model &m = it->second;
		if (m.kind == Model::Wb) {
			if (kind != MTP_SLOT_WB || fill != m.fill)
				fail("a written-back slot does not name its block");
			return;
		}
		if (m.kind == Model::Same) {
			if (kind != MTP_SLOT_SAME || fill != m.fill)
				fail("same-filled page reads back wrong");
			return;
		}
		if (kind != MTP_SLOT_OBJ || len != m.bytes.size() ||
		    std::memcmp(buf.data(), m.bytes.data(), len))
			fail("object reads back other bytes");
	}

	const std::uint32_t block_pages_;
	mtp_pool pool_{};
	mtp_owner owner_{};
	std::uint8_t *carve_ = nullptr;
	std::map<std::uint32_t, Model> model_;
	std::set<std::uint32_t> lost_; // slots that read as lost since last written
	std::map<std::uint32_t, bool> taken_; // slots a pass holds: touched since?
	std::uint64_t next_block_ = 0;
	bool scribbled_ = false;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
	Input in{data, size};
	static const std::uint32_t kBlocks[] = {1, 2, 4, 16};
	g_atomic_ok = false;
	{
		Run run(kBlocks[in.u8() % 4]);
		while (in.left)
			run.step(in);
		run.read_all();
	}
	return 0;
}
