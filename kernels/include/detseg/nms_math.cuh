// Non-maximum suppression rules shared by the CPU backend (native/cpu/nms*.cpp) and the CUDA kernels
// (kernels/nms*.cu): the score order, which boxes are candidates, when one box suppresses another
// (torchvision's and ONNX's rule), the ONNX box formats and the Soft-NMS score decay. IoU itself is
// box_math.cuh's (ds_box_inter / ds_box_area / ds_box_iou): one formula for every op. Contract and
// semantics: docs/kernels/nms.md.
#pragma once

#include <math.h>

#include "detseg/box_math.cuh"
#include "detseg/kernel_api.cuh"
#include "detseg/reduce_math.cuh"

// ---- score order ----------------------------------------------------------------------------------
// Every NMS variant visits candidates by decreasing score, ties by increasing box index (what
// torchvision's CPU kernel gets from its stable descending sort, and ONNX Runtime's priority queue).
// ds_nms_desc_key maps a non-NaN score to a 32-bit key whose *ascending* unsigned order is the
// *descending* score order: +inf first, -inf last, -0.0 equal to +0.0 (they compare equal, so they
// tie and the index decides). A 64-bit sort key (desc_key << 32 | index) is then unique and its
// ascending order is exactly the visiting order, so any sort, stable or not, gives the same result.
DS_HD unsigned int ds_nms_float_bits(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  unsigned int u;
  __builtin_memcpy(&u, &x, sizeof u);
  return u;
#endif
}

DS_HD unsigned int ds_nms_desc_key(float score) {
  unsigned int u = score == 0.0f ? 0u : ds_nms_float_bits(score);  // -0.0 -> +0.0
  u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);                  // ascending order of floats
  return ~u;                                                        // descending
}

// The sort key of padding and of non-candidates: larger than every candidate's key.
#define DS_NMS_KEY_NONE 0xFFFFFFFFFFFFFFFFull

DS_HD unsigned long long ds_nms_sort_key(float score, unsigned int index) {
  return ((unsigned long long)ds_nms_desc_key(score) << 32) | (unsigned long long)index;
}

// ---- candidates -----------------------------------------------------------------------------------
// A box takes part in NMS when its score is not NaN and, if a score threshold is in use, the score is
// strictly greater than it (torchvision's detection heads and ONNX NonMaxSuppression both keep
// scores > threshold). NaN scores are never kept and never suppress anything.
DS_HD bool ds_nms_is_candidate(float score, int use_score_threshold, float score_threshold) {
  return score == score && (!use_score_threshold || score > score_threshold);
}

// ---- suppression ----------------------------------------------------------------------------------
// torchvision.ops.nms: box b is suppressed by the kept box a when IoU(a, b) > iou_threshold (strictly
// greater). A NaN IoU (NaN coordinates, or 0/0 for two empty boxes) never suppresses. The IoU is
// box_math's, bit for bit torchvision's CPU formula (areas precomputed once per box).
DS_HD bool ds_nms_suppresses(float ax1, float ay1, float ax2, float ay2, float area_a, float bx1, float by1,
                             float bx2, float by2, float area_b, float iou_threshold) {
  return ds_box_iou(ax1, ay1, ax2, ay2, area_a, bx1, by1, bx2, by2, area_b) > iou_threshold;
}

// ONNX NonMaxSuppression (ONNX Runtime's rule): suppress only when the intersection, both areas and
// the union are all positive and inter / union > iou_threshold. For boxes normalized to x1 <= x2,
// y1 <= y2 and a threshold in [0, 1] this is the same as ds_nms_suppresses; it differs for the
// center-point format with negative widths or heights (negative areas never suppress here).
DS_HD bool ds_nms_onnx_suppresses(float ax1, float ay1, float ax2, float ay2, float area_a, float bx1, float by1,
                                  float bx2, float by2, float area_b, float iou_threshold) {
  const float inter = ds_box_inter(ax1, ay1, ax2, ay2, bx1, by1, bx2, by2);
  const float uni = ds_box_union(area_a, area_b, inter);
  // Non-short-circuit &: branch-free, so a CPU loop over candidates stays vectorizable.
  return (inter > 0.0f) & (area_a > 0.0f) & (area_b > 0.0f) & (uni > 0.0f) &
         (ds_div_rn(inter, uni) > iou_threshold);
}

// Whether the x and the y extents of a and b overlap (strictly). When they do not, the intersection is
// 0 or NaN, so IoU is +-0 or NaN and neither rule suppresses for an iou_threshold >= 0 or NaN: a cheap
// exact test in front of the IoU's division (not usable for a negative threshold with torchvision's
// rule, where IoU 0 suppresses). Holds for degenerate boxes (x2 < x1) and infinite coordinates too.
DS_HD bool ds_nms_extents_overlap(float ax1, float ay1, float ax2, float ay2, float bx1, float by1, float bx2,
                                  float by2) {
  return (bx1 < ax2) & (ax1 < bx2) & (by1 < ay2) & (ay1 < by2);
}

// Which of the two rules a launch / call applies.
#define DS_NMS_RULE_TORCHVISION 0
#define DS_NMS_RULE_ONNX 1

// ---- ONNX box formats -----------------------------------------------------------------------------
// center_point_box = 0: [y1, x1, y2, x2], any two opposite corners; normalized to x1 <= x2, y1 <= y2.
// center_point_box = 1: [x_center, y_center, width, height] -> x_center -/+ width / 2 (not normalized,
// as ONNX Runtime does). The result is xyxy, the layout every other NMS function takes.
DS_HD DsBox ds_nms_onnx_box(float v0, float v1, float v2, float v3, int center_point_box) {
  DsBox b;
  if (center_point_box) {
    const float hw = ds_div_rn(v2, 2.0f), hh = ds_div_rn(v3, 2.0f);
    b.x1 = ds_sub_rn(v0, hw);
    b.x2 = ds_add_rn(v0, hw);
    b.y1 = ds_sub_rn(v1, hh);
    b.y2 = ds_add_rn(v1, hh);
  } else {
    b.x1 = ds_min_nan(v1, v3);
    b.x2 = ds_max_nan(v1, v3);
    b.y1 = ds_min_nan(v0, v2);
    b.y2 = ds_max_nan(v0, v2);
  }
  return b;
}

// ---- Soft-NMS (Bodla et al., 2017) ----------------------------------------------------------------
// After box M is selected, every remaining candidate b has its score multiplied by f(IoU(M, b)):
//   linear:   f = IoU > iou_threshold ? 1 - IoU : 1
//   gaussian: f = exp(-(IoU * IoU) / sigma)           (applied to every box; IoU 0 gives exactly 1)
// A NaN IoU leaves the score unchanged (f = 1), as it never suppresses in hard NMS. A candidate stays
// a candidate while its decayed score is >= score_threshold (so a NaN product drops it).
#define DS_NMS_SOFT_LINEAR 0
#define DS_NMS_SOFT_GAUSSIAN 1

DS_HD float ds_nms_soft_weight(float iou, int method, float iou_threshold, float sigma) {
  if (method == DS_NMS_SOFT_LINEAR) return iou > iou_threshold ? ds_sub_rn(1.0f, iou) : 1.0f;
  if (iou != iou) return 1.0f;
  return expf(ds_div_rn(-ds_mul_rn(iou, iou), sigma));
}

DS_HD bool ds_nms_soft_alive(float score, float score_threshold) { return score >= score_threshold; }

// ---- bitmask geometry -----------------------------------------------------------------------------
// The CUDA path stores, for each sorted candidate row, one 64-bit word per 64 sorted columns.
DS_HD long long ds_nms_words(long long n) { return (n + 63) / 64; }
