// The contiguous copy of a strided view: out (row-major over `shape`) = in[Σ idx_k · strides_k], with
// `in` already pointing at the view's first element. elem_bytes is 4 or 1 (float32/int32 or uint8).
// Rows of the innermost dimension go to OpenMP threads; a unit inner stride becomes memcpy.
#pragma once

#include <cstdint>

namespace detseg {
namespace cpu {

void strided_copy(const void* in, void* out, int elem_bytes, int ndim, const int64_t* shape, const int64_t* strides);

}  // namespace cpu
}  // namespace detseg
