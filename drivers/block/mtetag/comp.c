// SPDX-License-Identifier: GPL-2.0
/*
 * mtetag compression backends over the kernel's compression libraries, with per-CPU streams.
 */
#include <linux/cpumask.h>
#include <linux/lz4.h>
#include <linux/lzo.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/vmalloc.h>
#include <linux/zstd.h>

#include "comp.h"

#define MTETAG_OUT_SIZE (2 * PAGE_SIZE)
#define MTETAG_ZSTD_LEVEL 3

struct mtetag_codec {
	const char *name;
	size_t (*work_size)(void);
	int (*setup)(struct mtetag_stream *s);
	/* @len: in, the output capacity; out, the compressed length */
	int (*compress)(struct mtetag_stream *s, const void *src, void *dst, unsigned int *len);
	int (*decompress)(struct mtetag_stream *s, const void *src, unsigned int len, void *dst);
};

static size_t lz4_work_size(void)
{
	return LZ4_MEM_COMPRESS;
}

static int lz4_compress(struct mtetag_stream *s, const void *src, void *dst, unsigned int *len)
{
	int ret = LZ4_compress_default(src, dst, PAGE_SIZE, *len, s->work);

	if (ret <= 0)
		return -EINVAL;
	*len = ret;
	return 0;
}

static int lz4_decompress(struct mtetag_stream *s, const void *src, unsigned int len, void *dst)
{
	return LZ4_decompress_safe(src, dst, len, PAGE_SIZE) == PAGE_SIZE ? 0 : -EINVAL;
}

static size_t lz4hc_work_size(void)
{
	return LZ4HC_MEM_COMPRESS;
}

static int lz4hc_compress(struct mtetag_stream *s, const void *src, void *dst, unsigned int *len)
{
	int ret = LZ4_compress_HC(src, dst, PAGE_SIZE, *len, LZ4HC_DEFAULT_CLEVEL, s->work);

	if (ret <= 0)
		return -EINVAL;
	*len = ret;
	return 0;
}

static size_t lzorle_work_size(void)
{
	return LZO1X_1_MEM_COMPRESS;
}

static int lzorle_compress(struct mtetag_stream *s, const void *src, void *dst,
			   unsigned int *len)
{
	size_t out = *len;

	if (lzorle1x_1_compress(src, PAGE_SIZE, dst, &out, s->work) != LZO_E_OK)
		return -EINVAL;
	*len = out;
	return 0;
}

static int lzo_decompress(struct mtetag_stream *s, const void *src, unsigned int len, void *dst)
{
	size_t out = PAGE_SIZE;

	if (lzo1x_decompress_safe(src, len, dst, &out) != LZO_E_OK || out != PAGE_SIZE)
		return -EINVAL;
	return 0;
}

static zstd_parameters zstd_page_params(void)
{
	return zstd_get_params(MTETAG_ZSTD_LEVEL, PAGE_SIZE);
}

static size_t zstd_work_size(void)
{
	zstd_parameters params = zstd_page_params();

	return zstd_cctx_workspace_bound(&params.cParams) + zstd_dctx_workspace_bound();
}

static int zstd_setup(struct mtetag_stream *s)
{
	zstd_parameters params = zstd_page_params();
	size_t csize = zstd_cctx_workspace_bound(&params.cParams);

	s->cctx = zstd_init_cctx(s->work, csize);
	s->dctx = zstd_init_dctx((u8 *)s->work + csize, zstd_dctx_workspace_bound());
	return s->cctx && s->dctx ? 0 : -EINVAL;
}

static int zstd_compress(struct mtetag_stream *s, const void *src, void *dst, unsigned int *len)
{
	zstd_parameters params = zstd_page_params();
	size_t ret = zstd_compress_cctx(s->cctx, dst, *len, src, PAGE_SIZE, &params);

	if (zstd_is_error(ret))
		return -EINVAL;
	*len = ret;
	return 0;
}

static int zstd_decompress(struct mtetag_stream *s, const void *src, unsigned int len, void *dst)
{
	size_t ret = zstd_decompress_dctx(s->dctx, dst, PAGE_SIZE, src, len);

	return !zstd_is_error(ret) && ret == PAGE_SIZE ? 0 : -EINVAL;
}

/* The first entry is the default. */
static const struct mtetag_codec codecs[] = {
	{ "lz4", lz4_work_size, NULL, lz4_compress, lz4_decompress },
	{ "lzo-rle", lzorle_work_size, NULL, lzorle_compress, lzo_decompress },
	{ "lz4hc", lz4hc_work_size, NULL, lz4hc_compress, lz4_decompress },
	{ "zstd", zstd_work_size, zstd_setup, zstd_compress, zstd_decompress },
};

static const struct mtetag_codec *find_codec(const char *name)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(codecs); i++)
		if (sysfs_streq(name, codecs[i].name))
			return &codecs[i];
	return NULL;
}

/**
 * mtetag_comp_default() - name of the default algorithm
 *
 * Return: "lz4".
 */
const char *mtetag_comp_default(void)
{
	return codecs[0].name;
}

/**
 * mtetag_comp_known() - whether @name is an algorithm mtetag offers
 * @name: algorithm name, a trailing newline allowed
 *
 * Return: true when known.
 */
bool mtetag_comp_known(const char *name)
{
	return find_codec(name);
}

/**
 * mtetag_comp_list() - format the algorithms as zram does, the current one in brackets
 * @current_name: the algorithm in use
 * @buf: a sysfs page
 *
 * Return: bytes written.
 */
ssize_t mtetag_comp_list(const char *current_name, char *buf)
{
	ssize_t n = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(codecs); i++) {
		bool cur = !strcmp(codecs[i].name, current_name);

		n += sysfs_emit_at(buf, n, cur ? "[%s] " : "%s ", codecs[i].name);
	}
	n += sysfs_emit_at(buf, n, "\n");
	return n;
}

/**
 * mtetag_comp_destroy() - free the per-CPU streams
 * @comp: the compressor; safe on a partly created or destroyed one
 */
void mtetag_comp_destroy(struct mtetag_comp *comp)
{
	int cpu;

	if (!comp->streams)
		return;
	for_each_possible_cpu(cpu) {
		struct mtetag_stream *s = per_cpu_ptr(comp->streams, cpu);

		vfree(s->work);
		kfree(s->buffer);
	}
	free_percpu(comp->streams);
	comp->streams = NULL;
	comp->codec = NULL;
}

/**
 * mtetag_comp_create() - set up @name with one stream per possible CPU
 * @comp: the compressor to fill
 * @name: algorithm name
 *
 * Return: 0, -EINVAL for an unknown name, -ENOMEM.
 */
int mtetag_comp_create(struct mtetag_comp *comp, const char *name)
{
	int cpu;

	comp->codec = find_codec(name);
	if (!comp->codec)
		return -EINVAL;
	comp->streams = alloc_percpu(struct mtetag_stream);
	if (!comp->streams)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct mtetag_stream *s = per_cpu_ptr(comp->streams, cpu);

		local_lock_init(&s->lock);
		s->work = vzalloc(comp->codec->work_size());
		s->buffer = kmalloc(MTETAG_OUT_SIZE, GFP_KERNEL);
		if (!s->work || !s->buffer ||
		    (comp->codec->setup && comp->codec->setup(s))) {
			mtetag_comp_destroy(comp);
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * mtetag_stream_get() - this CPU's stream, with preemption disabled until put
 * @comp: the compressor
 *
 * Return: the stream.
 */
struct mtetag_stream *mtetag_stream_get(struct mtetag_comp *comp)
{
	local_lock(&comp->streams->lock);
	return this_cpu_ptr(comp->streams);
}

/**
 * mtetag_stream_put() - release the stream taken by mtetag_stream_get()
 * @comp: the compressor
 */
void mtetag_stream_put(struct mtetag_comp *comp)
{
	local_unlock(&comp->streams->lock);
}

/**
 * mtetag_compress() - compress one page into @s->buffer
 * @comp: the compressor
 * @s: the stream from mtetag_stream_get()
 * @src: the page
 * @len: set to the compressed length
 *
 * Return: 0 or -EINVAL when the algorithm failed.
 */
int mtetag_compress(struct mtetag_comp *comp, struct mtetag_stream *s, const void *src,
		    unsigned int *len)
{
	*len = MTETAG_OUT_SIZE;
	return comp->codec->compress(s, src, s->buffer, len);
}

/**
 * mtetag_decompress() - decompress one page
 * @comp: the compressor
 * @s: the stream from mtetag_stream_get()
 * @src: compressed bytes
 * @len: their length
 * @dst: the page to fill
 *
 * Return: 0, or -EINVAL when the data does not decompress to exactly one page.
 */
int mtetag_decompress(struct mtetag_comp *comp, struct mtetag_stream *s, const void *src,
		      unsigned int len, void *dst)
{
	return comp->codec->decompress(s, src, len, dst);
}
