"""Goldens for the RoI family: torchvision.ops.roi_align, roi_pool and MultiScaleRoIAlign, forward and
gradients (autograd), on the CPU of Debian's torchvision 0.14.

Run from the top of the checkout: /usr/bin/python3 tools/goldens/roi.py
Writes java/src/test/resources/goldens/roi/<case>/*.npy:
  roi_align_*:  input, boxes, params = [PH, PW, spatial_scale, sampling_ratio, aligned], output,
                grad_output, grad_input
  roi_pool_*:   input, boxes, params = [PH, PW, spatial_scale], output, argmax, grad_output, grad_input
  msra_*:       feature_0..feature_{L-1}, boxes ([K,5]), params = [PH, PW, sampling_ratio, image_h,
                image_w, canonical_scale, canonical_level, L], output, grad_output, grad_feature_l
  fpn_levels:   boxes [K,5], params = [k_min, k_max, canonical_scale, canonical_level], levels (int32)
"""
import os
import sys

import numpy as np
import torch
from torchvision.ops import MultiScaleRoIAlign, roi_align, roi_pool
from torchvision.ops.poolers import LevelMapper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import family_dir, save  # noqa: E402

FAMILY = "roi"


def rois(gen, k, n_images, img_h, img_w, min_size, max_size, margin=0.0):
    """k random boxes [k, 5] (batch index, x1, y1, x2, y2) in an img_h x img_w image (plus margin)."""
    b = gen.integers(0, n_images, size=k).astype(np.float32)
    w = gen.uniform(min_size, max_size, size=k)
    h = gen.uniform(min_size, max_size, size=k)
    x1 = gen.uniform(-margin, img_w + margin - w.clip(max=img_w), size=k)
    y1 = gen.uniform(-margin, img_h + margin - h.clip(max=img_h), size=k)
    return np.stack([b, x1, y1, x1 + w, y1 + h], axis=1).astype(np.float32)


def align_case(name, gen, inp, boxes, ph, pw, scale, sampling, aligned):
    x = torch.tensor(inp, requires_grad=True)
    bx = torch.tensor(boxes).reshape(-1, 5)
    out = roi_align(x, bx, (ph, pw), spatial_scale=scale, sampling_ratio=sampling, aligned=aligned)
    g = torch.tensor(gen.standard_normal(out.shape).astype(np.float32))
    (gi,) = torch.autograd.grad(out, x, g, allow_unused=True) if out.numel() > 0 else (None,)
    if gi is None:
        gi = torch.zeros_like(x)
    save(FAMILY, name, input=inp, boxes=bx, params=np.array([ph, pw, scale, sampling, 1 if aligned else 0], np.float32),
         output=out, grad_output=g, grad_input=gi)


def pool_case(name, gen, inp, boxes, ph, pw, scale):
    x = torch.tensor(inp, requires_grad=True)
    bx = torch.tensor(boxes).reshape(-1, 5)
    out, argmax = torch.ops.torchvision.roi_pool(x, bx, scale, ph, pw)
    g = torch.tensor(gen.standard_normal(out.shape).astype(np.float32))
    if out.numel() > 0:
        (gi,) = torch.autograd.grad(roi_pool(x, bx, (ph, pw), scale), x, g)
    else:
        gi = torch.zeros_like(x)
    save(FAMILY, name, input=inp, boxes=bx, params=np.array([ph, pw, scale], np.float32), output=out,
         argmax=argmax, grad_output=g, grad_input=gi)


def msra_case(name, gen, n, c, img_h, img_w, levels, boxes_per_image, ph, pw, sampling, canonical_scale,
              canonical_level=4, extra=None):
    feats = {}
    for l in range(levels):
        stride = 4 * 2 ** l
        feats[str(l)] = torch.tensor(
            gen.standard_normal((n, c, img_h // stride, img_w // stride)).astype(np.float32), requires_grad=True)
    per_image = []
    for i in range(n):
        b = rois(gen, boxes_per_image, 1, img_h, img_w, 2.0, max(img_h, img_w) * 0.9)[:, 1:]
        if extra is not None and i == 0:
            b = np.concatenate([b, np.asarray(extra, np.float32)], axis=0)
        per_image.append(torch.tensor(b))
    pool = MultiScaleRoIAlign(list(feats.keys()), (ph, pw), sampling, canonical_scale=canonical_scale,
                              canonical_level=canonical_level)
    out = pool(feats, per_image, [(img_h, img_w)] * n)
    g = torch.tensor(gen.standard_normal(out.shape).astype(np.float32))
    grads = torch.autograd.grad(out, list(feats.values()), g, allow_unused=True)
    rows = torch.cat([torch.cat([torch.full((len(b), 1), float(i)), b], dim=1) for i, b in enumerate(per_image)])
    arrays = {"feature_%d" % l: feats[str(l)] for l in range(levels)}
    for l, gr in enumerate(grads):
        arrays["grad_feature_%d" % l] = gr if gr is not None else torch.zeros_like(feats[str(l)])
    save(FAMILY, name, boxes=rows, output=out, grad_output=g,
         params=np.array([ph, pw, sampling, img_h, img_w, canonical_scale, canonical_level, levels], np.float32),
         **arrays)


def main():
    family_dir(FAMILY)
    gen = np.random.default_rng(20240611)
    normal = lambda *s: gen.standard_normal(s).astype(np.float32)  # noqa: E731

    # ---- roi_align --------------------------------------------------------------------------
    align_case("roi_align_zero_rois", gen, normal(1, 3, 8, 9), np.zeros((0, 5), np.float32), 2, 2, 1.0, 2, False)
    align_case("roi_align_one_roi", gen, normal(1, 2, 10, 12), np.array([[0, 1.3, 2.2, 9.1, 8.6]], np.float32),
               3, 4, 1.0, 2, True)
    align_case("roi_align_one_roi_unaligned_adaptive", gen, normal(1, 2, 10, 12),
               np.array([[0, 2.6, 1.7, 20.1, 15.3]], np.float32), 3, 2, 0.5, 0, False)
    outside = np.array([
        [0, -6.0, -4.0, 5.0, 3.0],     # partly outside, top-left
        [0, 10.0, 7.0, 30.0, 25.0],    # partly outside, bottom-right
        [0, 40.0, 40.0, 60.0, 50.0],   # wholly outside
        [0, -30.0, -30.0, -10.0, -5.0],  # wholly outside, negative
        [0, -1.5, 3.0, 14.5, 4.0],     # wider than the map
        [0, 0.0, 0.0, 13.0, 11.0],     # exactly the map
    ], np.float32)
    for aligned in (False, True):
        for sampling in (0, 2):
            align_case("roi_align_outside_s%d_a%d" % (sampling, aligned), gen, normal(1, 3, 11, 13), outside,
                       3, 3, 1.0, sampling, aligned)
    degenerate = np.array([
        [0, 5.0, 5.0, 5.0, 5.0],     # a point
        [0, 6.0, 2.0, 3.0, 7.0],     # x2 < x1
        [0, 2.0, 6.0, 7.0, 3.0],     # y2 < y1
        [0, 4.0, 4.0, 4.3, 9.0],     # thinner than a pixel
        [0, 1.0, 1.0, 1.2, 1.1],     # tiny
        [0, 8.7, 0.2, 9.9, 2.3],     # small, near the right edge
    ], np.float32)
    for aligned in (False, True):
        for sampling in (0, 2, -1):
            d = degenerate
            if aligned and sampling <= 0:
                # torchvision 0.14 cannot run these: ceil of a negative size gives a negative grid and the
                # pre-calc vector size (grid_h * grid_w * PH * PW) overflows ("cannot create std::vector
                # larger than max_size()"). detseg gives 0 for them (tested in RoiAlignTest); keep the
                # rest, plus a box with both sizes negative, which torchvision handles (output 0).
                d = np.concatenate([degenerate[[0, 3, 4, 5]], np.array([[0, 6.0, 7.0, 3.0, 2.0]], np.float32)])
            align_case("roi_align_degenerate_s%d_a%d" % (sampling, aligned), gen, normal(1, 2, 10, 10), d,
                       2, 3, 1.0, sampling, aligned)
    align_case("roi_align_batch3_c7", gen, normal(3, 7, 13, 17), rois(gen, 40, 3, 52, 68, 2, 40, margin=6),
               5, 3, 0.25, 2, True)
    align_case("roi_align_batch2_c13_adaptive", gen, normal(2, 13, 12, 9), rois(gen, 25, 2, 24, 18, 1, 30, margin=3),
               4, 6, 0.5, -1, False)
    align_case("roi_align_big_rois_adaptive", gen, normal(1, 5, 31, 29), rois(gen, 12, 1, 31, 29, 10, 40, margin=4),
               7, 7, 1.0, 0, True)
    align_case("roi_align_1x1_sampling3", gen, normal(2, 4, 9, 11), rois(gen, 15, 2, 9, 11, 0.5, 8, margin=2),
               1, 1, 1.0, 3, False)

    # ---- roi_pool ---------------------------------------------------------------------------
    pool_case("roi_pool_zero_rois", gen, normal(1, 3, 8, 9), np.zeros((0, 5), np.float32), 2, 2, 1.0)
    pool_case("roi_pool_one_roi", gen, normal(1, 2, 10, 12), np.array([[0, 1.3, 2.2, 9.1, 8.6]], np.float32),
              3, 4, 1.0)
    pool_case("roi_pool_outside", gen, normal(1, 3, 11, 13), outside, 3, 3, 1.0)
    pool_case("roi_pool_degenerate", gen, normal(1, 2, 10, 10), degenerate, 2, 3, 1.0)
    pool_case("roi_pool_batch3_c7", gen, normal(3, 7, 13, 17), rois(gen, 40, 3, 52, 68, 2, 40, margin=6), 5, 3, 0.25)
    pool_case("roi_pool_overlapping_bins", gen, normal(1, 5, 12, 12), rois(gen, 10, 1, 12, 12, 1, 5), 4, 4, 1.0)

    # ---- MultiScaleRoIAlign -----------------------------------------------------------------
    # canonical_scale 32 spreads boxes of a 96x128 image over all four levels (strides 4..32)
    msra_case("msra_4_levels", gen, 2, 3, 96, 128, 4, 30, 3, 3, 2, 32,
              extra=[[10, 10, 5, 20], [20, 20, 20, 20]])  # a negative area (no level) and a zero area (finest)
    msra_case("msra_4_levels_default_canonical", gen, 1, 2, 96, 128, 4, 12, 2, 4, 0, 224)
    msra_case("msra_one_level", gen, 1, 3, 64, 64, 1, 8, 2, 2, 2, 224)

    # ---- LevelMapper with the default canonical scale, many box sizes ---------------------------
    sizes = np.exp(gen.uniform(np.log(4), np.log(1500), size=200))
    aspect = np.exp(gen.uniform(-1, 1, size=200))
    w = sizes * np.sqrt(aspect)
    h = sizes / np.sqrt(aspect)
    x1 = gen.uniform(0, 100, size=200)
    y1 = gen.uniform(0, 100, size=200)
    b = np.stack([np.zeros(200), x1, y1, x1 + w, y1 + h], axis=1).astype(np.float32)
    mapper = LevelMapper(2, 5, canonical_scale=224, canonical_level=4)
    save(FAMILY, "fpn_levels", boxes=b, params=np.array([2, 5, 224, 4], np.float32),
         levels=mapper([torch.tensor(b[:, 1:])]))


if __name__ == "__main__":
    main()
