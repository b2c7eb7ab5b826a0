// Shared by the pairwise box ops on the CPU (box_iou.cpp, boxes_ops.cpp' GIoU): boxes2 as a
// structure of arrays, and the span loop over the flattened [n, m] output that each SIMD variant
// inlines. Include after `#pragma GCC optimize("fp-contract=off")`, as both users do: the formulas
// must round every operation like PyTorch and the CUDA kernels.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "cpu_simd.h"
#include "detseg/box_math.cuh"

// always_inline for a member (DS_CPU_INLINE is static, which a member function cannot be).
#define DS_CPU_INLINE_MEMBER inline __attribute__((always_inline))

namespace detseg {
namespace cpu {

struct BoxesSoA {
  const float *x1, *y1, *x2, *y2, *area;
};

// boxes [m, 4] -> structure of arrays (x1, y1, x2, y2, area), so loops over j are unit-stride.
inline std::unique_ptr<float[]> to_soa(const float* boxes, int64_t m, BoxesSoA* soa) {
  std::unique_ptr<float[]> buf(new float[5 * std::max<int64_t>(m, 1)]);
  float* s = buf.get();
  for (int64_t j = 0; j < m; ++j) {
    const float* b = boxes + 4 * j;
    s[j] = b[0];
    s[m + j] = b[1];
    s[2 * m + j] = b[2];
    s[3 * m + j] = b[3];
    s[4 * m + j] = ds_box_area(b[0], b[1], b[2], b[3]);
  }
  *soa = BoxesSoA{s, s + m, s + 2 * m, s + 3 * m, s + 4 * m};
  return buf;
}

// out[k] = pair(boxes1[i], boxes2[j]) for the flattened indices k = i * m + j in [k0, k1). Pair takes
// (ax1, ay1, ax2, ay2, area_a, bx1, by1, bx2, by2, area_b); the inner loop over j is unit-stride so
// GCC vectorizes it in each SIMD variant.
template <class Pair>
DS_CPU_INLINE void pairwise_span(const float* boxes1, BoxesSoA b2, int64_t m, float* out, int64_t k0, int64_t k1,
                                 Pair pair) {
  int64_t i = k0 / m;
  int64_t j = k0 - i * m;
  int64_t k = k0;
  while (k < k1) {
    const float* a = boxes1 + 4 * i;
    const float ax1 = a[0], ay1 = a[1], ax2 = a[2], ay2 = a[3];
    const float area_a = ds_box_area(ax1, ay1, ax2, ay2);
    const int64_t j_end = std::min(m, j + (k1 - k));
    float* row = out + i * m;
    for (int64_t jj = j; jj < j_end; ++jj) {
      row[jj] = pair(ax1, ay1, ax2, ay2, area_a, b2.x1[jj], b2.y1[jj], b2.x2[jj], b2.y2[jj], b2.area[jj]);
    }
    k += j_end - j;
    ++i;
    j = 0;
  }
}

}  // namespace cpu
}  // namespace detseg
