#!/usr/bin/env python3
# gst-v4l2-elastic: a small H.264 Annex-B reader and writer for the test
# corpus, independent of gstcodecparsers (which our element uses).
#
#   h264-bitstream.py info FILE
#       prints what the corpus must cover, as key=value lines: parameter
#       set ids and counts, frame_mbs_only / mb_adaptive_frame_field,
#       max_num_ref_frames, level, entropy coding, weighted prediction,
#       8x8 transform, scaling matrices, cropping, slices per picture,
#       field pictures.
#   h264-bitstream.py renumber IN OUT SPS_ID PPS_ID
#       rewrites every SPS, PPS and slice header of a CAVLC stream to use
#       other parameter set ids (the rest of each NAL is copied bit for
#       bit; CABAC slice data would need realignment, so it is refused).
#   h264-bitstream.py uncrop IN OUT
#       the same stream with frame cropping removed from every SPS.
#   h264-bitstream.py cropcheck FULL FMT:WxH wxh+x+y CROPPED:FMT...
#       the luma of each frame of every CROPPED raw file (GStreamer's
#       default layout, visible size w x h) equals the w x h rectangle at
#       x,y of the same frame of FULL; exits 1 otherwise.
#   h264-bitstream.py paff OUT
#       writes a tiny stream of field pictures (frame_mbs_only_flag 0,
#       field_pic_flag 1): SPS, PPS and four field pairs of I slices whose
#       slice data is filler.  Only for testing that a decoder refuses it.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

import sys

HIGH_PROFILES = (100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135)


def split_nals(data):
    """Payloads (header byte included) between Annex-B start codes."""
    starts = []
    i = 0
    while True:
        i = data.find(b"\x00\x00\x01", i)
        if i < 0:
            break
        starts.append(i + 3)
        i += 3
    nals = []
    for k, s in enumerate(starts):
        end = starts[k + 1] - 3 if k + 1 < len(starts) else len(data)
        nal = data[s:end]
        # A 4-byte start code leaves a zero byte behind.
        while k + 1 < len(starts) and nal.endswith(b"\x00"):
            nal = nal[:-1]
        nals.append(nal)
    return nals


def ebsp_to_rbsp(payload):
    out = bytearray()
    zeros = 0
    for b in payload:
        if zeros >= 2 and b == 3:
            zeros = 0
            continue
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


def rbsp_to_ebsp(rbsp):
    out = bytearray()
    zeros = 0
    for b in rbsp:
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return bytes(out)


class Reader:
    def __init__(self, rbsp):
        self.bits = "".join("{:08b}".format(b) for b in rbsp)
        self.pos = 0
        self.last_one = self.bits.rfind("1")  # the rbsp_stop_one_bit

    def u(self, n):
        if n == 0:
            return 0
        v = int(self.bits[self.pos : self.pos + n], 2)
        self.pos += n
        return v

    def ue(self):
        zeros = 0
        while self.bits[self.pos] == "0":
            zeros += 1
            self.pos += 1
        self.pos += 1
        return (1 << zeros) - 1 + self.u(zeros)

    def se(self):
        k = self.ue()
        return (k + 1) // 2 if k % 2 else -(k // 2)

    def more_rbsp_data(self):
        return self.pos < self.last_one

    def rest(self):
        """The payload bits left before the stop bit."""
        return self.bits[self.pos : self.last_one]


class Writer:
    def __init__(self):
        self.bits = []

    def u(self, n, v):
        if n:
            self.bits.append(format(v, "0%db" % n))

    def ue(self, v):
        code = format(v + 1, "b")
        self.bits.append("0" * (len(code) - 1) + code)

    def se(self, v):
        self.ue(2 * v - 1 if v > 0 else -2 * v)

    def raw(self, bits):
        self.bits.append(bits)

    def rbsp(self):
        bits = "".join(self.bits) + "1"
        bits += "0" * (-len(bits) % 8)
        return bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))


def skip_scaling_list(r, size):
    last = nxt = 8
    for _ in range(size):
        if nxt != 0:
            nxt = (last + r.se() + 256) % 256
        last = nxt if nxt != 0 else last


def parse_sps(r):
    sps = {"profile_idc": r.u(8)}
    r.u(8)  # constraint_set flags, reserved_zero_2bits
    sps["level_idc"] = r.u(8)
    sps["id"] = r.ue()
    sps["chroma_format_idc"] = 1
    sps["separate_colour_plane"] = 0
    sps["scaling_matrix"] = 0
    if sps["profile_idc"] in HIGH_PROFILES:
        sps["chroma_format_idc"] = r.ue()
        if sps["chroma_format_idc"] == 3:
            sps["separate_colour_plane"] = r.u(1)
        r.ue()  # bit_depth_luma_minus8
        r.ue()  # bit_depth_chroma_minus8
        r.u(1)  # qpprime_y_zero_transform_bypass_flag
        sps["scaling_matrix"] = r.u(1)
        if sps["scaling_matrix"]:
            for i in range(8 if sps["chroma_format_idc"] != 3 else 12):
                if r.u(1):
                    skip_scaling_list(r, 16 if i < 6 else 64)
    sps["log2_max_frame_num"] = r.ue() + 4
    sps["poc_type"] = r.ue()
    if sps["poc_type"] == 0:
        r.ue()
    elif sps["poc_type"] == 1:
        r.u(1)
        r.se()
        r.se()
        for _ in range(r.ue()):
            r.se()
    sps["max_num_ref_frames"] = r.ue()
    r.u(1)  # gaps_in_frame_num_value_allowed_flag
    sps["width_mbs"] = r.ue() + 1
    map_units = r.ue() + 1
    sps["frame_mbs_only"] = r.u(1)
    sps["mbaff"] = 0 if sps["frame_mbs_only"] else r.u(1)
    sps["height_mbs"] = map_units * (2 - sps["frame_mbs_only"])
    r.u(1)  # direct_8x8_inference_flag
    sps["crop"] = (0, 0, 0, 0)
    crop_start = r.pos
    if r.u(1):
        sps["crop"] = (r.ue(), r.ue(), r.ue(), r.ue())
    sps["crop_bits"] = (crop_start, r.pos)
    return sps


def parse_pps(r):
    pps = {"id": r.ue(), "sps_id": r.ue()}
    pps["cabac"] = r.u(1)
    r.u(1)  # bottom_field_pic_order_in_frame_present_flag
    if r.ue() != 0:
        raise SystemExit("slice groups are not handled")
    r.ue()
    r.ue()
    pps["weighted_pred"] = r.u(1)
    pps["weighted_bipred_idc"] = r.u(2)
    r.se()
    r.se()
    r.se()
    r.u(3)
    pps["transform_8x8"] = 0
    pps["scaling_matrix"] = 0
    if r.more_rbsp_data():
        pps["transform_8x8"] = r.u(1)
        pps["scaling_matrix"] = r.u(1)
    return pps


def visible_size(sps):
    """Width and height after frame cropping (7.4.2.1.1)."""
    chroma = sps["chroma_format_idc"] if not sps["separate_colour_plane"] else 0
    sub_w = 2 if chroma in (1, 2) else 1
    sub_h = 2 if chroma == 1 else 1
    crop_x = sub_w if chroma else 1
    crop_y = (sub_h if chroma else 1) * (2 - sps["frame_mbs_only"])
    left, right, top, bottom = sps["crop"]
    w = sps["width_mbs"] * 16 - crop_x * (left + right)
    h = sps["height_mbs"] * 16 - crop_y * (top + bottom)
    return w, h, crop_x * left, crop_y * top


def info(path):
    with open(path, "rb") as f:
        nals = split_nals(f.read())
    sps_by_id, pps_by_id = {}, {}
    counts = {"sps": 0, "pps": 0, "pictures": 0, "idr_pictures": 0}
    seen = {
        "sps_ids": set(),
        "pps_ids": set(),
        "frame_mbs_only": set(),
        "mbaff": set(),
        "entropy": set(),
        "weighted_pred": set(),
        "transform_8x8": set(),
        "scaling_matrix": set(),
        "field_pic": set(),
        "level_idc": set(),
        "max_num_ref_frames": set(),
        "size": set(),
        "crop": set(),
    }
    slices = max_slices = 0
    for nal in nals:
        if not nal:
            continue
        kind = nal[0] & 0x1F
        # The fields read from a slice are in its first bytes: the slice
        # data is not unescaped (slow in a TCG guest).
        r = Reader(ebsp_to_rbsp(nal[1:65] if kind in (1, 5) else nal[1:]))
        if kind == 7:
            sps = parse_sps(r)
            sps_by_id[sps["id"]] = sps
            counts["sps"] += 1
            seen["sps_ids"].add(sps["id"])
            seen["frame_mbs_only"].add(sps["frame_mbs_only"])
            seen["mbaff"].add(sps["mbaff"])
            seen["level_idc"].add(sps["level_idc"])
            seen["max_num_ref_frames"].add(sps["max_num_ref_frames"])
            w, h, x, y = visible_size(sps)
            seen["size"].add("%dx%d" % (sps["width_mbs"] * 16, sps["height_mbs"] * 16))
            seen["crop"].add("%dx%d+%d+%d" % (w, h, x, y))
            if sps["scaling_matrix"]:
                seen["scaling_matrix"].add("sps")
        elif kind == 8:
            pps = parse_pps(r)
            pps_by_id[pps["id"]] = pps
            counts["pps"] += 1
            seen["pps_ids"].add(pps["id"])
            seen["entropy"].add("cabac" if pps["cabac"] else "cavlc")
            seen["weighted_pred"].add(pps["weighted_pred"])
            seen["transform_8x8"].add(pps["transform_8x8"])
            if pps["scaling_matrix"]:
                seen["scaling_matrix"].add("pps")
        elif kind in (1, 5):
            first_mb = r.ue()
            r.ue()
            pps = pps_by_id[r.ue()]
            sps = sps_by_id[pps["sps_id"]]
            if sps["separate_colour_plane"]:
                r.u(2)
            r.u(sps["log2_max_frame_num"])
            field = 0 if sps["frame_mbs_only"] else r.u(1)
            seen["field_pic"].add(field)
            if first_mb == 0:
                counts["pictures"] += 1
                counts["idr_pictures"] += kind == 5
                slices = 0
            slices += 1
            max_slices = max(max_slices, slices)
    for k, v in counts.items():
        print("%s=%d" % (k, v))
    print("max_slices_per_picture=%d" % max_slices)
    for k, v in seen.items():
        print("%s=%s" % (k, ",".join(str(x) for x in sorted(v))))


def renumber(src, dst, sps_id, pps_id):
    with open(src, "rb") as f:
        nals = split_nals(f.read())
    out = bytearray()
    for nal in nals:
        kind = nal[0] & 0x1F
        if kind in (1, 5, 7, 8):
            r = Reader(ebsp_to_rbsp(nal[1:]))
            w = Writer()
            if kind == 7:
                w.u(24, r.u(24))
                r.ue()
                w.ue(sps_id)
            elif kind == 8:
                r.ue()
                r.ue()
                w.ue(pps_id)
                w.ue(sps_id)
                if r.bits[r.pos] == "1":
                    raise SystemExit("renumber: CABAC stream (use cabac=false)")
            else:
                w.ue(r.ue())  # first_mb_in_slice
                w.ue(r.ue())  # slice_type
                r.ue()
                w.ue(pps_id)
            w.raw(r.rest())
            nal = nal[:1] + rbsp_to_ebsp(w.rbsp())
        out += b"\x00\x00\x00\x01" + nal
    with open(dst, "wb") as f:
        f.write(out)


def uncrop(src, dst):
    """The same stream with frame_cropping_flag 0 in every SPS."""
    with open(src, "rb") as f:
        nals = split_nals(f.read())
    out = bytearray()
    for nal in nals:
        if nal and nal[0] & 0x1F == 7:
            r = Reader(ebsp_to_rbsp(nal[1:]))
            start, end = parse_sps(r)["crop_bits"]
            w = Writer()
            w.raw(r.bits[:start] + "0" + r.bits[end : r.last_one])
            nal = nal[:1] + rbsp_to_ebsp(w.rbsp())
        out += b"\x00\x00\x00\x01" + nal
    with open(dst, "wb") as f:
        f.write(out)


def luma_frames(path, fmt, width, height):
    """The luma planes of a raw file in GStreamer's default layout."""
    stride = (width + 3) & ~3
    if fmt == "GRAY8":
        size = stride * height
    elif fmt == "NV12":
        size = stride * height + stride * ((height + 1) // 2)
    elif fmt == "I420":
        cstride = ((width + 1) // 2 + 3) & ~3
        size = stride * height + 2 * cstride * ((height + 1) // 2)
    else:
        raise SystemExit("cropcheck: format %s not handled" % fmt)
    with open(path, "rb") as f:
        data = f.read()
    if not data or len(data) % size:
        raise SystemExit("cropcheck: %s: %d bytes, not frames of %d" % (path, len(data), size))
    frames = []
    for i in range(0, len(data), size):
        frames.append([data[i + y * stride : i + y * stride + width] for y in range(height)])
    return frames


def cropcheck(full, full_spec, rect, crops):
    """Each cropped decode equals the rectangle of the uncropped decode."""
    fmt, size = full_spec.split(":")
    fw, fh = (int(v) for v in size.split("x"))
    wh, x, y = rect.split("+")
    w, h = (int(v) for v in wh.split("x"))
    x, y = int(x), int(y)
    ref = [[row[x : x + w] for row in f[y : y + h]] for f in luma_frames(full, fmt, fw, fh)]
    bad = 0
    for spec in crops:
        path, cfmt = spec.rsplit(":", 1)
        got = luma_frames(path, cfmt, w, h)
        same = sum(1 for a, b in zip(ref, got) if a == b)
        print("%s: %d frames, %d of %d equal the uncropped decode's %s" % (path, len(got), same, len(ref), rect))
        if len(got) != len(ref) or same != len(ref):
            bad = 1
    return bad


def nal(ref_idc, kind, w):
    return b"\x00\x00\x00\x01" + bytes([ref_idc << 5 | kind]) + rbsp_to_ebsp(w.rbsp())


def paff(dst):
    # 32x64 main profile, POC type 2, field pictures only (no MBAFF).
    sps = Writer()
    sps.u(8, 77)
    sps.u(8, 0)
    sps.u(8, 30)
    sps.ue(0)  # seq_parameter_set_id
    sps.ue(0)  # log2_max_frame_num_minus4
    sps.ue(2)  # pic_order_cnt_type
    sps.ue(1)  # max_num_ref_frames
    sps.u(1, 0)  # gaps_in_frame_num_value_allowed_flag
    sps.ue(1)  # pic_width_in_mbs_minus1: 2 MBs
    sps.ue(1)  # pic_height_in_map_units_minus1: 2 field MB rows
    sps.u(1, 0)  # frame_mbs_only_flag
    sps.u(1, 0)  # mb_adaptive_frame_field_flag
    sps.u(1, 1)  # direct_8x8_inference_flag
    sps.u(1, 0)  # frame_cropping_flag
    sps.u(1, 0)  # vui_parameters_present_flag
    pps = Writer()
    pps.ue(0)  # pic_parameter_set_id
    pps.ue(0)  # seq_parameter_set_id
    pps.u(1, 0)  # entropy_coding_mode_flag: CAVLC
    pps.u(1, 0)  # bottom_field_pic_order_in_frame_present_flag
    pps.ue(0)  # num_slice_groups_minus1
    pps.ue(0)  # num_ref_idx_l0_default_active_minus1
    pps.ue(0)  # num_ref_idx_l1_default_active_minus1
    pps.u(1, 0)  # weighted_pred_flag
    pps.u(2, 0)  # weighted_bipred_idc
    pps.se(0)  # pic_init_qp_minus26
    pps.se(0)  # pic_init_qs_minus26
    pps.se(0)  # chroma_qp_index_offset
    pps.u(1, 1)  # deblocking_filter_control_present_flag
    pps.u(1, 0)  # constrained_intra_pred_flag
    pps.u(1, 0)  # redundant_pic_cnt_present_flag
    out = nal(3, 7, sps) + nal(3, 8, pps)
    for frame in range(4):
        for bottom in (0, 1):
            idr = frame == 0
            s = Writer()
            s.ue(0)  # first_mb_in_slice
            s.ue(7)  # slice_type: I, all slices of the picture
            s.ue(0)  # pic_parameter_set_id
            s.u(4, frame)  # frame_num
            s.u(1, 1)  # field_pic_flag
            s.u(1, bottom)  # bottom_field_flag
            if idr:
                s.ue(0)  # idr_pic_id
                s.u(1, 0)  # no_output_of_prior_pics_flag
                s.u(1, 0)  # long_term_reference_flag
            else:
                s.u(1, 0)  # adaptive_ref_pic_marking_mode_flag
            s.se(0)  # slice_qp_delta
            s.ue(1)  # disable_deblocking_filter_idc
            s.raw("1" * 24)  # filler where the macroblocks would be
            out += nal(3, 5 if idr else 1, s)
    with open(dst, "wb") as f:
        f.write(out)


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "info" and len(sys.argv) == 3:
        info(sys.argv[2])
    elif cmd == "renumber" and len(sys.argv) == 6:
        renumber(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "paff" and len(sys.argv) == 3:
        paff(sys.argv[2])
    elif cmd == "uncrop" and len(sys.argv) == 4:
        uncrop(sys.argv[2], sys.argv[3])
    elif cmd == "cropcheck" and len(sys.argv) >= 6:
        sys.exit(cropcheck(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]))
    else:
        sys.exit(__doc__ or "usage: h264-bitstream.py info|renumber|paff ...")


if __name__ == "__main__":
    main()
