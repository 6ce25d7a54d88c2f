/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the portable core needs from its surroundings: the kernel's own headers in the module,
 * small stand-ins with the same names in the host tests (tests/host), so that the very same
 * core sources run in both.
 */
#ifndef _MTETAG_CORE_COMPAT_H
#define _MTETAG_CORE_COMPAT_H

#ifdef __KERNEL__
#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/vmalloc.h>
#include <linux/xxhash.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>

#define mtp_zalloc_array(n, size) kvcalloc(n, size, GFP_KERNEL)
#define mtp_free_array(p) kvfree(p)
/* On the write path of a swap device: no I/O to reclaim with. */
#define mtp_zalloc_noio(size) kzalloc(size, GFP_NOIO | __GFP_NOWARN)
#define mtp_free(p) kfree(p)
/* Checksum of stored objects: xxh32, which zstd (selected) brings along. */
#define mtp_csum(buf, len) xxh32(buf, len, 0)
#define mtp_now_ns() local_clock()
/* Between the lock holds of a whole-device walk, which runs in process context. */
#define mtp_cond_resched() cond_resched()

#else /* host */
#include "host_compat.h"
#endif

#endif /* _MTETAG_CORE_COMPAT_H */
