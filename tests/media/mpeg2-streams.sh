#!/bin/sh
# gst-v4l2-elastic: the MPEG-2 corpus of tests/kernel/mpeg2-visl.sh, made
# on the host at build time (tests/kernel/meson.build) with ffmpeg's
# mpeg2video encoder and GStreamer's mpeg2enc (mjpegtools), with
# avdec_mpeg2video's decode of each and an independent reader's summary
# of what each stream holds (mpeg2-stream-info.py).
#
#   mpeg2-streams.sh OUT_DIR [STAMP]
#
#   ionly       I pictures only (-g 1)
#   ip          I and P pictures, no B (-bf 0)
#   ibbp-open   two B pictures between references, GOPs after the first
#               open (ffmpeg's default)
#   ibbp-closed the same with every GOP closed (-flags +cgop)
#   interlaced  frame pictures of an interlaced sequence (+ildct+ilme,
#               top field first), 176x144: coded height 160
#   altscan     alternate scan, intra_vlc_format, q_scale_type (non-linear
#               quantiser), fixed -qscale
#   matrices    mpeg2enc, 352x288: loaded (KVCD) quantiser matrices, 3:2 pull-down
#               (repeat_first_field, alternating top_field_first), an
#               interlaced sequence of I and P pictures
#   mix         the six above, one after the other
#   resize      176x144 -> 352x288 (no end code between) -> 320x240 (a
#               sequence end code before it) -> 176x144 (no end code):
#               three size changes at sequence headers
# Each NAME.m2v comes with NAME.info (the summary), NAME.ref (the PTS of
# every frame avdec_mpeg2video outputs) and NAME.ref.size (its output
# sizes, in order).  STAMP is touched when everything was written.
#
# SPDX-License-Identifier: LGPL-2.1-or-later
set -eu
out=$1
stamp=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$out"
mkdir -p "$out/seg"

# enc NAME SIZE FRAMES FFMPEG-OPTIONS...
enc() {
  name=$1 size=$2 frames=$3
  shift 3
  ffmpeg -nostdin -v error -y -f lavfi -i "testsrc2=size=$size:rate=25" \
    -frames:v "$frames" -pix_fmt yuv420p -threads 1 -c:v mpeg2video \
    -b:v 400k "$@" -f mpeg2video "$out/seg/$name.m2v"
}

enc ionly 176x144 8 -g 1
enc ip 176x144 12 -bf 0 -g 6
enc ibbp-open 176x144 20 -bf 2 -g 6
enc ibbp-closed 176x144 20 -bf 2 -g 6 -flags +cgop -sc_threshold 1000000000
enc interlaced 176x144 12 -bf 2 -g 6 -flags +ildct+ilme -top 1
enc altscan 176x144 12 -bf 2 -g 6 -alternate_scan 1 -intra_vlc 1 \
  -non_linear_quant 1 -qmax 28 -qscale:v 5
enc r1 176x144 8 -bf 2 -g 4
enc r2 352x288 8 -bf 2 -g 4
enc r3 320x240 8 -bf 2 -g 4
for s in ionly ip ibbp-open ibbp-closed interlaced altscan; do
  cp "$out/seg/$s.m2v" "$out/$s.m2v"
done
# All of them in one stream (one size, sequences of other parameters):
# one decode in the TCG guest instead of six.
cat "$out/ionly.m2v" "$out/ip.m2v" "$out/ibbp-open.m2v" \
  "$out/ibbp-closed.m2v" "$out/interlaced.m2v" "$out/altscan.m2v" >"$out/mix.m2v"
# A sequence end code before the third segment only.
{
  cat "$out/seg/r1.m2v" "$out/seg/r2.m2v"
  printf '\000\000\001\267'
  cat "$out/seg/r3.m2v" "$out/seg/r1.m2v"
} >"$out/resize.m2v"

# mpeg2enc where it is (gst-plugins-bad with mjpegtools); the guest test
# fails on the missing stream otherwise.
streams="ionly ip ibbp-open ibbp-closed interlaced altscan mix resize seek-open"
gst-inspect-1.0 mpeg2enc >/dev/null 2>&1 && streams="$streams matrices" &&
gst-launch-1.0 -q videotestsrc num-buffers=12 pattern=ball \
  ! video/x-raw,format=I420,width=352,height=288,framerate=24000/1001 \
  ! mpeg2enc format=3 framerate=1 pulldown-3-2=true quant-matrix=2 \
  ! filesink location="$out/matrices.m2v" >"$out/seg/matrices.log" 2>&1

# decode NAME DECODER OUT: as tests/kernel/mpeg2-visl.sh does.
decode() {
  gst-launch-1.0 -v filesrc location="$out/$1.m2v" ! mpegvideoparse ! "$2" \
    ! fakesink silent=false >"$3.log" 2>&1
  grep 'last-message = chain' "$3.log" | sed 's/.*pts: \([^,]*\),.*/\1/' >"$3"
  grep 'fakesink0.GstPad:sink: caps = ' "$3.log" |
    sed -n 's/.*width=(int)\([0-9]*\), height=(int)\([0-9]*\).*/\1x\2/p' |
    uniq >"$3.size"
}

# Bad input.  seek-open: the sequence header of ibbp-open, then its
# stream from the second GOP on (open: its two leading B pictures predict
# from a P picture that is not there, as after a seek); absurd: ionly with
# every sequence header saying 16383x16383 (the largest MPEG-2 codes);
# fields: see below.
/usr/bin/python3 - "$out" <<'PY'
import sys
out = sys.argv[1]
data = open(out + "/ibbp-open.m2v", "rb").read()
gops = [i for i in range(len(data) - 3) if data[i:i + 4] == b"\x00\x00\x01\xb8"]
seq_end = gops[0]
second = gops[1]
# the sequence header + extension before the second GOP's header
start = data.rfind(b"\x00\x00\x01\xb3", 0, second)
open(out + "/seek-open.m2v", "wb").write(data[:seq_end] + data[second:])
src = bytearray(open(out + "/ionly.m2v", "rb").read())
absurd = bytearray(src)
i = src.find(b"\x00\x00\x01\xb3")
while i >= 0:
    absurd[i + 4:i + 7] = b"\xff\xff\xff"
    j = src.find(b"\x00\x00\x01\xb5", i)
    # horizontal/vertical_size_extension: payload bits 15..18
    absurd[j + 5] |= 0x01
    absurd[j + 6] |= 0xe0
    i = src.find(b"\x00\x00\x01\xb3", i + 4)
open(out + "/absurd.m2v", "wb").write(absurd)
# fields: interlaced with every frame picture rewritten as a field pair
# (no Debian 12 encoder writes field pictures): the picture header and
# extensions twice, picture_structure top then bottom,
# frame_pred_frame_dct 0, each field with half the frame's slices.  The
# slice data is not a valid field any more: for visl, which decodes
# nothing, and for the controls and the pairing, not for pixels.
d = open(out + "/interlaced.m2v", "rb").read()
pos = [i for i in range(len(d) - 3) if d[i:i + 3] == b"\x00\x00\x01"]
units = [d[a:b] for a, b in zip(pos, pos[1:] + [len(d)])]
fields = bytearray()
k = 0
while k < len(units):
    if units[k][3] != 0x00:
        fields += units[k]
        k += 1
        continue
    hdr, j, exts, slices = units[k], k + 1, [], []
    while j < len(units) and units[j][3] == 0xB5:
        exts.append(units[j])
        j += 1
    while j < len(units) and 0x01 <= units[j][3] <= 0xAF:
        slices.append(units[j])
        j += 1
    for structure in (1, 2):
        fields += hdr
        for e in exts:
            e = bytearray(e)
            if e[4] >> 4 == 8:
                e[6] = (e[6] & 0xFC) | structure
                e[7] &= 0xBF
            fields += e
        for sl in slices[: (len(slices) + 1) // 2]:
            fields += sl
    k = j
open(out + "/fields.m2v", "wb").write(fields)
PY

for s in $streams; do
  /usr/bin/python3 "$here/mpeg2-stream-info.py" "$out/$s.m2v" >"$out/$s.info"
  decode "$s" avdec_mpeg2video "$out/$s.ref"
  [ -s "$out/$s.ref" ] || { echo "avdec_mpeg2video decoded nothing of $s" >&2; exit 1; }
done
/usr/bin/python3 "$here/mpeg2-stream-info.py" "$out/fields.m2v" >"$out/fields.info"
rm -f "$out"/*.ref.log
[ -z "$stamp" ] || touch "$stamp"
