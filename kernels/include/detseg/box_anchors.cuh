// Anchor formulas shared by the CPU backend and the CUDA kernels (docs/kernels/boxes.md).
//
//  * Faster R-CNN grid anchors, torchvision AnchorGenerator: for aspect ratio r (= h / w) and size
//    s, h_ratio = sqrt(r), w_ratio = 1 / h_ratio, ws = w_ratio * s, hs = h_ratio * s, and the zero-
//    centered cell anchor round((-ws, -hs, ws, hs) / 2) (round half to even, in float32); the anchor
//    of grid cell (row, col) adds the shift (col * stride_w, row * stride_h) to it.
//  * SSD default boxes, torchvision DefaultBoxGenerator: the (w, h) pairs of a level are computed on
//    the host (double, as Python does, then float32); the box of cell (i, j) has center
//    ((j + 0.5) / x_f, (i + 0.5) / y_f) and xyxy corners (c -+ 0.5 * wh) * image size.
//  * YOLO decoding (YOLOv2/v3, defined by detseg): cx = (sigmoid(tx) + col) / W * image_w,
//    cy = (sigmoid(ty) + row) / H * image_h, w = exp(tw) * anchor_w, h = exp(th) * anchor_h,
//    objectness and class scores sigmoid; box written xyxy (c -+ 0.5 * wh).
// Every + - * / is separately rounded; sqrt is IEEE (correctly rounded on both sides).
#pragma once

#include <math.h>

#include "detseg/box_coding.cuh"
#include "detseg/box_math.cuh"
#include "detseg/kernel_api.cuh"
#include "detseg/reduce_math.cuh"

DS_HD float ds_box_sqrt_rn(float x) {
#if defined(__CUDA_ARCH__)
  return __fsqrt_rn(x);
#else
  return sqrtf(x);
#endif
}

// torch.round: to nearest, ties to even (the default rounding mode on both sides).
DS_HD float ds_box_round_even(float x) { return rintf(x); }

// The zero-centered cell anchor of (size, aspect_ratio), as AnchorGenerator.generate_anchors.
DS_HD DsBox ds_anchor_cell(float size, float aspect_ratio) {
  const float h_ratio = ds_box_sqrt_rn(aspect_ratio);
  const float w_ratio = ds_div_rn(1.0f, h_ratio);
  const float ws = ds_mul_rn(w_ratio, size);
  const float hs = ds_mul_rn(h_ratio, size);
  DsBox b;
  b.x1 = ds_box_round_even(ds_div_rn(-ws, 2.0f));
  b.y1 = ds_box_round_even(ds_div_rn(-hs, 2.0f));
  b.x2 = ds_box_round_even(ds_div_rn(ws, 2.0f));
  b.y2 = ds_box_round_even(ds_div_rn(hs, 2.0f));
  return b;
}

// Anchor = (float) integer shift + cell anchor (torch promotes the int32 shifts to float32).
DS_HD DsBox ds_anchor_shifted(const DsBox& cell, int shift_x, int shift_y) {
  DsBox b;
  b.x1 = ds_add_rn((float)shift_x, cell.x1);
  b.y1 = ds_add_rn((float)shift_y, cell.y1);
  b.x2 = ds_add_rn((float)shift_x, cell.x2);
  b.y2 = ds_add_rn((float)shift_y, cell.y2);
  return b;
}

// SSD default box of cell (row, col) with (w, h) already clipped if asked, in image pixels:
// center ((col + 0.5) / x_f, (row + 0.5) / y_f), corners (c -+ 0.5 * wh) * (image_w, image_h).
DS_HD DsBox ds_ssd_default_box(long long row, long long col, float x_f, float y_f, float w, float h, float image_w,
                               float image_h) {
  const float cx = ds_div_rn(ds_add_rn((float)col, 0.5f), x_f);
  const float cy = ds_div_rn(ds_add_rn((float)row, 0.5f), y_f);
  const float hw = ds_mul_rn(0.5f, w), hh = ds_mul_rn(0.5f, h);
  DsBox b;
  b.x1 = ds_mul_rn(ds_sub_rn(cx, hw), image_w);
  b.y1 = ds_mul_rn(ds_sub_rn(cy, hh), image_h);
  b.x2 = ds_mul_rn(ds_add_rn(cx, hw), image_w);
  b.y2 = ds_mul_rn(ds_add_rn(cy, hh), image_h);
  return b;
}

// sigmoid(x) = 1 / (1 + exp(-x)).
DS_HD float ds_box_sigmoid(float x) { return ds_div_rn(1.0f, ds_add_rn(1.0f, ds_box_expf(-x))); }

// YOLO box of grid cell (row, col) of an H x W map from raw (tx, ty, tw, th), in image pixels, xyxy.
DS_HD DsBox ds_yolo_box(float tx, float ty, float tw, float th, long long row, long long col, long long grid_h,
                        long long grid_w, float anchor_w, float anchor_h, float image_w, float image_h) {
  const float cx = ds_mul_rn(ds_div_rn(ds_add_rn(ds_box_sigmoid(tx), (float)col), (float)grid_w), image_w);
  const float cy = ds_mul_rn(ds_div_rn(ds_add_rn(ds_box_sigmoid(ty), (float)row), (float)grid_h), image_h);
  const float w = ds_mul_rn(ds_box_expf(tw), anchor_w);
  const float h = ds_mul_rn(ds_box_expf(th), anchor_h);
  return ds_box_from_center(cx, cy, w, h);
}
