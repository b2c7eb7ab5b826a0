"""PyTorch equivalents of bench/cases/conv.json (the conv family's `detseg op` names and params).

forward(op, inputs, params) gets torch tensors (requires_grad set on GRAD_INPUTS[op]) and the params
as the strings `detseg op` takes, and returns the output tensor, as bench/README.md specifies.
"""
import torch
import torch.nn.functional as F

GRAD_INPUTS = {
    "matmul": ["input", "other"],
    "linear": ["input", "weight", "bias"],
    "conv2d": ["input", "weight", "bias"],
    "conv_transpose2d": ["input", "weight", "bias"],
}


def _ints(text):
    v = [int(t) for t in str(text).split(",")]
    return v[0] if len(v) == 1 else tuple(v)


def _padding(text):
    t = str(text).strip().lower()
    return t if t in ("same", "valid") else _ints(t)


def forward(op, inputs, params):
    if op == "matmul":
        return torch.matmul(inputs["input"], inputs["other"])
    if op == "linear":
        return F.linear(inputs["input"], inputs["weight"], inputs.get("bias"))
    if op == "conv2d":
        return F.conv2d(inputs["input"], inputs["weight"], inputs.get("bias"),
                        stride=_ints(params.get("stride", "1")), padding=_padding(params.get("padding", "0")),
                        dilation=_ints(params.get("dilation", "1")), groups=int(params.get("groups", "1")))
    if op == "conv_transpose2d":
        size = params.get("output_size", "none")
        stride = _ints(params.get("stride", "1"))
        padding = _ints(params.get("padding", "0"))
        dilation = _ints(params.get("dilation", "1"))
        groups = int(params.get("groups", "1"))
        output_padding = _ints(params.get("output_padding", "0"))
        if str(size).lower() != "none":
            # torch.nn.ConvTranspose2d(...)(x, output_size): derive output_padding from the size
            x, w = inputs["input"], inputs["weight"]
            want = _ints(size)
            want = (want, want) if isinstance(want, int) else want
            s = (stride, stride) if isinstance(stride, int) else stride
            p = (padding, padding) if isinstance(padding, int) else padding
            d = (dilation, dilation) if isinstance(dilation, int) else dilation
            output_padding = tuple(want[i] - ((x.shape[2 + i] - 1) * s[i] - 2 * p[i] + d[i] * (w.shape[2 + i] - 1) + 1)
                                   for i in range(2))
        return F.conv_transpose2d(inputs["input"], inputs["weight"], inputs.get("bias"), stride=stride,
                                  padding=padding, output_padding=output_padding, groups=groups, dilation=dilation)
    raise ValueError(f"bench/peer/conv.py: unknown op {op}")
