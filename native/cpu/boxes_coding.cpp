// CPU box coding (docs/kernels/boxes.md): torchvision's BoxCoder encode/decode and the SSD variance
// form, with the formulas of kernels/include/detseg/box_coding.cuh (shared with the CUDA kernels).
#pragma GCC optimize("fp-contract=off")

#include "boxes_cpu.h"
#include "cpu_simd.h"
#include "detseg/box_coding.cuh"

namespace detseg {
namespace cpu {
namespace {

constexpr int64_t kBoxesPerThread = 1 << 14;  // log/exp per box: ~10-20 ns each

inline DsBox load(const float* p) { return DsBox{p[0], p[1], p[2], p[3]}; }

inline void store(float* o, const DsBox& b) {
  o[0] = b.x1;
  o[1] = b.y1;
  o[2] = b.x2;
  o[3] = b.y2;
}

}  // namespace

void encode_boxes_f32(const float* reference, const float* proposals, int64_t n, const float* w, float* out) {
  detail::parallel_ranges(n, kBoxesPerThread, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      store(out + 4 * i, ds_box_encode(load(reference + 4 * i), load(proposals + 4 * i), w[0], w[1], w[2], w[3]));
    }
  });
}

void decode_boxes_f32(const float* rel_codes, const float* boxes, int64_t n, int64_t k, const float* w, float clip,
                      float* out) {
  detail::parallel_ranges(n * k, kBoxesPerThread, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const float* b = boxes + 4 * (t / k);
      const DsBoxCenter r = ds_box_center(b[0], b[1], b[2], b[3]);
      store(out + 4 * t, ds_box_decode(load(rel_codes + 4 * t), r, w[0], w[1], w[2], w[3], clip));
    }
  });
}

void encode_boxes_ssd_f32(const float* reference, const float* defaults, int64_t n, float v0, float v1, float* out) {
  detail::parallel_ranges(n, kBoxesPerThread, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      store(out + 4 * i, ds_box_encode_ssd(load(reference + 4 * i), load(defaults + 4 * i), v0, v1));
    }
  });
}

void decode_boxes_ssd_f32(const float* rel_codes, const float* boxes, int64_t n, int64_t k, float v0, float v1,
                          float* out) {
  detail::parallel_ranges(n * k, kBoxesPerThread, 16, [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const float* b = boxes + 4 * (t / k);
      const DsBoxCenter r = ds_box_center(b[0], b[1], b[2], b[3]);
      store(out + 4 * t, ds_box_decode_ssd(load(rel_codes + 4 * t), r, v0, v1));
    }
  });
}

}  // namespace cpu
}  // namespace detseg
