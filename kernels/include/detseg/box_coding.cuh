// Box coding shared by the CPU backend and the CUDA kernels (docs/kernels/boxes.md): the offsets
// (t_x, t_y, t_w, t_h) of a box relative to a reference box (anchor / proposal / default box).
//
// Two forms:
//  * torchvision's BoxCoder (models/detection/_utils.py), op by op: encode_boxes with weights
//    (wx, wy, ww, wh) and decode_single with the clamp of dw, dh at bbox_xform_clip;
//  * the SSD paper's variances (v0, v1) (no torchvision op; written from the formula):
//      encode  t_x = (g_cx - d_cx) / (v0 * d_w),   t_w = log(g_w / d_w) / v1
//      decode  cx  = d_cx + (t_x * v0) * d_w,      w   = d_w * exp(t_w * v1)
// Boxes are xyxy; centers are x1 + 0.5 * w as in torchvision. Every + - * / is separately rounded
// (no FMA), so CPU and the simulator agree bit for bit; exp and log are the platform's expf/logf
// (CUDA's are within 2 ulp of the host's, so GPU results agree to a few ulp).
#pragma once

#include <math.h>

#include "detseg/box_math.cuh"
#include "detseg/kernel_api.cuh"
#include "detseg/reduce_math.cuh"

DS_HD float ds_box_expf(float x) { return expf(x); }
DS_HD float ds_box_logf(float x) { return logf(x); }

// Width, height and center of an xyxy box, as torchvision: w = x2 - x1, cx = x1 + 0.5 * w.
struct DsBoxCenter {
  float cx, cy, w, h;
};

DS_HD DsBoxCenter ds_box_center(float x1, float y1, float x2, float y2) {
  DsBoxCenter c;
  c.w = ds_sub_rn(x2, x1);
  c.h = ds_sub_rn(y2, y1);
  c.cx = ds_add_rn(x1, ds_mul_rn(0.5f, c.w));
  c.cy = ds_add_rn(y1, ds_mul_rn(0.5f, c.h));
  return c;
}

// xyxy from a center and a size: cx -+ 0.5 * w (torchvision's decode_single tail).
DS_HD DsBox ds_box_from_center(float cx, float cy, float w, float h) {
  const float hw = ds_mul_rn(0.5f, w), hh = ds_mul_rn(0.5f, h);
  DsBox b;
  b.x1 = ds_sub_rn(cx, hw);
  b.y1 = ds_sub_rn(cy, hh);
  b.x2 = ds_add_rn(cx, hw);
  b.y2 = ds_add_rn(cy, hh);
  return b;
}

// torchvision encode_boxes(reference_boxes = g, proposals = p, weights):
//   dx = wx * (g_cx - p_cx) / p_w,  dw = ww * log(g_w / p_w)   (and y, h alike)
DS_HD DsBox ds_box_encode(const DsBox& g, const DsBox& p, float wx, float wy, float ww, float wh) {
  const DsBoxCenter e = ds_box_center(p.x1, p.y1, p.x2, p.y2);
  const DsBoxCenter t = ds_box_center(g.x1, g.y1, g.x2, g.y2);
  DsBox d;
  d.x1 = ds_div_rn(ds_mul_rn(wx, ds_sub_rn(t.cx, e.cx)), e.w);
  d.y1 = ds_div_rn(ds_mul_rn(wy, ds_sub_rn(t.cy, e.cy)), e.h);
  d.x2 = ds_mul_rn(ww, ds_box_logf(ds_div_rn(t.w, e.w)));
  d.y2 = ds_mul_rn(wh, ds_box_logf(ds_div_rn(t.h, e.h)));
  return d;
}

// torchvision BoxCoder.decode_single for one (code, reference box) pair:
//   dx = code.x / wx ... ; dw = min(code.w / ww, clip) (NaN stays NaN) ;
//   cx = dx * w + ctr_x ; pw = exp(dw) * w ; box = cx -+ 0.5 * pw
DS_HD DsBox ds_box_decode(const DsBox& code, const DsBoxCenter& r, float wx, float wy, float ww, float wh,
                          float clip) {
  const float dx = ds_div_rn(code.x1, wx);
  const float dy = ds_div_rn(code.y1, wy);
  float dw = ds_div_rn(code.x2, ww);
  float dh = ds_div_rn(code.y2, wh);
  dw = dw > clip ? clip : dw;  // torch.clamp(max=clip): NaN > clip is false, NaN stays
  dh = dh > clip ? clip : dh;
  const float cx = ds_add_rn(ds_mul_rn(dx, r.w), r.cx);
  const float cy = ds_add_rn(ds_mul_rn(dy, r.h), r.cy);
  const float pw = ds_mul_rn(ds_box_expf(dw), r.w);
  const float ph = ds_mul_rn(ds_box_expf(dh), r.h);
  return ds_box_from_center(cx, cy, pw, ph);
}

// SSD form, encode: t = ((g_c - d_c) / (v0 * d_wh), log(g_wh / d_wh) / v1).
DS_HD DsBox ds_box_encode_ssd(const DsBox& g, const DsBox& d, float v0, float v1) {
  const DsBoxCenter e = ds_box_center(d.x1, d.y1, d.x2, d.y2);
  const DsBoxCenter t = ds_box_center(g.x1, g.y1, g.x2, g.y2);
  DsBox o;
  o.x1 = ds_div_rn(ds_sub_rn(t.cx, e.cx), ds_mul_rn(v0, e.w));
  o.y1 = ds_div_rn(ds_sub_rn(t.cy, e.cy), ds_mul_rn(v0, e.h));
  o.x2 = ds_div_rn(ds_box_logf(ds_div_rn(t.w, e.w)), v1);
  o.y2 = ds_div_rn(ds_box_logf(ds_div_rn(t.h, e.h)), v1);
  return o;
}

// SSD form, decode: c = d_c + (t_c * v0) * d_wh, wh = d_wh * exp(t_wh * v1), then cx -+ 0.5 * w.
DS_HD DsBox ds_box_decode_ssd(const DsBox& code, const DsBoxCenter& r, float v0, float v1) {
  const float cx = ds_add_rn(r.cx, ds_mul_rn(ds_mul_rn(code.x1, v0), r.w));
  const float cy = ds_add_rn(r.cy, ds_mul_rn(ds_mul_rn(code.y1, v0), r.h));
  const float w = ds_mul_rn(r.w, ds_box_expf(ds_mul_rn(code.x2, v1)));
  const float h = ds_mul_rn(r.h, ds_box_expf(ds_mul_rn(code.y2, v1)));
  return ds_box_from_center(cx, cy, w, h);
}
