# gst-v4l2-elastic: sourced by tests/kernel/h264-visl.sh and
# tests/media/h264-streams.sh (which makes the avdec_h264 references on
# the host), so that both decode the same way; by the H.265 scripts too
# (DECODE_EXT=h265 DECODE_PARSE=h265parse).  Needs $work.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

# decode STREAM DECODER OUT: the PTS of every buffer reaching the sink, in
# order, one per line; OUT.size: each size the sink's caps took, in order.
# DECODER may carry properties ("name prop=value"): split into words.
decode() {
  # shellcheck disable=SC2086
  timeout "${DECODE_TIMEOUT:-600}" gst-launch-1.0 -v filesrc location="$work/$1.${DECODE_EXT:-h264}" \
    ! "${DECODE_PARSE:-h264parse}" ! $2 \
    ! fakesink silent=false >"$3.log" 2>&1
  rc=$?
  grep 'last-message = chain' "$3.log" | sed 's/.*pts: \([^,]*\),.*/\1/' >"$3"
  grep 'fakesink0.GstPad:sink: caps = ' "$3.log" |
    sed -n 's/.*width=(int)\([0-9]*\), height=(int)\([0-9]*\).*/\1x\2/p' |
    uniq >"$3.size"
  return $rc
}
