/* gst-v4l2-elastic
 *
 * What the libFuzzer targets of tests/fuzz share: a failed invariant
 * aborts (libFuzzer keeps the input), test pictures that count their
 * references and know whether they are alive, and an IVF reader.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __FUZZ_COMMON_H__
#define __FUZZ_COMMON_H__

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gst/gst.h>

/* The largest width and height a codec state may hand on (see
 * gstcodeclimits.h, where the states take it from). */
#define FUZZ_MAX_DIMENSION 16384u

#define FUZZ_CHECK(cond, ...)                                                  \
  G_STMT_START                                                                 \
  {                                                                            \
    if (G_UNLIKELY (!(cond))) {                                                \
      fprintf (                                                                \
          stderr, "%s:%d: invariant failed: %s: ", __FILE__, __LINE__, #cond); \
      fprintf (stderr, __VA_ARGS__);                                           \
      fputc ('\n', stderr);                                                    \
      abort ();                                                                \
    }                                                                          \
  }                                                                            \
  G_STMT_END

/* A decoded picture as the harness hands it to a state: reference
 * counted, named by an id that is never reused within one input. */
typedef struct
{
  gint refs;
  guint64 id;
  /* H.264: output order bookkeeping. */
  gint32 poc;
  guint epoch;
  gboolean pending; /* decoded, not yet output */
} FuzzPic;

typedef struct
{
  GHashTable *live; /* id -> FuzzPic */
  guint64 last_id;
  guint allocated;
  guint freed;
} FuzzPics;

/* GDestroyNotify takes no user data: one set of pictures per process. */
static FuzzPics fuzz_pics;

static inline void
fuzz_pics_begin (void)
{
  if (!fuzz_pics.live)
    fuzz_pics.live = g_hash_table_new (g_int64_hash, g_int64_equal);
  fuzz_pics.last_id = 0;
  fuzz_pics.allocated = fuzz_pics.freed = 0;
}

/* Every picture handed to a state must be back once the state is gone. */
static inline void
fuzz_pics_end (void)
{
  FUZZ_CHECK (fuzz_pics.allocated == fuzz_pics.freed,
      "%u pictures made, %u freed", fuzz_pics.allocated, fuzz_pics.freed);
  FUZZ_CHECK (g_hash_table_size (fuzz_pics.live) == 0, "%u pictures alive",
      g_hash_table_size (fuzz_pics.live));
}

static inline FuzzPic *
fuzz_pic_new (void)
{
  FuzzPic *pic = g_new0 (FuzzPic, 1);

  pic->refs = 1;
  pic->id = ++fuzz_pics.last_id;
  g_hash_table_insert (fuzz_pics.live, &pic->id, pic);
  fuzz_pics.allocated++;
  return pic;
}

static inline gpointer
fuzz_pic_ref (gpointer picture)
{
  FuzzPic *pic = picture;

  FUZZ_CHECK (pic->refs > 0, "picture %" G_GUINT64_FORMAT " revived", pic->id);
  pic->refs++;
  return pic;
}

static inline void
fuzz_pic_unref (gpointer picture)
{
  FuzzPic *pic = picture;

  FUZZ_CHECK (
      pic->refs > 0, "picture %" G_GUINT64_FORMAT " freed twice", pic->id);
  if (--pic->refs > 0)
    return;
  g_hash_table_remove (fuzz_pics.live, &pic->id);
  fuzz_pics.freed++;
  g_free (pic);
}

/* The live picture of @id, or NULL. */
static inline FuzzPic *
fuzz_pic_lookup (guint64 id)
{
  return g_hash_table_lookup (fuzz_pics.live, &id);
}

/* IVF (VP8, VP9): a 32-byte file header, then per frame a 12-byte header
 * (little-endian 32-bit size, 64-bit timestamp) and the frame.  The
 * header's fields are not checked; a size beyond the input is cut to what
 * is there (a truncated last frame). */
typedef struct
{
  const guint8 *data;
  gsize size;
  gsize pos;
} FuzzIvf;

static inline void
fuzz_ivf_init (FuzzIvf *ivf, const guint8 *data, gsize size)
{
  ivf->data = data;
  ivf->size = size;
  ivf->pos = MIN (size, 32);
}

static inline gboolean
fuzz_ivf_next (FuzzIvf *ivf, const guint8 **frame, gsize *frame_size)
{
  gsize len;

  if (ivf->size - ivf->pos < 12)
    return FALSE;
  /* Byte by byte: a frame header can sit at any alignment (UBSan's
   * alignment check is on). */
  len = (guint32) ivf->data[ivf->pos] |
      ((guint32) ivf->data[ivf->pos + 1] << 8) |
      ((guint32) ivf->data[ivf->pos + 2] << 16) |
      ((guint32) ivf->data[ivf->pos + 3] << 24);
  ivf->pos += 12;
  len = MIN (len, ivf->size - ivf->pos);
  *frame = ivf->data + ivf->pos;
  *frame_size = len;
  ivf->pos += len;
  return TRUE;
}

/* GStreamer's parsers are not instrumented: AddressSanitizer cannot see
 * them read past a buffer.  A copy that ends right before an
 * inaccessible page turns such a read into a SIGSEGV, every time.  Inputs
 * larger than the area are used in place. */
#define FUZZ_GUARDED_AREA (4u << 20)

static inline const guint8 *
fuzz_guarded_copy (const guint8 *data, gsize size)
{
  static guint8 *area;

  if (!area) {
    long page = sysconf (_SC_PAGESIZE);
    void *m = mmap (NULL, FUZZ_GUARDED_AREA + page, PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    FUZZ_CHECK (m != MAP_FAILED, "mmap");
    area = m;
    FUZZ_CHECK (
        mprotect (area + FUZZ_GUARDED_AREA, page, PROT_NONE) == 0, "mprotect");
  }
  if (size > FUZZ_GUARDED_AREA)
    return data;
  /* memmove: @data may already lie in the area (a frame of a copied
   * input). */
  memmove (area + FUZZ_GUARDED_AREA - size, data, size);
  return area + FUZZ_GUARDED_AREA - size;
}

/* No gst_init (): the parsers and the states need none of it, and it
 * makes GLib outgrow its first quark block, which GLib then leaks on
 * purpose (LeakSanitizer would report it on the first input). */
static inline void
fuzz_init (void)
{
}

#endif /* __FUZZ_COMMON_H__ */
