/* gst-v4l2-elastic
 *
 * A decoded picture named by reference slots (VP8's last/golden/altref,
 * VP9's eight slots): several slots may name one picture, which is freed
 * when no slot names it any more.  Shared by the VP8 and VP9 states.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_SLOT_PICTURE_H__
#define __GST_SLOT_PICTURE_H__

#include <glib.h>

G_BEGIN_DECLS

typedef struct _GstSlotPicture GstV4l2ElasticSlotPicture;

struct _GstSlotPicture
{
  gint slot_refs;
  gpointer picture;    /* the caller's, freed with picture_free */
  guint64 id;          /* the caller's name for it */
  guint width, height; /* frame size, where the codec needs it */
};

GstV4l2ElasticSlotPicture *gst_v4l2_elastic_slot_picture_new (
    gpointer picture, guint64 id);
void gst_v4l2_elastic_slot_picture_unref (
    GstV4l2ElasticSlotPicture *pic, GDestroyNotify picture_free);
void gst_v4l2_elastic_slot_picture_set (GstV4l2ElasticSlotPicture **slot,
    GstV4l2ElasticSlotPicture *pic, GDestroyNotify picture_free);

/* How many distinct pictures @n_slots slots name (empty slots ignored). */
guint gst_v4l2_elastic_slot_picture_count_distinct (
    GstV4l2ElasticSlotPicture *const *slots, guint n_slots);

G_END_DECLS

#endif /* __GST_SLOT_PICTURE_H__ */
