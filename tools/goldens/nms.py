"""Goldens for the NMS family (docs/kernels/nms.md), from Debian's torch 1.13 / torchvision 0.14.

Run from the top of the checkout: /usr/bin/python3 tools/goldens/nms.py
Writes java/src/test/resources/goldens/nms/<case>/*.npy, read by NmsGoldenTest:
  nms_*      boxes, scores, iou_threshold, score_threshold, max_output_boxes -> keep
  batched_*  the same plus idxs                                                  -> keep
  soft_*     boxes, scores, sigma, iou_threshold, score_threshold, method (0 linear, 1 gaussian)
                                                                                 -> keep, kept_scores
  onnx_*     boxes [B,N,4], scores [B,C,N], center_point_box, max_output_boxes_per_class,
             iou_threshold, score_threshold                                      -> selected_indices

Where torchvision defines the answer it gives it: nms and batched_nms outputs are torchvision's.
detseg's additions are applied around torchvision's call: candidates are the boxes whose score is
not NaN (and > score_threshold when one is given), torchvision runs on those, the indices are mapped
back, and max_output_boxes keeps the first ones. Two documented points:
  * torchvision's batched_nms above 1000 boxes on the CPU orders equal scores by an unstable sort;
    detseg orders them by index (as torchvision's nms does). Such goldens hold torchvision's kept set
    in detseg's order, and the script checks that the set and the score order agree.
  * every case is also checked against the plain greedy reference below (same float32 operations),
    so a golden never records a rounding accident of torchvision's coordinate-offset trick.
Soft-NMS and ONNX NonMaxSuppression have no torchvision implementation: their goldens come from the
straightforward references below (Bodla et al. 2017; ONNX Runtime's rule).
Thresholds are float32 values (passed to torchvision as the double of that float), so Java reads the
exact threshold torchvision saw.
"""
import math
import os
import sys
import warnings

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_io import family_dir, save  # noqa: E402

FAMILY = "nms"
warnings.filterwarnings("ignore", category=RuntimeWarning)  # 0/0 IoUs of empty boxes are intended


def f32(x):
    return float(np.float32(x))


# ---- inputs -----------------------------------------------------------------------------------------
def random_boxes(rng, n, image=1024.0, min_size=16.0, max_size=256.0):
    w = rng.uniform(min_size, max_size, n)
    h = rng.uniform(min_size, max_size, n)
    x1 = rng.uniform(0, image - w)
    y1 = rng.uniform(0, image - h)
    return np.stack([x1, y1, x1 + w, y1 + h], 1).astype(np.float32)


def clustered_boxes(rng, n, clusters, image=512.0, size=64.0, jitter=6.0):
    centers = rng.uniform(size, image - size, (clusters, 2))
    c = centers[rng.integers(0, clusters, n)] + rng.normal(0, jitter, (n, 2))
    wh = size * rng.uniform(0.7, 1.3, (n, 2))
    return np.concatenate([c - wh / 2, c + wh / 2], 1).astype(np.float32)


# ---- references (float32, op by op as torchvision's CPU kernel) ------------------------------------
def iou_row(b, i, js):
    """IoU of box i against boxes js, float32, torchvision's formula and operation order."""
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    area = (x2 - x1) * (y2 - y1)
    xx1 = np.maximum(x1[i], x1[js])
    yy1 = np.maximum(y1[i], y1[js])
    xx2 = np.minimum(x2[i], x2[js])
    yy2 = np.minimum(y2[i], y2[js])
    w = np.maximum(np.float32(0), xx2 - xx1)
    h = np.maximum(np.float32(0), yy2 - yy1)
    inter = w * h
    return inter / ((area[i] + area[js]) - inter)


def visiting_order(scores, cand):
    idx = np.nonzero(cand)[0]
    return idx[np.lexsort((idx, -scores[idx].astype(np.float64)))]


def candidates(scores, score_threshold):
    c = ~np.isnan(scores)
    if score_threshold != -math.inf:
        c &= scores > np.float32(score_threshold)
    return c


def greedy_ref(boxes, scores, iou_threshold, idxs=None, score_threshold=-math.inf, max_output=-1):
    order = visiting_order(scores, candidates(scores, score_threshold))
    cls = np.zeros(len(scores), np.int64) if idxs is None else idxs.astype(np.int64)
    removed = np.zeros(len(scores), bool)
    keep = []
    for p, i in enumerate(order):
        if 0 <= max_output <= len(keep):
            break
        if removed[i]:
            continue
        keep.append(i)
        rest = order[p + 1:]
        rest = rest[(~removed[rest]) & (cls[rest] == cls[i])]
        if len(rest):
            removed[rest[iou_row(boxes, i, rest) > iou_threshold]] = True
    return np.array(keep, np.int64)


def soft_ref(boxes, scores, sigma, iou_threshold, score_threshold, method):
    """Soft-NMS as defined in docs/kernels/nms.md, one selection at a time, float32 arithmetic."""
    s = scores.astype(np.float32).copy()
    alive = [i for i in range(len(s)) if s[i] >= np.float32(score_threshold)]
    keep, kept = [], []
    sig = np.float32(sigma)
    while alive:
        best = alive[0]
        for j in alive[1:]:
            if s[j] > s[best]:
                best = j
        keep.append(best)
        kept.append(s[best])
        alive.remove(best)
        if not alive:
            break
        ious = iou_row(boxes, best, np.array(alive))
        for j, iou in zip(alive, ious):
            if method == 0:
                w = np.float32(1) - iou if iou > np.float32(iou_threshold) else np.float32(1)
            elif np.isnan(iou):
                w = np.float32(1)
            else:
                w = np.float32(math.exp(float(np.float32(-(iou * iou)) / sig)))
            s[j] = np.float32(s[j] * w)
        alive = [j for j in alive if s[j] >= np.float32(score_threshold)]
    return np.array(keep, np.int64), np.array(kept, np.float32)


def onnx_box(v, center):
    if center:
        hw, hh = v[:, 2] / np.float32(2), v[:, 3] / np.float32(2)
        return np.stack([v[:, 0] - hw, v[:, 1] - hh, v[:, 0] + hw, v[:, 1] + hh], 1)
    return np.stack([np.minimum(v[:, 1], v[:, 3]), np.minimum(v[:, 0], v[:, 2]), np.maximum(v[:, 1], v[:, 3]),
                     np.maximum(v[:, 0], v[:, 2])], 1)


def onnx_ref(boxes, scores, center, max_per_class, iou_threshold, score_threshold):
    """ONNX NonMaxSuppression with ONNX Runtime's suppression rule (positive inter, areas and union)."""
    out = []
    for b in range(boxes.shape[0]):
        bx = onnx_box(boxes[b], center).astype(np.float32)
        x1, y1, x2, y2 = bx.T
        area = (x2 - x1) * (y2 - y1)
        for c in range(scores.shape[1]):
            sc = scores[b, c]
            order = visiting_order(sc, candidates(sc, score_threshold))
            kept = []
            for i in order:
                if len(kept) >= max_per_class:
                    break
                ok = True
                for k in kept:
                    w = max(np.float32(0), min(x2[k], x2[i]) - max(x1[k], x1[i]))
                    h = max(np.float32(0), min(y2[k], y2[i]) - max(y1[k], y1[i]))
                    inter = np.float32(w * h)
                    uni = np.float32((area[k] + area[i]) - inter)
                    if inter > 0 and area[k] > 0 and area[i] > 0 and uni > 0 and inter / uni > np.float32(iou_threshold):
                        ok = False
                        break
                if ok:
                    kept.append(i)
            out += [[b, c, i] for i in kept]
    return np.array(out, np.int64).reshape(-1, 3)


# ---- torchvision with detseg's additions ------------------------------------------------------------
def tv_greedy(boxes, scores, iou_threshold, idxs=None, score_threshold=-math.inf, max_output=-1):
    cand = np.nonzero(candidates(scores, score_threshold))[0]
    if len(cand) == 0:
        return np.zeros(0, np.int64)
    b = torch.from_numpy(boxes[cand])
    s = torch.from_numpy(scores[cand])
    if idxs is None:
        k = torchvision.ops.nms(b, s, iou_threshold).numpy()
    else:
        k = torchvision.ops.batched_nms(b, s, torch.from_numpy(idxs[cand].astype(np.int64)), iou_threshold).numpy()
    k = cand[k]
    # detseg's order: decreasing score, ties by index. torchvision's nms already is; batched_nms above
    # 1000 boxes may permute equal scores (unstable sort), so check the score order and re-sort ties.
    ks = scores[k].astype(np.float64)
    assert np.all(ks[:-1] >= ks[1:]), "torchvision output not in decreasing score order"
    k = k[np.lexsort((k, -ks))]
    if max_output >= 0:
        k = k[:max_output]
    return k


def save_greedy(case, boxes, scores, iou_threshold, idxs=None, score_threshold=-math.inf, max_output=-1):
    iou_threshold = f32(iou_threshold)
    keep = tv_greedy(boxes, scores, iou_threshold, idxs, score_threshold, max_output)
    ref = greedy_ref(boxes, scores, iou_threshold, idxs, score_threshold, max_output)
    assert np.array_equal(keep, ref), f"{case}: torchvision and the reference disagree\n{keep}\n{ref}"
    arrays = dict(boxes=boxes, scores=scores, iou_threshold=np.array([iou_threshold], np.float32),
                  score_threshold=np.array([score_threshold], np.float32),
                  max_output_boxes=np.array([max_output], np.int32), keep=keep)
    if idxs is not None:
        arrays["idxs"] = idxs.astype(np.int32)
    save(FAMILY, case, **arrays)
    return keep


def main():
    family_dir(FAMILY)
    rng = np.random.default_rng(20261122)
    count = 0

    # -- nms: edge cases --------------------------------------------------------------------------
    save_greedy("nms_empty", np.zeros((0, 4), np.float32), np.zeros(0, np.float32), 0.5)
    save_greedy("nms_one_box", np.array([[1, 2, 30, 40]], np.float32), np.array([0.3], np.float32), 0.5)
    ident = np.tile(np.array([[10, 10, 50, 60]], np.float32), (12, 1))
    save_greedy("nms_identical_boxes", ident, rng.uniform(0, 1, 12).astype(np.float32), 0.5)
    save_greedy("nms_identical_boxes_and_scores", ident, np.full(12, 0.25, np.float32), 0.5)
    degenerate = np.array([[10, 10, 0, 0], [10, 10, 0, 0], [0, 0, 10, 10], [5, 5, 5, 5], [5, 5, 5, 5],
                           [0, 0, 10, 0], [20, 0, 10, 10], [0, 0, 10, 10.5]], np.float32)
    save_greedy("nms_degenerate_boxes", degenerate, np.array([.9, .8, .7, .6, .5, .4, .3, .2], np.float32), 0.5)
    save_greedy("nms_negative_threshold", random_boxes(rng, 40, image=256), rng.uniform(0, 1, 40).astype(np.float32),
                -0.25)
    save_greedy("nms_threshold_one", clustered_boxes(rng, 60, 3), rng.uniform(0, 1, 60).astype(np.float32), 1.0)
    save_greedy("nms_threshold_zero", clustered_boxes(rng, 120, 8), rng.uniform(0, 1, 120).astype(np.float32), 0.0)
    count += 8

    # -- nms: random, ties, clusters, thresholds --------------------------------------------------
    for n, thr in [(50, 0.5), (500, 0.3), (500, 0.7), (3000, 0.5), (1500, 0.9)]:
        save_greedy(f"nms_random_{n}_{int(thr * 100)}", random_boxes(rng, n, image=max(256.0, 16.0 * math.sqrt(n) * 6)),
                    rng.uniform(0, 1, n).astype(np.float32), thr)
        count += 1
    b = clustered_boxes(rng, 2000, 25)
    save_greedy("nms_clusters_50", b, rng.uniform(0, 1, 2000).astype(np.float32), 0.5)
    save_greedy("nms_clusters_80", b, rng.uniform(0, 1, 2000).astype(np.float32), 0.8)
    tie_boxes = clustered_boxes(rng, 1000, 40, jitter=10)
    tie_scores = rng.integers(0, 6, 1000).astype(np.float32) / np.float32(5)
    save_greedy("nms_ties", tie_boxes, tie_scores, 0.5)
    zeros = np.where(rng.uniform(0, 1, 300) < 0.5, np.float32(0.0), np.float32(-0.0)).astype(np.float32)
    save_greedy("nms_signed_zero_ties", clustered_boxes(rng, 300, 10), zeros, 0.4)
    count += 4

    # -- nms: non-finite scores (detseg: NaN dropped; +inf first, -inf last) ----------------------
    nb = clustered_boxes(rng, 200, 6)
    ns = rng.uniform(0, 1, 200).astype(np.float32)
    ns[rng.choice(200, 20, replace=False)] = np.nan
    ns[rng.choice(200, 5, replace=False)] = np.inf
    ns[rng.choice(200, 5, replace=False)] = -np.inf
    save_greedy("nms_nonfinite_scores", nb, ns, 0.5)
    save_greedy("nms_all_nan_scores", nb[:10], np.full(10, np.nan, np.float32), 0.5)
    count += 2

    # -- nms: score threshold and cap ---------------------------------------------------------------
    sb = random_boxes(rng, 800, image=512)
    ss = rng.uniform(0, 1, 800).astype(np.float32)
    save_greedy("nms_score_threshold", sb, ss, 0.5, score_threshold=f32(0.6))
    save_greedy("nms_max_output", sb, ss, 0.5, max_output=17)
    save_greedy("nms_score_threshold_and_max_output", sb, ss, 0.5, score_threshold=f32(0.25), max_output=40)
    save_greedy("nms_max_output_zero", sb, ss, 0.5, max_output=0)
    save_greedy("nms_max_output_above_kept", sb[:30], ss[:30], 0.5, max_output=1000)
    count += 5

    # -- batched_nms ------------------------------------------------------------------------------
    bb = clustered_boxes(rng, 600, 12)
    bs = rng.uniform(0, 1, 600).astype(np.float32)
    save_greedy("batched_one_class", bb, bs, 0.5, idxs=np.zeros(600, np.int32))
    save_greedy("batched_small_5_classes", bb[:200], bs[:200], 0.5, idxs=rng.integers(0, 5, 200))  # offset trick
    big = random_boxes(rng, 3000, image=512)
    save_greedy("batched_3000_80_classes", big, rng.uniform(0, 1, 3000).astype(np.float32), 0.5,
                idxs=rng.integers(0, 80, 3000))  # torchvision's per-class path
    tb = clustered_boxes(rng, 2500, 30)
    save_greedy("batched_ties_2500", tb, (rng.integers(0, 4, 2500) / 4).astype(np.float32), 0.6,
                idxs=rng.integers(0, 7, 2500))
    odd = np.array([-7, 3, 1_000_000, -2_000_000_000, 2_000_000_000])[rng.integers(0, 5, 1200)]
    save_greedy("batched_odd_class_ids", clustered_boxes(rng, 1200, 9), rng.uniform(0, 1, 1200).astype(np.float32),
                0.5, idxs=odd)
    save_greedy("batched_threshold_and_cap", big[:1500], rng.uniform(0, 1, 1500).astype(np.float32), 0.45,
                idxs=rng.integers(0, 10, 1500), score_threshold=f32(0.3), max_output=100)
    nan_s = rng.uniform(0, 1, 500).astype(np.float32)
    nan_s[::7] = np.nan
    save_greedy("batched_nan_scores", clustered_boxes(rng, 500, 5), nan_s, 0.5, idxs=rng.integers(0, 3, 500))
    save_greedy("batched_empty", np.zeros((0, 4), np.float32), np.zeros(0, np.float32), 0.5,
                idxs=np.zeros(0, np.int32))
    count += 8

    # -- soft_nms -----------------------------------------------------------------------------------
    def save_soft(case, boxes, scores, sigma, iou_threshold, score_threshold, method):
        sigma, iou_threshold, score_threshold = f32(sigma), f32(iou_threshold), f32(score_threshold)
        keep, kept = soft_ref(boxes, scores, sigma, iou_threshold, score_threshold, method)
        save(FAMILY, case, boxes=boxes, scores=scores, sigma=np.array([sigma], np.float32),
             iou_threshold=np.array([iou_threshold], np.float32),
             score_threshold=np.array([score_threshold], np.float32), method=np.array([method], np.int32),
             keep=keep, kept_scores=kept)

    cb = clustered_boxes(rng, 300, 10)
    cs = rng.uniform(0, 1, 300).astype(np.float32)
    save_soft("soft_linear", cb, cs, 0.5, 0.3, 0.001, 0)
    save_soft("soft_gaussian", cb, cs, 0.5, 0.3, 0.001, 1)
    save_soft("soft_gaussian_sigma_0_1_threshold_0_2", cb, cs, 0.1, 0.3, 0.2, 1)
    save_soft("soft_linear_threshold_0_7", cb, cs, 0.5, 0.7, 0.05, 0)
    ss2 = cs.copy()
    ss2[::9] = np.nan
    ss2[5] = np.inf
    save_soft("soft_linear_nan_scores", cb, ss2, 0.5, 0.3, 0.001, 0)
    save_soft("soft_gaussian_ties", cb[:120], (rng.integers(1, 4, 120) / 4).astype(np.float32), 0.5, 0.3, 0.001, 1)
    save_soft("soft_one_box", cb[:1], cs[:1], 0.5, 0.3, 0.001, 1)
    save_soft("soft_empty", np.zeros((0, 4), np.float32), np.zeros(0, np.float32), 0.5, 0.3, 0.001, 0)
    save_soft("soft_identical_boxes", ident, rng.uniform(0, 1, 12).astype(np.float32), 0.5, 0.3, 0.001, 0)
    count += 9

    # -- ONNX NonMaxSuppression beyond the conformance cases -----------------------------------------
    def save_onnx(case, boxes, scores, center, max_per_class, iou_threshold, score_threshold):
        iou_threshold, score_threshold = f32(iou_threshold), f32(score_threshold)
        sel = onnx_ref(boxes, scores, center, max_per_class, iou_threshold, score_threshold)
        save(FAMILY, case, boxes=boxes, scores=scores, center_point_box=np.array([center], np.int32),
             max_output_boxes_per_class=np.array([max_per_class], np.int32),
             iou_threshold=np.array([iou_threshold], np.float32),
             score_threshold=np.array([score_threshold], np.float32), selected_indices=sel)

    ob = np.stack([clustered_boxes(rng, 250, 8) for _ in range(2)])
    corners = ob[:, :, [1, 0, 3, 2]].copy()            # [y1, x1, y2, x2]
    flip = rng.uniform(0, 1, (2, 250)) < 0.5           # any two opposite corners
    corners[flip] = corners[flip][:, [2, 3, 0, 1]]
    oscores = rng.uniform(0, 1, (2, 3, 250)).astype(np.float32)
    save_onnx("onnx_corners_2x3x250", corners, oscores, 0, 20, 0.5, 0.2)
    centers = np.concatenate([(ob[:, :, :2] + ob[:, :, 2:]) / 2, ob[:, :, 2:] - ob[:, :, :2]], 2).astype(np.float32)
    save_onnx("onnx_center_2x3x250", centers, oscores, 1, 1000, 0.4, -math.inf)
    neg = centers.copy()
    neg[:, ::10, 2] *= -1                              # negative widths never suppress (ONNX Runtime)
    save_onnx("onnx_center_negative_width", neg, oscores, 1, 50, 0.3, 0.0)
    count += 3
    print(f"wrote {count} cases to goldens/{FAMILY} (torch {torch.__version__}, torchvision {torchvision.__version__})")

    # The double-threshold rule (not a golden: Java builds this case itself, NmsTest): IoU 0.3f is above
    # the double 0.3 but not above the float 0.3f, and torchvision compares float IoU with double.
    two = torch.tensor([[0, 0, 10, 10], [0, 0, 10, 3]], dtype=torch.float32)
    sc = torch.tensor([0.9, 0.8])
    assert torchvision.ops.nms(two, sc, 0.3).tolist() == [0]
    assert torchvision.ops.nms(two, sc, f32(0.3)).tolist() == [0, 1]


if __name__ == "__main__":
    main()
