"""Goldens of the loss family (java/src/test/resources/goldens/losses/), from PyTorch 1.13 / torchvision 0.14.

Run from the top of the checkout with Debian's python3: /usr/bin/python3 tools/goldens/losses.py

Each case folder holds its inputs, and for every reduction R it tests: out_R (the forward), go_R (the
upstream gradient used) and grad_R (the gradient of the first input, by autograd). Parameters of a case
are written in the Java test (LossGoldensTest) next to its name, and here.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_io  # noqa: E402
from golden_io import family_dir  # noqa: E402

FAMILY = "losses"


def save(family, case, **arrays):
    """golden_io.save, then 0-d arrays written again as 0-d (np.ascontiguousarray in golden_io.save makes
    them 1-d, but a reduced loss is a 0-d tensor)."""
    golden_io.save(family, case, **arrays)
    d = os.path.join(golden_io.ROOT, family, case)
    for name, a in arrays.items():
        a = np.asarray(a.detach().cpu().numpy() if hasattr(a, "detach") else a)
        if a.ndim == 0:
            if a.dtype == np.float64:
                a = a.astype(np.float32)
            if a.dtype == np.int64:
                a = a.astype(np.int32)
            np.save(os.path.join(d, name + ".npy"), a)
REDUCTIONS = ("none", "mean", "sum")


def run(case, fn, x, others, reductions=REDUCTIONS, seed=0):
    """Saves x, the other inputs, and per reduction the output, upstream gradient and d out / d x."""
    g = torch.Generator().manual_seed(seed)
    arrays = {"input": x}
    arrays.update(others)
    for r in reductions:
        xi = x.clone().requires_grad_(True)
        out = fn(xi, r)
        go = torch.randn(out.shape, generator=g) if r == "none" else torch.tensor(0.75)
        (gx,) = torch.autograd.grad(out, xi, go)
        arrays["out_" + r] = out.detach()
        arrays["go_" + r] = go
        arrays["grad_" + r] = gx
    save(FAMILY, case, **arrays)


def targets(g, shape, c, ignore=None, frac=0.2):
    t = torch.randint(0, c, shape, generator=g)
    if ignore is not None:
        mask = torch.rand(shape, generator=g) < frac
        t[mask] = ignore
    return t


def softmax_focal_ref(x, t, weight, alpha, gamma, ignore_index, reduction):
    """The softmax focal loss of docs/kernels/losses.md, composed from torch ops."""
    logp = x.log_softmax(1)
    valid = t != ignore_index
    tc = t.clamp(0, x.shape[1] - 1) * valid
    logpt = logp.gather(1, tc.unsqueeze(1)).squeeze(1)
    pt = logpt.exp()
    a = torch.full_like(logpt, alpha)
    if weight is not None:
        a = a * weight[tc]
    loss = -a * (1 - pt) ** gamma * logpt
    loss = torch.where(valid, loss, torch.zeros_like(loss))
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / valid.sum()


def balanced_bce_ref(x, t, beta, reduction):
    loss = -(beta * t * F.logsigmoid(x) + (1 - beta) * (1 - t) * F.logsigmoid(-x))
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def region_ref(kind, x, t, mode, from_logits=True, smooth=0.0, eps=1e-7, log_loss=False, ignore=None,
               reduction="mean"):
    """Dice / Jaccard with segmentation_models_pytorch's DiceLoss / JaccardLoss semantics (docs/kernels/losses.md),
    written here from those semantics."""
    bs, c = x.shape[0], x.shape[1]
    p = x
    if from_logits:
        p = x.log_softmax(1).exp() if mode == "multiclass" else F.logsigmoid(x).exp()
    if mode == "multiclass":
        yt = t.reshape(bs, -1)
        yp = p.reshape(bs, c, -1)
        if ignore is not None:
            m = yt != ignore
            yp = yp * m.unsqueeze(1)
            yt = F.one_hot((yt * m).long(), c).permute(0, 2, 1) * m.unsqueeze(1)
        else:
            yt = F.one_hot(yt.long(), c).permute(0, 2, 1)
    else:
        shape = (bs, 1, -1) if mode == "binary" else (bs, c, -1)
        yt = t.reshape(shape)
        yp = p.reshape(shape)
        if ignore is not None:
            m = yt != ignore
            yp = yp * m
            yt = yt * m
    yt = yt.to(yp.dtype)
    inter = (yp * yt).sum((0, 2))
    card = (yp + yt).sum((0, 2))
    if kind == "dice":
        score = (2 * inter + smooth) / (card + smooth).clamp_min(eps)
    else:
        score = (inter + smooth) / (card - inter + smooth).clamp_min(eps)
    loss = -torch.log(score.clamp_min(eps)) if log_loss else 1.0 - score
    loss = loss * (yt.sum((0, 2)) > 0).to(loss.dtype)
    return {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]


def yolo_ref(pred, tgt, nb, lc=5.0, ln=0.5, iou_target=True):
    """YOLOv1 loss per image as defined in docs/kernels/losses.md (IoU and responsibility detached)."""
    n, s, _, _ = pred.shape
    nc = tgt.shape[-1] - 5
    rows = torch.arange(s).view(1, s, 1).float()
    cols = torch.arange(s).view(1, 1, s).float()
    obj = tgt[..., 4] > 0

    def corners(cx, cy, w, h):
        w = w.clamp_min(0)
        h = h.clamp_min(0)
        return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, w * h

    tx1, ty1, tx2, ty2, ta = corners((cols + tgt[..., 0]) / s, (rows + tgt[..., 1]) / s, tgt[..., 2], tgt[..., 3])
    ious = []
    with torch.no_grad():
        for b in range(nb):
            p = pred[..., 5 * b:5 * b + 5]
            px1, py1, px2, py2, pa = corners((cols + p[..., 0]) / s, (rows + p[..., 1]) / s, p[..., 2], p[..., 3])
            iw = (torch.minimum(px2, tx2) - torch.maximum(px1, tx1)).clamp_min(0)
            ih = (torch.minimum(py2, ty2) - torch.maximum(py1, ty1)).clamp_min(0)
            inter = iw * ih
            union = pa + ta - inter
            ious.append(torch.where(union > 0, inter / union.clamp_min(1e-30), torch.zeros_like(union)))
        ious = torch.stack(ious, -1)
        best = ious.argmax(-1)  # first maximum
        best_iou = ious.gather(-1, best.unsqueeze(-1)).squeeze(-1)

    def root(v):
        return torch.sign(v) * torch.sqrt(v.abs() + 1e-6)

    loss = torch.zeros(n, s, s)
    for b in range(nb):
        p = pred[..., 5 * b:5 * b + 5]
        resp = obj & (best == b)
        conf_t = best_iou.clamp_min(0) if iou_target else torch.ones_like(best_iou)
        coord = lc * ((p[..., 0] - tgt[..., 0]) ** 2 + (p[..., 1] - tgt[..., 1]) ** 2
                      + (root(p[..., 2]) - torch.sqrt(tgt[..., 2])) ** 2 + (root(p[..., 3]) - torch.sqrt(tgt[..., 3])) ** 2)
        loss = loss + torch.where(resp, coord + (p[..., 4] - conf_t) ** 2, ln * p[..., 4] ** 2)
    cls = ((pred[..., 5 * nb:] - tgt[..., 5:]) ** 2).sum(-1)
    loss = loss + torch.where(obj, cls, torch.zeros_like(cls))
    return loss.sum((1, 2))


def main():
    family_dir(FAMILY)
    g = torch.Generator().manual_seed(1234)

    # ---- cross-entropy ------------------------------------------------------------------------------
    x = torch.randn(16, 7, generator=g) * 3
    t = targets(g, (16,), 7, ignore=-100)
    w = torch.rand(7, generator=g) + 0.5
    run("ce_nc", lambda xi, r: F.cross_entropy(xi, t, reduction=r), x, {"target": t})
    run("ce_nc_weight_smooth", lambda xi, r: F.cross_entropy(xi, t, weight=w, reduction=r, label_smoothing=0.2), x,
        {"target": t, "weight": w})
    x = torch.randn(2, 5, 3, 4, generator=g) * 2 + 10  # large offsets: the smoothing sum must not cancel
    t = targets(g, (2, 3, 4), 5, ignore=255)
    w = torch.rand(5, generator=g) + 0.25
    run("ce_nchw_weight_ii_smooth",
        lambda xi, r: F.cross_entropy(xi, t, weight=w, ignore_index=255, reduction=r, label_smoothing=0.1), x,
        {"target": t, "weight": w})
    run("ce_nchw_smooth", lambda xi, r: F.cross_entropy(xi, t, ignore_index=255, reduction=r, label_smoothing=0.3),
        x, {"target": t})
    x = torch.randn(3, 4, 300, generator=g)  # more than one 256-position tile per sample
    t = targets(g, (3, 300), 4, ignore=-100)
    run("ce_ncl", lambda xi, r: F.cross_entropy(xi, t, reduction=r), x, {"target": t})
    x = torch.randn(5, 1000, generator=g) * 4  # rows longer than a warp
    t = targets(g, (5,), 1000)
    w = torch.rand(1000, generator=g) + 0.1
    run("ce_wide", lambda xi, r: F.cross_entropy(xi, t, weight=w, reduction=r, label_smoothing=0.05), x,
        {"target": t, "weight": w})
    x = torch.randn(6, generator=g)  # unbatched [C] with a 0-d target
    t = torch.tensor(4)
    run("ce_unbatched", lambda xi, r: F.cross_entropy(xi, t, reduction=r), x, {"target": t})

    # ---- NLL ------------------------------------------------------------------------------------------
    x = torch.randn(4, 6, 5, 3, generator=g).log_softmax(1)
    t = targets(g, (4, 5, 3), 6, ignore=-1)
    w = torch.rand(6, generator=g) + 0.5
    run("nll_nchw_weight", lambda xi, r: F.nll_loss(xi, t, weight=w, ignore_index=-1, reduction=r), x,
        {"target": t, "weight": w})
    x = torch.randn(9, 4, generator=g).log_softmax(1)
    t = targets(g, (9,), 4, ignore=-100)
    run("nll_nc", lambda xi, r: F.nll_loss(xi, t, reduction=r), x, {"target": t})

    # ---- softmax focal (our definition, composed in torch) --------------------------------------------
    x = torch.randn(3, 5, 7, 6, generator=g) * 2
    t = targets(g, (3, 7, 6), 5, ignore=-100)
    w = torch.rand(5, generator=g) + 0.5
    run("softmax_focal_nchw", lambda xi, r: softmax_focal_ref(xi, t, w, 0.5, 2.0, -100, r), x,
        {"target": t, "weight": w})
    x = torch.randn(12, 40, generator=g) * 2
    t = targets(g, (12,), 40, ignore=-100)
    run("softmax_focal_nc_g15", lambda xi, r: softmax_focal_ref(xi, t, None, 1.0, 1.5, -100, r), x, {"target": t})

    # ---- BCE family ----------------------------------------------------------------------------------
    x = torch.rand(4, 3, 5, generator=g) * 0.98 + 0.01
    x[0, 0, 0] = 0.0  # log clamped at -100
    x[0, 0, 1] = 1.0
    tt = (torch.rand(4, 3, 5, generator=g) > 0.5).float()
    tt[0, 0, 2] = 0.3  # soft target
    w = torch.rand(3, 1, generator=g) + 0.5  # broadcast [3, 1] over [4, 3, 5]
    run("bce_weight", lambda xi, r: F.binary_cross_entropy(xi, tt, weight=w, reduction=r), x,
        {"target": tt, "weight": w})
    x = torch.randn(6, 4, generator=g) * 5
    x[0, 0] = 60.0
    x[0, 1] = -60.0
    tt = (torch.rand(6, 4, generator=g) > 0.6).float()
    tt[1, 1] = 0.25
    w = torch.rand(6, 4, generator=g) + 0.5
    pw = torch.rand(4, generator=g) * 3 + 0.2  # [C] over [N, C]
    run("bce_logits_weight_pos", lambda xi, r: F.binary_cross_entropy_with_logits(xi, tt, weight=w, pos_weight=pw,
                                                                                  reduction=r), x,
        {"target": tt, "weight": w, "pos_weight": pw})
    x = torch.randn(2, 3, 4, 5, generator=g) * 3
    tt = (torch.rand(2, 3, 4, 5, generator=g) > 0.5).float()
    pw = torch.rand(3, 1, 1, generator=g) + 0.5  # [C, 1, 1] over [N, C, H, W]
    run("bce_logits_pos_chw", lambda xi, r: F.binary_cross_entropy_with_logits(xi, tt, pos_weight=pw, reduction=r),
        x, {"target": tt, "pos_weight": pw})
    run("weighted_ce_beta3", lambda xi, r: F.binary_cross_entropy_with_logits(
        xi, tt, pos_weight=torch.tensor([3.0]), reduction=r), x, {"target": tt})
    run("balanced_ce_beta07", lambda xi, r: balanced_bce_ref(xi, tt, 0.7, r), x, {"target": tt})
    beta_auto = 1.0 - tt.mean().item()
    run("balanced_ce_auto", lambda xi, r: balanced_bce_ref(xi, tt, beta_auto, r), x, {"target": tt})

    # ---- sigmoid focal (torchvision) ------------------------------------------------------------------
    x = torch.randn(3, 4, 5, 6, generator=g) * 3
    x[0, 0, 0, 0] = 40.0
    x[0, 0, 0, 1] = -40.0
    tt = (torch.rand(3, 4, 5, 6, generator=g) > 0.7).float()
    for name, alpha, gamma in (("focal_a025_g2", 0.25, 2.0), ("focal_noalpha_g0", -1.0, 0.0),
                               ("focal_a06_g15", 0.6, 1.5)):
        run(name, lambda xi, r, a=alpha, gm=gamma: torchvision.ops.sigmoid_focal_loss(xi, tt, alpha=a, gamma=gm,
                                                                                         reduction=r), x,
            {"target": tt})

    # ---- regression -----------------------------------------------------------------------------------
    x = torch.randn(50, 4, generator=g) * 2
    tt = torch.randn(50, 4, generator=g) * 2
    x[0, :] = tt[0, :]  # exact zeros of x - t
    x[1, 0] = tt[1, 0] + 0.25
    for name, beta in (("smooth_l1_b1", 1.0), ("smooth_l1_b05", 0.5), ("smooth_l1_b0", 0.0),
                       ("smooth_l1_b1_9", 1.0 / 9)):
        run(name, lambda xi, r, b=beta: F.smooth_l1_loss(xi, tt, reduction=r, beta=b), x, {"target": tt})
    run("l1", lambda xi, r: F.l1_loss(xi, tt, reduction=r), x, {"target": tt})
    run("mse", lambda xi, r: F.mse_loss(xi, tt, reduction=r), x, {"target": tt})

    # ---- region losses ----------------------------------------------------------------------------------
    x = torch.randn(2, 4, 5, 6, generator=g) * 2
    t = torch.randint(0, 3, (2, 5, 6), generator=g)  # class 3 absent: its loss is masked to 0
    run("dice_multiclass", lambda xi, r: region_ref("dice", xi, t, "multiclass", reduction=r), x, {"target": t})
    run("jaccard_multiclass", lambda xi, r: region_ref("jaccard", xi, t, "multiclass", reduction=r), x, {"target": t})
    ti = t.clone()
    ti[0, 0, :] = 255
    run("dice_multiclass_ii_smooth_log", lambda xi, r: region_ref("dice", xi, ti, "multiclass", smooth=1.0,
                                                                  log_loss=True, ignore=255, reduction=r), x,
        {"target": ti})
    x = torch.randn(3, 1, 8, 8, generator=g) * 2
    tb = (torch.rand(3, 8, 8, generator=g) > 0.6).float()
    run("dice_binary", lambda xi, r: region_ref("dice", xi, tb, "binary", reduction=r), x, {"target": tb})
    run("jaccard_binary_smooth", lambda xi, r: region_ref("jaccard", xi, tb, "binary", smooth=0.5, reduction=r), x,
        {"target": tb})
    xp = torch.rand(3, 1, 8, 8, generator=g) * 0.9 + 0.05
    run("dice_binary_probs", lambda xi, r: region_ref("dice", xi, tb, "binary", from_logits=False, reduction=r), xp,
        {"target": tb})
    x = torch.randn(2, 3, 4, 5, generator=g) * 2
    tl = (torch.rand(2, 3, 4, 5, generator=g) > 0.5).float()
    tl[0, 1, 0, :] = -1.0
    tl[:, 2] = 0.0  # channel 2 empty
    run("dice_multilabel_ii", lambda xi, r: region_ref("dice", xi, tl, "multilabel", ignore=-1, reduction=r), x,
        {"target": tl})
    run("jaccard_multilabel_log", lambda xi, r: region_ref("jaccard", xi, tl, "multilabel", log_loss=True,
                                                           ignore=-1, reduction=r), x, {"target": tl})
    # compound: beta * region + (1 - beta) * distribution (CE or BCE with logits)
    x = torch.randn(2, 4, 5, 6, generator=g) * 2
    run("compound_dice_ce", lambda xi, r: 0.7 * region_ref("dice", xi, t, "multiclass", reduction=r)
        + 0.3 * F.cross_entropy(xi, t, reduction=r), x, {"target": t}, reductions=("mean", "sum"))
    x = torch.randn(3, 1, 8, 8, generator=g) * 2
    run("compound_jaccard_bce", lambda xi, r: 0.4 * region_ref("jaccard", xi, tb, "binary", reduction=r)
        + 0.6 * F.binary_cross_entropy_with_logits(xi, tb.reshape(xi.shape), reduction=r), x, {"target": tb},
        reductions=("mean", "sum"))

    # ---- composite detector losses ----------------------------------------------------------------------
    from torchvision.models.detection.roi_heads import fastrcnn_loss
    r, c = 12, 5
    logits = torch.randn(r, c, generator=g) * 2
    boxreg = torch.randn(r, 4 * c, generator=g)
    labels = torch.randint(0, c, (r,), generator=g)
    labels[:3] = 0
    rtargets = torch.randn(r, 4, generator=g) * 0.3
    li = logits.clone().requires_grad_(True)
    bi = boxreg.clone().requires_grad_(True)
    lc, lb = fastrcnn_loss(li, bi, [labels], [rtargets])
    gc, gb = torch.randn((), generator=g), torch.randn((), generator=g)
    gl, gbx = torch.autograd.grad((lc, lb), (li, bi), (gc, gb))
    save(FAMILY, "fastrcnn", class_logits=logits, box_regression=boxreg, labels=labels, regression_targets=rtargets,
         loss_classifier=lc.detach(), loss_box_reg=lb.detach(), grad_classifier=gc, grad_box=gb,
         grad_class_logits=gl, grad_box_regression=gbx)

    a = 40
    obj = torch.randn(a, generator=g) * 2
    deltas = torch.randn(a, 4, generator=g)
    rlabels = torch.randint(-1, 2, (a,), generator=g)
    rtg = torch.randn(a, 4, generator=g) * 0.2
    oi = obj.clone().requires_grad_(True)
    di = deltas.clone().requires_grad_(True)
    sampled = rlabels >= 0
    pos = rlabels == 1
    lo = F.binary_cross_entropy_with_logits(oi[sampled], rlabels[sampled].float())
    lbox = F.smooth_l1_loss(di[pos], rtg[pos], beta=1 / 9, reduction="sum") / sampled.sum()
    go1, go2 = torch.randn((), generator=g), torch.randn((), generator=g)
    g1, g2 = torch.autograd.grad((lo, lbox), (oi, di), (go1, go2))
    save(FAMILY, "rpn", objectness=obj, pred_bbox_deltas=deltas, labels=rlabels, regression_targets=rtg,
         loss_objectness=lo.detach(), loss_rpn_box_reg=lbox.detach(), grad_objectness_out=go1, grad_box_out=go2,
         grad_objectness=g1, grad_pred_bbox_deltas=g2)

    r, c, m = 6, 4, 7
    ml = torch.randn(r, c, m, m, generator=g) * 2
    mlab = torch.randint(0, c, (r,), generator=g)
    mt = (torch.rand(r, m, m, generator=g) > 0.5).float()
    mi = ml.clone().requires_grad_(True)
    mloss = F.binary_cross_entropy_with_logits(mi[torch.arange(r), mlab], mt)
    mgo = torch.randn((), generator=g)
    (mg,) = torch.autograd.grad(mloss, mi, mgo)
    save(FAMILY, "maskrcnn", mask_logits=ml, labels=mlab, mask_targets=mt, loss=mloss.detach(), grad_out=mgo,
         grad_mask_logits=mg)

    n, a, c = 2, 30, 4
    cls_logits = torch.randn(n, a, c, generator=g) * 2
    bbox = torch.randn(n, a, 4, generator=g)
    slabels = torch.zeros(n, a, dtype=torch.long)
    slabels[0, :4] = torch.tensor([1, 2, 3, 1])
    slabels[1, 5:7] = torch.tensor([2, 2])
    btgt = torch.randn(n, a, 4, generator=g) * 0.5
    ci = cls_logits.clone().requires_grad_(True)
    bi = bbox.clone().requires_grad_(True)
    fg = slabels > 0
    num_fg = fg.sum()
    bbox_loss = F.smooth_l1_loss(bi[fg], btgt[fg], reduction="sum") / num_fg  # torchvision SSD: beta 1
    ce = F.cross_entropy(ci.view(-1, c), slabels.view(-1), reduction="none").view(n, a)
    num_neg = 3 * fg.sum(1, keepdim=True)
    neg_loss = ce.detach().clone()
    neg_loss[fg] = -float("inf")
    _, idx = neg_loss.sort(1, descending=True)
    bg = idx.sort(1)[1] < num_neg
    cls_loss = (ce[fg].sum() + ce[bg].sum()) / num_fg
    gs1, gs2 = torch.randn((), generator=g), torch.randn((), generator=g)
    gcl, gbb = torch.autograd.grad((bbox_loss, cls_loss), (ci, bi), (gs1, gs2))
    save(FAMILY, "ssd", cls_logits=cls_logits, bbox_regression=bbox, labels=slabels, bbox_targets=btgt,
         loss_bbox=bbox_loss.detach(), loss_cls=cls_loss.detach(), grad_bbox_out=gs1, grad_cls_out=gs2,
         grad_cls_logits=gcl, grad_bbox_regression=gbb, used=(fg | bg).float())

    n, s, nb, nc = 2, 4, 2, 3
    pred = torch.rand(n, s, s, 5 * nb + nc, generator=g)
    tgt = torch.zeros(n, s, s, 5 + nc)
    objm = torch.rand(n, s, s, generator=g) > 0.6
    tgt[..., 0:2] = torch.rand(n, s, s, 2, generator=g)
    tgt[..., 2:4] = torch.rand(n, s, s, 2, generator=g) * 0.5 + 0.05
    tgt[..., 4] = objm.float()
    cls_idx = torch.randint(0, nc, (n, s, s), generator=g)
    tgt[..., 5:] = F.one_hot(cls_idx, nc).float()
    tgt[~objm] = 0
    arrays = {"input": pred, "target": tgt}
    for r in REDUCTIONS:
        pi = pred.clone().requires_grad_(True)
        per = yolo_ref(pi, tgt, nb)
        out = {"none": per, "sum": per.sum(), "mean": per.sum() / n}[r]
        go = torch.randn(out.shape, generator=g) if r == "none" else torch.tensor(0.75)
        (gp,) = torch.autograd.grad(out, pi, go)
        arrays.update({"out_" + r: out.detach(), "go_" + r: go, "grad_" + r: gp})
    save(FAMILY, "yolov1", **arrays)

    # ---- R-CNN box regression: 0.5 sum (t - p)^2 + lambda ||w||^2 (docs/kernels/losses.md) ------------
    x = torch.randn(7, 4, generator=g)
    tt = torch.randn(7, 4, generator=g)
    wt = torch.randn(5, 4, generator=g) * 0.1
    lam = 10.0

    def rcnn(xi, wi, r):
        n = xi.shape[0]
        rows = 0.5 * ((tt - xi) ** 2).sum(1) + lam * (wi ** 2).sum() / n
        return {"none": rows, "sum": rows.sum(), "mean": rows.sum() / n}[r]

    arrays = {"input": x, "target": tt, "weight": wt}
    for r in REDUCTIONS:
        xi = x.clone().requires_grad_(True)
        wi = wt.clone().requires_grad_(True)
        out = rcnn(xi, wi, r)
        go = torch.randn(out.shape, generator=g) if r == "none" else torch.tensor(0.75)
        gx, gw = torch.autograd.grad(out, (xi, wi), go)
        arrays.update({"out_" + r: out.detach(), "go_" + r: go, "grad_" + r: gx, "gradw_" + r: gw})
    save(FAMILY, "rcnn_l2_lambda10", **arrays)

    # ---- softmax losses with many classes (own generator: the cases above keep their inputs) ---------
    # The CPU shortens its spatial tiles as C grows (C x tile within a stack block of 8192 floats) and
    # keeps exp(x - max) there, on the heap past 512 classes or (rows) 8192 (native/cpu/loss_tile.h).
    g = torch.Generator().manual_seed(4321)
    x = torch.randn(1, 150, 5, 11, generator=g) * 3  # tiles of 48 positions: 48 + 7
    t = targets(g, (1, 5, 11), 150, ignore=255)
    w = torch.rand(150, generator=g) + 0.5
    run("ce_nchw_150_classes",
        lambda xi, r: F.cross_entropy(xi, t, weight=w, ignore_index=255, reduction=r, label_smoothing=0.1), x,
        {"target": t, "weight": w})
    x = torch.randn(1, 520, 2, 9, generator=g) * 2  # tiles of 16 positions, exp block on the heap
    t = targets(g, (1, 2, 9), 520, ignore=-100)
    run("softmax_focal_nchw_520_classes", lambda xi, r: softmax_focal_ref(xi, t, None, 0.25, 2.0, -100, r), x,
        {"target": t})
    x = torch.randn(1, 8300, generator=g) * 2  # a row longer than the stack block
    t = targets(g, (1,), 8300)
    run("ce_rows_8300_classes", lambda xi, r: F.cross_entropy(xi, t, reduction=r), x, {"target": t})
    x = torch.randn(1, 520, 3, 7, generator=g) * 2  # region loss softmax: tiles of 16, block on the heap
    t = targets(g, (1, 3, 7), 520)
    run("jaccard_multiclass_520_classes", lambda xi, r: region_ref("jaccard", xi, t, "multiclass", reduction=r), x,
        {"target": t})


if __name__ == "__main__":
    main()
