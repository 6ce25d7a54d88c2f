/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Compression for mtetag: the kernel's compression libraries called directly (as zram's 6.12
 * backends do) rather than through the crypto API: one page in, one buffer out, no
 * scatterlists, and the algorithm names and parameters zram users know.
 */
#ifndef _MTETAG_COMP_H
#define _MTETAG_COMP_H

#include <linux/limits.h>
#include <linux/local_lock.h>
#include <linux/types.h>

struct mtetag_codec;

/* The algorithm's default level (zram's ZCOMP_PARAM_NO_LEVEL). */
#define MTETAG_NO_LEVEL INT_MIN

/* What algorithm_params sets for one algorithm: read when a device is initialised. */
struct mtetag_comp_params {
	s32 level;       /* zstd, deflate, lz4hc: level; lz4: acceleration */
	void *dict;      /* zstd: a dictionary (vmalloc), NULL for none */
	size_t dict_sz;
};

/* Per-CPU compression state; used with preemption disabled through @lock. */
struct mtetag_stream {
	local_lock_t lock;
	void *work;   /* the algorithm's working memory */
	void *cctx;   /* zstd, deflate: compression context inside @work */
	void *dctx;   /* zstd, deflate: decompression context inside @work */
	u8 *buffer;   /* 2 pages: compressed output, or an object copied out of the pool */
};

struct mtetag_comp {
	const struct mtetag_codec *codec;
	s32 level;       /* resolved: never MTETAG_NO_LEVEL once created */
	void *dict;      /* the dictionary's bytes, owned once created */
	void *cdict;     /* zstd with a dictionary */
	void *ddict;
	struct mtetag_stream __percpu *streams;
};

const char *mtetag_comp_default(void);
bool mtetag_comp_known(const char *name);
ssize_t mtetag_comp_list(const char *current_name, char *buf, ssize_t at);
int mtetag_comp_create(struct mtetag_comp *comp, const char *name,
		       const struct mtetag_comp_params *params);
void mtetag_comp_destroy(struct mtetag_comp *comp);
bool mtetag_comp_live(const struct mtetag_comp *comp);
struct mtetag_stream *mtetag_stream_get(struct mtetag_comp *comp);
void mtetag_stream_put(struct mtetag_comp *comp);
int mtetag_compress(struct mtetag_comp *comp, struct mtetag_stream *s, const void *src,
		    unsigned int *len);
int mtetag_decompress(struct mtetag_comp *comp, struct mtetag_stream *s, const void *src,
		      unsigned int len, void *dst);

#endif /* _MTETAG_COMP_H */
