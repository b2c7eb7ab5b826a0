// Gather through strides on the CPU: the contiguous copy of a strided view (permute, narrow, select).
#include "strided_copy.h"

#include <omp.h>

#include <cstring>
#include <vector>

namespace detseg {
namespace cpu {

namespace {

// Copies one output row (the innermost dimension) whose source elements are `stride` apart.
template <typename Word>
void copy_row(const Word* in, Word* out, int64_t count, int64_t stride) {
  if (stride == 1) {
    std::memcpy(out, in, static_cast<size_t>(count) * sizeof(Word));
    return;
  }
  for (int64_t k = 0; k < count; k++) out[k] = in[k * stride];
}

template <typename Word>
void gather(const Word* in, Word* out, int ndim, const int64_t* shape, const int64_t* strides) {
  int64_t inner = ndim == 0 ? 1 : shape[ndim - 1];
  int64_t inner_stride = ndim == 0 ? 1 : strides[ndim - 1];
  int64_t rows = 1;
  for (int d = 0; d + 1 < ndim; d++) rows *= shape[d];
  if (rows == 0 || inner == 0) return;
  const bool parallel = rows * inner >= (1 << 16);
#pragma omp parallel for schedule(static) if (parallel)
  for (int64_t r = 0; r < rows; r++) {
    // Source offset of row r: decompose r over the outer dimensions.
    int64_t rest = r;
    int64_t src = 0;
    for (int d = ndim - 2; d >= 0; d--) {
      src += (rest % shape[d]) * strides[d];
      rest /= shape[d];
    }
    copy_row(in + src, out + r * inner, inner, inner_stride);
  }
}

}  // namespace

void strided_copy(const void* in, void* out, int elem_bytes, int ndim, const int64_t* shape, const int64_t* strides) {
  if (elem_bytes == 4) {
    gather(static_cast<const uint32_t*>(in), static_cast<uint32_t*>(out), ndim, shape, strides);
  } else {
    gather(static_cast<const uint8_t*>(in), static_cast<uint8_t*>(out), ndim, shape, strides);
  }
}

}  // namespace cpu
}  // namespace detseg
