// CPU box ops (docs/kernels/boxes.md): area, GIoU and its gradient, clipping, format conversion and
// remove_small_boxes, with the formulas of kernels/include/detseg/box_math.cuh (the CUDA kernels'
// own). Loops are written so GCC vectorizes them in each SIMD variant of cpu_simd.h; reductions use
// a fixed lane layout, so results never depend on the thread count or the SIMD level.

// No FMA contraction: the formulas must round every operation, as PyTorch and the CUDA kernels do.
#pragma GCC optimize("fp-contract=off")

#include <algorithm>
#include <memory>
#include <vector>

#include "box_pairwise.h"
#include "boxes_cpu.h"
#include "cpu_simd.h"
#include "detseg/box_math.cuh"

namespace detseg {
namespace cpu {
namespace {

constexpr int64_t kElemPerThread = 1 << 15;   // boxes per thread for the per-box ops (memory bound)
constexpr int64_t kPairsPerThread = 1 << 13;  // box pairs per thread for GIoU (about 1 ns each)
constexpr int64_t kGradChunk = 256;           // columns per chunk of the GIoU gradient, multiple of 16

// ---- area ---------------------------------------------------------------------------------------
DS_CPU_INLINE void area_body(const float* boxes, float* out, int64_t lo, int64_t hi) {
  for (int64_t i = lo; i < hi; ++i) {
    const float* b = boxes + 4 * i;
    out[i] = ds_box_area(b[0], b[1], b[2], b[3]);
  }
}
DS_CPU_VARIANTS(void, area, (const float* boxes, float* out, int64_t lo, int64_t hi), (boxes, out, lo, hi))

DS_CPU_INLINE void area_backward_body(const float* grad, const float* boxes, float* out, int64_t lo, int64_t hi) {
  for (int64_t i = lo; i < hi; ++i) {
    const float* b = boxes + 4 * i;
    const float g = grad[i];
    const float w = ds_sub_rn(b[2], b[0]), h = ds_sub_rn(b[3], b[1]);
    out[4 * i] = -ds_mul_rn(g, h);
    out[4 * i + 1] = -ds_mul_rn(g, w);
    out[4 * i + 2] = ds_mul_rn(g, h);
    out[4 * i + 3] = ds_mul_rn(g, w);
  }
}
DS_CPU_VARIANTS(void, area_backward, (const float* grad, const float* boxes, float* out, int64_t lo, int64_t hi),
                (grad, boxes, out, lo, hi))

// ---- GIoU ---------------------------------------------------------------------------------------
// out[k] for the flattened indices k in [k0, k1) of the [n, m] result (as box_iou.cpp).
struct GiouPair {
  DS_CPU_INLINE_MEMBER float operator()(float ax1, float ay1, float ax2, float ay2, float area_a, float bx1, float by1,
                                        float bx2, float by2, float area_b) const {
    return ds_box_giou(ax1, ay1, ax2, ay2, area_a, bx1, by1, bx2, by2, area_b);
  }
};

DS_CPU_INLINE void giou_span_body(const float* boxes1, BoxesSoA b2, int64_t m, float* out, int64_t k0, int64_t k1) {
  pairwise_span(boxes1, b2, m, out, k0, k1, GiouPair());
}
DS_CPU_VARIANTS(void, giou_span, (const float* boxes1, BoxesSoA b2, int64_t m, float* out, int64_t k0, int64_t k1),
                (boxes1, b2, m, out, k0, k1))

// grad1[i] for rows [lo, hi): the pair gradients of a chunk of columns go to 4 unit-stride buffers
// (vectorized), then fold into 16 lane accumulators in column order (j % 16 picks the lane), so the
// sum's order depends on m alone.
DS_CPU_INLINE void giou_grad_rows_body(const float* grad, const float* boxes1, BoxesSoA b2, int64_t m, float* grad1,
                                       int64_t lo, int64_t hi) {
  alignas(64) float bx1[kGradChunk], by1[kGradChunk], bx2[kGradChunk], by2[kGradChunk];
  for (int64_t i = lo; i < hi; ++i) {
    const float* p = boxes1 + 4 * i;
    const DsBox a{p[0], p[1], p[2], p[3]};
    const float* g = grad + i * m;
    float acc[4][16] = {};
    for (int64_t j0 = 0; j0 < m; j0 += kGradChunk) {
      const int64_t len = std::min(kGradChunk, m - j0);
      for (int64_t t = 0; t < len; ++t) {
        const int64_t j = j0 + t;
        const DsBox b{b2.x1[j], b2.y1[j], b2.x2[j], b2.y2[j]};
        DsBox ga{0.0f, 0.0f, 0.0f, 0.0f};
        DsBox gb{0.0f, 0.0f, 0.0f, 0.0f};
        ds_box_giou_backward(g[j], a, b, &ga, &gb);
        bx1[t] = ga.x1;
        by1[t] = ga.y1;
        bx2[t] = ga.x2;
        by2[t] = ga.y2;
      }
      for (int64_t t = 0; t < len; t += 16) {  // kGradChunk % 16 == 0, so lane l takes j % 16 == l
        const int64_t lanes = std::min<int64_t>(16, len - t);
        for (int64_t l = 0; l < lanes; ++l) {
          acc[0][l] += bx1[t + l];
          acc[1][l] += by1[t + l];
          acc[2][l] += bx2[t + l];
          acc[3][l] += by2[t + l];
        }
      }
    }
    for (int c = 0; c < 4; ++c) {
      float s8[8], s4[4];
      for (int l = 0; l < 8; ++l) s8[l] = acc[c][l] + acc[c][l + 8];
      for (int l = 0; l < 4; ++l) s4[l] = s8[l] + s8[l + 4];
      grad1[4 * i + c] = (s4[0] + s4[2]) + (s4[1] + s4[3]);
    }
  }
}
DS_CPU_VARIANTS(void, giou_grad_rows,
                (const float* grad, const float* boxes1, BoxesSoA b2, int64_t m, float* grad1, int64_t lo, int64_t hi),
                (grad, boxes1, b2, m, grad1, lo, hi))

// grad2[j] for columns [lo, hi): rows in order i = 0..n-1, each adding its pair gradients to
// per-column accumulators (element-wise across j, so it vectorizes and the order is fixed).
DS_CPU_INLINE void giou_grad_cols_body(const float* grad, const float* boxes1, int64_t n, BoxesSoA b2, int64_t m,
                                       float* grad2, int64_t lo, int64_t hi) {
  alignas(64) float ax1[kGradChunk], ay1[kGradChunk], ax2[kGradChunk], ay2[kGradChunk];
  for (int64_t j0 = lo; j0 < hi; j0 += kGradChunk) {
    const int64_t len = std::min(kGradChunk, hi - j0);
    for (int64_t t = 0; t < len; ++t) ax1[t] = ay1[t] = ax2[t] = ay2[t] = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
      const float* p = boxes1 + 4 * i;
      const DsBox a{p[0], p[1], p[2], p[3]};
      const float* g = grad + i * m + j0;
      for (int64_t t = 0; t < len; ++t) {
        const int64_t j = j0 + t;
        const DsBox b{b2.x1[j], b2.y1[j], b2.x2[j], b2.y2[j]};
        DsBox ga{0.0f, 0.0f, 0.0f, 0.0f};
        DsBox gb{ax1[t], ay1[t], ax2[t], ay2[t]};
        ds_box_giou_backward(g[t], a, b, &ga, &gb);
        ax1[t] = gb.x1;
        ay1[t] = gb.y1;
        ax2[t] = gb.x2;
        ay2[t] = gb.y2;
      }
    }
    for (int64_t t = 0; t < len; ++t) {
      float* o = grad2 + 4 * (j0 + t);
      o[0] = ax1[t];
      o[1] = ay1[t];
      o[2] = ax2[t];
      o[3] = ay2[t];
    }
  }
}
DS_CPU_VARIANTS(void, giou_grad_cols,
                (const float* grad, const float* boxes1, int64_t n, BoxesSoA b2, int64_t m, float* grad2, int64_t lo,
                 int64_t hi),
                (grad, boxes1, n, b2, m, grad2, lo, hi))

// ---- clip, convert --------------------------------------------------------------------------------
// Pairs (x, y): x in [0, width], y in [0, height].
DS_CPU_INLINE void clip_body(const float* in, float* out, float height, float width, int64_t lo, int64_t hi) {
  for (int64_t p = lo; p < hi; ++p) {
    out[2 * p] = ds_box_clamp(in[2 * p], 0.0f, width);
    out[2 * p + 1] = ds_box_clamp(in[2 * p + 1], 0.0f, height);
  }
}
DS_CPU_VARIANTS(void, clip, (const float* in, float* out, float height, float width, int64_t lo, int64_t hi),
                (in, out, height, width, lo, hi))

DS_CPU_INLINE void clip_backward_body(const float* grad, const float* in, float* out, float height, float width,
                                      int64_t lo, int64_t hi) {
  for (int64_t p = lo; p < hi; ++p) {
    out[2 * p] = ds_box_clamp_backward(grad[2 * p], in[2 * p], 0.0f, width);
    out[2 * p + 1] = ds_box_clamp_backward(grad[2 * p + 1], in[2 * p + 1], 0.0f, height);
  }
}
DS_CPU_VARIANTS(void, clip_backward,
                (const float* grad, const float* in, float* out, float height, float width, int64_t lo, int64_t hi),
                (grad, in, out, height, width, lo, hi))

DS_CPU_INLINE void convert_body(const float* in, float* out, int in_fmt, int out_fmt, bool backward, int64_t lo,
                                int64_t hi) {
  for (int64_t i = lo; i < hi; ++i) {
    const DsBox b{in[4 * i], in[4 * i + 1], in[4 * i + 2], in[4 * i + 3]};
    const DsBox o = backward ? ds_box_convert_backward(b, in_fmt, out_fmt) : ds_box_convert(b, in_fmt, out_fmt);
    out[4 * i] = o.x1;
    out[4 * i + 1] = o.y1;
    out[4 * i + 2] = o.x2;
    out[4 * i + 3] = o.y2;
  }
}
DS_CPU_VARIANTS(void, convert,
                (const float* in, float* out, int in_fmt, int out_fmt, bool backward, int64_t lo, int64_t hi),
                (in, out, in_fmt, out_fmt, backward, lo, hi))

// Number of kept boxes in [lo, hi) (remove_small_boxes' first pass).
DS_CPU_INLINE int64_t small_count_body(const float* boxes, float min_size, int64_t lo, int64_t hi) {
  int64_t c = 0;
  for (int64_t i = lo; i < hi; ++i) {
    const float* b = boxes + 4 * i;
    c += ds_box_is_large(b[0], b[1], b[2], b[3], min_size) ? 1 : 0;
  }
  return c;
}
DS_CPU_VARIANTS(int64_t, small_count, (const float* boxes, float min_size, int64_t lo, int64_t hi),
                (boxes, min_size, lo, hi))

}  // namespace

void box_area_f32(const float* boxes, int64_t n, float* out) {
  static const auto fn = DS_CPU_PICK(area);
  detail::parallel_ranges(n, kElemPerThread, 16, [&](int64_t lo, int64_t hi) { fn(boxes, out, lo, hi); });
}

void box_area_backward_f32(const float* grad, const float* boxes, int64_t n, float* grad_boxes) {
  static const auto fn = DS_CPU_PICK(area_backward);
  detail::parallel_ranges(n, kElemPerThread, 16, [&](int64_t lo, int64_t hi) { fn(grad, boxes, grad_boxes, lo, hi); });
}

void generalized_box_iou_f32(const float* boxes1, int64_t n, const float* boxes2, int64_t m, float* out) {
  if (n <= 0 || m <= 0) return;
  static const auto fn = DS_CPU_PICK(giou_span);
  BoxesSoA b2;
  auto keep = to_soa(boxes2, m, &b2);
  detail::parallel_ranges(n * m, kPairsPerThread, 16, [&](int64_t lo, int64_t hi) { fn(boxes1, b2, m, out, lo, hi); });
}

void generalized_box_iou_backward_f32(const float* grad, const float* boxes1, int64_t n, const float* boxes2,
                                      int64_t m, float* grad1, float* grad2) {
  if (n <= 0 || m <= 0) {  // an empty pair set gives zero gradients
    std::fill(grad1, grad1 + 4 * std::max<int64_t>(n, 0), 0.0f);
    std::fill(grad2, grad2 + 4 * std::max<int64_t>(m, 0), 0.0f);
    return;
  }
  static const auto rows = DS_CPU_PICK(giou_grad_rows);
  static const auto cols = DS_CPU_PICK(giou_grad_cols);
  BoxesSoA b2;
  auto keep = to_soa(boxes2, m, &b2);
  // Work per row is m pairs; split rows when the total is worth it.
  const int64_t min_rows = std::max<int64_t>(1, kPairsPerThread / m);
  detail::parallel_ranges(n, min_rows, 1, [&](int64_t lo, int64_t hi) { rows(grad, boxes1, b2, m, grad1, lo, hi); });
  const int64_t min_cols = std::max<int64_t>(16, kPairsPerThread / n);
  detail::parallel_ranges(m, min_cols, 16,
                          [&](int64_t lo, int64_t hi) { cols(grad, boxes1, n, b2, m, grad2, lo, hi); });
}

void clip_boxes_f32(const float* boxes, int64_t count, float height, float width, float* out) {
  static const auto fn = DS_CPU_PICK(clip);
  detail::parallel_ranges(count / 2, 2 * kElemPerThread, 16,
                          [&](int64_t lo, int64_t hi) { fn(boxes, out, height, width, lo, hi); });
}

void clip_boxes_backward_f32(const float* grad, const float* boxes, int64_t count, float height, float width,
                             float* out) {
  static const auto fn = DS_CPU_PICK(clip_backward);
  detail::parallel_ranges(count / 2, 2 * kElemPerThread, 16,
                          [&](int64_t lo, int64_t hi) { fn(grad, boxes, out, height, width, lo, hi); });
}

void box_convert_f32(const float* boxes, int64_t n, int in_fmt, int out_fmt, float* out) {
  static const auto fn = DS_CPU_PICK(convert);
  detail::parallel_ranges(n, kElemPerThread, 16,
                          [&](int64_t lo, int64_t hi) { fn(boxes, out, in_fmt, out_fmt, false, lo, hi); });
}

void box_convert_backward_f32(const float* grad, int64_t n, int in_fmt, int out_fmt, float* out) {
  static const auto fn = DS_CPU_PICK(convert);
  detail::parallel_ranges(n, kElemPerThread, 16,
                          [&](int64_t lo, int64_t hi) { fn(grad, out, in_fmt, out_fmt, true, lo, hi); });
}

int64_t remove_small_boxes_f32(const float* boxes, int64_t n, float min_size, int32_t* out) {
  if (n <= 0) return 0;
  static const auto count = DS_CPU_PICK(small_count);
  // Two passes over equal contiguous chunks: count per chunk (vectorized), then each chunk writes its
  // kept indices at its prefix, branch-free (every index is stored, the cursor advances only on a keep,
  // and the loop ends once the chunk's count is written, so no store leaves the chunk's range).
  const int nt = detail::threads_for(n, kElemPerThread);
  const int64_t per = (n + nt - 1) / nt;
  std::vector<int64_t> counts(nt + 1, 0);
#pragma omp parallel for schedule(static, 1) num_threads(nt) if (nt > 1)
  for (int t = 0; t < nt; ++t) {
    const int64_t lo = std::min<int64_t>(n, t * per), hi = std::min<int64_t>(n, lo + per);
    counts[t + 1] = count(boxes, min_size, lo, hi);
  }
  for (int t = 0; t < nt; ++t) counts[t + 1] += counts[t];
#pragma omp parallel for schedule(static, 1) num_threads(nt) if (nt > 1)
  for (int t = 0; t < nt; ++t) {
    const int64_t lo = std::min<int64_t>(n, t * per), hi = std::min<int64_t>(n, lo + per);
    int32_t* o = out + counts[t];
    const int64_t room = counts[t + 1] - counts[t];
    int64_t c = 0;
    for (int64_t i = lo; i < hi && c < room; ++i) {
      const float* b = boxes + 4 * i;
      o[c] = (int32_t)i;  // c < room: never writes into the next chunk's range
      c += ds_box_is_large(b[0], b[1], b[2], b[3], min_size) ? 1 : 0;
    }
  }
  return counts[nt];
}

}  // namespace cpu
}  // namespace detseg
