// CPU Soft-NMS (Bodla et al. 2017), linear and Gaussian; rules in kernels/include/detseg/nms_math.cuh,
// semantics in docs/kernels/nms.md. Same selections and (bit for bit, on the host) same scores as the
// CUDA kernel ds_nms_soft_f32.
//
// The alive candidates are kept compacted in index order as structure-of-arrays. Each step: the
// selected box decays every other alive score (a vectorized pass: IoU, weight, product), then one
// scalar pass drops the scores below the threshold, compacts, and finds the next maximum (strict >
// while scanning in index order, so ties go to the lowest index). O(selected * alive).

// No FMA contraction: IoU, weights and products round as on the device.
#pragma GCC optimize("fp-contract=off")

#include <algorithm>
#include <cstring>
#include <memory>

#include "cpu_simd.h"
#include "detseg/nms_math.cuh"
#include "nms_ops.h"

namespace detseg {
namespace cpu {
namespace {

struct SoftSoa {
  float *x1, *y1, *x2, *y2, *area, *score;
};

// score[j] *= weight(IoU(a, j)) for j in [0, m).
DS_CPU_INLINE void soft_decay_body(SoftSoa c, int64_t m, float ax1, float ay1, float ax2, float ay2, float aa,
                                   int method, float iou_threshold, float sigma) {
  float* __restrict__ s = c.score;
  const float* __restrict__ x1 = c.x1;
  const float* __restrict__ y1 = c.y1;
  const float* __restrict__ x2 = c.x2;
  const float* __restrict__ y2 = c.y2;
  const float* __restrict__ ar = c.area;
  if (method == DS_NMS_SOFT_LINEAR) {
    for (int64_t j = 0; j < m; ++j) {
      const float iou = ds_box_iou(ax1, ay1, ax2, ay2, aa, x1[j], y1[j], x2[j], y2[j], ar[j]);
      s[j] = ds_mul_rn(s[j], ds_nms_soft_weight(iou, DS_NMS_SOFT_LINEAR, iou_threshold, sigma));
    }
  } else {
    for (int64_t j = 0; j < m; ++j) {
      const float iou = ds_box_iou(ax1, ay1, ax2, ay2, aa, x1[j], y1[j], x2[j], y2[j], ar[j]);
      s[j] = ds_mul_rn(s[j], ds_nms_soft_weight(iou, DS_NMS_SOFT_GAUSSIAN, iou_threshold, sigma));
    }
  }
}
DS_CPU_VARIANTS(void, soft_decay,
                (SoftSoa c, int64_t m, float ax1, float ay1, float ax2, float ay2, float aa, int method,
                 float iou_threshold, float sigma),
                (c, m, ax1, ay1, ax2, ay2, aa, method, iou_threshold, sigma))

}  // namespace

int64_t soft_nms_f32(const float* boxes, const float* scores, int64_t n, float sigma, float iou_threshold,
                     float score_threshold, int method, int32_t* keep, float* kept_scores) {
  if (n <= 0) return 0;
  static const auto decay = DS_CPU_PICK(soft_decay);
  std::unique_ptr<float[]> buf(new float[6 * n]);
  std::unique_ptr<int32_t[]> idx(new int32_t[n]);
  SoftSoa c{buf.get(), buf.get() + n, buf.get() + 2 * n, buf.get() + 3 * n, buf.get() + 4 * n, buf.get() + 5 * n};
  int64_t m = 0;
  int64_t best = -1;
  for (int64_t i = 0; i < n; ++i) {
    const float s = scores[i];
    if (!ds_nms_soft_alive(s, score_threshold)) continue;
    const float* b = boxes + 4 * i;
    c.x1[m] = b[0];
    c.y1[m] = b[1];
    c.x2[m] = b[2];
    c.y2[m] = b[3];
    c.area[m] = ds_box_area(b[0], b[1], b[2], b[3]);
    c.score[m] = s;
    idx[m] = (int32_t)i;
    if (best < 0 || s > c.score[best]) best = m;
    ++m;
  }
  int64_t count = 0;
  while (best >= 0) {
    keep[count] = idx[best];
    kept_scores[count] = c.score[best];
    ++count;
    const float ax1 = c.x1[best], ay1 = c.y1[best], ax2 = c.x2[best], ay2 = c.y2[best], aa = c.area[best];
    c.score[best] = __builtin_nanf("");  // the selected box leaves: NaN stays NaN and is dropped below
    decay(c, m, ax1, ay1, ax2, ay2, aa, method, iou_threshold, sigma);
    // Drop, compact, find the next maximum.
    int64_t w = 0;
    best = -1;
    for (int64_t j = 0; j < m; ++j) {
      const float s = c.score[j];
      if (!ds_nms_soft_alive(s, score_threshold)) continue;
      if (w != j) {
        c.x1[w] = c.x1[j];
        c.y1[w] = c.y1[j];
        c.x2[w] = c.x2[j];
        c.y2[w] = c.y2[j];
        c.area[w] = c.area[j];
        c.score[w] = s;
        idx[w] = idx[j];
      }
      if (best < 0 || s > c.score[best]) best = w;
      ++w;
    }
    m = w;
  }
  return count;
}

}  // namespace cpu
}  // namespace detseg
