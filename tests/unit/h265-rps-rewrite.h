/* gst-v4l2-elastic
 *
 * Rewrites an x265 stream so that its short-term RPSs live in the SPS,
 * each set but the first coded by inter-RPS prediction from the one
 * before where it can be (7.3.7), and every slice names its set by
 * short_term_ref_pic_set_idx: the syntax x265 never writes.  For the
 * output order test; test code, not the plugin's.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __H265_RPS_REWRITE_H__
#define __H265_RPS_REWRITE_H__

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  guint sets;       /* num_short_term_ref_pic_sets written */
  guint inter_sets; /* of them, inter-RPS predicted */
  guint slices;     /* slices that now name an SPS set */
} H265RpsRewriteStats;

/* @aus: byte-stream access units (GstBuffer), rewritten in place.  The
 * streams it takes: one slice per picture, no scaling lists, no PCM, no
 * long-term references.  FALSE (and a message) for anything else. */
gboolean h265_rps_rewrite (
    GPtrArray *aus, H265RpsRewriteStats *stats, gchar **message);

G_END_DECLS

#endif /* __H265_RPS_REWRITE_H__ */
