// CPU padding of the last two dimensions (constant, reflect, replicate; PyTorch F.pad semantics) and
// the strided row copy behind cat/split. Index maps: kernels/include/detseg/nn_pad_math.cuh (shared
// with the CUDA kernels).
//
// Forward: per output row, the source row (or the fill value); the interior is one memcpy and only
// the border columns go through the index map. Backward: a gather per input element over the output
// ranges that read it: per input row, the output rows that read it in increasing order, and within
// each the interior columns (single reader) as one vectorized add and the border columns over their
// ranges.
#include <cstring>
#include <vector>

#include "cpu_simd.h"
#include "detseg/nn_pad_math.cuh"
#include "nn_ops.h"

namespace detseg {
namespace cpu {
namespace nn {
namespace {
constexpr int64_t kMinOutputsPerThread = 1 << 14;

DS_CPU_INLINE void add_body(float* dst, const float* src, int n) {
  for (int i = 0; i < n; ++i) dst[i] += src[i];
}
DS_CPU_VARIANTS(void, add, (float* dst, const float* src, int n), (dst, src, n))

void add_shifted(float* dst, const float* src, int n) {
  static const auto fn = DS_CPU_PICK(add);
  if (n > 0) fn(dst, src, n);
}
}  // namespace

void pad2d_b32(const uint32_t* x, uint32_t* y, int64_t planes, int H, int W, int outH, int outW, int pT, int pL,
               int mode, uint32_t value) {
  // Output columns [c0, c1) read the input columns [c0 - pL, c1 - pL) directly.
  const int c0 = std::max(0, pL), c1 = std::min(outW, pL + W);
  const int64_t rows = planes * outH;
  const int64_t per = std::max<int64_t>(1, kMinOutputsPerThread / std::max(1, outW));
  detail::parallel_ranges(rows, per, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t p = r / outH;
      const int oy = (int)(r - p * outH);
      uint32_t* yr = y + r * outW;
      const int iy = ds_nn_pad_source(oy, H, pT, mode);
      if (iy < 0) {
        for (int ox = 0; ox < outW; ++ox) yr[ox] = value;
        continue;
      }
      const uint32_t* xr = x + (p * H + iy) * (int64_t)W;
      for (int ox = 0; ox < c0 && ox < outW; ++ox) {
        const int ix = ds_nn_pad_source(ox, W, pL, mode);
        yr[ox] = ix < 0 ? value : xr[ix];
      }
      if (c1 > c0) std::memcpy(yr + c0, xr + (c0 - pL), sizeof(uint32_t) * (size_t)(c1 - c0));
      for (int ox = std::max(c1, c0); ox < outW; ++ox) {
        const int ix = ds_nn_pad_source(ox, W, pL, mode);
        yr[ox] = ix < 0 ? value : xr[ix];
      }
    }
  });
}

void pad2d_backward_f32(const float* grad, float* gi, int64_t planes, int H, int W, int outH, int outW, int pT,
                        int pL, int mode) {
  // The output ranges of every input column, once; columns whose only reader is output column ix + pL
  // (the interior) take a unit-stride vectorizable add, the few border columns loop over their ranges.
  std::vector<int> xlo(3 * (size_t)W), xhi(3 * (size_t)W);
  int xa = 0, xb = 0;  // the longest run of single-reader columns [xa, xb)
  for (int ix = 0, run = 0; ix < W; ++ix) {
    int* lo = &xlo[3 * (size_t)ix];
    int* hi = &xhi[3 * (size_t)ix];
    ds_nn_pad_preimage(ix, W, outW, pL, mode, lo, hi);
    const bool single = lo[0] == hi[0] && lo[2] == hi[2] && lo[1] == ix + pL && hi[1] == ix + pL + 1;
    run = single ? run + 1 : 0;
    if (run > xb - xa) {
      xa = ix + 1 - run;
      xb = ix + 1;
    }
  }
  const int64_t rows = planes * H;
  const int64_t per = std::max<int64_t>(1, kMinOutputsPerThread / std::max(1, W));
  detail::parallel_ranges(rows, per, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t p = r / H;
      const int iy = (int)(r - p * H);
      const float* gp = grad + p * outH * (int64_t)outW;
      float* out = gi + r * W;
      for (int ix = 0; ix < W; ++ix) out[ix] = 0.0f;
      int ylo[3], yhi[3];
      ds_nn_pad_preimage(iy, H, outH, pT, mode, ylo, yhi);
      for (int a = 0; a < 3; ++a) {
        for (int oy = ylo[a]; oy < yhi[a]; ++oy) {
          const float* grow = gp + (int64_t)oy * outW;
          add_shifted(out + xa, grow + xa + pL, xb - xa);
          for (int ix = 0; ix < W; ++ix) {
            if (ix == xa && xb > xa) {
              ix = xb - 1;
              continue;
            }
            float acc = 0.0f;
            for (int b = 0; b < 3; ++b)
              for (int ox = xlo[3 * (size_t)ix + b]; ox < xhi[3 * (size_t)ix + b]; ++ox) acc += grow[ox];
            out[ix] += acc;
          }
        }
      }
    }
  });
}

void copy2d_f32(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows, int64_t cols) {
  // Parallel over rows, or over column chunks of a single long row.
  constexpr int64_t kChunk = 1 << 16;
  const int64_t chunks_per_row = (cols + kChunk - 1) / kChunk;
  const int64_t items = rows * chunks_per_row;
  const int64_t per = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, std::min(cols, kChunk)));
  detail::parallel_ranges(items, per, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t it = lo; it < hi; ++it) {
      const int64_t r = it / chunks_per_row;
      const int64_t c = (it - r * chunks_per_row) * kChunk;
      const int64_t len = std::min(kChunk, cols - c);
      std::memcpy(dst + r * dst_stride + c, src + r * src_stride + c, sizeof(float) * (size_t)len);
    }
  });
}

}  // namespace nn
}  // namespace cpu
}  // namespace detseg
