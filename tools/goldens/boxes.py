"""Goldens for the box op family (docs/kernels/boxes.md), from torchvision 0.14 where it has the op
and from straightforward references written here from the formulas where it has not (YOLO decoding,
SSD variance coding, hard negative mining, the seeded sampler).

Run from the top of the checkout:  /usr/bin/python3 tools/goldens/boxes.py
Writes java/src/test/resources/goldens/boxes/<case>/<name>.npy (small; committed).
"""
import math
import os
import sys

import numpy as np
import torch
import torchvision
from torchvision.models.detection import _utils as det_utils
from torchvision.models.detection.anchor_utils import AnchorGenerator, DefaultBoxGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.ops import boxes as box_ops

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import family_dir, save  # noqa: E402

FAMILY = "boxes"
assert torchvision.__version__.startswith("0.14"), torchvision.__version__


def rng(seed):
    return np.random.default_rng(seed)


def random_boxes(r, n, lo=-20.0, span=200.0, max_size=80.0):
    xy = r.uniform(lo, lo + span, size=(n, 2))
    wh = r.uniform(0.0, max_size, size=(n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(np.float32)


def odd_boxes(r, n):
    """Random boxes plus identical, degenerate (x2 < x1), zero-area, disjoint and nested ones."""
    b = random_boxes(r, n)
    b[1] = b[0]                      # identical to box 0
    b[2] = [10, 10, 5, 20]           # degenerate: x2 < x1
    b[3] = [3, 3, 3, 3]              # zero area
    b[4] = [500, 500, 510, 520]      # far away
    b[5] = [b[0, 0] + 1, b[0, 1] + 1, b[0, 2] - 1, b[0, 3] - 1]  # nested in box 0
    b[6] = [0, 0, 10, 10]
    b[7] = [10, 0, 20, 10]           # touches box 6
    return b.astype(np.float32)


def grad_of(fn, inputs, grad_output):
    ts = [torch.tensor(x, requires_grad=True) for x in inputs]
    out = fn(*ts)
    out.backward(torch.tensor(grad_output))
    return out.detach(), [t.grad for t in ts]


# ---- box ops --------------------------------------------------------------------------------------
def box_ops_cases():
    r = rng(1)
    b = odd_boxes(r, 37)
    b[9, 2] = np.nan
    g = r.standard_normal(37).astype(np.float32)
    out, (gb,) = grad_of(lambda x: box_ops.box_area(x), [b], g)
    save(FAMILY, "area_random", boxes=b, output=out, grad_output=g, grad_boxes=gb)
    save(FAMILY, "area_empty", boxes=np.zeros((0, 4), np.float32),
         output=box_ops.box_area(torch.zeros((0, 4))))

    for name, (n, m, seed) in {"giou_odd": (23, 41, 2), "giou_large": (150, 130, 3), "giou_one": (1, 1, 4)}.items():
        r = rng(seed)
        b1 = odd_boxes(r, n) if n > 8 else random_boxes(r, n)
        b2 = odd_boxes(r, m) if m > 8 else random_boxes(r, m)
        if n > 8:
            b2[:8] = b1[:8]  # identical pairs: ties in every min/max, 0/0 for the zero-area pair
        g = r.standard_normal((n, m)).astype(np.float32)
        out, (g1, g2) = grad_of(box_ops.generalized_box_iou, [b1, b2], g)
        save(FAMILY, name, boxes1=b1, boxes2=b2, output=out, grad_output=g, grad_boxes1=g1, grad_boxes2=g2)
    save(FAMILY, "giou_empty", boxes1=np.zeros((0, 4), np.float32), boxes2=random_boxes(rng(5), 3),
         output=np.zeros((0, 3), np.float32))

    r = rng(6)
    b = r.uniform(-50, 150, size=(3, 5, 4)).astype(np.float32)
    b[0, 0] = [0, 0, 80, 100]      # exactly on the limits (gradient passes)
    b[0, 1, 0] = np.nan
    b[1, 2] = [-0.0, 100.5, 79.99, -1e-8]
    g = r.standard_normal((3, 5, 4)).astype(np.float32)
    out, (gb,) = grad_of(lambda x: box_ops.clip_boxes_to_image(x, (100, 80)), [b], g)
    save(FAMILY, "clip_3d", boxes=b, size=np.array([100, 80], np.int32), output=out, grad_output=g, grad_boxes=gb)
    b2 = random_boxes(r, 17, lo=-30, span=100)
    g2 = r.standard_normal((17, 4)).astype(np.float32)
    out, (gb,) = grad_of(lambda x: box_ops.clip_boxes_to_image(x, (0, 37)), [b2], g2)
    save(FAMILY, "clip_zero_height", boxes=b2, size=np.array([0, 37], np.int32), output=out,
         grad_output=g2, grad_boxes=gb)

    r = rng(7)
    b = random_boxes(r, 300, max_size=30)
    b[0] = [0, 0, 10, 10]     # exactly min_size: kept
    b[1] = [0, 0, 9.999, 50]
    b[2] = [0, 0, np.nan, 50]
    b[3] = [5, 5, 0, 0]        # degenerate
    keep = box_ops.remove_small_boxes(torch.tensor(b), 10.0)
    save(FAMILY, "remove_small", boxes=b, min_size=np.array([10.0], np.float32), output=keep)
    save(FAMILY, "remove_small_none", boxes=b[:20], min_size=np.array([1000.0], np.float32),
         output=box_ops.remove_small_boxes(torch.tensor(b[:20]), 1000.0))

    r = rng(8)
    b = random_boxes(r, 19)
    b[3] = [1e8, -3, 1e8 + 1, 7]  # large magnitudes: rounding differs between routes
    fmts = ["xyxy", "xywh", "cxcywh"]
    for fi in fmts:
        for fo in fmts:
            g = r.standard_normal((19, 4)).astype(np.float32)
            out, (gb,) = grad_of(lambda x: box_ops.box_convert(x, fi, fo), [b], g)
            save(FAMILY, f"convert_{fi}_{fo}", boxes=b, output=out, grad_output=g, grad_boxes=gb)


# ---- anchors --------------------------------------------------------------------------------------
def anchor_case(name, sizes, ratios, image, grids):
    gen = AnchorGenerator(sizes, ratios)
    feats = [torch.zeros(1, 1, h, w) for h, w in grids]
    il = ImageList(torch.zeros(1, 3, *image), [tuple(image)])
    anchors = gen(il, feats)[0]
    save(FAMILY, name, grid_sizes=np.array(grids, np.int32), image_size=np.array(image, np.int32), output=anchors)


def ssd_case(name, ratios, image, grids, **kw):
    gen = DefaultBoxGenerator(ratios, **kw)
    feats = [torch.zeros(1, 1, h, w) for h, w in grids]
    il = ImageList(torch.zeros(1, 3, *image), [tuple(image)])
    boxes = gen(il, feats)[0]
    save(FAMILY, name, grid_sizes=np.array(grids, np.int32), image_size=np.array(image, np.int32), output=boxes)


def anchor_cases():
    anchor_case("anchor_default", ((128, 256, 512),), ((0.5, 1.0, 2.0),), (400, 608), [(25, 38)])
    # FPN levels; the last two strides differ from the others (200 // 7 = 28, 272 // 5 = 54)
    anchor_case("anchor_fpn", ((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5, (200, 272),
                [(50, 68), (25, 34), (13, 17), (7, 9), (4, 5)])
    # half-way roundings (41 / 2 = 20.5 -> 20, 43 / 2 = 21.5 -> 22), fractional sizes, odd ratios
    anchor_case("anchor_odd", ((16, 40.5, 41, 43),), ((0.25, 1.0, 3.0, 0.7),), (37, 53), [(5, 7)])

    ssd_case("ssd_paper", [[2, 3]] * 6, (300, 300), [(38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1)],
             min_ratio=0.2, max_ratio=0.9)
    ssd_case("ssd300_vgg16", [[2], [2, 3], [2, 3], [2, 3], [2], [2]], (300, 300),
             [(38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1)],
             scales=[0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05], steps=[8, 16, 32, 64, 100, 300])
    ssd_case("ssd_noclip_rect", [[2, 3]] * 3, (300, 500), [(19, 32), (10, 16), (5, 8)],
             min_ratio=0.2, max_ratio=0.95, clip=False)
    ssd_case("ssd_one_level", [[2]], (64, 96), [(4, 6)], min_ratio=0.3, max_ratio=0.8)


def yolo_reference(x, anchors, image):
    """cx = (sigmoid(tx) + col) / W * image_w, ..., w = exp(tw) * anchor_w; rows (a, row, col)."""
    b, c, h, w = x.shape
    a = anchors.shape[0]
    k = c // a
    t = torch.tensor(x).view(b, a, k, h, w).permute(0, 1, 3, 4, 2)  # [B, A, H, W, K]
    sig = lambda v: 1.0 / (1.0 + torch.exp(-v))
    col = torch.arange(w, dtype=torch.float32).view(1, 1, 1, w)
    row = torch.arange(h, dtype=torch.float32).view(1, 1, h, 1)
    ih, iw = float(image[0]), float(image[1])
    cx = (sig(t[..., 0]) + col) / w * iw
    cy = (sig(t[..., 1]) + row) / h * ih
    an = torch.tensor(anchors)
    pw = torch.exp(t[..., 2]) * an[:, 0].view(1, a, 1, 1)
    ph = torch.exp(t[..., 3]) * an[:, 1].view(1, a, 1, 1)
    boxes = torch.stack([cx - 0.5 * pw, cy - 0.5 * ph, cx + 0.5 * pw, cy + 0.5 * ph], dim=-1)
    out = torch.cat([boxes, sig(t[..., 4:])], dim=-1)
    return out.reshape(b, a * h * w, k)


def yolo_cases():
    r = rng(20)
    anchors = np.array([[10, 13], [16, 30], [33, 23]], np.float32)
    x = (r.standard_normal((2, 3 * 9, 5, 7)) * 2).astype(np.float32)
    save(FAMILY, "yolo_small", input=x, anchors=anchors, image_size=np.array([160, 224], np.int32),
         output=yolo_reference(x, anchors, (160, 224)))
    anchors2 = np.array([[116, 90], [156, 198]], np.float32)
    x2 = (r.standard_normal((1, 2 * 85, 13, 3)) * 2).astype(np.float32)  # COCO-sized K = 85
    save(FAMILY, "yolo_coco", input=x2, anchors=anchors2, image_size=np.array([416, 96], np.int32),
         output=yolo_reference(x2, anchors2, (416, 96)))


# ---- box coding -----------------------------------------------------------------------------------
def ssd_encode_reference(g, d, v):
    g, d = torch.tensor(g), torch.tensor(d)
    dw, dh = d[:, 2] - d[:, 0], d[:, 3] - d[:, 1]
    dcx, dcy = d[:, 0] + 0.5 * dw, d[:, 1] + 0.5 * dh
    gw, gh = g[:, 2] - g[:, 0], g[:, 3] - g[:, 1]
    gcx, gcy = g[:, 0] + 0.5 * gw, g[:, 1] + 0.5 * gh
    return torch.stack([(gcx - dcx) / (v[0] * dw), (gcy - dcy) / (v[0] * dh),
                        torch.log(gw / dw) / v[1], torch.log(gh / dh) / v[1]], dim=1)


def ssd_decode_reference(codes, d, v):
    codes, d = torch.tensor(codes), torch.tensor(d)
    n = d.shape[0]
    c = codes.reshape(n, -1, 4)
    dw, dh = (d[:, 2] - d[:, 0])[:, None], (d[:, 3] - d[:, 1])[:, None]
    dcx, dcy = d[:, 0][:, None] + 0.5 * dw, d[:, 1][:, None] + 0.5 * dh
    cx = dcx + (c[..., 0] * v[0]) * dw
    cy = dcy + (c[..., 1] * v[0]) * dh
    w = dw * torch.exp(c[..., 2] * v[1])
    h = dh * torch.exp(c[..., 3] * v[1])
    return torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=2).reshape(n, -1)


def coding_cases():
    r = rng(30)
    n = 64
    proposals = random_boxes(r, n, max_size=60) + np.float32(0)
    proposals[:, 2:] += 1  # positive sizes
    gt = random_boxes(r, n, max_size=60)
    gt[:, 2:] += 1
    for name, w in {"encode_w1": (1.0, 1.0, 1.0, 1.0), "encode_w10": (10.0, 10.0, 5.0, 5.0)}.items():
        coder = det_utils.BoxCoder(w)
        save(FAMILY, name, reference_boxes=gt, proposals=proposals, weights=np.array(w, np.float32),
             output=coder.encode_single(torch.tensor(gt), torch.tensor(proposals)))
    for name, w, k in [("decode_w1", (1.0, 1.0, 1.0, 1.0), 1), ("decode_w10_k3", (10.0, 10.0, 5.0, 5.0), 3)]:
        codes = (r.standard_normal((n, 4 * k)) * 1.5).astype(np.float32)
        codes[0, 2] = 10 * w[2]      # clamped at log(1000/16)
        codes[1, 3] = -20.0
        codes[2, 0] = np.nan
        coder = det_utils.BoxCoder(w)
        save(FAMILY, name, rel_codes=codes, boxes=proposals, weights=np.array(w, np.float32),
             output=coder.decode_single(torch.tensor(codes), torch.tensor(proposals)))
    v = (0.1, 0.2)
    save(FAMILY, "ssd_encode", reference_boxes=gt, default_boxes=proposals, variances=np.array(v, np.float32),
         output=ssd_encode_reference(gt, proposals, v))
    codes = (r.standard_normal((n, 8)) * 1.5).astype(np.float32)
    save(FAMILY, "ssd_decode_k2", rel_codes=codes, default_boxes=proposals, variances=np.array(v, np.float32),
         output=ssd_decode_reference(codes, proposals, v))


# ---- matching -------------------------------------------------------------------------------------
def matcher_case(name, q, high, low, allow):
    m = det_utils.Matcher(high, low, allow_low_quality_matches=allow)
    save(FAMILY, name, match_quality_matrix=q, high=np.array([high], np.float32), low=np.array([low], np.float32),
         allow=np.array([1 if allow else 0], np.int32), output=m(torch.tensor(q)))


def matching_cases():
    r = rng(40)
    gt = random_boxes(r, 7, max_size=60)
    gt[3] = gt[2]  # duplicate gt: identical rows, ties for the column max
    anchors = random_boxes(r, 300, max_size=60)
    anchors[10] = gt[0]
    anchors[11] = gt[0]  # two anchors tie as gt 0's best
    iou = box_ops.box_iou(torch.tensor(gt), torch.tensor(anchors)).numpy()
    matcher_case("match_plain", iou, 0.7, 0.3, False)
    matcher_case("match_lowq", iou, 0.7, 0.3, True)
    levels = np.array([0.0, 0.1, 0.3, 0.5, 0.7, 0.9], np.float32)
    q = levels[r.integers(0, 6, size=(9, 400))]  # many ties; values exactly at the thresholds
    matcher_case("match_ties", q, 0.7, 0.3, True)
    matcher_case("match_ties_plain", q, 0.7, 0.3, False)
    qn = r.uniform(0, 1, size=(5, 60)).astype(np.float32)
    qn[1, 7] = np.nan
    qn[:, 20] = np.nan
    qn[4, :] = 0.05
    matcher_case("match_nan", qn, 0.7, 0.3, True)
    matcher_case("match_one", np.array([[0.5]], np.float32), 0.7, 0.3, True)
    big = box_ops.box_iou(torch.tensor(random_boxes(r, 300, max_size=60)),
                          torch.tensor(random_boxes(r, 200, max_size=60))).numpy()
    matcher_case("match_many_gt", big, 0.5, 0.4, True)  # more gt rows than one shared-memory tile

    s = det_utils.SSDMatcher(0.5)
    q = iou.copy()
    save(FAMILY, "ssd_match", match_quality_matrix=q, threshold=np.array([0.5], np.float32), output=s(torch.tensor(q)))
    q2 = r.uniform(0, 0.4, size=(4, 30)).astype(np.float32)
    q2[0, 5] = q2[1, 5] = q2[3, 5] = 0.45  # three gts share best prediction 5: the last gt (3) wins
    save(FAMILY, "ssd_match_shared", match_quality_matrix=q2, threshold=np.array([0.5], np.float32),
         output=s(torch.tensor(q2)))


# ---- selections ------------------------------------------------------------------------------------
M64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def splitmix_at(state, k):
    return mix64((state + (k + 1) * GAMMA) & M64)


def sample_reference(labels, batch, fraction, seed):
    """detseg's sampler as docs/kernels/boxes.md defines it, written independently of the C++."""
    labels = np.atleast_2d(labels)
    pos_mask = np.zeros(labels.shape, np.uint8)
    neg_mask = np.zeros(labels.shape, np.uint8)
    max_pos = int(batch * fraction)
    for b, row in enumerate(labels):
        stream = splitmix_at(seed & M64, b)
        key = lambda i: (splitmix_at(stream, i) >> 32, i)
        pos = sorted(np.nonzero(row >= 1)[0].tolist(), key=key)
        neg = sorted(np.nonzero(row == 0)[0].tolist(), key=key)
        num_pos = min(len(pos), max_pos)
        num_neg = min(len(neg), batch - num_pos)
        pos_mask[b, pos[:num_pos]] = 1
        neg_mask[b, neg[:num_neg]] = 1
    return pos_mask, neg_mask


def hnm_reference(loss, labels, ratio):
    """Keep positives and the k = min(#neg, ceil(f32(ratio) * f32(#pos))) negatives of largest loss;
    NaN is the largest, -0.0 equals 0.0, ties go to the smaller index."""
    mask = np.zeros(loss.shape, np.uint8)
    neg_mask = np.zeros(loss.shape, np.uint8)
    for b in range(loss.shape[0]):
        pos = labels[b] > 0
        neg = np.nonzero(labels[b] == 0)[0].tolist()
        f = np.float32(ratio) * np.float32(pos.sum())
        k = min(len(neg), int(math.ceil(float(f))) if f > 0 else 0)
        order = sorted(neg, key=lambda i: (0 if np.isnan(loss[b, i]) else 1,
                                           0.0 if np.isnan(loss[b, i]) else -float(loss[b, i]), i))
        neg_mask[b, order[:k]] = 1
        mask[b] = pos | neg_mask[b].astype(bool)
    return mask, neg_mask


def selection_cases():
    r = rng(50)
    labels = r.choice([-1, 0, 0, 0, 0, 0, 1, 2, 5], size=(3, 1000)).astype(np.int32)
    labels[2, :] = np.where(labels[2] >= 1, 0, labels[2])  # an image without positives
    for seed in (0, 42, (1 << 63) + 12345):
        pm, nm = sample_reference(labels, 256, 0.5, seed)
        save(FAMILY, f"sample_seed{seed % 1000}", matched_idxs=labels,
             seed=np.array([seed & 0xFFFFFFFF, seed >> 32], np.uint32).view(np.int32),
             batch=np.array([256], np.int32), fraction=np.array([0.5], np.float32), pos_mask=pm, neg_mask=nm)

    loss = np.round(r.uniform(0, 3, size=(3, 600)), 1).astype(np.float32)  # many exact ties
    lab = r.choice([-1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3], size=(3, 600)).astype(np.int32)
    loss[0, 5] = np.nan
    loss[0, 6] = -0.0
    loss[0, 7] = np.float32("inf")
    loss[1, 9] = np.float32("-inf")
    lab[0, 5:8] = 0
    lab[2, :] = np.where(lab[2] > 0, 0, lab[2])
    lab[2, :3] = [1, 1, 1]  # few positives: k = 9
    for ratio in (3.0, 0.5, 2.5):
        mask, neg = hnm_reference(loss, lab, ratio)
        save(FAMILY, f"hnm_{str(ratio).replace('.', '_')}", loss=loss, labels=lab,
             ratio=np.array([ratio], np.float32), mask=mask, neg_mask=neg)
    few = np.zeros((1, 40), np.int32)
    few[0, :20] = 1  # more wanted negatives than there are: all 20 negatives
    lossf = r.uniform(0, 1, size=(1, 40)).astype(np.float32)
    mask, neg = hnm_reference(lossf, few, 3.0)
    save(FAMILY, "hnm_all_negatives", loss=lossf, labels=few, ratio=np.array([3.0], np.float32), mask=mask,
         neg_mask=neg)


def main():
    torch.manual_seed(0)
    family_dir(FAMILY)
    box_ops_cases()
    anchor_cases()
    yolo_cases()
    coding_cases()
    matching_cases()
    selection_cases()
    count = sum(len(f) for _, _, f in os.walk(os.path.join(os.path.dirname(__file__), "..", "..", "java", "src",
                                                            "test", "resources", "goldens", FAMILY)))
    print(f"wrote {count} files")


if __name__ == "__main__":
    main()
