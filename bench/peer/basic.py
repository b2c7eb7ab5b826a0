"""PyTorch/torchvision equivalents of the first ops (bench/cases/basic.json), for bench/harness/peer.py.

forward(op, inputs, params): inputs is a dict of torch tensors named as detseg's registry names them
(PyTorch's names), params a dict of strings; returns the output tensor (or a tuple).
GRAD_INPUTS[op]: the inputs whose gradients the backward computes (detseg's differentiable inputs).
"""

import torch
import torchvision

GRAD_INPUTS = {
    "add": ["input", "other"],
    "mul": ["input", "other"],
    "relu": ["input"],
    "sum": ["input"],
    "max": ["input"],
    "box_iou": [],
}

_OPS = {
    "add": lambda i, p: torch.add(i["input"], i["other"]),
    "mul": lambda i, p: torch.mul(i["input"], i["other"]),
    "relu": lambda i, p: torch.relu(i["input"]),
    "sum": lambda i, p: torch.sum(i["input"]),
    "max": lambda i, p: torch.max(i["input"]),  # full reduction to a 0-d tensor, as detseg's max
    "box_iou": lambda i, p: torchvision.ops.box_iou(i["boxes1"], i["boxes2"]),
}


def forward(op, inputs, params):
    return _OPS[op](inputs, params)
