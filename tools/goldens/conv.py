"""Goldens for the conv family (matmul, linear, conv2d, conv_transpose2d): forward and every gradient
from PyTorch 1.13 (Debian's python3-torch), on small odd shapes: non-square inputs and kernels,
stride larger than the kernel, dilation with padding, groups > 1 and depthwise, output_padding,
explicit output sizes, asymmetric padding, channels that are no multiple of any tile, batch > 1 and
1x1 spatial maps.

Run from the top of the checkout:  /usr/bin/python3 tools/goldens/conv.py
Writes java/src/test/resources/goldens/conv/<case>/{input,weight,bias,grad_output,output,grad_input,
grad_weight,grad_bias}.npy and conv/cases.json (each case's op and parameters, read by ConvGoldenTest).
Inputs are drawn in float64 and rounded to float32 first; references are computed in float64 from
those float32 values, so the goldens carry no float32 rounding of their own.
"""
import json
import os

import torch
import torch.nn.functional as F

from golden_io import ROOT, family_dir, save

FAMILY = "conv"


def rnd(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64).float().double()


def run(name, op, x_shape, w_shape, params, bias=True, seed=0, cpu_only=False):
    gen = torch.Generator().manual_seed(1000 + seed)
    x = rnd(gen, *x_shape).requires_grad_(True)
    w = rnd(gen, *w_shape).requires_grad_(True)
    b = None
    if bias:
        n_out = w_shape[0] if op in ("conv2d", "linear") else w_shape[1] * params.get("groups", 1)
        b = rnd(gen, n_out).requires_grad_(True)
    if op == "conv2d":
        pads = params["pads"]  # top, left, bottom, right
        if params.get("same"):
            y = F.conv2d(x, w, b, stride=params["stride"], padding="same", dilation=params["dilation"],
                         groups=params["groups"])
        else:
            xp = F.pad(x, (pads[1], pads[3], pads[0], pads[2]))  # F.pad: (left, right, top, bottom)
            y = F.conv2d(xp, w, b, stride=params["stride"], padding=0, dilation=params["dilation"],
                         groups=params["groups"])
    elif op == "conv_transpose2d":
        if params.get("output_size"):
            m = torch.nn.ConvTranspose2d(w_shape[0], w_shape[1] * params["groups"], w_shape[2:],
                                         stride=params["stride"], padding=params["padding"],
                                         dilation=params["dilation"], groups=params["groups"], bias=bias)
            m = m.double()
            with torch.no_grad():
                m.weight.copy_(w)
                if bias:
                    m.bias.copy_(b)
            # recompute through the functional form with the output_padding the module derives
            op_pad = m._output_padding(x, params["output_size"], list(params["stride"]), list(params["padding"]),
                                       list(w_shape[2:]), 2, list(params["dilation"]))
            y = F.conv_transpose2d(x, w, b, stride=params["stride"], padding=params["padding"],
                                   output_padding=op_pad, groups=params["groups"], dilation=params["dilation"])
            assert list(y.shape[2:]) == list(params["output_size"]), (y.shape, params)
        else:
            y = F.conv_transpose2d(x, w, b, stride=params["stride"], padding=params["padding"],
                                   output_padding=params["output_padding"], groups=params["groups"],
                                   dilation=params["dilation"])
    elif op == "linear":
        y = F.linear(x, w, b)
    elif op == "matmul":
        y = torch.matmul(x, w)
    else:
        raise ValueError(op)
    g = rnd(gen, *y.shape)
    y.backward(g)
    arrays = dict(input=x, weight=w, grad_output=g, output=y, grad_input=x.grad, grad_weight=w.grad)
    if b is not None:
        arrays.update(bias=b, grad_bias=b.grad)
    save(FAMILY, name, **arrays)
    entry = dict(name=name, op=op, bias=bias, cpu_only=cpu_only, **params)
    return entry


def conv(name, x_shape, w_shape, stride=(1, 1), pads=(0, 0, 0, 0), dilation=(1, 1), groups=1, same=False,
         bias=True, seed=0, cpu_only=False):
    return run(name, "conv2d", x_shape, w_shape,
               dict(stride=list(stride), pads=list(pads), dilation=list(dilation), groups=groups, same=same),
               bias=bias, seed=seed, cpu_only=cpu_only)


def convt(name, x_shape, w_shape, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1,
          output_size=None, bias=True, seed=0, cpu_only=False):
    return run(name, "conv_transpose2d", x_shape, w_shape,
               dict(stride=list(stride), padding=list(padding), output_padding=list(output_padding),
                    dilation=list(dilation), groups=groups, output_size=list(output_size) if output_size else None),
               bias=bias, seed=seed, cpu_only=cpu_only)


def main():
    torch.set_default_dtype(torch.float64)
    family_dir(FAMILY)
    cases = [
        conv("basic_nonsquare", (2, 3, 7, 9), (5, 3, 3, 2), pads=(1, 0, 1, 0), seed=1),
        conv("stride_gt_kernel", (1, 4, 11, 13), (6, 4, 2, 3), stride=(3, 4), pads=(1, 1, 1, 1), seed=2),
        conv("dilated_padded", (1, 5, 10, 12), (7, 5, 3, 3), pads=(2, 3, 2, 3), dilation=(2, 3), seed=3),
        conv("atrous_d6", (1, 4, 14, 13), (3, 4, 3, 3), pads=(6, 6, 6, 6), dilation=(6, 6), seed=4),
        conv("groups3_stride2", (2, 6, 9, 8), (9, 2, 3, 3), stride=(2, 2), pads=(1, 1, 1, 1), groups=3, seed=5),
        conv("depthwise", (2, 5, 8, 11), (5, 1, 3, 3), pads=(1, 1, 1, 1), groups=5, seed=6),
        conv("depthwise_mult2_s2_d2", (1, 4, 13, 10), (8, 1, 3, 3), stride=(2, 2), pads=(2, 2, 2, 2),
             dilation=(2, 2), groups=4, seed=7),
        conv("depthwise_5x3_s1_nobias", (1, 3, 9, 20), (3, 1, 5, 3), pads=(2, 1, 2, 1), groups=3, bias=False,
             seed=8),
        conv("pointwise", (2, 7, 5, 6), (13, 7, 1, 1), seed=9),
        # wide stride-1 depthwise planes: several 4-chunk groups and a partial tail in the column plan,
        # and a plane too wide for the plan (1x7 taps over 2400 columns), which takes the general loop
        conv("depthwise_wide_d2", (1, 3, 6, 83), (3, 1, 3, 3), pads=(1, 2, 1, 2), dilation=(1, 2), groups=3, seed=40),
        conv("depthwise_1x7_wide_fallback", (1, 2, 2, 2400), (2, 1, 1, 7), pads=(0, 3, 0, 3), groups=2, seed=41),
        # rows of a multiple of every vector width: a tap's chunk ends exactly at the row's last column
        # (whole-row loads) or one past it (masked), the case a one-column error reads the next row in
        conv("depthwise_row_ends_w32", (2, 3, 5, 32), (3, 1, 3, 3), pads=(1, 1, 1, 1), groups=3, seed=70),
        # stride 2 over rows wide enough for the one-row panel packer at every vector width: left and
        # right border panels (masked even-lane loads) and interior ones
        conv("strided_wide_s2", (1, 3, 5, 128), (4, 3, 3, 3), stride=(2, 2), pads=(1, 1, 1, 1), seed=42),
        conv("pointwise_grouped", (1, 6, 4, 7), (9, 2, 1, 1), groups=3, seed=10),
        conv("maps_1x1", (3, 17, 1, 1), (3, 17, 1, 1), seed=11),
        conv("maps_1x1_k3_pad1", (2, 4, 1, 1), (5, 4, 3, 3), pads=(1, 1, 1, 1), seed=12),
        conv("same_even_kernel", (1, 3, 7, 8), (4, 3, 4, 2), same=True, seed=13),
        conv("same_dilated", (2, 2, 9, 6), (3, 2, 3, 3), dilation=(2, 1), same=True, seed=14),
        conv("asymmetric_pads", (1, 3, 6, 7), (4, 3, 3, 3), stride=(2, 1), pads=(1, 2, 0, 3), seed=15),
        conv("channels_33_35", (1, 33, 9, 10), (35, 33, 3, 3), pads=(1, 1, 1, 1), seed=16),
        conv("kernel_equals_input", (2, 3, 5, 4), (2, 3, 5, 4), seed=17),
        conv("cin1_mult3", (2, 1, 6, 9), (3, 1, 3, 3), pads=(1, 1, 1, 1), seed=18),
        conv("grouped_strided_dilated", (2, 8, 12, 11), (6, 4, 3, 2), stride=(2, 3), pads=(2, 1, 2, 1),
             dilation=(2, 2), groups=2, seed=19),
        conv("tiles_70_96", (1, 40, 16, 17), (70, 40, 3, 3), pads=(1, 1, 1, 1), seed=20, cpu_only=True),
        # over 128 output channels: the weight gradient's transposing-packer path (narrower layers go
        # channels-last); stride 2 keeps it off Winograd
        conv("wide_cout_136_s2", (2, 12, 11, 10), (136, 12, 3, 3), stride=(2, 2), pads=(1, 1, 1, 1), seed=55),
        # Winograd F(2x2, 3x3) (every 3x3 stride-1 case above takes it too when forced): groups with
        # batch and asymmetric pads; rows wide enough for whole-vector lane groups with a masked right
        # edge and groups that cross tile rows; row dilation with regular column groups
        conv("wino_groups2_batch2", (2, 8, 9, 11), (6, 4, 3, 3), pads=(1, 0, 2, 1), groups=2, seed=44),
        conv("wino_wide_rows", (1, 6, 7, 75), (5, 6, 3, 3), pads=(1, 1, 1, 1), seed=45),
        conv("wino_wide_dil2x1", (1, 5, 9, 70), (4, 5, 3, 3), pads=(2, 1, 2, 1), dilation=(2, 1), seed=46),
        convt("t_basic_s2_op1", (2, 4, 5, 4), (4, 3, 3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1),
              seed=31),
        convt("t_k4_s2_p1", (1, 3, 3, 4), (3, 5, 4, 4), stride=(2, 2), padding=(1, 1), seed=32),
        convt("t_k2_s2", (1, 6, 4, 3), (6, 3, 2, 2), stride=(2, 2), seed=33),
        convt("t_groups2_d2_s3", (2, 4, 3, 4), (4, 3, 2, 3), stride=(3, 3), dilation=(2, 2), groups=2,
              output_padding=(2, 1), padding=(1, 0), seed=34),
        convt("t_stride_gt_kernel", (1, 3, 4, 3), (3, 2, 2, 2), stride=(3, 4), padding=(0, 1), seed=35),
        convt("t_depthwise", (1, 5, 6, 5), (5, 1, 3, 3), stride=(2, 1), padding=(1, 1), groups=5, seed=36),
        # stride-1 depthwise transposed: the depthwise data-gradient path, starting from the bias
        convt("t_depthwise_s1_bias", (1, 4, 6, 7), (4, 1, 3, 3), stride=(1, 1), padding=(1, 1), groups=4, seed=43),
        # stride-1 3x3 transposed (the Winograd data gradient from the bias), and padding beyond the
        # kernel's reach (a negative padding for the correlation it becomes)
        convt("t_k3_s1_wide", (1, 6, 5, 66), (6, 4, 3, 3), stride=(1, 1), padding=(1, 1), seed=47),
        # 2x2 stride-phase taps (F(3x3, 2x2) when forced): a 4x4 stride-2 transposed convolution over
        # rows wider than a vector, a 2x2 stride-1 convolution, and 6x6 stride 2 (3x3 taps per phase)
        convt("t_k4_s2_p1_wide", (1, 6, 5, 37), (6, 4, 4, 4), stride=(2, 2), padding=(1, 1), seed=49),
        conv("k2_s1_pads", (1, 5, 7, 38), (4, 5, 2, 2), pads=(1, 0, 0, 1), seed=50),
        convt("t_k6_s2_p2_groups", (2, 4, 4, 5), (4, 3, 6, 6), stride=(2, 2), padding=(2, 2), groups=2, seed=54),
        convt("t_k3_s1_pad_beyond", (1, 3, 6, 7), (3, 4, 3, 3), stride=(1, 1), padding=(3, 2), seed=48),
        convt("t_output_size", (1, 3, 4, 5), (3, 2, 3, 3), stride=(3, 2), padding=(1, 1), output_size=(12, 10),
              seed=37),
        convt("t_maps_1x1", (3, 4, 1, 1), (4, 2, 3, 3), stride=(2, 2), seed=38),
        convt("t_nobias_nonsquare", (1, 2, 5, 3), (2, 7, 1, 4), stride=(1, 2), padding=(0, 1), bias=False, seed=39),
        run("linear_3d", "linear", (2, 3, 7), (5, 7), {}, seed=51),
        run("linear_tile_edges", "linear", (33, 70), (29, 70), {}, seed=52),
        run("matmul_odd", "matmul", (13, 17), (17, 11), {}, bias=False, seed=53),
    ]
    with open(os.path.join(ROOT, FAMILY, "cases.json"), "w") as f:
        json.dump({"generator": "tools/goldens/conv.py", "torch": torch.__version__, "cases": cases}, f, indent=1)
    print(f"wrote {len(cases)} cases to {os.path.join(ROOT, FAMILY)}")


if __name__ == "__main__":
    main()
