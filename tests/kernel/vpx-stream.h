/* gst-v4l2-elastic: what an IVF file of VP8 or VP9 says about its frame
 * sizes, for the pool-run tool (h264-pool-run.c --codec vp8|vp9).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef VPX_STREAM_H
#define VPX_STREAM_H

#include <glib.h>

typedef struct
{
  guint width, height; /* of the frame the packet shows; 0: shows none */
  gboolean key;        /* the packet holds a key frame */
  gboolean shows;      /* the packet shows a frame */
} VpxPacket;

/* Reads every IVF packet of PATH; CODEC is "vp8" or "vp9".  For VP9 the
 * size of an inter frame may come from a reference slot, so the slots are
 * followed through refresh_frame_flags; superframes are split with their
 * index.  Returns the packets (free with g_array_unref), or NULL with
 * *error set when the file is not an IVF stream of that codec. */
GArray *vpx_stream_parse (
    const gchar *path, const gchar *codec, GError **error);

#endif
