// RoI formulas shared by the CPU backend (native/cpu/roi_*.cpp) and the CUDA kernels (kernels/roi_*.cu):
// RoIAlign's box geometry, sample positions and bilinear weights, RoIPool's bins, the FPN level of a
// box, and the batch-index rule. One definition each, so both backends compute the same numbers.
//
// Semantics are torchvision 0.14's (torchvision/csrc/ops/{cpu,cuda}/roi_{align,pool}_kernel.*), op by
// op, each operation separately rounded (ds_*_rn: never contracted into an FMA), so the CPU backend,
// the CUDA kernels and torchvision's CPU kernels agree bit for bit on finite inputs. Where torchvision
// has undefined behaviour (NaN or huge RoIs reaching an int conversion) the rule here is documented in
// docs/kernels/roi.md: such RoIs never read or write outside the feature map.
#pragma once

#include <math.h>

#include "detseg/box_math.cuh"
#include "detseg/kernel_api.cuh"
#include "detseg/reduce_math.cuh"

// Adaptive sampling (sampling_ratio <= 0) takes ceil(roi_size / pooled) samples per bin and axis; the
// count is capped here so a float RoI of absurd size cannot overflow an int (2^20 samples per axis of
// one bin means a RoI over a million pixels per output cell; torchvision would loop for hours there).
#define DS_ROI_MAX_GRID (1 << 20)

// Full unrolling of the small per-channel loops of the RoI kernels (accumulators stay in registers).
#if defined(__CUDACC__)
#define DS_ROI_UNROLL _Pragma("unroll")
#else
#define DS_ROI_UNROLL _Pragma("GCC unroll 8")
#endif

// ---- RoIs as the kernels read them ---------------------------------------------------------------
// Two layouts: torchvision's [K, 5] rows (batch index as a float, then x1, y1, x2, y2) when
// batch_indices is null, or ONNX's [K, 4] rows plus an int batch index per RoI.
struct DsRoiBox {
  int batch;  // -1 when the index is out of [0, num_images) (callers validate first; kernels skip it)
  float x1, y1, x2, y2;
};

// torchvision converts the float index with a C cast (truncation toward zero): accepted iff the
// truncated value is in [0, n), i.e. -1 < v < n. NaN fails both comparisons.
DS_HD bool ds_roi_batch_ok(float v, int n) { return v > -1.0f && v < (float)n; }

DS_HD DsRoiBox ds_roi_load(const float* boxes, long long stride, const int* batch_indices, long long k,
                           int num_images) {
  const float* row = boxes + k * stride;
  DsRoiBox b;
  if (batch_indices != nullptr) {
    const int i = batch_indices[k];
    b.batch = (i >= 0 && i < num_images) ? i : -1;
    b.x1 = row[0];
    b.y1 = row[1];
    b.x2 = row[2];
    b.y2 = row[3];
  } else {
    const float v = row[0];
    b.batch = ds_roi_batch_ok(v, num_images) ? (int)v : -1;
    b.x1 = row[1];
    b.y1 = row[2];
    b.x2 = row[3];
    b.y2 = row[4];
  }
  return b;
}

// ---- RoIAlign ------------------------------------------------------------------------------------
struct DsRoiAlignGeom {
  float start_h, start_w;  // scaled (and, when aligned, half-pixel shifted) top-left corner
  float bin_h, bin_w;      // bin size; negative or NaN for degenerate RoIs when aligned
  int grid_h, grid_w;      // samples per bin along each axis, >= 0
  float count;             // max(grid_h * grid_w, 1): the average's divisor (empty bins give 0)
};

// ceil(roi_size / pooled) as an int: 0 for NaN, infinite or non-positive sizes (every sample of such a
// RoI would sit at a NaN or infinite coordinate, outside the map), capped at DS_ROI_MAX_GRID.
DS_HD int ds_roi_adaptive_grid(float bin_size) {
  const float g = ceilf(bin_size);
  if (!(g >= 1.0f && g <= 3.0e38f)) return 0;
  return g < (float)DS_ROI_MAX_GRID ? (int)g : DS_ROI_MAX_GRID;
}

DS_HD DsRoiAlignGeom ds_roi_align_geom(const DsRoiBox& b, float spatial_scale, int pooled_h, int pooled_w,
                                       int sampling_ratio, bool aligned) {
  const float offset = aligned ? 0.5f : 0.0f;
  DsRoiAlignGeom g;
  g.start_w = ds_sub_rn(ds_mul_rn(b.x1, spatial_scale), offset);
  g.start_h = ds_sub_rn(ds_mul_rn(b.y1, spatial_scale), offset);
  const float end_w = ds_sub_rn(ds_mul_rn(b.x2, spatial_scale), offset);
  const float end_h = ds_sub_rn(ds_mul_rn(b.y2, spatial_scale), offset);
  float roi_w = ds_sub_rn(end_w, g.start_w);
  float roi_h = ds_sub_rn(end_h, g.start_h);
  if (!aligned) {  // malformed RoIs become 1x1 (std::max: a NaN size stays NaN)
    roi_w = roi_w < 1.0f ? 1.0f : roi_w;
    roi_h = roi_h < 1.0f ? 1.0f : roi_h;
  }
  g.bin_h = ds_div_rn(roi_h, (float)pooled_h);
  g.bin_w = ds_div_rn(roi_w, (float)pooled_w);
  // torchvision: ceil(roi_height / pooled_height), the same float quotient as the bin size
  g.grid_h = sampling_ratio > 0 ? sampling_ratio : ds_roi_adaptive_grid(g.bin_h);
  g.grid_w = sampling_ratio > 0 ? sampling_ratio : ds_roi_adaptive_grid(g.bin_w);
  const long long n = (long long)g.grid_h * g.grid_w;
  g.count = (float)(n > 1 ? n : 1);
  return g;
}

// Coordinate of sample i (of grid) in bin p: start + p * bin + (i + 0.5) * bin / grid, in torchvision's
// evaluation order ((start + p*bin) + ((i + .5f) * bin) / grid).
DS_HD float ds_roi_align_sample(float start, float bin, int p, int i, int grid) {
  return ds_add_rn(ds_add_rn(start, ds_mul_rn((float)p, bin)),
                   ds_div_rn(ds_mul_rn((float)i + 0.5f, bin), (float)grid));
}

// A sample outside [-1, size] (or NaN) contributes nothing. Written as !(in range) so NaN is out.
DS_HD bool ds_bilinear_in_range(float v, int size) { return v >= -1.0f && v <= (float)size; }

// One axis of bilinear interpolation at coordinate v (in range): the two neighbouring pixel indices
// and their weights (weight of lo = h, of hi = l). Clamped at the edges as torchvision does: v <= 0
// reads pixel 0; v >= size - 1 reads the last pixel with weight 1 (lo == hi, l == 0).
struct DsBilinearAxis {
  int lo, hi;
  float l, h;
};

DS_HD DsBilinearAxis ds_bilinear_axis(float v, int size) {
  DsBilinearAxis a;
  if (v <= 0.0f) v = 0.0f;
  a.lo = (int)v;
  if (a.lo >= size - 1) {
    a.lo = size - 1;
    a.hi = size - 1;
    v = (float)a.lo;
  } else {
    a.hi = a.lo + 1;
  }
  a.l = ds_sub_rn(v, (float)a.lo);
  a.h = ds_sub_rn(1.0f, a.l);
  return a;
}

// The four corner weights w1..w4 of torchvision (hy*hx, hy*lx, ly*hx, ly*lx).
struct DsBilinearWeights {
  float w1, w2, w3, w4;
};

DS_HD DsBilinearWeights ds_bilinear_weights(const DsBilinearAxis& y, const DsBilinearAxis& x) {
  DsBilinearWeights w;
  w.w1 = ds_mul_rn(y.h, x.h);
  w.w2 = ds_mul_rn(y.h, x.l);
  w.w3 = ds_mul_rn(y.l, x.h);
  w.w4 = ds_mul_rn(y.l, x.l);
  return w;
}

// The interpolated value w1*v1 + w2*v2 + w3*v3 + w4*v4, summed left to right.
DS_HD float ds_bilinear_combine(const DsBilinearWeights& w, float v1, float v2, float v3, float v4) {
  return ds_add_rn(ds_add_rn(ds_add_rn(ds_mul_rn(w.w1, v1), ds_mul_rn(w.w2, v2)), ds_mul_rn(w.w3, v3)),
                   ds_mul_rn(w.w4, v4));
}

// Backward: the share of one corner, grad * w / count (torchvision's order: (grad * w) / count).
DS_HD float ds_roi_align_grad_share(float grad, float w, float count) { return ds_div_rn(ds_mul_rn(grad, w), count); }

// Weight a sample gives pixel `p` along one axis: h for its lo neighbour, l for its hi neighbour. At a
// clamped edge lo == hi and l == 0, so the pixel gets h (torchvision adds the second, zero, share too).
DS_HD float ds_bilinear_axis_weight(const DsBilinearAxis& a, int p) {
  return a.lo == p ? a.h : (a.hi == p ? a.l : 0.0f);
}

DS_HD bool ds_bilinear_axis_touches(const DsBilinearAxis& a, int p) { return a.lo == p || a.hi == p; }

// ---- RoIPool -------------------------------------------------------------------------------------
struct DsRoiPoolGeom {
  long long start_h, start_w;  // rounded, scaled corner
  float bin_h, bin_w;
  bool valid;                  // false for non-finite coordinates: every bin is empty
};

// C's round() (half away from zero), clamped to +-2^30 so no int conversion overflows.
DS_HD long long ds_roi_pool_round(float v) {
  const float r = roundf(v);
  const float lim = 1073741824.0f;
  return (long long)(r < -lim ? -lim : (r > lim ? lim : r));
}

DS_HD DsRoiPoolGeom ds_roi_pool_geom(const DsRoiBox& b, float spatial_scale, int pooled_h, int pooled_w) {
  DsRoiPoolGeom g;
  const float sx1 = ds_mul_rn(b.x1, spatial_scale), sy1 = ds_mul_rn(b.y1, spatial_scale);
  const float sx2 = ds_mul_rn(b.x2, spatial_scale), sy2 = ds_mul_rn(b.y2, spatial_scale);
  g.valid = isfinite(sx1) && isfinite(sy1) && isfinite(sx2) && isfinite(sy2);
  g.start_w = ds_roi_pool_round(sx1);
  g.start_h = ds_roi_pool_round(sy1);
  long long roi_w = ds_roi_pool_round(sx2) - g.start_w + 1;
  long long roi_h = ds_roi_pool_round(sy2) - g.start_h + 1;
  roi_w = roi_w > 1 ? roi_w : 1;  // malformed RoIs become 1x1
  roi_h = roi_h > 1 ? roi_h : 1;
  g.bin_h = ds_div_rn((float)roi_h, (float)pooled_h);
  g.bin_w = ds_div_rn((float)roi_w, (float)pooled_w);
  return g;
}

// Pixel range [*lo, *hi) of bin p along one axis: floor(p * bin) .. ceil((p + 1) * bin), shifted by the
// RoI's start and clipped to [0, size]. Empty when *hi <= *lo.
DS_HD void ds_roi_pool_bin(long long start, float bin, int p, int size, bool valid, int* lo, int* hi) {
  if (!valid) {
    *lo = 0;
    *hi = 0;
    return;
  }
  const float lim = 2147483648.0f;  // keeps the float -> int64 conversions defined
  float fl = floorf(ds_mul_rn((float)p, bin));
  float fh = ceilf(ds_mul_rn((float)(p + 1), bin));
  fl = fl > lim ? lim : fl;
  fh = fh > lim ? lim : fh;
  long long a = (long long)fl + start;
  long long e = (long long)fh + start;
  a = a < 0 ? 0 : (a > size ? size : a);
  e = e < 0 ? 0 : (e > size ? size : e);
  *lo = (int)a;
  *hi = (int)e;
}

// ---- FPN level (torchvision.ops.poolers.LevelMapper) ---------------------------------------------
// floor(canonical_level + log2(sqrt(area) / canonical_scale) + eps), clamped to [k_min, k_max], minus
// k_min. The area is box_area's (x2 - x1) * (y2 - y1) of the unscaled box. A negative area gives a NaN
// level; torchvision's int64 conversion of NaN then matches no level, so such a RoI is pooled by no
// level and its output stays 0: returned here as -1.
DS_HD int ds_roi_fpn_level(const DsRoiBox& b, int k_min, int k_max, float canonical_scale, float canonical_level,
                           float eps) {
  const float s = sqrtf(ds_box_area(b.x1, b.y1, b.x2, b.y2));
  const float t = floorf(ds_add_rn(ds_add_rn(canonical_level, log2f(ds_div_rn(s, canonical_scale))), eps));
  if (t != t) return -1;
  const float c = t < (float)k_min ? (float)k_min : (t > (float)k_max ? (float)k_max : t);
  return (int)c - k_min;
}
