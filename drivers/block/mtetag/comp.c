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
#include <linux/sw842.h>
#include <linux/sysfs.h>
#include <linux/vmalloc.h>
#include <linux/zlib.h>
#include <linux/zstd.h>

#include "comp.h"

#define MTETAG_OUT_SIZE (2 * PAGE_SIZE)
/* deflate as zram: raw deflate, a 2 KiB window is plenty for one page */
#define MTETAG_DEFLATE_WINBITS 11

struct mtetag_codec {
	const char *name;
	s32 default_level;
	size_t (*work_size)(const struct mtetag_comp *c);
	int (*setup)(const struct mtetag_comp *c, struct mtetag_stream *s);
	/* @len: in, the output capacity; out, the compressed length */
	int (*compress)(const struct mtetag_comp *c, struct mtetag_stream *s, const void *src,
			void *dst, unsigned int *len);
	int (*decompress)(const struct mtetag_comp *c, struct mtetag_stream *s, const void *src,
			  unsigned int len, void *dst);
};

static size_t lz4_work_size(const struct mtetag_comp *c)
{
	return LZ4_MEM_COMPRESS;
}

static int lz4_compress(const struct mtetag_comp *c, struct mtetag_stream *s, const void *src,
			void *dst, unsigned int *len)
{
	int ret = LZ4_compress_fast(src, dst, PAGE_SIZE, *len, c->level, s->work);

	if (ret <= 0)
		return -EINVAL;
	*len = ret;
	return 0;
}

static int lz4_decompress(const struct mtetag_comp *c, struct mtetag_stream *s, const void *src,
			  unsigned int len, void *dst)
{
	return LZ4_decompress_safe(src, dst, len, PAGE_SIZE) == PAGE_SIZE ? 0 : -EINVAL;
}

static size_t lz4hc_work_size(const struct mtetag_comp *c)
{
	return LZ4HC_MEM_COMPRESS;
}

static int lz4hc_compress(const struct mtetag_comp *c, struct mtetag_stream *s, const void *src,
			  void *dst, unsigned int *len)
{
	int ret = LZ4_compress_HC(src, dst, PAGE_SIZE, *len, c->level, s->work);

	if (ret <= 0)
		return -EINVAL;
	*len = ret;
	return 0;
}

static size_t lzo_work_size(const struct mtetag_comp *c)
{
	return LZO1X_1_MEM_COMPRESS;
}

static int lzorle_compress(const struct mtetag_comp *c, struct mtetag_stream *s,
			   const void *src, void *dst, unsigned int *len)
{
	size_t out = *len;

	if (lzorle1x_1_compress(src, PAGE_SIZE, dst, &out, s->work) != LZO_E_OK)
		return -EINVAL;
	*len = out;
	return 0;
}

static int lzo_compress(const struct mtetag_comp *c, struct mtetag_stream *s, const void *src,
			void *dst, unsigned int *len)
{
	size_t out = *len;

	if (lzo1x_1_compress(src, PAGE_SIZE, dst, &out, s->work) != LZO_E_OK)
		return -EINVAL;
	*len = out;
	return 0;
}

static int lzo_decompress(const struct mtetag_comp *c, struct mtetag_stream *s, const void *src,
			  unsigned int len, void *dst)
{
	size_t out = PAGE_SIZE;

	if (lzo1x_decompress_safe(src, len, dst, &out) != LZO_E_OK || out != PAGE_SIZE)
		return -EINVAL;
	return 0;
}

static zstd_parameters zstd_page_params(const struct mtetag_comp *c)
{
	return zstd_get_params(c->level, PAGE_SIZE);
}

static size_t zstd_work_size(const struct mtetag_comp *c)
{
	zstd_parameters params = zstd_page_params(c);

	return zstd_cctx_workspace_bound(&params.cParams) + zstd_dctx_workspace_bound();
}

static int zstd_setup(const struct mtetag_comp *c, struct mtetag_stream *s)
{
	zstd_parameters params = zstd_page_params(c);
	size_t csize = zstd_cctx_workspace_bound(&params.cParams);

	s->cctx = zstd_init_cctx(s->work, csize);
	s->dctx = zstd_init_dctx((u8 *)s->work + csize, zstd_dctx_workspace_bound());
	return s->cctx && s->dctx ? 0 : -EINVAL;
}

static int zstd_compress(const struct mtetag_comp *c, struct mtetag_stream *s, const void *src,
			 void *dst, unsigned int *len)
{
	zstd_parameters params = zstd_page_params(c);
	size_t ret;

	if (c->cdict)
		ret = zstd_compress_using_cdict(s->cctx, dst, *len, src, PAGE_SIZE, c->cdict);
	else
		ret = zstd_compress_cctx(s->cctx, dst, *len, src, PAGE_SIZE, &params);
	if (zstd_is_error(ret))
		return -EINVAL;
	*len = ret;
	return 0;
}

static int zstd_decompress(const struct mtetag_comp *c, struct mtetag_stream *s, const void *src,
			   unsigned int len, void *dst)
{
	size_t ret;

	if (c->ddict)
		ret = zstd_decompress_using_ddict(s->dctx, dst, PAGE_SIZE, src, len, c->ddict);
	else
		ret = zstd_decompress_dctx(s->dctx, dst, PAGE_SIZE, src, len);
	return !zstd_is_error(ret) && ret == PAGE_SIZE ? 0 : -EINVAL;
}

static void *zstd_dict_alloc(void *opaque, size_t size)
{
	return kvzalloc(size, GFP_KERNEL);
}

static void zstd_dict_free(void *opaque, void *address)
{
	kvfree(address);
}

/* The dictionary's tables, shared read-only by every stream. */
static int zstd_load_dict(struct mtetag_comp *c, const struct mtetag_comp_params *p)
{
	zstd_custom_mem mem = { .customAlloc = zstd_dict_alloc, .customFree = zstd_dict_free };
	zstd_parameters params = zstd_page_params(c);

	c->cdict = zstd_create_cdict_byreference(p->dict, p->dict_sz, params.cParams, mem);
	c->ddict = zstd_create_ddict_byreference(p->dict, p->dict_sz, mem);
	return c->cdict && c->ddict ? 0 : -EINVAL;
}

#if IS_REACHABLE(CONFIG_ZLIB_DEFLATE) && IS_REACHABLE(CONFIG_ZLIB_INFLATE)
static size_t deflate_work_size(const struct mtetag_comp *c)
{
	return 2 * sizeof(struct z_stream_s) +
	       zlib_deflate_workspacesize(-MTETAG_DEFLATE_WINBITS, MAX_MEM_LEVEL) +
	       zlib_inflate_workspacesize();
}

static int deflate_setup(const struct mtetag_comp *c, struct mtetag_stream *s)
{
	struct z_stream_s *zc = s->work, *zd = zc + 1;

	zc->workspace = zd + 1;
	zd->workspace = (u8 *)zc->workspace +
			zlib_deflate_workspacesize(-MTETAG_DEFLATE_WINBITS, MAX_MEM_LEVEL);
	if (zlib_deflateInit2(zc, c->level, Z_DEFLATED, -MTETAG_DEFLATE_WINBITS, MAX_MEM_LEVEL,
			      Z_DEFAULT_STRATEGY) != Z_OK ||
	    zlib_inflateInit2(zd, -MTETAG_DEFLATE_WINBITS) != Z_OK)
		return -EINVAL;
	s->cctx = zc;
	s->dctx = zd;
	return 0;
}

static int deflate_compress(const struct mtetag_comp *c, struct mtetag_stream *s,
			    const void *src, void *dst, unsigned int *len)
{
	struct z_stream_s *z = s->cctx;

	if (zlib_deflateReset(z) != Z_OK)
		return -EINVAL;
	z->next_in = src;
	z->avail_in = PAGE_SIZE;
	z->next_out = dst;
	z->avail_out = *len;
	if (zlib_deflate(z, Z_FINISH) != Z_STREAM_END)
		return -EINVAL;
	*len = z->total_out;
	return 0;
}

static int deflate_decompress(const struct mtetag_comp *c, struct mtetag_stream *s,
			      const void *src, unsigned int len, void *dst)
{
	struct z_stream_s *z = s->dctx;

	if (zlib_inflateReset(z) != Z_OK)
		return -EINVAL;
	z->next_in = src;
	z->avail_in = len;
	z->next_out = dst;
	z->avail_out = PAGE_SIZE;
	if (zlib_inflate(z, Z_SYNC_FLUSH) != Z_STREAM_END || z->total_out != PAGE_SIZE)
		return -EINVAL;
	return 0;
}
#endif

#if IS_REACHABLE(CONFIG_842_COMPRESS) && IS_REACHABLE(CONFIG_842_DECOMPRESS)
static size_t sw842_work_size(const struct mtetag_comp *c)
{
	return SW842_MEM_COMPRESS;
}

static int sw842_comp(const struct mtetag_comp *c, struct mtetag_stream *s, const void *src,
		      void *dst, unsigned int *len)
{
	return sw842_compress(src, PAGE_SIZE, dst, len, s->work) ? -EINVAL : 0;
}

static int sw842_decomp(const struct mtetag_comp *c, struct mtetag_stream *s, const void *src,
			unsigned int len, void *dst)
{
	unsigned int out = PAGE_SIZE;

	return sw842_decompress(src, len, dst, &out) || out != PAGE_SIZE ? -EINVAL : 0;
}
#endif

/* In zram's order, which comp_algorithm lists. */
static const struct mtetag_codec codecs[] = {
	{ "lzo-rle", 0, lzo_work_size, NULL, lzorle_compress, lzo_decompress },
	{ "lzo", 0, lzo_work_size, NULL, lzo_compress, lzo_decompress },
	{ "lz4", LZ4_ACCELERATION_DEFAULT, lz4_work_size, NULL, lz4_compress, lz4_decompress },
	{ "lz4hc", LZ4HC_DEFAULT_CLEVEL, lz4hc_work_size, NULL, lz4hc_compress, lz4_decompress },
	{ "zstd", 3, zstd_work_size, zstd_setup, zstd_compress, zstd_decompress },
#if IS_REACHABLE(CONFIG_ZLIB_DEFLATE) && IS_REACHABLE(CONFIG_ZLIB_INFLATE)
	{ "deflate", Z_DEFAULT_COMPRESSION, deflate_work_size, deflate_setup, deflate_compress,
	  deflate_decompress },
#endif
#if IS_REACHABLE(CONFIG_842_COMPRESS) && IS_REACHABLE(CONFIG_842_DECOMPRESS)
	{ "842", 0, sw842_work_size, NULL, sw842_comp, sw842_decomp },
#endif
};

/* lz4: the fastest decompression, for swap-ins on the fault path. */
#define MTETAG_DEFAULT_CODEC "lz4"

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
	return MTETAG_DEFAULT_CODEC;
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
 * @at: where in it to start
 *
 * Return: bytes written.
 */
ssize_t mtetag_comp_list(const char *current_name, char *buf, ssize_t at)
{
	ssize_t n = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(codecs); i++) {
		bool cur = !strcmp(codecs[i].name, current_name);

		n += sysfs_emit_at(buf, at + n, cur ? "[%s] " : "%s ", codecs[i].name);
	}
	n += sysfs_emit_at(buf, at + n, "\n");
	return n;
}

/**
 * mtetag_comp_destroy() - free the per-CPU streams and dictionary tables
 * @comp: the compressor; safe on a partly created, destroyed or never created one
 */
void mtetag_comp_destroy(struct mtetag_comp *comp)
{
	int cpu;

	if (comp->streams) {
		for_each_possible_cpu(cpu) {
			struct mtetag_stream *s = per_cpu_ptr(comp->streams, cpu);

			vfree(s->work);
			kfree(s->buffer);
		}
		free_percpu(comp->streams);
	}
	if (comp->cdict)
		zstd_free_cdict(comp->cdict);
	if (comp->ddict)
		zstd_free_ddict(comp->ddict);
	vfree(comp->dict);
	memset(comp, 0, sizeof(*comp));
}

/**
 * mtetag_comp_live() - whether @comp was created and not destroyed
 * @comp: the compressor
 *
 * Return: true when it can compress.
 */
bool mtetag_comp_live(const struct mtetag_comp *comp)
{
	return comp->streams;
}

/**
 * mtetag_comp_create() - set up @name with one stream per possible CPU
 * @comp: the compressor to fill
 * @name: algorithm name
 * @params: level and dictionary; @comp owns the dictionary once created
 *
 * Return: 0, -EINVAL for an unknown name, a dictionary the algorithm does not take or
 * cannot load, -ENOMEM.
 */
int mtetag_comp_create(struct mtetag_comp *comp, const char *name,
		       const struct mtetag_comp_params *params)
{
	const struct mtetag_codec *codec = find_codec(name);
	bool zstd;
	int cpu;

	memset(comp, 0, sizeof(*comp));
	if (!codec)
		return -EINVAL;
	zstd = codec->setup == zstd_setup;
	comp->codec = codec;
	comp->level = params->level == MTETAG_NO_LEVEL ? codec->default_level : params->level;
	if (zstd)
		comp->level = clamp(comp->level, zstd_min_clevel(), zstd_max_clevel());
	/* As zram: algorithms without dictionaries ignore one (lz4's are not supported here). */
	if (params->dict && !zstd)
		pr_warn_once("mtetag: %s takes no dictionary here: ignored\n", codec->name);
	if (params->dict && zstd && zstd_load_dict(comp, params)) {
		mtetag_comp_destroy(comp);
		return -EINVAL;
	}
	comp->streams = alloc_percpu(struct mtetag_stream);
	if (!comp->streams) {
		mtetag_comp_destroy(comp);
		return -ENOMEM;
	}
	for_each_possible_cpu(cpu) {
		struct mtetag_stream *s = per_cpu_ptr(comp->streams, cpu);

		local_lock_init(&s->lock);
		s->work = vzalloc(codec->work_size(comp));
		s->buffer = kmalloc(MTETAG_OUT_SIZE, GFP_KERNEL);
		if (!s->work || !s->buffer) {
			mtetag_comp_destroy(comp);
			return -ENOMEM;
		}
		/* The library refused the parameters (a level out of its range). */
		if (codec->setup && codec->setup(comp, s)) {
			mtetag_comp_destroy(comp);
			return -EINVAL;
		}
	}
	/* Only now, and only what it uses: on failure the caller still owns it. */
	comp->dict = zstd ? params->dict : NULL;
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
	return comp->codec->compress(comp, s, src, s->buffer, len);
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
	return comp->codec->decompress(comp, s, src, len, dst);
}
