/* gst-v4l2-elastic
 *
 * H.264 avcC records and length-prefixed NAL units to Annex B.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "gsth264avc.h"

#include <string.h>

/* The NAL header's type field. */
#define NAL_TYPE(b) ((b) &0x1f)
#define NAL_SPS 7
#define NAL_PPS 8

#define AVC_ERROR (g_quark_from_static_string ("v4l2elastic-h264-avc"))

static const guint8 start_code[3] = { 0, 0, 1 };

static void
append_nal (GByteArray *out, const guint8 *nal, gsize size)
{
  g_byte_array_append (out, start_code, sizeof (start_code));
  g_byte_array_append (out, nal, size);
}

/* Reads the parameter set list at *pos: a count (masked by @count_mask),
 * then 16-bit length-prefixed NAL units, each of type @type. */
static gboolean
read_parameter_sets (const guint8 *data, gsize size, gsize *pos,
    guint8 count_mask, guint type, guint *count, GByteArray *out,
    GError **error)
{
  const gchar *what = type == NAL_SPS ? "SPS" : "PPS";
  guint i, n;

  if (*pos >= size) {
    g_set_error (error, AVC_ERROR, 0, "avcC ends before its %s count", what);
    return FALSE;
  }
  n = data[(*pos)++] & count_mask;
  for (i = 0; i < n; i++) {
    gsize len;

    if (size - *pos < 2) {
      g_set_error (
          error, AVC_ERROR, 0, "avcC ends inside the length of %s %u", what, i);
      return FALSE;
    }
    len = ((gsize) data[*pos] << 8) | data[*pos + 1];
    *pos += 2;
    if (len == 0 || len > size - *pos) {
      g_set_error (error, AVC_ERROR, 0,
          "avcC %s %u has %s length %" G_GSIZE_FORMAT, what, i,
          len == 0 ? "a zero" : "an overlong", len);
      return FALSE;
    }
    if (NAL_TYPE (data[*pos]) != type) {
      g_set_error (error, AVC_ERROR, 0, "avcC %s %u is a NAL unit of type %u",
          what, i, NAL_TYPE (data[*pos]));
      return FALSE;
    }
    if (out)
      append_nal (out, data + *pos, len);
    *pos += len;
  }
  *count = n;
  return TRUE;
}

/**
 * gst_v4l2_elastic_h264_avcc_parse:
 * @data: an AVCDecoderConfigurationRecord (the codec_data of
 *   video/x-h264,stream-format=avc or avc3)
 * @config: (out): what the record says
 * @parameter_sets: (nullable): receives its SPS and PPS NAL units, each
 *   behind a 3-byte start code, in record order (SPS first)
 *
 * Reads the record with bounds checks.  A record whose NAL length size is
 * 3 (not allowed by ISO/IEC 14496-15), whose version is not 1, or whose
 * lists run past its end or hold the wrong NAL types is refused.  Bytes
 * after the PPS list (the High profile extension) are ignored.
 */
gboolean
gst_v4l2_elastic_h264_avcc_parse (const guint8 *data, gsize size,
    GstV4l2ElasticH264AvcConfig *config, GByteArray *parameter_sets,
    GError **error)
{
  guint start = parameter_sets ? parameter_sets->len : 0;
  gsize pos = 6;

  memset (config, 0, sizeof (*config));
  if (!data || size < 7) {
    g_set_error (error, AVC_ERROR, 0,
        "avcC too short (%" G_GSIZE_FORMAT " bytes, at least 7)", size);
    return FALSE;
  }
  if (data[0] != 1) {
    g_set_error (error, AVC_ERROR, 0, "avcC version %u, not 1", data[0]);
    return FALSE;
  }
  config->profile_idc = data[1];
  config->profile_compatibility = data[2];
  config->level_idc = data[3];
  config->nal_length_size = (data[4] & 0x03) + 1;
  if (config->nal_length_size == 3) {
    g_set_error (error, AVC_ERROR, 0, "avcC NAL length size 3 is not allowed");
    return FALSE;
  }
  pos = 5;
  if (!read_parameter_sets (data, size, &pos, 0x1f, NAL_SPS, &config->n_sps,
          parameter_sets, error) ||
      !read_parameter_sets (data, size, &pos, 0xff, NAL_PPS, &config->n_pps,
          parameter_sets, error)) {
    if (parameter_sets)
      g_byte_array_set_size (parameter_sets, start);
    return FALSE;
  }
  return TRUE;
}

/**
 * gst_v4l2_elastic_h264_avc_to_annexb:
 * @data: NAL units, each behind a big-endian length of @nal_length_size
 *   bytes (one access unit of stream-format avc or avc3)
 * @out: receives the same NAL units, each behind a 3-byte start code
 *   (appended)
 *
 * Refuses a length that runs past the end, a zero length, and bytes left
 * over that cannot hold a length; @out is then left as it was.
 */
gboolean
gst_v4l2_elastic_h264_avc_to_annexb (const guint8 *data, gsize size,
    guint nal_length_size, GByteArray *out, GError **error)
{
  guint start = out->len;
  gsize pos = 0;
  guint index = 0;

  if (nal_length_size != 1 && nal_length_size != 2 && nal_length_size != 4) {
    g_set_error (
        error, AVC_ERROR, 0, "NAL length size %u (1, 2 or 4)", nal_length_size);
    return FALSE;
  }
  while (pos < size) {
    gsize len = 0;
    guint i;

    if (size - pos < nal_length_size) {
      g_set_error (error, AVC_ERROR, 0,
          "%" G_GSIZE_FORMAT " byte(s) after NAL unit %u cannot hold a "
          "%u-byte length",
          size - pos, index, nal_length_size);
      goto fail;
    }
    for (i = 0; i < nal_length_size; i++)
      len = (len << 8) | data[pos + i];
    pos += nal_length_size;
    if (len == 0 || len > size - pos) {
      g_set_error (error, AVC_ERROR, 0,
          "NAL unit %u has %s length %" G_GSIZE_FORMAT " (%" G_GSIZE_FORMAT
          " byte(s) left)",
          index, len == 0 ? "a zero" : "an overlong", len, size - pos);
      goto fail;
    }
    append_nal (out, data + pos, len);
    pos += len;
    index++;
  }
  return TRUE;

fail:
  g_byte_array_set_size (out, start);
  return FALSE;
}
