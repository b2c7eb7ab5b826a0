"""torchvision equivalents of bench/cases/nms.json (Debian's torch 1.13 / torchvision 0.14).

detseg's nms / batched_nms take torchvision's parameters plus score_threshold (boxes with score > it are
candidates; -Infinity: none) and max_output_boxes (-1: no cap); the peer applies those around
torchvision's call the same way (docs/kernels/nms.md). torchvision returns int64 indices, detseg int32.
"""
import math

import torch
import torchvision

GRAD_INPUTS = {}


def _candidates(scores, params):
    st = float(params.get("score_threshold", "-Infinity"))
    keep = ~torch.isnan(scores)
    if st != -math.inf:
        keep &= scores > st
    return torch.nonzero(keep).flatten()


def forward(op, inputs, params):
    boxes, scores = inputs["boxes"], inputs["scores"]
    iou = float(params["iou_threshold"])
    plain = params.get("score_threshold", "-Infinity") in ("-Infinity", "-inf") and not torch.isnan(scores).any()
    cand = None if plain else _candidates(scores, params)
    if cand is not None:
        boxes, scores = boxes[cand], scores[cand]
    if op == "nms":
        keep = torchvision.ops.nms(boxes, scores, iou)
    elif op == "batched_nms":
        idxs = inputs["idxs"] if cand is None else inputs["idxs"][cand]
        keep = torchvision.ops.batched_nms(boxes, scores, idxs, iou)
    else:
        raise ValueError(f"no torchvision peer for op {op}")
    if cand is not None:
        keep = cand[keep]
    cap = int(params.get("max_output_boxes", "-1"))
    return keep[:cap] if cap >= 0 else keep
