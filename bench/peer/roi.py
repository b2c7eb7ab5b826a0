"""torchvision equivalents of bench/cases/roi.json (see bench/README.md): forward(op, inputs, params)
gets torch tensors and the params dict of strings, returns the output (or a tuple)."""
from collections import OrderedDict

from torchvision.ops import MultiScaleRoIAlign, roi_align, roi_pool

GRAD_INPUTS = {
    "roi_align": ["input"],
    "roi_pool": ["input"],
    "multi_scale_roi_align": ["feature_0", "feature_1", "feature_2", "feature_3"],
}


def _size(text):
    v = [int(s) for s in text.split(",")]
    return (v[0], v[0]) if len(v) == 1 else (v[0], v[1])


def _bool(text):
    return text.strip().lower() == "true"


def forward(op, inputs, params):
    if op == "roi_align":
        return roi_align(inputs["input"], inputs["boxes"], _size(params["output_size"]),
                         float(params.get("spatial_scale", "1.0")), int(params.get("sampling_ratio", "-1")),
                         _bool(params.get("aligned", "false")))
    if op == "roi_pool":
        return roi_pool(inputs["input"], inputs["boxes"], _size(params["output_size"]),
                        float(params.get("spatial_scale", "1.0")))
    if op == "multi_scale_roi_align":
        names = ["feature_0", "feature_1", "feature_2", "feature_3"]
        pool = MultiScaleRoIAlign(names, _size(params["output_size"]), int(params["sampling_ratio"]),
                                  canonical_scale=int(params.get("canonical_scale", "224")),
                                  canonical_level=int(params.get("canonical_level", "4")))
        boxes = inputs["boxes"]
        n = inputs["feature_0"].shape[0]
        per_image = [boxes[boxes[:, 0] == i, 1:] for i in range(n)]
        h, w = _size(params["image_size"])
        return pool(OrderedDict((k, inputs[k]) for k in names), per_image, [(h, w)] * n)
    raise ValueError("bench/peer/roi.py: unknown op " + op)
