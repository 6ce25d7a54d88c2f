/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host stand-ins for the few kernel facilities the portable core uses: fixed-width types,
 * errno values, 64-bit atomics, an IRQ-saving spinlock (a pthread mutex), list_head and
 * allocation.
 */
#ifndef _MTETAG_HOST_COMPAT_H
#define _MTETAG_HOST_COMPAT_H

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define PAGE_SIZE 4096UL
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN(x, a) (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define BUILD_BUG_ON(c) _Static_assert(!(c), #c)
#define WARN_ON_ONCE(c) (!!(c))
#define WARN_ON(c) (!!(c))
#ifndef __cplusplus /* the C++ tests include this header only for the types */
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(type, a, b) ((type)(a) < (type)(b) ? (type)(a) : (type)(b))
#endif
#define lockdep_assert_held(l) ((void)(l))
/* Options are 1 or undefined here: CMake defines those the host build enables. */
#define IS_ENABLED(option) (option)
#define BIT(n) (1UL << (n))
#define BIT_ULL(n) (1ULL << (n))
#define U64_MAX UINT64_MAX
#define U32_MAX UINT32_MAX
#define hweight32(x) ((u32)__builtin_popcount(x))
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define __must_hold(l)
#define __acquires(l)
#define __releases(l)
#define mtp_cond_resched() ((void)0)

/* The checksum of stored objects: any good 32-bit hash will do on the host (FNV-1a). */
static inline uint32_t mtp_csum(const void *buf, size_t len)
{
	const uint8_t *p = (const uint8_t *)buf;
	uint32_t h = 2166136261u;

	while (len--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static inline u64 mtp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec;
}

/* The kernel's atomic64_t operations are fully ordered when they return a value. */
typedef struct {
	s64 counter;
} atomic64_t;

static inline s64 atomic64_read(const atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_RELAXED);
}

static inline s64 atomic64_read_acquire(const atomic64_t *v)
{
	return __atomic_load_n(&v->counter, __ATOMIC_ACQUIRE);
}

static inline void atomic64_set(atomic64_t *v, s64 i)
{
	__atomic_store_n(&v->counter, i, __ATOMIC_RELAXED);
}

static inline s64 atomic64_fetch_or(s64 i, atomic64_t *v)
{
	return __atomic_fetch_or(&v->counter, i, __ATOMIC_SEQ_CST);
}

static inline void atomic64_or(s64 i, atomic64_t *v)
{
	__atomic_fetch_or(&v->counter, i, __ATOMIC_RELAXED);
}

static inline s64 atomic64_fetch_andnot(s64 i, atomic64_t *v)
{
	return __atomic_fetch_and(&v->counter, ~i, __ATOMIC_SEQ_CST);
}

static inline s64 atomic64_fetch_andnot_relaxed(s64 i, atomic64_t *v)
{
	return __atomic_fetch_and(&v->counter, ~i, __ATOMIC_RELAXED);
}

static inline bool atomic64_try_cmpxchg_acquire(atomic64_t *v, s64 *old, s64 new_value)
{
	return __atomic_compare_exchange_n(&v->counter, old, new_value, false, __ATOMIC_ACQUIRE,
					   __ATOMIC_ACQUIRE);
}

static inline bool atomic64_try_cmpxchg(atomic64_t *v, s64 *old, s64 new_value)
{
	return __atomic_compare_exchange_n(&v->counter, old, new_value, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_RELAXED);
}

typedef struct {
	pthread_mutex_t m;
} spinlock_t;
#define spin_lock_init(l) pthread_mutex_init(&(l)->m, NULL)
#define spin_lock_irqsave(l, flags) ((void)(flags), pthread_mutex_lock(&(l)->m))
#define spin_unlock_irqrestore(l, flags) ((void)(flags), pthread_mutex_unlock(&(l)->m))

#define mtp_zalloc_array(n, size) calloc(n, size)
#define mtp_free_array(p) free(p)
#define mtp_zalloc_noio(size) calloc(1, size)
#define mtp_free(p) free(p)

struct list_head {
	struct list_head *next, *prev;
};

static inline void INIT_LIST_HEAD(struct list_head *h)
{
	h->next = h;
	h->prev = h;
}

static inline void __list_add(struct list_head *n, struct list_head *prev, struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *h)
{
	__list_add(n, h, h->next);
}

static inline void list_add_tail(struct list_head *n, struct list_head *h)
{
	__list_add(n, h->prev, h);
}

static inline void list_del_init(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	INIT_LIST_HEAD(e);
}

#define LIST_HEAD(name) struct list_head name = { &(name), &(name) }

/* Move every entry of @from to the head of @to; @from ends empty. */
static inline void list_splice_init(struct list_head *from, struct list_head *to)
{
	if (from->next == from)
		return;
	from->next->prev = to;
	from->prev->next = to->next;
	to->next->prev = from->prev;
	to->next = from->next;
	INIT_LIST_HEAD(from);
}

static inline int list_empty(const struct list_head *h)
{
	return h->next == h;
}

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(h, type, member) list_entry((h)->next, type, member)
#define list_last_entry(h, type, member) list_entry((h)->prev, type, member)
#define list_for_each_entry(pos, head, member)                                         \
	for (pos = list_first_entry(head, __typeof__(*pos), member); &pos->member != (head); \
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))
#define list_for_each_entry_safe(pos, n, head, member)                                  \
	for (pos = list_first_entry(head, __typeof__(*pos), member),                     \
	    n = list_entry(pos->member.next, __typeof__(*pos), member);                  \
	     &pos->member != (head);                                                     \
	     pos = n, n = list_entry(n->member.next, __typeof__(*n), member))
#define list_first_entry_or_null(h, type, member) \
	(list_empty(h) ? NULL : list_first_entry(h, type, member))

#endif /* _MTETAG_HOST_COMPAT_H */
