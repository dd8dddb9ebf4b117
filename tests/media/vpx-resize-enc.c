/* gst-v4l2-elastic: VP9/VP8 test streams whose frame size changes
 * mid-stream, written as IVF.
 *
 *   v4l2elastic-vpx-resize-enc [--codec vp9|vp8] [--error-resilient]
 *       [--log FILE] OUTPUT.ivf WxH:FRAMES[:key] [WxH:FRAMES[:key]...]
 *
 * Encodes a synthetic moving pattern with libvpx's encoder API.  Each
 * WxH:FRAMES segment changes the encoder's g_w/g_h with
 * vpx_codec_enc_config_set() and does NOT ask for a key frame: VP9 then
 * codes the first frame of the new size as an inter frame that predicts
 * from scaled references of the old size (as WebRTC encoders do).  The
 * encoder is created at the largest size of the list, because libvpx
 * forces a key frame when a stream grows beyond its initial size; VP8
 * always starts a new size with a key frame.  A segment marked ":key"
 * starts with a forced key frame (to see a decoder recover).
 *
 * One line per packet goes to standard output (or FILE):
 *   packet N pts P WxH key|inter [hidden]
 * so that a test can cross-check the frame types it reads back from the
 * stream itself.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#define MAX_SEGMENTS 32
#define FPS 30

typedef struct
{
  unsigned int width, height, frames;
  int key;
} Segment;

static void
put_le16 (uint8_t *p, unsigned int v)
{
  p[0] = v & 0xff;
  p[1] = (v >> 8) & 0xff;
}

static void
put_le32 (uint8_t *p, uint32_t v)
{
  put_le16 (p, v & 0xffff);
  put_le16 (p + 2, v >> 16);
}

static int
write_ivf_header (FILE *f, const char *fourcc, unsigned int width,
    unsigned int height, uint32_t frames)
{
  uint8_t h[32] = { 'D', 'K', 'I', 'F' };

  put_le16 (h + 4, 0);
  put_le16 (h + 6, 32);
  memcpy (h + 8, fourcc, 4);
  put_le16 (h + 12, width);
  put_le16 (h + 14, height);
  put_le32 (h + 16, FPS);
  put_le32 (h + 20, 1);
  put_le32 (h + 24, frames);
  return fwrite (h, sizeof (h), 1, f) == 1 ? 0 : -1;
}

static int
write_ivf_frame (FILE *f, const void *data, size_t size, int64_t pts)
{
  uint8_t h[12];

  put_le32 (h, (uint32_t) size);
  put_le32 (h + 4, (uint32_t) ((uint64_t) pts & 0xffffffffu));
  put_le32 (h + 8, (uint32_t) ((uint64_t) pts >> 32));
  if (fwrite (h, sizeof (h), 1, f) != 1 || fwrite (data, size, 1, f) != 1)
    return -1;
  return 0;
}

/* Diagonal luma ramps and a bright square that move with the frame
 * number, chroma bands: enough motion and detail for real inter
 * prediction, and the same at every size. */
static void
draw_frame (vpx_image_t *img, unsigned int n)
{
  unsigned int x, y, plane;
  unsigned int sq = img->d_w / 5, sx, sy;

  sx = (n * 7) % (img->d_w - sq);
  sy = (n * 3) % (img->d_h - sq);
  for (y = 0; y < img->d_h; y++) {
    uint8_t *row = img->planes[0] + (size_t) y * img->stride[0];
    for (x = 0; x < img->d_w; x++) {
      int inside = x >= sx && x < sx + sq && y >= sy && y < sy + sq;
      row[x] = inside ? 235 : (uint8_t) (16 + ((x + y + 2 * n) % 200));
    }
  }
  for (plane = 1; plane < 3; plane++) {
    unsigned int cw = (img->d_w + 1) / 2, ch = (img->d_h + 1) / 2;
    for (y = 0; y < ch; y++) {
      uint8_t *row = img->planes[plane] + (size_t) y * img->stride[plane];
      for (x = 0; x < cw; x++)
        row[x] = (uint8_t) (plane == 1 ? 64 + (x * 128) / cw
                                       : 64 + ((y + n) % ch) * 128 / ch);
    }
  }
}

static int
parse_segment (const char *s, Segment *seg)
{
  char extra[8] = "";
  int n = sscanf (
      s, "%ux%u:%u:%7s", &seg->width, &seg->height, &seg->frames, extra);

  seg->key = n == 4 && strcmp (extra, "key") == 0;
  if ((n != 3 && !seg->key) || seg->width < 16 || seg->height < 16 ||
      seg->frames == 0 || seg->width > 4096 || seg->height > 4096)
    return -1;
  return 0;
}

static void
usage (void)
{
  fprintf (stderr,
      "usage: v4l2elastic-vpx-resize-enc [--codec vp9|vp8] "
      "[--error-resilient] [--log FILE] OUTPUT.ivf WxH:FRAMES[:key] ...\n");
}

int
main (int argc, char **argv)
{
  Segment segs[MAX_SEGMENTS];
  unsigned int n_segs = 0, max_w = 0, max_h = 0, i, n = 0;
  int vp8 = 0, resilient = 0, argi = 1;
  const char *out_path;
  vpx_codec_iface_t *iface;
  vpx_codec_enc_cfg_t cfg;
  vpx_codec_ctx_t codec;
  vpx_image_t *img = NULL;
  uint32_t packets = 0;
  FILE *out, *log = stdout;
  int ret = 1;

  for (; argi < argc && strncmp (argv[argi], "--", 2) == 0; argi++) {
    if (strcmp (argv[argi], "--codec") == 0 && argi + 1 < argc) {
      const char *c = argv[++argi];
      if (strcmp (c, "vp8") == 0)
        vp8 = 1;
      else if (strcmp (c, "vp9") != 0) {
        usage ();
        return 2;
      }
    } else if (strcmp (argv[argi], "--error-resilient") == 0) {
      resilient = 1;
    } else if (strcmp (argv[argi], "--log") == 0 && argi + 1 < argc) {
      log = fopen (argv[++argi], "w");
      if (!log) {
        fprintf (stderr, "%s: %s\n", argv[argi], strerror (errno));
        return 1;
      }
    } else {
      usage ();
      return 2;
    }
  }
  if (argc - argi < 2) {
    usage ();
    return 2;
  }
  out_path = argv[argi++];
  for (; argi < argc; argi++) {
    if (n_segs == MAX_SEGMENTS || parse_segment (argv[argi], &segs[n_segs])) {
      fprintf (stderr, "bad segment '%s' (WxH:FRAMES[:key], at most %d)\n",
          argv[argi], MAX_SEGMENTS);
      return 2;
    }
    if (segs[n_segs].width > max_w)
      max_w = segs[n_segs].width;
    if (segs[n_segs].height > max_h)
      max_h = segs[n_segs].height;
    n_segs++;
  }

  iface = vp8 ? vpx_codec_vp8_cx () : vpx_codec_vp9_cx ();
  if (vpx_codec_enc_config_default (iface, &cfg, 0)) {
    fprintf (stderr, "vpx_codec_enc_config_default failed\n");
    return 1;
  }
  /* Created at the largest size (see the top of the file); one pass, no
   * look-ahead: libvpx refuses a size change otherwise. */
  cfg.g_w = max_w;
  cfg.g_h = max_h;
  cfg.g_timebase.num = 1;
  cfg.g_timebase.den = FPS;
  cfg.rc_target_bitrate = 400;
  cfg.g_pass = VPX_RC_ONE_PASS;
  cfg.g_lag_in_frames = 0;
  cfg.kf_mode = VPX_KF_DISABLED;
  cfg.g_error_resilient = resilient ? VPX_ERROR_RESILIENT_DEFAULT : 0;
  cfg.g_threads = 1;
  if (vpx_codec_enc_init (&codec, iface, &cfg, 0)) {
    fprintf (stderr, "vpx_codec_enc_init: %s\n", vpx_codec_error (&codec));
    return 1;
  }
  vpx_codec_control (&codec, VP8E_SET_CPUUSED, 8);

  out = fopen (out_path, "wb");
  if (!out) {
    fprintf (stderr, "%s: %s\n", out_path, strerror (errno));
    goto done;
  }
  if (write_ivf_header (out, vp8 ? "VP80" : "VP90", max_w, max_h, 0))
    goto io_error;

  for (i = 0; i < n_segs; i++) {
    unsigned int f;

    if (cfg.g_w != segs[i].width || cfg.g_h != segs[i].height) {
      cfg.g_w = segs[i].width;
      cfg.g_h = segs[i].height;
      /* No VPX_EFLAG_FORCE_KF: the point of these streams. */
      if (vpx_codec_enc_config_set (&codec, &cfg)) {
        fprintf (stderr, "vpx_codec_enc_config_set %ux%u: %s\n", cfg.g_w,
            cfg.g_h,
            vpx_codec_error_detail (&codec) ? vpx_codec_error_detail (&codec)
                                            : vpx_codec_error (&codec));
        goto done;
      }
    }
    vpx_img_free (img);
    img = vpx_img_alloc (
        NULL, VPX_IMG_FMT_I420, segs[i].width, segs[i].height, 16);
    if (!img) {
      fprintf (stderr, "vpx_img_alloc failed\n");
      goto done;
    }
    for (f = 0; f <= segs[i].frames; f++) {
      /* the last round of the last segment flushes the encoder */
      int flush = f == segs[i].frames;
      vpx_codec_iter_t iter = NULL;
      const vpx_codec_cx_pkt_t *pkt;

      if (flush && i + 1 < n_segs)
        break;
      if (!flush)
        draw_frame (img, n);
      if (vpx_codec_encode (&codec, flush ? NULL : img, n, 1,
              f == 0 && segs[i].key ? VPX_EFLAG_FORCE_KF : 0,
              VPX_DL_REALTIME)) {
        fprintf (stderr, "vpx_codec_encode: %s\n", vpx_codec_error (&codec));
        goto done;
      }
      while ((pkt = vpx_codec_get_cx_data (&codec, &iter))) {
        if (pkt->kind != VPX_CODEC_CX_FRAME_PKT)
          continue;
        if (write_ivf_frame (out, pkt->data.frame.buf, pkt->data.frame.sz,
                pkt->data.frame.pts))
          goto io_error;
        fprintf (log, "packet %u pts %lld %ux%u %s%s\n", packets,
            (long long) pkt->data.frame.pts, cfg.g_w, cfg.g_h,
            (pkt->data.frame.flags & VPX_FRAME_IS_KEY) ? "key" : "inter",
            (pkt->data.frame.flags & VPX_FRAME_IS_INVISIBLE) ? " hidden" : "");
        packets++;
      }
      if (!flush)
        n++;
    }
  }

  /* the frame count in the header */
  if (fseek (out, 24, SEEK_SET) == 0) {
    uint8_t c[4];
    put_le32 (c, packets);
    if (fwrite (c, sizeof (c), 1, out) != 1)
      goto io_error;
  }
  if (fclose (out)) {
    out = NULL;
    goto io_error;
  }
  out = NULL;
  ret = 0;
  goto done;

io_error:
  fprintf (stderr, "%s: write failed: %s\n", out_path, strerror (errno));
done:
  if (out)
    fclose (out);
  vpx_img_free (img);
  vpx_codec_destroy (&codec);
  if (log != stdout && fclose (log) != 0)
    ret = 1;
  return ret;
}
