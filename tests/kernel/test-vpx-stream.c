/* gst-v4l2-elastic: vpx-stream.c (the pool-run tool's reading of an IVF
 * VP8/VP9 stream) against the generator's own per-packet account.
 *
 *   test-vpx-stream STREAM.ivf STREAM.txt [STREAM.ivf STREAM.txt...]
 *
 * The .txt files are v4l2elastic-vpx-resize-enc's log ("packet N pts P
 * WxH key|inter [hidden]", libvpx's own flags and the configured size):
 * for every packet the key flag, whether a frame is shown and the shown
 * size must match what vpx-stream.c reads from the bitstream.  TAP.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <string.h>

#include "vpx-stream.h"

static gboolean
check_stream (const gchar *ivf, const gchar *txt, gchar **why)
{
  gchar *head = NULL, *log = NULL, **lines = NULL;
  gsize head_len = 0;
  const gchar *codec;
  GArray *packets = NULL;
  GError *error = NULL;
  guint i, n = 0, changes = 0;
  gboolean ok = FALSE;

  if (!g_file_get_contents (ivf, &head, &head_len, &error) ||
      !g_file_get_contents (txt, &log, NULL, &error)) {
    *why = g_strdup (error->message);
    goto out;
  }
  codec = head_len >= 12 && memcmp (head + 8, "VP80", 4) == 0 ? "vp8" : "vp9";
  packets = vpx_stream_parse (ivf, codec, &error);
  if (!packets) {
    *why = g_strdup (error->message);
    goto out;
  }
  lines = g_strsplit (log, "\n", -1);
  for (i = 0; lines[i]; i++) {
    guint idx, w, h;
    long long pts;
    gchar kind[8] = "", hidden[8] = "";
    VpxPacket *p;
    gboolean shows;

    if (!*lines[i])
      continue;
    if (sscanf (lines[i], "packet %u pts %lld %ux%u %7s %7s", &idx, &pts, &w,
            &h, kind, hidden) < 5 ||
        idx != n) {
      *why = g_strdup_printf ("%s: cannot read line %u", txt, i + 1);
      goto out;
    }
    if (idx >= packets->len) {
      *why = g_strdup_printf ("packet %u: not found in the stream", idx);
      goto out;
    }
    p = &g_array_index (packets, VpxPacket, idx);
    shows = strcmp (hidden, "hidden") != 0;
    if (p->key != (strcmp (kind, "key") == 0) || p->shows != shows ||
        (shows && (p->width != w || p->height != h))) {
      *why = g_strdup_printf ("packet %u: read %s %ux%u%s, generator %s "
                              "%ux%u%s",
          idx, p->key ? "key" : "inter", p->width, p->height,
          p->shows ? "" : " hidden", kind, w, h, shows ? "" : " hidden");
      goto out;
    }
    if (idx > 0 && shows &&
        (g_array_index (packets, VpxPacket, idx - 1).width != w ||
            g_array_index (packets, VpxPacket, idx - 1).height != h))
      changes++;
    n++;
  }
  if (n == 0 || n != packets->len || changes == 0) {
    *why = g_strdup_printf ("%u packets in the log, %u in the stream, %u "
                            "size changes (a stream without one proves "
                            "little)",
        n, packets->len, changes);
    goto out;
  }
  *why = g_strdup_printf ("%s: %u packets, %u size changes", codec, n, changes);
  ok = TRUE;
out:
  g_clear_error (&error);
  g_strfreev (lines);
  if (packets)
    g_array_unref (packets);
  g_free (head);
  g_free (log);
  return ok;
}

int
main (int argc, char **argv)
{
  gint i, failed = 0;

  if (argc < 3 || argc % 2 != 1) {
    g_printerr ("usage: %s STREAM.ivf STREAM.txt...\n", argv[0]);
    return 2;
  }
  printf ("1..%d\n", (argc - 1) / 2);
  for (i = 1; i + 1 < argc; i += 2) {
    gchar *why = NULL, *name = g_path_get_basename (argv[i]);
    gboolean ok = check_stream (argv[i], argv[i + 1], &why);

    printf ("%s %d - %s: %s\n", ok ? "ok" : "not ok", (i + 1) / 2, name, why);
    failed |= !ok;
    g_free (why);
    g_free (name);
  }
  return failed;
}
