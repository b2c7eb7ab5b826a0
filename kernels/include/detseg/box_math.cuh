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
