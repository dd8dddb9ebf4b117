#!/bin/sh
# gst-v4l2-elastic: `tools/demo FILE`, run inside the guest.  Any file a
# player can open (MP4, Matroska, WebM, IVF, MPEG-TS, MPEG-2 elementary,
# raw H.264) or a raw FWHT
# stream: finds the video codec (gst-discoverer-1.0; FWHT by its magic),
# decodes it on the virtual driver with our element as playbin3 chooses it
# (FWHT, which has no typefinder: filesrc ! v4l2elasticfwhtdec), prints
# which decoder was chosen, the pool timeline (the element's messages) and
# a frame count and order verdict against the software decoder that
# playbin3 chooses when the V4L2 decoders are ranked out.
#
#   demo-file-guest.sh BUILD_DIR FILE
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -u
build=$1
file=$2
d=/tmp/demo-file
rm -rf "$d"
mkdir -p "$d"
export GST_PLUGIN_PATH_1_0="$build/ext/v4l2elastic"
uri="file://$file"
sink="fakesink silent=false sync=false"

# The codec.
if [ "$(od -An -tx1 -N4 "$file" | tr -d ' ')" = 4f4f4f4f ]; then
  codec=fwht
else
  # Under TCG the default 10 s is not always enough (elementary streams
  # are typefound and parsed by the discoverer itself).
  gst-discoverer-1.0 -t 120 "$file" >"$d/discover.txt" 2>&1
  # Every video stream the discoverer lists, outermost first: an MPEG
  # elementary stream is listed first as what typefinding sees ("MPEG-1
  # Video", no version yet), then as what the parser found.
  videos=$(grep -i 'video #' "$d/discover.txt" | sed 's/.*video #[0-9]*: *//')
  video=$(echo "$videos" | grep -m1 -E '^(H\.264|H\.265|VP8|VP9|MPEG-2)')
  [ -n "$video" ] || video=$(echo "$videos" | head -1)
  case "$video" in
    H.264*) codec=h264 ;;
    H.265*) codec=h265 ;;
    VP9*) codec=vp9 ;;
    VP8*) codec=vp8 ;;
    MPEG-2*) codec=mpeg2 ;;
    *) echo "demo: no video stream we decode in $file (discoverer: ${video:-nothing})"
       sed 's/^/  /' "$d/discover.txt" | head -20
       exit 1 ;;
  esac
fi
ours=v4l2elastic${codec}dec
echo "== $file: $codec, decoded by $ours =="
if ! gst-inspect-1.0 "$ours" >/dev/null 2>&1; then
  echo "demo: $ours is not registered (no decoder for $codec in this guest)"
  exit 1
fi
echo "rank: $(gst-inspect-1.0 "$ours" | sed -n 's/^ *Rank *//p')"

# decode NAME [ENV...]: one pts per frame into $d/NAME.pts, the log kept.
decode() {
  name=$1
  shift
  if [ "$codec" = fwht ]; then
    env "$@" gst-launch-1.0 -m -v filesrc location="$file" ! video/x-fwht \
      ! "$dec" ! $sink >"$d/$name.log" 2>&1
  else
    env "$@" gst-launch-1.0 -m -v playbin3 uri="$uri" flags=video \
      video-sink="$sink" >"$d/$name.log" 2>&1
  fi
  rc=$?
  sed -n 's/.*chain .*pts: \([0-9:.]*\).*/\1/p' "$d/$name.log" >"$d/$name.pts"
  return $rc
}

# The video decoders in a gst-launch -v log, by element name (the paths
# of the caps notifications), without the bins.
decoders() {
  grep -o '/[A-Za-z0-9_]*:[a-z0-9_-]*\.Gst' "$1" | sed 's/.*://; s/\.Gst$//' |
    sed -E 's/(-[0-9]+|[0-9]+)$//' | grep 'dec' | grep -v 'decodebin' |
    sort -u | tr '\n' ' ' | sed 's/ $//'
}

dec=$ours
decode ours || { echo "demo: the decode failed:"; grep -m5 -i 'error' "$d/ours.log"; }
chosen=$(decoders "$d/ours.log")
echo "video decoder in the pipeline: ${chosen:-none found}"

echo "pool timeline (element messages, in order):"
grep 'v4l2elastic-pool,' "$d/ours.log" |
  sed 's/.*event=(string)\([a-z-]*\), buffers=(uint)\([0-9]*\), bytes=(guint64)\([0-9]*\), target=(uint)\([0-9]*\), width=(uint)\([0-9]*\), height=(uint)\([0-9]*\).*/  \1 \2 buffers \3 bytes (target \4) at \5x\6/' |
  awk '{ printf "  %3d %s\n", NR, $0 }'

# The reference: the same player with every V4L2 decoder ranked out.
ranks=
for f in $(gst-inspect-1.0 2>/dev/null | sed -n 's/^[a-z0-9]*: *\(v4l2[a-z0-9]*dec\):.*/\1/p'); do
  ranks="$ranks${ranks:+,}$f:none"
done
if [ "$codec" = fwht ]; then
  echo "verdict: $(wc -l <"$d/ours.pts") frames (no software FWHT decoder in GStreamer;"
  echo "         tools/demo without FILE compares FWHT against vicodec's own decoder)"
  exit 0
fi
decode ref GST_PLUGIN_FEATURE_RANK="$ranks"
refdec=$(decoders "$d/ref.log")
n_ours=$(wc -l <"$d/ours.pts")
n_ref=$(wc -l <"$d/ref.pts")
case " $chosen " in
  *" $ours "*) ;;
  *) echo "verdict: playbin3 did not choose $ours"; exit 1 ;;
esac
if [ "$n_ours" -gt 0 ] && cmp -s "$d/ours.pts" "$d/ref.pts"; then
  echo "verdict: $n_ours frames, the same count and PTS order as ${refdec:-the software decoder}"
else
  echo "verdict: DIFFERENT from ${refdec:-the software decoder} (ours $n_ours frames, reference $n_ref)"
  diff "$d/ref.pts" "$d/ours.pts" | head -10
  exit 1
fi
