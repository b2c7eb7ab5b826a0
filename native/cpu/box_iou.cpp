// CPU pairwise box IoU, torchvision.ops.box_iou semantics, with the formula of
// kernels/include/detseg/box_math.cuh (the one the CUDA kernel uses).
//
// boxes2 is transposed once into structure-of-arrays (x1, y1, x2, y2, area), so the inner loop over
// m is unit-stride and GCC vectorizes it (compare/blend for the NaN-propagating min/max, one vector
// division per 8 or 16 outputs). The n*m outputs are split between threads as contiguous ranges of
// the flattened [n, m] index, so a single row (n == 1) uses both cores too.

// No FMA contraction here: the AVX2/AVX-512 variants would otherwise fuse e.g. area_a + w * h and
// round once where PyTorch and the CUDA kernel (which uses _rn intrinsics) round twice. Placed before
// every include so all functions of this file, inline ones included, share the same options.
#pragma GCC optimize("fp-contract=off")

#include <algorithm>
#include <memory>

#include "box_pairwise.h"
#include "cpu_ops.h"
#include "cpu_simd.h"
#include "detseg/box_math.cuh"

namespace detseg {
namespace cpu {
namespace {

// IoU outputs worth a thread. Measured on the 2-core dev machine (AVX-512): ~0.35-0.45 ns per output
// on one core; 181 x 181 boxes take ~14 us on one core and ~10 us on two.
constexpr int64_t kMinPerThread = 1 << 13;

struct IouPair {
  DS_CPU_INLINE_MEMBER float operator()(float ax1, float ay1, float ax2, float ay2, float area_a, float bx1, float by1,
                                        float bx2, float by2, float area_b) const {
    return ds_box_iou(ax1, ay1, ax2, ay2, area_a, bx1, by1, bx2, by2, area_b);
  }
};

// out[k] for the flattened indices k in [k0, k1) of the [n, m] result.
DS_CPU_INLINE void iou_span_body(const float* boxes1, BoxesSoA b2, int64_t m, float* out, int64_t k0, int64_t k1) {
  pairwise_span(boxes1, b2, m, out, k0, k1, IouPair());
}
DS_CPU_VARIANTS(void, iou_span, (const float* boxes1, BoxesSoA b2, int64_t m, float* out, int64_t k0, int64_t k1),
                (boxes1, b2, m, out, k0, k1))

}  // namespace

void box_iou_f32(const float* boxes1, int64_t n, const float* boxes2, int64_t m, float* out) {
  if (n <= 0 || m <= 0) return;
  static const auto fn = DS_CPU_PICK(iou_span);
  BoxesSoA b2;
  std::unique_ptr<float[]> soa = to_soa(boxes2, m, &b2);
  detail::parallel_ranges(n * m, kMinPerThread, 16,
                          [&](int64_t lo, int64_t hi) { fn(boxes1, b2, m, out, lo, hi); });
}

}  // namespace cpu
}  // namespace detseg
