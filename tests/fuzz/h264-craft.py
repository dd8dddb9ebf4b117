#!/usr/bin/env python3
# gst-v4l2-elastic: hand-made H.264 streams for the fuzz corpus, for what
# x264 never writes: POC type 1 and adaptive reference marking (MMCO 1 to
# 6, long-term references).  Only the headers the codec state reads are
# real; the slice data is a few filler bytes.
#
#   h264-craft.py OUT_DIR              the seeds (corpus/h264/)
#   h264-craft.py --overflow OUT_DIR   POC sums beyond 32 bits
#                                      (regressions/h264/)
#
# SPDX-License-Identifier: LGPL-2.1-or-later
import os
import sys


class Bits:
    def __init__(self):
        self.bits = []

    def u(self, n, v):
        for i in range(n - 1, -1, -1):
            self.bits.append((v >> i) & 1)

    def ue(self, v):
        v += 1
        n = v.bit_length()
        self.u(n - 1, 0)
        self.u(n, v)

    def se(self, v):
        self.ue(2 * v - 1 if v > 0 else -2 * v)

    def rbsp(self):
        self.bits.append(1)
        while len(self.bits) % 8:
            self.bits.append(0)
        return bytes(int("".join(map(str, self.bits[i:i + 8])), 2)
                     for i in range(0, len(self.bits), 8))


def nal(ref_idc, nal_type, payload):
    out = bytearray()
    zeros = 0
    for b in payload:  # emulation prevention (7.4.1)
        if zeros >= 2 and b <= 3:
            out.append(3)
            zeros = 0
        out.append(b)
        zeros = zeros + 1 if b == 0 else 0
    return b"\0\0\0\1" + bytes([ref_idc << 5 | nal_type]) + bytes(out)


def sps(poc_type, num_ref_frames, offsets=(), non_ref=0, top_bottom=0,
        log2_frame_num=4, log2_lsb=4, width_mbs=4, height_mbs=3):
    b = Bits()
    b.u(8, 77)  # Main
    b.u(8, 0)
    b.u(8, 30)
    b.ue(0)  # seq_parameter_set_id
    b.ue(log2_frame_num - 4)
    b.ue(poc_type)
    if poc_type == 0:
        b.ue(log2_lsb - 4)
    elif poc_type == 1:
        b.u(1, 0)  # delta_pic_order_always_zero_flag
        b.se(non_ref)
        b.se(top_bottom)
        b.ue(len(offsets))
        for o in offsets:
            b.se(o)
    b.ue(num_ref_frames)
    b.u(1, 1)  # gaps_in_frame_num_value_allowed_flag
    b.ue(width_mbs - 1)
    b.ue(height_mbs - 1)
    b.u(1, 1)  # frame_mbs_only_flag
    b.u(1, 1)  # direct_8x8_inference_flag
    b.u(1, 0)  # frame_cropping_flag
    b.u(1, 0)  # vui_parameters_present_flag
    return nal(3, 7, b.rbsp())


def pps():
    b = Bits()
    b.ue(0)
    b.ue(0)
    b.u(1, 0)  # CAVLC
    b.u(1, 1)  # bottom_field_pic_order_in_frame_present_flag
    b.ue(0)
    b.ue(0)
    b.ue(0)
    b.u(1, 0)
    b.u(2, 0)
    b.se(0)
    b.se(0)
    b.se(0)
    b.u(1, 1)  # deblocking_filter_control_present_flag
    b.u(1, 0)
    b.u(1, 0)
    return nal(3, 8, b.rbsp())


def slice_(idr, ref_idc, frame_num, poc_type, poc=0, delta=(0, 0),
           mmco=None, long_term=False, log2_frame_num=4, log2_lsb=4):
    """mmco: None (sliding window) or a list of (op, args...)."""
    b = Bits()
    b.ue(0)  # first_mb_in_slice
    b.ue(7 if idr else 5)  # I or P, all slices of the picture alike
    b.ue(0)  # pic_parameter_set_id
    b.u(log2_frame_num, frame_num)
    if idr:
        b.ue(0)  # idr_pic_id
    if poc_type == 0:
        b.u(log2_lsb, poc)
        b.se(delta[1])  # delta_pic_order_cnt_bottom
    elif poc_type == 1:
        b.se(delta[0])
        b.se(delta[1])
    if not idr:
        b.u(1, 0)  # num_ref_idx_active_override_flag
        b.u(1, 0)  # ref_pic_list_modification_flag_l0
    if ref_idc:
        if idr:
            b.u(1, 0)  # no_output_of_prior_pics_flag
            b.u(1, 1 if long_term else 0)
        else:
            b.u(1, 1 if mmco is not None else 0)
            for op in mmco or ():
                b.ue(op[0])
                if op[0] in (1, 3):
                    b.ue(op[1])  # difference_of_pic_nums_minus1
                if op[0] == 2:
                    b.ue(op[1])  # long_term_pic_num
                if op[0] in (3, 6):
                    b.ue(op[-1])  # long_term_frame_idx
                if op[0] == 4:
                    b.ue(op[1])  # max_long_term_frame_idx_plus1
            if mmco is not None:
                b.ue(0)
    b.se(0)  # slice_qp_delta
    b.ue(1)  # disable_deblocking_filter_idc
    for byte in (0x9a, 0x5c, 0xe1):
        b.u(8, byte)
    return nal(ref_idc, 5 if idr else 1, b.rbsp())


def overflow(out):
    big = 2**31 - 1
    # POC type 1: offsets and deltas of 2^31 - 1 (their sums overflowed).
    s = sps(1, 2, offsets=(big, big), top_bottom=big) + pps()
    s += slice_(True, 3, 0, 1)
    s += slice_(False, 2, 1, 1, delta=(big, big))
    s += slice_(False, 2, 2, 1)
    s += slice_(False, 2, 3, 1)
    open(os.path.join(out, "poc-type1-overflow.h264"), "wb").write(s)
    # POC type 0: delta_pic_order_cnt_bottom of -(2^31 - 1).
    s = sps(0, 2, log2_lsb=16) + pps()
    s += slice_(True, 3, 0, 0, poc=0, delta=(0, -big), log2_lsb=16)
    s += slice_(False, 2, 1, 0, poc=40000, delta=(0, -big), log2_lsb=16)
    open(os.path.join(out, "poc-type0-overflow.h264"), "wb").write(s)


def main():
    if sys.argv[1] == "--overflow":
        overflow(sys.argv[2])
        return
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    # POC type 1: a cycle of three reference offsets, non-reference
    # pictures in between, deltas, a frame_num wrap (MaxFrameNum 16).
    s = sps(1, 3, offsets=(4, 2, 6), non_ref=-3, top_bottom=1)
    s += pps()
    s += slice_(True, 3, 0, 1)
    fn = 1
    for i in range(20):
        ref = 0 if i % 3 == 2 else 2
        s += slice_(False, ref, fn % 16, 1, delta=(i % 2, -(i % 3)))
        if ref:
            fn += 1
    open(os.path.join(out, "poc1.h264"), "wb").write(s)

    # POC type 0 with adaptive marking: long-term references (MMCO 3, 6),
    # their removal (1, 2, 4), MMCO 5, a long-term IDR.
    s = sps(0, 4) + pps()
    s += slice_(True, 3, 0, 0, poc=0, long_term=True)
    s += slice_(False, 2, 1, 0, poc=2)
    s += slice_(False, 2, 2, 0, poc=4, mmco=[(4, 3), (6, 1)])
    s += slice_(False, 2, 3, 0, poc=6, mmco=[(3, 1, 2)])
    s += slice_(False, 0, 4, 0, poc=5)
    s += slice_(False, 2, 4, 0, poc=8, mmco=[(2, 1), (1, 0)])
    s += slice_(False, 2, 5, 0, poc=10, mmco=[(5,)])
    s += slice_(False, 2, 1, 0, poc=2)
    s += slice_(False, 2, 3, 0, poc=6)  # frame_num gap
    s += slice_(False, 2, 4, 0, poc=12, mmco=[(6, 0)])
    s += slice_(True, 3, 0, 0, poc=0)
    s += slice_(False, 2, 1, 0, poc=4)
    open(os.path.join(out, "mmco.h264"), "wb").write(s)


if __name__ == "__main__":
    main()
