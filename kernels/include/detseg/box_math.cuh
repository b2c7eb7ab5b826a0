// Box formulas shared by the CPU backend and the CUDA kernels: one formula, one implementation.
// Boxes are xyxy (x1, y1, x2, y2) floats. Semantics follow torchvision.ops.box_iou exactly, op by op:
//   area  = (x2 - x1) * (y2 - y1)                    (negative for degenerate boxes, not clamped)
//   lt    = maximum(a.xy1, b.xy1), rb = minimum(a.xy2, b.xy2)   (NaN in, NaN out)
//   wh    = (rb - lt).clamp(min=0), inter = w * h
//   union = (area_a + area_b) - inter, iou = inter / union        (0/0 -> NaN)
// Every operation is separately rounded (no FMA), so the CPU, the GPU and PyTorch agree bit for bit.
//
// The functions take scalars rather than a struct so a CPU loop over structure-of-arrays inputs
// vectorizes; DsBox overloads are there for kernels that hold a box in registers. Later ops (GIoU,
// DIoU, NMS) build on ds_box_area / ds_box_inter / ds_box_enclose.
#pragma once

#include "detseg/kernel_api.cuh"
#include "detseg/reduce_math.cuh"

struct DsBox {
  float x1, y1, x2, y2;
};

DS_HD float ds_box_area(float x1, float y1, float x2, float y2) {
  return ds_mul_rn(ds_sub_rn(x2, x1), ds_sub_rn(y2, y1));
}

// Width (or height) of the overlap of [a1, a2] and [b1, b2], clamped at 0, NaN-propagating.
DS_HD float ds_box_overlap_1d(float a1, float a2, float b1, float b2) {
  return ds_clamp_min_nan(ds_sub_rn(ds_min_nan(a2, b2), ds_max_nan(a1, b1)), 0.0f);
}

// Intersection area of boxes a and b (>= 0 or NaN).
DS_HD float ds_box_inter(float ax1, float ay1, float ax2, float ay2, float bx1, float by1, float bx2,
                         float by2) {
  return ds_mul_rn(ds_box_overlap_1d(ax1, ax2, bx1, bx2), ds_box_overlap_1d(ay1, ay2, by1, by2));
}

// Union given both areas and the intersection: (area_a + area_b) - inter.
DS_HD float ds_box_union(float area_a, float area_b, float inter) {
  return ds_sub_rn(ds_add_rn(area_a, area_b), inter);
}

// IoU given the intersection and both areas (areas precomputed once per box).
DS_HD float ds_box_iou_from_areas(float inter, float area_a, float area_b) {
  return ds_div_rn(inter, ds_box_union(area_a, area_b, inter));
}

// IoU of box a (with its precomputed area) against box b (with its precomputed area).
DS_HD float ds_box_iou(float ax1, float ay1, float ax2, float ay2, float area_a, float bx1, float by1,
                       float bx2, float by2, float area_b) {
  return ds_box_iou_from_areas(ds_box_inter(ax1, ay1, ax2, ay2, bx1, by1, bx2, by2), area_a, area_b);
}

// Smallest box enclosing a and b (GIoU's C), NaN-propagating.
DS_HD DsBox ds_box_enclose(const DsBox& a, const DsBox& b) {
  DsBox c;
  c.x1 = ds_min_nan(a.x1, b.x1);
  c.y1 = ds_min_nan(a.y1, b.y1);
  c.x2 = ds_max_nan(a.x2, b.x2);
  c.y2 = ds_max_nan(a.y2, b.y2);
  return c;
}

DS_HD float ds_box_area(const DsBox& b) { return ds_box_area(b.x1, b.y1, b.x2, b.y2); }

DS_HD float ds_box_inter(const DsBox& a, const DsBox& b) {
  return ds_box_inter(a.x1, a.y1, a.x2, a.y2, b.x1, b.y1, b.x2, b.y2);
}

DS_HD float ds_box_iou(const DsBox& a, const DsBox& b) {
  return ds_box_iou_from_areas(ds_box_inter(a, b), ds_box_area(a), ds_box_area(b));
}

// ================================================================================================
// Box-op family additions (docs/kernels/boxes.md): GIoU and its gradient, clipping, format
// conversion. Same rules as above: torchvision's op order, every operation separately rounded.
// ================================================================================================

// torchvision.ops.generalized_box_iou of one pair, op by op:
//   iou   = inter / union                                   (as ds_box_iou)
//   lti   = minimum(a.xy1, b.xy1), rbi = maximum(a.xy2, b.xy2)
//   areai = (rbi - lti).clamp(min=0) products
//   giou  = iou - (areai - union) / areai                   (areai == 0 gives NaN or -inf)
DS_HD float ds_box_giou(float ax1, float ay1, float ax2, float ay2, float area_a, float bx1, float by1, float bx2,
                        float by2, float area_b) {
  const float inter = ds_box_inter(ax1, ay1, ax2, ay2, bx1, by1, bx2, by2);
  const float uni = ds_box_union(area_a, area_b, inter);
  const float iou = ds_div_rn(inter, uni);
  const float wi = ds_clamp_min_nan(ds_sub_rn(ds_max_nan(ax2, bx2), ds_min_nan(ax1, bx1)), 0.0f);
  const float hi = ds_clamp_min_nan(ds_sub_rn(ds_max_nan(ay2, by2), ds_min_nan(ay1, by1)), 0.0f);
  const float areai = ds_mul_rn(wi, hi);
  return ds_sub_rn(iou, ds_div_rn(ds_sub_rn(areai, uni), areai));
}

// Share of the gradient g of maximum(a, b) that goes to a (torch autograd: a tie splits it in half;
// a NaN comparison passes it whole, as torch's where/masked_fill formula does).
DS_HD float ds_grad_share_max(float g, float a, float b) {
  return a == b ? ds_mul_rn(g, 0.5f) : (a < b ? 0.0f : g);
}

// Share of the gradient g of minimum(a, b) that goes to a.
DS_HD float ds_grad_share_min(float g, float a, float b) {
  return a == b ? ds_mul_rn(g, 0.5f) : (a > b ? 0.0f : g);
}

// Gradient of x.clamp(min=0) (torch: passes where x >= 0, so NaN gives 0).
DS_HD float ds_grad_clamp_min0(float g, float x) { return x >= 0.0f ? g : 0.0f; }

// g * d giou(a, b) / d(a, b), following torch autograd through torchvision's formula (the rules of
// ds_grad_share_* and ds_grad_clamp_min0). Adds to *ga and *gb.
DS_HD void ds_box_giou_backward(float g, const DsBox& a, const DsBox& b, DsBox* ga, DsBox* gb) {
  const float aw = ds_sub_rn(a.x2, a.x1), ah = ds_sub_rn(a.y2, a.y1);
  const float bw = ds_sub_rn(b.x2, b.x1), bh = ds_sub_rn(b.y2, b.y1);
  const float area_a = ds_mul_rn(aw, ah), area_b = ds_mul_rn(bw, bh);
  const float ltx = ds_max_nan(a.x1, b.x1), lty = ds_max_nan(a.y1, b.y1);
  const float rbx = ds_min_nan(a.x2, b.x2), rby = ds_min_nan(a.y2, b.y2);
  const float w_raw = ds_sub_rn(rbx, ltx), h_raw = ds_sub_rn(rby, lty);
  const float w = ds_clamp_min_nan(w_raw, 0.0f), h = ds_clamp_min_nan(h_raw, 0.0f);
  const float inter = ds_mul_rn(w, h);
  const float uni = ds_sub_rn(ds_add_rn(area_a, area_b), inter);
  const float ltix = ds_min_nan(a.x1, b.x1), ltiy = ds_min_nan(a.y1, b.y1);
  const float rbix = ds_max_nan(a.x2, b.x2), rbiy = ds_max_nan(a.y2, b.y2);
  const float wi_raw = ds_sub_rn(rbix, ltix), hi_raw = ds_sub_rn(rbiy, ltiy);
  const float wi = ds_clamp_min_nan(wi_raw, 0.0f), hi = ds_clamp_min_nan(hi_raw, 0.0f);
  const float areai = ds_mul_rn(wi, hi);
  const float num = ds_sub_rn(areai, uni);
  // giou = inter / uni - num / areai
  const float g_num = ds_div_rn(-g, areai);
  const float g_areai = ds_add_rn(ds_div_rn(ds_mul_rn(g, num), ds_mul_rn(areai, areai)), g_num);
  const float g_uni = ds_sub_rn(-g_num, ds_div_rn(ds_mul_rn(g, inter), ds_mul_rn(uni, uni)));
  const float g_inter = ds_sub_rn(ds_div_rn(g, uni), g_uni);
  // inter = clamp0(rbx - ltx) * clamp0(rby - lty)
  const float g_wr = ds_grad_clamp_min0(ds_mul_rn(g_inter, h), w_raw);
  const float g_hr = ds_grad_clamp_min0(ds_mul_rn(g_inter, w), h_raw);
  // areai = clamp0(rbix - ltix) * clamp0(rbiy - ltiy)
  const float g_wir = ds_grad_clamp_min0(ds_mul_rn(g_areai, hi), wi_raw);
  const float g_hir = ds_grad_clamp_min0(ds_mul_rn(g_areai, wi), hi_raw);
  // area_a = aw * ah and area_b = bw * bh, both with gradient g_uni
  const float ga_w = ds_mul_rn(g_uni, ah), ga_h = ds_mul_rn(g_uni, aw);
  const float gb_w = ds_mul_rn(g_uni, bh), gb_h = ds_mul_rn(g_uni, bw);
  // x1: -w of the area, max for lt (inter, weight -g_wr), min for lti (enclosure, weight -g_wir)
  ga->x1 += -ga_w - ds_grad_share_max(g_wr, a.x1, b.x1) - ds_grad_share_min(g_wir, a.x1, b.x1);
  gb->x1 += -gb_w - ds_grad_share_max(g_wr, b.x1, a.x1) - ds_grad_share_min(g_wir, b.x1, a.x1);
  ga->y1 += -ga_h - ds_grad_share_max(g_hr, a.y1, b.y1) - ds_grad_share_min(g_hir, a.y1, b.y1);
  gb->y1 += -gb_h - ds_grad_share_max(g_hr, b.y1, a.y1) - ds_grad_share_min(g_hir, b.y1, a.y1);
  // x2: +w of the area, min for rb, max for rbi
  ga->x2 += ga_w + ds_grad_share_min(g_wr, a.x2, b.x2) + ds_grad_share_max(g_wir, a.x2, b.x2);
  gb->x2 += gb_w + ds_grad_share_min(g_wr, b.x2, a.x2) + ds_grad_share_max(g_wir, b.x2, a.x2);
  ga->y2 += ga_h + ds_grad_share_min(g_hr, a.y2, b.y2) + ds_grad_share_max(g_hir, a.y2, b.y2);
  gb->y2 += gb_h + ds_grad_share_min(g_hr, b.y2, a.y2) + ds_grad_share_max(g_hir, b.y2, a.y2);
}

// ---- clipping (torchvision.ops.clip_boxes_to_image) ---------------------------------------------
// x.clamp(min=lo, max=hi) as torch computes it: NaN stays NaN, else min(max(x, lo), hi).
DS_HD float ds_box_clamp(float x, float lo, float hi) {
  return ds_isnan(x) ? x : (x < lo ? lo : (x > hi ? hi : x));
}

// Its gradient (torch clamp_backward: passes where lo <= x <= hi; NaN gives 0).
DS_HD float ds_box_clamp_backward(float g, float x, float lo, float hi) {
  return (x >= lo && x <= hi) ? g : 0.0f;
}

// ---- format conversion (torchvision.ops.box_convert) --------------------------------------------
// Formats: 0 = xyxy, 1 = xywh, 2 = cxcywh. A conversion between two non-xyxy formats goes through
// xyxy, as torchvision does; same format is a copy.
#define DS_BOX_FMT_XYXY 0
#define DS_BOX_FMT_XYWH 1
#define DS_BOX_FMT_CXCYWH 2

DS_HD DsBox ds_box_to_xyxy(const DsBox& b, int fmt) {
  DsBox o = b;
  if (fmt == DS_BOX_FMT_XYWH) {  // (x, y, x + w, y + h)
    o.x2 = ds_add_rn(b.x1, b.x2);
    o.y2 = ds_add_rn(b.y1, b.y2);
  } else if (fmt == DS_BOX_FMT_CXCYWH) {  // cx -+ 0.5 * w
    const float hw = ds_mul_rn(0.5f, b.x2), hh = ds_mul_rn(0.5f, b.y2);
    o.x1 = ds_sub_rn(b.x1, hw);
    o.y1 = ds_sub_rn(b.y1, hh);
    o.x2 = ds_add_rn(b.x1, hw);
    o.y2 = ds_add_rn(b.y1, hh);
  }
  return o;
}

DS_HD DsBox ds_box_from_xyxy(const DsBox& b, int fmt) {
  DsBox o = b;
  if (fmt == DS_BOX_FMT_XYWH) {  // (x1, y1, x2 - x1, y2 - y1)
    o.x2 = ds_sub_rn(b.x2, b.x1);
    o.y2 = ds_sub_rn(b.y2, b.y1);
  } else if (fmt == DS_BOX_FMT_CXCYWH) {  // ((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1)
    o.x1 = ds_div_rn(ds_add_rn(b.x1, b.x2), 2.0f);
    o.y1 = ds_div_rn(ds_add_rn(b.y1, b.y2), 2.0f);
    o.x2 = ds_sub_rn(b.x2, b.x1);
    o.y2 = ds_sub_rn(b.y2, b.y1);
  }
  return o;
}

DS_HD DsBox ds_box_convert(const DsBox& b, int in_fmt, int out_fmt) {
  return in_fmt == out_fmt ? b : ds_box_from_xyxy(ds_box_to_xyxy(b, in_fmt), out_fmt);
}

// Gradients (the transposed Jacobians) of the two steps, then of a whole conversion.
DS_HD DsBox ds_box_to_xyxy_backward(const DsBox& g, int fmt) {
  DsBox o = g;
  if (fmt == DS_BOX_FMT_XYWH) {  // x2 = x + w
    o.x1 = ds_add_rn(g.x1, g.x2);
    o.y1 = ds_add_rn(g.y1, g.y2);
  } else if (fmt == DS_BOX_FMT_CXCYWH) {  // x1 = cx - 0.5 w, x2 = cx + 0.5 w
    o.x1 = ds_add_rn(g.x1, g.x2);
    o.y1 = ds_add_rn(g.y1, g.y2);
    o.x2 = ds_add_rn(ds_mul_rn(-g.x1, 0.5f), ds_mul_rn(g.x2, 0.5f));
    o.y2 = ds_add_rn(ds_mul_rn(-g.y1, 0.5f), ds_mul_rn(g.y2, 0.5f));
  }
  return o;
}

DS_HD DsBox ds_box_from_xyxy_backward(const DsBox& g, int fmt) {
  DsBox o = g;
  if (fmt == DS_BOX_FMT_XYWH) {  // w = x2 - x1
    o.x1 = ds_sub_rn(g.x1, g.x2);
    o.y1 = ds_sub_rn(g.y1, g.y2);
  } else if (fmt == DS_BOX_FMT_CXCYWH) {  // cx = (x1 + x2) / 2, w = x2 - x1
    const float hx = ds_div_rn(g.x1, 2.0f), hy = ds_div_rn(g.y1, 2.0f);
    o.x1 = ds_sub_rn(hx, g.x2);
    o.y1 = ds_sub_rn(hy, g.y2);
    o.x2 = ds_add_rn(hx, g.x2);
    o.y2 = ds_add_rn(hy, g.y2);
  }
  return o;
}

DS_HD DsBox ds_box_convert_backward(const DsBox& g, int in_fmt, int out_fmt) {
  return in_fmt == out_fmt ? g : ds_box_to_xyxy_backward(ds_box_from_xyxy_backward(g, out_fmt), in_fmt);
}

// torchvision.ops.remove_small_boxes keeps a box when (x2 - x1) >= min_size and (y2 - y1) >= min_size
// (so a NaN side drops it).
DS_HD bool ds_box_is_large(float x1, float y1, float x2, float y2, float min_size) {
  return ds_sub_rn(x2, x1) >= min_size && ds_sub_rn(y2, y1) >= min_size;
}
