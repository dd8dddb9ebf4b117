/* gst-v4l2-elastic: frame sizes and types of an IVF VP8/VP9 stream, read
 * from the bitstream itself (the VP8 key frame header; VP9's uncompressed
 * header up to frame_size()/frame_size_with_refs(), section 6.2 of the
 * VP9 bitstream specification).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "vpx-stream.h"

#include <string.h>

#define VP9_SLOTS 8

typedef struct
{
  const guint8 *data;
  gsize size, bit;
} Bits;

/* Reads N bits, most significant first; past the end reads zeros (the
 * header is then too short, which the size check below catches). */
static guint
bits_read (Bits *b, guint n)
{
  guint v = 0;

  while (n--) {
    guint bit = 0;

    if (b->bit / 8 < b->size)
      bit = (b->data[b->bit / 8] >> (7 - b->bit % 8)) & 1;
    b->bit++;
    v = (v << 1) | bit;
  }
  return v;
}

typedef struct
{
  guint slot_w[VP9_SLOTS], slot_h[VP9_SLOTS];
} Vp9Slots;

static void
vp9_color_config (Bits *b, guint profile)
{
  if (profile >= 2)
    bits_read (b, 1);          /* ten_or_twelve_bit */
  if (bits_read (b, 3) != 7) { /* color_space != CS_RGB */
    bits_read (b, 1);          /* color_range */
    if (profile == 1 || profile == 3)
      bits_read (b, 3); /* subsampling_x, subsampling_y, reserved_zero */
  } else if (profile == 1 || profile == 3) {
    bits_read (b, 1); /* reserved_zero */
  }
}

static void
vp9_frame_size (Bits *b, guint *w, guint *h)
{
  *w = bits_read (b, 16) + 1;
  *h = bits_read (b, 16) + 1;
}

/* One frame of a VP9 packet: updates P when the frame is shown and the
 * reference slots it refreshes. */
static gboolean
vp9_frame (Vp9Slots *s, const guint8 *data, gsize size, VpxPacket *p)
{
  Bits b = { data, size, 0 };
  guint profile, w = 0, h = 0, refresh = 0, i;
  gboolean show, key, intra_only = FALSE, error_resilient;

  if (bits_read (&b, 2) != 2) /* frame_marker */
    return FALSE;
  profile = bits_read (&b, 1);
  profile |= bits_read (&b, 1) << 1;
  if (profile == 3)
    bits_read (&b, 1);
  if (bits_read (&b, 1)) { /* show_existing_frame */
    guint idx = bits_read (&b, 3);

    p->shows = TRUE;
    p->width = s->slot_w[idx];
    p->height = s->slot_h[idx];
    return TRUE;
  }
  key = bits_read (&b, 1) == 0;
  show = bits_read (&b, 1);
  error_resilient = bits_read (&b, 1);
  if (key) {
    bits_read (&b, 24); /* frame_sync_code */
    vp9_color_config (&b, profile);
    vp9_frame_size (&b, &w, &h);
    refresh = 0xff;
  } else {
    if (!show)
      intra_only = bits_read (&b, 1);
    if (!error_resilient)
      bits_read (&b, 2); /* reset_frame_context */
    if (intra_only) {
      bits_read (&b, 24);
      if (profile > 0)
        vp9_color_config (&b, profile);
      refresh = bits_read (&b, 8);
      vp9_frame_size (&b, &w, &h);
    } else {
      guint ref_idx[3];

      refresh = bits_read (&b, 8);
      for (i = 0; i < 3; i++) {
        ref_idx[i] = bits_read (&b, 3);
        bits_read (&b, 1); /* ref_frame_sign_bias */
      }
      for (i = 0; i < 3; i++) {
        if (bits_read (&b, 1)) { /* found_ref */
          w = s->slot_w[ref_idx[i]];
          h = s->slot_h[ref_idx[i]];
          break;
        }
      }
      if (i == 3)
        vp9_frame_size (&b, &w, &h);
    }
  }
  if (b.bit > size * 8)
    return FALSE;
  for (i = 0; i < VP9_SLOTS; i++) {
    if (refresh & (1u << i)) {
      s->slot_w[i] = w;
      s->slot_h[i] = h;
    }
  }
  p->key |= key;
  if (show) {
    p->shows = TRUE;
    p->width = w;
    p->height = h;
  }
  return TRUE;
}

static gboolean
vp9_packet (Vp9Slots *s, const guint8 *data, gsize size, VpxPacket *p)
{
  guint8 last = size ? data[size - 1] : 0;

  /* A superframe ends with its index: marker byte, sizes, marker byte. */
  if ((last & 0xe0) == 0xc0) {
    guint frames = (last & 7) + 1, mag = ((last >> 3) & 3) + 1, i, j;
    gsize index = 2 + (gsize) mag * frames, offset = 0;

    if (size >= index && data[size - index] == last) {
      const guint8 *sz = data + size - index + 1;

      for (i = 0; i < frames; i++) {
        gsize len = 0;

        for (j = 0; j < mag; j++)
          len |= (gsize) sz[i * mag + j] << (8 * j);
        if (offset + len > size - index ||
            !vp9_frame (s, data + offset, len, p))
          return FALSE;
        offset += len;
      }
      return TRUE;
    }
  }
  return vp9_frame (s, data, size, p);
}

/* SIZE: the size of the last key frame (VP8 changes size only there). */
static gboolean
vp8_packet (guint size_wh[2], const guint8 *data, gsize size, VpxPacket *p)
{
  if (size < 3)
    return FALSE;
  p->key = (data[0] & 1) == 0;
  p->shows = (data[0] >> 4) & 1;
  if (p->key) {
    /* start code 9d 01 2a, then 14-bit width and height */
    if (size < 10 || data[3] != 0x9d || data[4] != 0x01 || data[5] != 0x2a)
      return FALSE;
    size_wh[0] = (data[6] | data[7] << 8) & 0x3fff;
    size_wh[1] = (data[8] | data[9] << 8) & 0x3fff;
  }
  if (p->shows) {
    p->width = size_wh[0];
    p->height = size_wh[1];
  }
  return TRUE;
}

GArray *
vpx_stream_parse (const gchar *path, const gchar *codec, GError **error)
{
  gchar *data = NULL;
  gsize size = 0, offset;
  GArray *packets;
  Vp9Slots slots = { { 0 } };
  guint vp8_size[2] = { 0, 0 };
  gboolean vp9 = g_strcmp0 (codec, "vp9") == 0;
  const gchar *fourcc = vp9 ? "VP90" : "VP80";

  if (!g_file_get_contents (path, &data, &size, error))
    return NULL;
  if (size < 32 || memcmp (data, "DKIF", 4) != 0 ||
      memcmp (data + 8, fourcc, 4) != 0) {
    g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
        "%s: not an IVF file of %s", path, fourcc);
    g_free (data);
    return NULL;
  }
  packets = g_array_new (FALSE, TRUE, sizeof (VpxPacket));
  /* The header's own length is at byte 6; packets have a 12-byte header
   * (length, 64-bit timestamp). */
  offset = (guint8) data[6] | (guint8) data[7] << 8;
  while (offset + 12 <= size) {
    const guint8 *h = (const guint8 *) data + offset;
    gsize len = h[0] | h[1] << 8 | h[2] << 16 | (gsize) h[3] << 24;
    VpxPacket p = { 0 };
    gboolean ok;

    if (offset + 12 + len > size)
      break;
    ok = vp9 ? vp9_packet (&slots, h + 12, len, &p)
             : vp8_packet (vp8_size, h + 12, len, &p);
    if (!ok) {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
          "%s: packet %u: not a %s frame", path, packets->len, codec);
      g_array_unref (packets);
      g_free (data);
      return NULL;
    }
    g_array_append_val (packets, p);
    offset += 12 + len;
  }
  g_free (data);
  return packets;
}
