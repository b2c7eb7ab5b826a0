"""PyTorch equivalents of bench/cases/losses.json (bench/README.md's peer format).

forward(op, inputs, params) gets torch tensors (requires_grad set for GRAD_INPUTS[op]) and the params
dict of strings and returns what detseg's op of the same name returns.
"""
import torch
import torch.nn.functional as F
import torchvision

GRAD_INPUTS = {
    "cross_entropy": ["input"],
    "binary_cross_entropy_with_logits": ["input"],
    "sigmoid_focal_loss": ["inputs"],
    "sigmoid_focal_loss_fused": [],
    "dice_loss": ["input"],
    "smooth_l1_loss": ["input"],
}


def _dice_multiclass(x, t, smooth=0.0, eps=1e-7):
    """segmentation_models_pytorch's DiceLoss(mode='multiclass', from_logits=True) semantics in torch ops."""
    bs, c = x.shape[0], x.shape[1]
    p = x.log_softmax(1).exp().view(bs, c, -1)
    yt = F.one_hot(t.view(bs, -1).long(), c).permute(0, 2, 1).to(p.dtype)
    inter = (p * yt).sum((0, 2))
    card = (p + yt).sum((0, 2))
    score = (2 * inter + smooth) / (card + smooth).clamp_min(eps)
    loss = (1 - score) * (yt.sum((0, 2)) > 0).to(p.dtype)
    return loss.mean()


def forward(op, inputs, params):
    r = params.get("reduction", "mean")
    if op == "cross_entropy":
        return F.cross_entropy(inputs["input"], inputs["target"].long(), reduction=r)
    if op == "binary_cross_entropy_with_logits":
        return F.binary_cross_entropy_with_logits(inputs["input"], inputs["target"], reduction=r)
    if op == "sigmoid_focal_loss":
        return torchvision.ops.sigmoid_focal_loss(inputs["inputs"], inputs["targets"], alpha=float(params["alpha"]),
                                                  gamma=float(params["gamma"]), reduction=r)
    if op == "sigmoid_focal_loss_fused":
        # detseg's fused op returns the loss and d loss / d inputs from one kernel: time PyTorch's
        # forward plus autograd backward for the same two results.
        # The harness runs forwards under no_grad; this one needs autograd for its gradient.
        with torch.enable_grad():
            x = inputs["inputs"].detach().requires_grad_(True)
            loss = torchvision.ops.sigmoid_focal_loss(x, inputs["targets"], alpha=float(params["alpha"]),
                                                      gamma=float(params["gamma"]), reduction=r)
            (grad,) = torch.autograd.grad(loss, x)
        return loss.detach(), grad
    if op == "dice_loss":
        assert params.get("mode") == "multiclass"
        return _dice_multiclass(inputs["input"], inputs["target"])
    if op == "smooth_l1_loss":
        return F.smooth_l1_loss(inputs["input"], inputs["target"], reduction=r, beta=float(params.get("beta", "1.0")))
    raise ValueError("no PyTorch peer for " + op)
