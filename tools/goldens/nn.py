#!/usr/bin/env python3
"""Goldens of the nn op family (pooling, resize, batch norm, activations, cat/split, pad) from PyTorch.

Run from the top of the checkout with Debian's python3 (python3-torch 1.13):

    /usr/bin/python3 tools/goldens/nn.py

For each case it writes java/src/test/resources/goldens/nn/<case>/:
  <input>.npy          every input of the registry op (float32, int32 indices)
  <output>.npy         every output as PyTorch computes it
  gout_<output>.npy    the gradient fed to the backward (random normal) for each float output
  grad_<input>.npy     PyTorch's gradient of each differentiable input
  after_<input>.npy    an input the op updates in place (batch norm's running statistics)
and one line per case in goldens/nn/manifest.tsv:  case <TAB> op <TAB> atol <TAB> rtol {<TAB> param=value}
where op and params are exactly what `detseg op` takes (io.detseg.ops.registry.NnOpsRegistration),
so the Java test (io.detseg.ops.nn.NnGoldenTest) runs every case through the registry on each backend.

Shapes are chosen to be awkward: non-square maps and kernels, stride larger than the kernel,
dilation with padding, ceil_mode overhang, batch > 1, 1x1 maps, channel counts that are not a
multiple of anything, ties and NaN-free integer inputs for argmax tie-breaking.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import golden_io  # noqa: E402

FAMILY = "nn"
MANIFEST = []


def t(a, grad=False):
    x = torch.tensor(np.asarray(a, dtype=np.float32))
    x.requires_grad_(grad)
    return x


def rnd(seed, *shape, scale=1.0, shift=0.0):
    g = np.random.default_rng(seed)
    return (g.standard_normal(shape) * scale + shift).astype(np.float32)


def fmt(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "none"
    if isinstance(v, (list, tuple)):
        return ",".join(fmt(x) for x in v)
    if isinstance(v, float):
        return repr(v)
    return str(v)


def case(name, op, inputs, outputs, params, grads=None, gouts=None, after=None, atol=1e-5, rtol=1e-5):
    """Saves one case: inputs/outputs/grads are dicts name -> tensor or array."""
    arrays = {}
    for k, v in inputs.items():
        arrays[k] = v
    for k, v in outputs.items():
        arrays[k] = v
    for k, v in (gouts or {}).items():
        arrays["gout_" + k] = v
    for k, v in (grads or {}).items():
        arrays["grad_" + k] = v
    for k, v in (after or {}).items():
        arrays["after_" + k] = v
    golden_io.save(FAMILY, name, **arrays)
    fields = [name, op, repr(float(atol)), repr(float(rtol))] + ["%s=%s" % (k, fmt(v)) for k, v in params.items()]
    MANIFEST.append("\t".join(fields))


def backward(outs, gouts, inputs):
    """Gradients of sum(gout * out) w.r.t. the inputs that require grad (None for those without a path)."""
    ts = [o for o in outs]
    gs = [torch.tensor(g) for g in gouts]
    torch.autograd.backward(ts, gs)
    return {k: (v.grad if v.grad is not None else torch.zeros_like(v)) for k, v in inputs.items()}


# ---- pooling ------------------------------------------------------------------------------------------

def max_pool(name, shape, k, s=None, p=0, d=1, ceil=False, seed=0, ints=False):
    g = np.random.default_rng(seed)
    x_np = g.integers(-3, 4, size=shape).astype(np.float32) if ints else rnd(seed, *shape)
    x = t(x_np, True)
    y, ind = F.max_pool2d(x, k, s, p, d, ceil, return_indices=True)
    gout = rnd(seed + 100, *y.shape)
    gr = backward([y], [gout], {"input": x})
    params = {"kernel_size": k, "stride": s, "padding": p, "dilation": d, "ceil_mode": ceil}
    case(name, "max_pool2d", {"input": x_np}, {"output": y, "indices": ind}, params, grads=gr,
         gouts={"output": gout}, atol=0, rtol=0)


def avg_pool(name, shape, k, s=None, p=0, ceil=False, cip=True, div=None, seed=0):
    x_np = rnd(seed, *shape)
    x = t(x_np, True)
    y = F.avg_pool2d(x, k, s, p, ceil, cip, div)
    gout = rnd(seed + 100, *y.shape)
    gr = backward([y], [gout], {"input": x})
    params = {"kernel_size": k, "stride": s, "padding": p, "ceil_mode": ceil, "count_include_pad": cip,
              "divisor_override": div}
    case(name, "avg_pool2d", {"input": x_np}, {"output": y}, params, grads=gr, gouts={"output": gout},
         atol=1e-6, rtol=1e-5)


def adaptive(name, shape, out, mx, seed=0):
    x_np = rnd(seed, *shape)
    x = t(x_np, True)
    if mx:
        y, ind = F.adaptive_max_pool2d(x, out, return_indices=True)
        outs = {"output": y, "indices": ind}
    else:
        y = F.adaptive_avg_pool2d(x, out)
        outs = {"output": y}
    gout = rnd(seed + 100, *y.shape)
    gr = backward([y], [gout], {"input": x})
    case(name, "adaptive_max_pool2d" if mx else "adaptive_avg_pool2d", {"input": x_np}, outs, {"output_size": out},
         grads=gr, gouts={"output": gout}, atol=0 if mx else 1e-6, rtol=0 if mx else 1e-5)


def max_unpool(name, shape, k, s=None, p=0, output_size=None, seed=0):
    src = torch.tensor(rnd(seed, *shape))
    pooled, ind = F.max_pool2d(src, k, s, p, return_indices=True)
    x = pooled.detach().clone().requires_grad_(True)
    y = F.max_unpool2d(x, ind, k, s, p, output_size)
    gout = rnd(seed + 100, *y.shape)
    gr = backward([y], [gout], {"input": x})
    case(name, "max_unpool2d", {"input": pooled.detach(), "indices": ind},
         {"output": y}, {"kernel_size": k, "stride": s, "padding": p, "output_size": output_size}, grads=gr,
         gouts={"output": gout}, atol=0, rtol=0)


# ---- resize -------------------------------------------------------------------------------------------

def interp(name, shape, size=None, scale=None, mode="nearest", align=None, recompute=None, seed=0, atol=2e-6,
           rtol=1e-5):
    x_np = rnd(seed, *shape)
    x = t(x_np, True)
    y = F.interpolate(x, size=size, scale_factor=scale, mode=mode, align_corners=align,
                      recompute_scale_factor=recompute)
    gout = rnd(seed + 100, *y.shape)
    gr = backward([y], [gout], {"input": x})
    params = {"size": size, "scale_factor": scale, "mode": mode, "align_corners": align,
              "recompute_scale_factor": recompute}
    case(name, "interpolate", {"input": x_np}, {"output": y}, params, grads=gr, gouts={"output": gout}, atol=atol,
         rtol=rtol)


def bed_of_nails(name, shape, s, seed=0):
    x_np = rnd(seed, *shape)
    sh, sw = (s, s) if isinstance(s, int) else s
    n, c, h, w = shape
    y = np.zeros((n, c, h * sh, w * sw), np.float32)
    y[:, :, ::sh, ::sw] = x_np
    gout = rnd(seed + 100, *y.shape)
    gi = gout[:, :, ::sh, ::sw]
    case(name, "upsample_bed_of_nails", {"input": x_np}, {"output": y}, {"scale_factor": s},
         grads={"input": gi}, gouts={"output": gout}, atol=0, rtol=0)


# ---- batch norm ---------------------------------------------------------------------------------------

def batch_norm(name, shape, training, momentum=0.1, eps=1e-5, seed=0, scale=1.0, shift=0.0, atol=2e-5, rtol=2e-5):
    c = shape[1]
    x_np = rnd(seed, *shape, scale=scale, shift=shift)
    w_np = rnd(seed + 1, c, scale=0.5, shift=1.0)
    b_np = rnd(seed + 2, c, scale=0.5)
    rm_np = rnd(seed + 3, c, scale=0.3)
    rv_np = np.abs(rnd(seed + 4, c)) + 0.5
    x, w, b = t(x_np, True), t(w_np, True), t(b_np, True)
    rm, rv = torch.tensor(rm_np), torch.tensor(rv_np)
    y = F.batch_norm(x, rm, rv, w, b, training, momentum, eps)
    gout = rnd(seed + 100, *y.shape)
    gr = backward([y], [gout], {"input": x, "weight": w, "bias": b})
    case(name, "batch_norm",
         {"input": x_np, "running_mean": rm_np, "running_var": rv_np, "weight": w_np, "bias": b_np},
         {"output": y}, {"training": training, "momentum": momentum, "eps": eps}, grads=gr,
         gouts={"output": gout}, after={"running_mean": rm, "running_var": rv}, atol=atol, rtol=rtol)


# ---- activations --------------------------------------------------------------------------------------

def activation(name, op, x_np, fn, params=None, atol=1e-6, rtol=2e-6):
    x = t(x_np, True)
    y = fn(x)
    gout = rnd(7, *y.shape)
    gr = backward([y], [gout], {"input": x})
    case(name, op, {"input": x_np}, {"output": y}, params or {}, grads=gr, gouts={"output": gout}, atol=atol,
         rtol=rtol)


# ---- cat, split, pad ----------------------------------------------------------------------------------

def cat(name, shapes, dim, seed=0):
    xs_np = [rnd(seed + i, *s) for i, s in enumerate(shapes)]
    xs = [t(a, True) for a in xs_np]
    y = torch.cat(xs, dim)
    gout = rnd(seed + 100, *y.shape)
    gr = backward([y], [gout], {"tensors.%d" % i: x for i, x in enumerate(xs)})
    case(name, "cat", {"tensors.%d" % i: a for i, a in enumerate(xs_np)}, {"output": y}, {"dim": dim}, grads=gr,
         gouts={"output": gout}, atol=0, rtol=0)


def split(name, shape, sections, dim, seed=0):
    x_np = rnd(seed, *shape)
    x = t(x_np, True)
    parts = torch.split(x, sections, dim)
    assert len(parts) == 2
    gouts = [rnd(seed + 100 + i, *q.shape) for i, q in enumerate(parts)]
    gr = backward(list(parts), gouts, {"input": x})
    case(name, "split", {"input": x_np}, {"output.0": parts[0], "output.1": parts[1]},
         {"split_size_or_sections": sections, "dim": dim}, grads=gr,
         gouts={"output.0": gouts[0], "output.1": gouts[1]}, atol=0, rtol=0)


def pad(name, shape, p, mode="constant", value=0.0, seed=0):
    x_np = rnd(seed, *shape)
    x = t(x_np, True)
    y = F.pad(x, p, mode=mode, value=value) if mode == "constant" else F.pad(x, p, mode=mode)
    gout = rnd(seed + 100, *y.shape)
    gr = backward([y], [gout], {"input": x})
    case(name, "pad", {"input": x_np}, {"output": y}, {"pad": list(p), "mode": mode, "value": value}, grads=gr,
         gouts={"output": gout}, atol=1e-6, rtol=1e-6)


def main():
    torch.manual_seed(0)
    golden_io.family_dir(FAMILY)

    max_pool("mp_basic", (2, 3, 7, 9), 3, 2, 1, seed=1)
    max_pool("mp_nonsquare", (1, 2, 10, 7), (3, 2), (2, 1), (1, 0), seed=2)
    max_pool("mp_stride_gt_kernel", (2, 3, 11, 13), 2, 3, seed=3)
    max_pool("mp_dilation_pad", (1, 3, 12, 10), 3, 1, 1, 2, seed=4)
    max_pool("mp_ceil", (2, 5, 9, 8), 3, 2, ceil=True, seed=5)
    max_pool("mp_ceil_pad", (1, 2, 10, 11), (2, 3), (3, 2), 1, ceil=True, seed=6)
    max_pool("mp_dilation_ceil", (2, 2, 13, 9), (2, 3), 2, 1, (3, 2), True, seed=7)
    max_pool("mp_1x1", (3, 4, 1, 1), 1, seed=8)
    max_pool("mp_unbatched", (3, 8, 8), 2, seed=9)
    max_pool("mp_ties", (2, 3, 9, 10), 3, 1, 1, seed=10, ints=True)
    max_pool("mp_ties_stride2", (1, 2, 8, 11), 3, 2, 1, seed=11, ints=True)
    max_pool("mp_wide_channels", (1, 67, 5, 6), 2, 2, seed=12)

    avg_pool("ap_basic", (2, 3, 7, 9), 3, 2, 1, seed=20)
    avg_pool("ap_no_cip", (2, 3, 7, 9), 3, 2, 1, cip=False, seed=21)
    avg_pool("ap_ceil", (1, 3, 10, 11), 3, 2, 1, ceil=True, seed=22)
    avg_pool("ap_ceil_no_cip", (1, 3, 10, 11), 3, 2, 1, ceil=True, cip=False, seed=23)
    avg_pool("ap_divisor", (2, 2, 8, 8), 2, div=3, seed=24)
    avg_pool("ap_stride_gt_kernel", (1, 3, 9, 11), 2, 3, seed=25)
    avg_pool("ap_nonsquare", (2, 3, 6, 13), (2, 4), (1, 3), (1, 2), seed=26)
    avg_pool("ap_1x1", (2, 3, 1, 1), 1, seed=27)

    adaptive("aap_7x5", (2, 3, 13, 11), (7, 5), False, seed=30)
    adaptive("aap_up", (1, 2, 3, 4), (5, 7), False, seed=31)
    adaptive("aap_global", (2, 5, 9, 7), 1, False, seed=32)
    adaptive("amp_7x5", (2, 3, 13, 11), (7, 5), True, seed=33)
    adaptive("amp_up", (1, 2, 3, 4), (5, 7), True, seed=34)
    adaptive("amp_global", (2, 5, 9, 7), 1, True, seed=35)

    max_unpool("mu_basic", (2, 3, 8, 10), 2, 2, seed=40)
    max_unpool("mu_overlap", (1, 2, 9, 11), 3, 2, 1, output_size=[9, 11], seed=41)
    max_unpool("mu_odd_size", (1, 3, 9, 7), 2, 2, output_size=[9, 7], seed=42)

    interp("nearest_scale2", (2, 3, 5, 7), scale=2.0, seed=50)
    interp("nearest_size_mixed", (1, 2, 5, 7), size=(8, 3), seed=51)
    interp("nearest_scale_frac", (1, 2, 6, 9), scale=(1.7, 0.6), seed=52)
    interp("nearest_exact_size", (1, 2, 5, 7), size=(9, 4), mode="nearest-exact", seed=53)
    interp("nearest_to_1x1", (1, 3, 4, 5), size=(1, 1), seed=54)
    interp("bilinear_scale2", (2, 3, 5, 7), scale=2.0, mode="bilinear", align=False, seed=55)
    interp("bilinear_align_size", (1, 2, 5, 7), size=(11, 4), mode="bilinear", align=True, seed=56)
    interp("bilinear_down", (1, 3, 13, 11), size=(5, 4), mode="bilinear", align=False, seed=57)
    interp("bilinear_scale_frac", (1, 2, 6, 5), scale=(1.5, 2.3), mode="bilinear", align=False, seed=58)
    interp("bilinear_recompute", (1, 2, 6, 5), scale=1.7, mode="bilinear", align=False, recompute=True, seed=59)
    interp("bilinear_from_1x1", (1, 2, 1, 1), size=(3, 2), mode="bilinear", align=False, seed=60)
    interp("bilinear_align_to_1x1", (1, 2, 5, 6), size=(1, 1), mode="bilinear", align=True, seed=61)
    interp("bicubic_scale2", (2, 3, 5, 7), scale=2.0, mode="bicubic", align=False, seed=62, atol=1e-5)
    interp("bicubic_align_size", (1, 2, 5, 6), size=(7, 12), mode="bicubic", align=True, seed=63, atol=1e-5)
    interp("bicubic_down", (1, 2, 9, 10), size=(4, 6), mode="bicubic", align=False, seed=64, atol=1e-5)

    bed_of_nails("bed_of_nails_2", (2, 3, 4, 5), 2, seed=70)
    bed_of_nails("bed_of_nails_3x2", (1, 2, 3, 4), (3, 2), seed=71)

    batch_norm("bn_train", (4, 5, 6, 7), True, seed=80)
    batch_norm("bn_eval", (4, 5, 6, 7), False, seed=81)
    batch_norm("bn_train_2d", (16, 3), True, momentum=0.3, seed=82)
    batch_norm("bn_train_shifted", (3, 2, 10, 9), True, eps=1e-3, seed=83, scale=0.1, shift=100.0, atol=1e-4,
               rtol=1e-4)
    batch_norm("bn_eval_3d", (2, 4, 9), False, eps=1e-3, seed=84)
    batch_norm("bn_train_1x1", (7, 6, 1, 1), True, seed=85)

    edge = np.array([-7.0, -1.0, -0.0, 0.0, 1e-8, 0.5, 5.999, 6.0, 6.5, 100.0], np.float32)
    wide = np.concatenate([edge, rnd(90, 3, 37).ravel() * 4]).reshape(1, -1).astype(np.float32)
    activation("relu6", "relu6", wide, F.relu6)
    activation("leaky_relu_default", "leaky_relu", wide, F.leaky_relu, atol=0, rtol=0)
    activation("leaky_relu_0p2", "leaky_relu", wide, lambda x: F.leaky_relu(x, 0.2), {"negative_slope": 0.2},
               atol=0, rtol=0)
    extreme = np.array([-100.0, -88.0, -20.0, -9.0, -1e-3, -1e-6, 0.0, 1e-6, 1e-3, 0.3, 0.54, 0.56, 9.0, 20.0, 88.0,
                        100.0], np.float32)
    smooth = np.concatenate([extreme, rnd(91, 4, 41).ravel() * 3]).reshape(2, -1).astype(np.float32)
    activation("sigmoid", "sigmoid", smooth, torch.sigmoid, atol=3e-7, rtol=3e-7)
    activation("tanh", "tanh", smooth, torch.tanh, atol=3e-7, rtol=3e-7)

    cat("cat_channels", [(2, 3, 4, 5), (2, 5, 4, 5)], 1, seed=100)
    cat("cat_batch", [(1, 3, 2, 2), (3, 3, 2, 2)], 0, seed=101)
    cat("cat_last", [(2, 3, 4), (2, 3, 7)], -1, seed=102)
    split("split_channels", (2, 7, 3, 4), 4, 1, seed=103)
    split("split_sections", (2, 7, 3, 4), [3, 4], 1, seed=104)

    pad("pad_constant", (2, 3, 5, 6), (1, 2, 3, 0), "constant", 0.5, seed=110)
    pad("pad_constant_crop", (2, 3, 5, 6), (-1, 2, 1, -2), "constant", 0.0, seed=111)
    pad("pad_reflect", (2, 3, 5, 6), (2, 3, 1, 4), "reflect", seed=112)
    pad("pad_reflect_max", (1, 2, 4, 5), (4, 4, 3, 3), "reflect", seed=113)
    pad("pad_replicate", (2, 3, 5, 6), (3, 1, 2, 5), "replicate", seed=114)
    pad("pad_reflect_1d", (2, 3, 7), (3, 2), "reflect", seed=115)
    pad("pad_replicate_1x1", (1, 2, 1, 1), (1, 2, 2, 0), "replicate", seed=116)
    pad("pad_constant_1d_on_4d", (1, 2, 3, 4), (2, 1), "constant", -1.5, seed=117)

    path = os.path.join(golden_io.ROOT, FAMILY, "manifest.tsv")
    with open(path, "w") as f:
        f.write("\n".join(MANIFEST) + "\n")
    print("wrote %d cases to %s" % (len(MANIFEST), os.path.dirname(path)))


if __name__ == "__main__":
    main()
