/* gst-v4l2-elastic
 *
 * The one bound every codec state puts on a frame size taken from a
 * stream header, before any arithmetic or allocation uses it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef __GST_CODEC_LIMITS_H__
#define __GST_CODEC_LIMITS_H__

/* The largest frame width and height, in pixels, a codec state accepts:
 * 16384.  Why this value:
 *
 *   - it is above what any valid stream of ours needs: vicodec's FWHT
 *     stops at 4096x2160; H.264 level 6.2, the highest (A.3.1, Table
 *     A-1), allows 8192x4320 and at most sqrt (8 * MaxFS) = 1055
 *     macroblocks (16880 pixels) along one side of an extremely narrow
 *     picture, which no V4L2 decoder takes; VP8 codes 14-bit sizes (at
 *     most 16383); VP9 codes 16-bit sizes (up to 65536), far beyond what
 *     its V4L2 decoders take;
 *   - below it, everything derived from a size fits 32 bits: 16384 *
 *     16384 pixels * 4 bytes (4:4:4 with alpha) is 1 GiB, so sizeimage
 *     (a __u32 in V4L2), width * height * 3 / 2 and the macroblock count
 *     (1024 * 1024) cannot wrap, and a size can never wrap to 0.
 *
 * Drivers refuse what they cannot decode when the format is set; this
 * bound only keeps broken or hostile headers (a width of 0, an H.264
 * PicWidthInMbs * FrameHeightInMbs that wraps to 0) out of the states'
 * arithmetic. */
#define GST_V4L2_ELASTIC_MAX_DIMENSION 16384u

#endif /* __GST_CODEC_LIMITS_H__ */
