"""PyTorch equivalents of the nn family's benchmark cases (bench/cases/nn.json), for the same inputs.

forward(op, inputs, params) receives torch tensors (requires_grad set for GRAD_INPUTS[op]) and the
case's params as the strings `detseg op` takes, and returns what torch.nn.functional returns.
"""
import torch
import torch.nn.functional as F


def _ints(s):
    v = [int(x) for x in str(s).split(",")]
    return v[0] if len(v) == 1 else tuple(v)


def _opt_ints(params, name):
    s = params.get(name, "none")
    return None if str(s).lower() == "none" else _ints(s)


def _opt_floats(params, name):
    s = params.get(name, "none")
    if str(s).lower() == "none":
        return None
    v = [float(x) for x in str(s).split(",")]
    return v[0] if len(v) == 1 else tuple(v)


def _opt_bool(params, name):
    s = str(params.get(name, "none")).lower()
    return None if s == "none" else s == "true"


def _bool(params, name, default):
    return str(params.get(name, default)).lower() == "true"


def forward(op, inputs, params):
    if op == "max_pool2d":
        return F.max_pool2d(inputs["input"], _ints(params["kernel_size"]), _opt_ints(params, "stride"),
                            _ints(params.get("padding", "0")), _ints(params.get("dilation", "1")),
                            _bool(params, "ceil_mode", "false"), return_indices=True)
    if op == "avg_pool2d":
        return F.avg_pool2d(inputs["input"], _ints(params["kernel_size"]), _opt_ints(params, "stride"),
                            _ints(params.get("padding", "0")), _bool(params, "ceil_mode", "false"),
                            _bool(params, "count_include_pad", "true"), _opt_ints(params, "divisor_override"))
    if op == "adaptive_avg_pool2d":
        return F.adaptive_avg_pool2d(inputs["input"], _ints(params["output_size"]))
    if op == "adaptive_max_pool2d":
        return F.adaptive_max_pool2d(inputs["input"], _ints(params["output_size"]), return_indices=True)
    if op == "max_unpool2d":
        return F.max_unpool2d(inputs["input"], inputs["indices"].long(), _ints(params["kernel_size"]),
                              _opt_ints(params, "stride"), _ints(params.get("padding", "0")),
                              _opt_ints(params, "output_size"))
    if op == "interpolate":
        size = _opt_ints(params, "size")
        return F.interpolate(inputs["input"], size=size, scale_factor=_opt_floats(params, "scale_factor"),
                             mode=params.get("mode", "nearest"), align_corners=_opt_bool(params, "align_corners"),
                             recompute_scale_factor=_opt_bool(params, "recompute_scale_factor"))
    if op == "batch_norm":
        return F.batch_norm(inputs["input"], inputs["running_mean"], inputs["running_var"], inputs["weight"],
                            inputs["bias"], _bool(params, "training", "false"), float(params.get("momentum", 0.1)),
                            float(params.get("eps", 1e-5)))
    if op == "relu6":
        return F.relu6(inputs["input"])
    if op == "leaky_relu":
        return F.leaky_relu(inputs["input"], float(params.get("negative_slope", 0.01)))
    if op == "sigmoid":
        return torch.sigmoid(inputs["input"])
    if op == "tanh":
        return torch.tanh(inputs["input"])
    if op == "cat":
        return torch.cat([inputs["tensors.0"], inputs["tensors.1"]], int(params.get("dim", 0)))
    if op == "split":
        s = [int(x) for x in str(params["split_size_or_sections"]).split(",")]
        return torch.split(inputs["input"], s[0] if len(s) == 1 else s, int(params.get("dim", 0)))
    if op == "pad":
        p = [int(x) for x in str(params["pad"]).split(",")]
        mode = params.get("mode", "constant")
        if mode == "constant":
            return F.pad(inputs["input"], p, mode=mode, value=float(params.get("value", 0)))
        return F.pad(inputs["input"], p, mode=mode)
    raise ValueError("bench/peer/nn.py: no PyTorch equivalent for op " + op)


GRAD_INPUTS = {
    "max_pool2d": ["input"],
    "avg_pool2d": ["input"],
    "adaptive_avg_pool2d": ["input"],
    "adaptive_max_pool2d": ["input"],
    "max_unpool2d": ["input"],
    "interpolate": ["input"],
    "batch_norm": ["input", "weight", "bias"],
    "relu6": ["input"],
    "leaky_relu": ["input"],
    "sigmoid": ["input"],
    "tanh": ["input"],
    "cat": ["tensors.0", "tensors.1"],
    "split": ["input"],
    "pad": ["input"],
}
