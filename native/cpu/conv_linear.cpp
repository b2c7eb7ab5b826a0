// CPU helpers of linear layers (conv_ops.h): bias broadcast over rows, and the bias gradient as a
// column sum. Memory-bound streaming loops, vectorized by GCC in each SIMD variant (cpu_simd.h).
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_ops.h"
#include "cpu_simd.h"

namespace detseg {
namespace cpu {
namespace {

// acc[j] += x[r * ld + j] for every row r in order, j in [0, n).
DS_CPU_INLINE void add_rows_body(const float* x, int64_t rows, int64_t ld, int64_t n, double* acc) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * ld;
    for (int64_t j = 0; j < n; ++j) acc[j] += (double)row[j];
  }
}
DS_CPU_VARIANTS(void, add_rows, (const float* x, int64_t rows, int64_t ld, int64_t n, double* acc),
                (x, rows, ld, n, acc))

}  // namespace

void fill_rows_f32(const float* bias, int64_t rows, int64_t cols, float* out) {
  const int nt = detail::threads_for(rows * cols, 1 << 15);
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t r = 0; r < rows; ++r) std::memcpy(out + r * cols, bias, cols * sizeof(float));
}

// Each column sums its rows in row order in double, so the result depends on nothing but the data;
// columns are split between threads in chunks.
void sum_rows_f32(const float* x, int64_t rows, int64_t cols, float* out) {
  static const auto fn = DS_CPU_PICK(add_rows);
  constexpr int64_t kChunk = 256;
  const int64_t chunks = (cols + kChunk - 1) / kChunk;
  const int nt = (int)std::min<int64_t>(chunks, detail::threads_for(rows * cols, 1 << 15));
#pragma omp parallel for schedule(static) num_threads(std::max(nt, 1))
  for (int64_t c = 0; c < chunks; ++c) {
    const int64_t j0 = c * kChunk, n = std::min<int64_t>(kChunk, cols - j0);
    double acc[kChunk];
    std::fill(acc, acc + n, 0.0);
    fn(x + j0, rows, cols, n, acc);
    for (int64_t j = 0; j < n; ++j) out[j0 + j] = (float)acc[j];
  }
}

void add_channel_bias_f32(float* out, int64_t n, int64_t c, int64_t hw, const float* bias) {
  const int nt = detail::threads_for(n * c * hw, 1 << 15);
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t p = 0; p < n * c; ++p) {
    const float b = bias[p % c];
    float* row = out + p * hw;
    for (int64_t i = 0; i < hw; ++i) row[i] += b;
  }
}

}  // namespace cpu
}  // namespace detseg
