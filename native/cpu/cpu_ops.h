// The CPU backend: float32 ops on host memory, called from JNI. Same semantics as the CUDA kernels
// (docs/KERNEL_CONTRACTS.md); the float formulas both share live in kernels/include/detseg/*.cuh.
//
// Every op is multithreaded with OpenMP (static split; small inputs stay on the calling thread) and
// runs the widest SIMD variant this CPU supports, chosen once at run time (the library itself is
// built for baseline x86-64). Results never depend on the thread count or the SIMD variant: sum's
// accumulation order is fixed by n alone, and the other ops are exact or per element.
//
// Sizes are element counts (n >= 0; n == 0 does nothing). Outputs may be exactly one of the inputs
// (in place) for the elementwise ops; partial overlap is not allowed. Pointers need no particular
// alignment.
#pragma once

#include <cstdint>

namespace detseg {
namespace cpu {

// out = a + b, a * b.
void add_f32(const float* a, const float* b, float* out, int64_t n);
void mul_f32(const float* a, const float* b, float* out, int64_t n);
// out = relu(x) = clamp_min(x, 0): NaN stays NaN.
void relu_f32(const float* x, float* out, int64_t n);
// out = x <= 0 ? 0 : grad (PyTorch's threshold_backward: a NaN x passes grad through).
void relu_backward_f32(const float* grad, const float* x, float* out, int64_t n);
// out = value.
void fill_f32(float* out, float value, int64_t n);

// Sum of x, accumulated in a fixed order that depends only on n (64 float lanes over chunks of 1024
// elements, chunk sums added in double), so it is bitwise reproducible across runs, thread counts and
// SIMD variants; the float error is that of 16 adds per lane (1e8 ones sum to exactly 1e8, 1e8
// copies of 0.1f to within 2e-7 relative). n == 0 gives 0.
float sum_f32(const float* x, int64_t n);
// Max of x; any NaN gives NaN. n >= 1 (n == 0 is the caller's error; it returns -inf).
float max_f32(const float* x, int64_t n);
// Number of i with x[i] == value, or x[i] and value both NaN.
int64_t count_equal_f32(const float* x, int64_t n, float value);
// Backward of max: out[i] = (x[i] == maxval or both NaN) ? grad / count : 0.
void max_backward_f32(float grad, const float* x, float maxval, int64_t count, float* out, int64_t n);

// Pairwise IoU of xyxy boxes, torchvision.ops.box_iou semantics: boxes1 is [n, 4], boxes2 is [m, 4],
// out is [n, m] row-major. Bitwise equal to the CUDA kernel (same formula, no FMA contraction).
void box_iou_f32(const float* boxes1, int64_t n, const float* boxes2, int64_t m, float* out);

// The SIMD variant run-time dispatch picked: "avx512", "avx2" or "scalar". The environment variable
// DETSEG_CPU_SIMD (same names), read once, can lower it (for tests); it never raises it above what
// the CPU supports.
const char* simd_level();

}  // namespace cpu
}  // namespace detseg
