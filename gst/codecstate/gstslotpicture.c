/* gst-v4l2-elastic
 *
 * Pictures named by reference slots.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gstslotpicture.h"

/**
 * gst_v4l2_elastic_slot_picture_new:
 *
 * Returns: a picture with one reference, the caller's until it has put it
 * in its slots and let go with gst_v4l2_elastic_slot_picture_unref().
 */
GstV4l2ElasticSlotPicture *
gst_v4l2_elastic_slot_picture_new (gpointer picture, guint64 id)
{
  GstV4l2ElasticSlotPicture *pic = g_new0 (GstV4l2ElasticSlotPicture, 1);

  pic->slot_refs = 1;
  pic->picture = picture;
  pic->id = id;
  return pic;
}

void
gst_v4l2_elastic_slot_picture_unref (
    GstV4l2ElasticSlotPicture *pic, GDestroyNotify picture_free)
{
  if (!pic || --pic->slot_refs > 0)
    return;
  if (picture_free && pic->picture)
    picture_free (pic->picture);
  g_free (pic);
}

/**
 * gst_v4l2_elastic_slot_picture_set:
 * @pic: (nullable): what @slot names from now on
 *
 * Points @slot at @pic, letting go of what it named before (taken first,
 * so that a slot set to what it already names keeps it).
 */
void
gst_v4l2_elastic_slot_picture_set (GstV4l2ElasticSlotPicture **slot,
    GstV4l2ElasticSlotPicture *pic, GDestroyNotify picture_free)
{
  GstV4l2ElasticSlotPicture *old = *slot;

  if (pic)
    pic->slot_refs++;
  *slot = pic;
  gst_v4l2_elastic_slot_picture_unref (old, picture_free);
}

guint
gst_v4l2_elastic_slot_picture_count_distinct (
    GstV4l2ElasticSlotPicture *const *slots, guint n_slots)
{
  guint i, j, n = 0;

  for (i = 0; i < n_slots; i++) {
    if (!slots[i])
      continue;
    for (j = 0; j < i; j++)
      if (slots[j] == slots[i])
        break;
    if (j == i)
      n++;
  }
  return n;
}
