/* gst-v4l2-elastic
 *
 * MPEG-2 video codec state (ISO/IEC 13818-2) on the headers
 * GstMpegVideoParser gives: the sequence in force and when it changes, the
 * quantiser matrices (6.3.11: reset at each sequence header, replaced by
 * quant matrix extensions), the two reference frames and their lifetimes
 * (forward and backward, 7.6), field pairs (two field pictures in one
 * frame buffer), GOP closed/broken link, and the output order: a B frame
 * goes out at once, a reference frame when the next reference frame is
 * complete, at a sequence end code, at a sequence change or at drain.  No
 * V4L2, no GstElement.
 *
 * Pictures are opaque caller pointers, one per frame (both fields of a
 * field pair are one picture).  The state takes references with the
 * caller's ref function for every holder (reference slot, pending output,
 * unfinished field pair) and drops them with the unref function; what it
 * puts in an output array carries one reference for the caller.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_MPEG2_STATE_H__
#define __GST_MPEG2_STATE_H__

#include <gst/codecparsers/gstmpegvideoparser.h>
#include <gst/gst.h>

G_BEGIN_DECLS

typedef gpointer (*GstV4l2ElasticMpeg2Ref) (gpointer picture);

typedef enum
{
  GST_V4L2_ELASTIC_MPEG2_OK,
  /* Nothing to decode: a picture before any sequence header, a P picture
   * without its forward reference, a B picture without both (after a
   * seek, or the leading B pictures of an open GOP). */
  GST_V4L2_ELASTIC_MPEG2_DROP,
  /* Broken or unsupported headers (absurd size, MPEG-1, a header that
   * does not parse): the picture is not decoded. */
  GST_V4L2_ELASTIC_MPEG2_ERROR,
} GstV4l2ElasticMpeg2Result;

/* One reference frame (both fields, for field pairs). */
typedef struct
{
  gpointer picture;
  guint64 id;
} GstV4l2ElasticMpeg2RefSlot;

/* The sequence in force: what the headers before a picture said. */
typedef struct
{
  guint width; /* horizontal_size (12 + 2 bits) */
  guint height;
  guint coded_width; /* macroblock aligned (6.3.3) */
  guint coded_height;
  guint chroma_format; /* 1 4:2:0, 2 4:2:2, 3 4:4:4 */
  gboolean progressive;
  gboolean low_delay;
  guint8 profile_and_level; /* escape bit included, as coded */
  guint32 vbv_buffer_size;  /* value | extension << 10 */
  guint fps_n, fps_d, par_w, par_h;
  gboolean have_display; /* a sequence display extension was seen */
  guint8 colour_primaries, transfer_characteristics, matrix_coefficients;
  gboolean colour_description;
  guint display_width, display_height;
} GstV4l2ElasticMpeg2Sequence;

typedef struct
{
  gboolean new_sequence; /* the first picture of a new sequence */
  const GstV4l2ElasticMpeg2Sequence *sequence;
  GstMpegVideoPictureHdr hdr;
  GstMpegVideoPictureExt ext;
  /* The second field of a field pair: decoded into the frame of the
   * first, named by its id. */
  gboolean second_field;
  guint64 frame_id;
  /* What the picture predicts from; 0: nothing.  A P field pair's second
   * field also predicts from its first field, which the driver knows as
   * the frame being written. */
  guint64 forward_id;
  guint64 backward_id;
  /* The matrices in force, in the coded (zigzag) order. */
  guint8 intra_quantiser_matrix[64];
  guint8 non_intra_quantiser_matrix[64];
  guint8 chroma_intra_quantiser_matrix[64];
  guint8 chroma_non_intra_quantiser_matrix[64];
} GstV4l2ElasticMpeg2PicturePlan;

typedef struct
{
  GstV4l2ElasticMpeg2Ref ref;
  GDestroyNotify unref;

  /* Headers as they come; what they say applies at the next picture. */
  gboolean have_seq_hdr, have_seq_ext, have_display, seq_dirty;
  GstMpegVideoSequenceHdr seq_hdr;
  GstMpegVideoSequenceExt seq_ext;
  GstMpegVideoSequenceDisplayExt display;
  gboolean have_pic_hdr, have_pic_ext;
  GstMpegVideoPictureHdr pic_hdr;
  GstMpegVideoPictureExt pic_ext;

  gboolean active; /* a sequence is in force */
  GstV4l2ElasticMpeg2Sequence sequence;

  guint8 quant[4][64]; /* intra, non-intra, chroma intra, chroma non-intra */

  /* GOP: the B pictures right after the first I picture of a GOP. */
  gboolean closed_gop, broken_link, leading;
  guint gop_refs; /* reference frames since the GOP header */

  /* forward: the older reference frame, backward: the newer one. */
  GstV4l2ElasticMpeg2RefSlot forward, backward;
  gboolean backward_shown; /* the newer reference was output already */

  /* The first field of a pair whose second field has not come. */
  gpointer first_field;
  guint64 first_field_id;
  guint8 first_field_structure;
  guint8 first_field_type;

  /* The picture between begin_picture and end_picture. */
  guint8 cur_type;
  guint8 cur_structure;
  gboolean cur_second_field;
} GstV4l2ElasticMpeg2State;

/* Reference frames a picture may predict from, and how many frames the
 * output order holds back (the newer reference, until the next one). */
#define GST_V4L2_ELASTIC_MPEG2_STATE_REFERENCES 2
#define GST_V4L2_ELASTIC_MPEG2_STATE_REORDER 1

void gst_v4l2_elastic_mpeg2_state_init (GstV4l2ElasticMpeg2State *state,
    GstV4l2ElasticMpeg2Ref ref, GDestroyNotify unref);
void gst_v4l2_elastic_mpeg2_state_reset (GstV4l2ElasticMpeg2State *state);
void gst_v4l2_elastic_mpeg2_state_clear (GstV4l2ElasticMpeg2State *state);

/* Every non-slice packet of the stream, in order.  Sequence end codes
 * output the held reference into @output. */
GstV4l2ElasticMpeg2Result gst_v4l2_elastic_mpeg2_state_push_header (
    GstV4l2ElasticMpeg2State *state, const GstMpegVideoPacket *packet,
    GPtrArray *output);

/* At the first slice of a picture.  Pictures that must go out before it
 * (a sequence change) are put into @output, in order. */
GstV4l2ElasticMpeg2Result gst_v4l2_elastic_mpeg2_state_begin_picture (
    GstV4l2ElasticMpeg2State *state, GstV4l2ElasticMpeg2PicturePlan *plan,
    GPtrArray *output);

/* After the picture planned last was decoded into @picture (for a second
 * field: the frame of its first field again).  Complete frames due for
 * output are put into @output. */
void gst_v4l2_elastic_mpeg2_state_end_picture (GstV4l2ElasticMpeg2State *state,
    gpointer picture, guint64 id, GPtrArray *output);

/* The picture planned last was not decoded: it is forgotten, and so is a
 * field pair it belonged to. */
void gst_v4l2_elastic_mpeg2_state_abort_picture (
    GstV4l2ElasticMpeg2State *state, GPtrArray *output);

/* A first field that will have no second field (the caller could not
 * decode it as one): complete its frame now, as the frame it is. */
void gst_v4l2_elastic_mpeg2_state_finish_field (
    GstV4l2ElasticMpeg2State *state, GPtrArray *output);

/* The first field of an unfinished pair, or NULL. */
#define GST_V4L2_ELASTIC_MPEG2_STATE_PENDING_FIELD(state) ((state)->first_field)

/* End of stream or drain: everything not output yet goes out; the
 * references stay. */
void gst_v4l2_elastic_mpeg2_state_drain (
    GstV4l2ElasticMpeg2State *state, GPtrArray *output);

/* The frames the state holds (reference slots and unfinished pair). */
guint gst_v4l2_elastic_mpeg2_state_held_pictures (
    const GstV4l2ElasticMpeg2State *state);

G_END_DECLS

#endif /* __GST_MPEG2_STATE_H__ */
