// Elementwise float kernels: add, mul, relu, relu_backward, fill_from_device, max_backward.
// Contracts (names, arguments, launch shapes): docs/KERNEL_CONTRACTS.md.
//
// All of them are 1-D grid-stride loops. When every pointer a kernel touches is 16-byte aligned the
// body runs on float4 (one 128-bit load per input and one 128-bit store per 4 elements, a quarter of
// the memory instructions), and the n % 4 tail is finished with scalar accesses; otherwise the whole
// range is scalar. The alignment test is uniform over the grid, so no warp diverges on it.
// Outputs may be exactly one of the inputs (in place): every element is read once, by the thread that
// then writes it. Partial overlap is not allowed.
#include "detseg/kernel_api.cuh"
#include "detseg/reduce_math.cuh"

// ---- file-local helpers (prefix ds_ew_: every .cu is #included into one translation unit) ----------

DS_HD bool ds_ew_aligned16(const void* p) {
  return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0;
}

struct ds_ew_add_op {
  DS_HD float operator()(float a, float b) const { return a + b; }
};
struct ds_ew_mul_op {
  DS_HD float operator()(float a, float b) const { return a * b; }
};
struct ds_ew_relu_backward_op {  // (grad, x)
  DS_HD float operator()(float g, float x) const { return ds_relu_backward(g, x); }
};
struct ds_ew_relu_op {
  DS_HD float operator()(float x) const { return ds_relu(x); }
};
struct ds_ew_max_backward_op {  // x -> (x is the max) ? g : 0
  float g, maxval;
  DS_HD float operator()(float x) const { return ds_equal_or_both_nan(x, maxval) ? g : 0.0f; }
};

// out[i] = op(a[i], b[i]) for i in [0, n).
template <class Op>
__device__ __forceinline__ void ds_ew_binary(const float* __restrict__ a, const float* __restrict__ b,
                                             float* __restrict__ out, long long n, Op op) {
  const long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long stride = (long long)gridDim.x * blockDim.x;
  long long i = tid;
  if (ds_ew_aligned16(a) && ds_ew_aligned16(b) && ds_ew_aligned16(out)) {
    const long long n4 = n >> 2;
    const float4* __restrict__ a4 = reinterpret_cast<const float4*>(a);
    const float4* __restrict__ b4 = reinterpret_cast<const float4*>(b);
    float4* __restrict__ out4 = reinterpret_cast<float4*>(out);
    for (long long v = tid; v < n4; v += stride) {
      const float4 x = __ldg(a4 + v);
      const float4 y = __ldg(b4 + v);
      float4 r;
      r.x = op(x.x, y.x);
      r.y = op(x.y, y.y);
      r.z = op(x.z, y.z);
      r.w = op(x.w, y.w);
      out4[v] = r;
    }
    i = (n4 << 2) + tid;  // the tail: fewer than 4 elements
  }
  for (; i < n; i += stride) out[i] = op(__ldg(a + i), __ldg(b + i));
}

// out[i] = op(x[i]) for i in [0, n).
template <class Op>
__device__ __forceinline__ void ds_ew_unary(const float* __restrict__ x, float* __restrict__ out,
                                            long long n, Op op) {
  const long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long stride = (long long)gridDim.x * blockDim.x;
  long long i = tid;
  if (ds_ew_aligned16(x) && ds_ew_aligned16(out)) {
    const long long n4 = n >> 2;
    const float4* __restrict__ x4 = reinterpret_cast<const float4*>(x);
    float4* __restrict__ out4 = reinterpret_cast<float4*>(out);
    for (long long v = tid; v < n4; v += stride) {
      const float4 e = __ldg(x4 + v);
      float4 r;
      r.x = op(e.x);
      r.y = op(e.y);
      r.z = op(e.z);
      r.w = op(e.w);
      out4[v] = r;
    }
    i = (n4 << 2) + tid;
  }
  for (; i < n; i += stride) out[i] = op(__ldg(x + i));
}

// ---- kernels ----------------------------------------------------------------------------------------
// Bound: memory (12 bytes moved per 1 flop). Block 256 = 8 warps; at 20-56 registers (ptxas,
// sm_75..sm_120) several blocks stay resident per SM to hide DRAM latency; the grid is capped and the
// loop strides, so any n fits one launch.
extern "C" __global__ void ds_add_f32(const float* __restrict__ a, const float* __restrict__ b,
                                      float* __restrict__ out, long long n) {
  ds_ew_binary(a, b, out, n, ds_ew_add_op());
}
DS_EXPORT_KERNEL(ds_add_f32)

// Bound: memory (12 bytes per flop); launch shape as ds_add_f32.
extern "C" __global__ void ds_mul_f32(const float* __restrict__ a, const float* __restrict__ b,
                                      float* __restrict__ out, long long n) {
  ds_ew_binary(a, b, out, n, ds_ew_mul_op());
}
DS_EXPORT_KERNEL(ds_mul_f32)

// Bound: memory (8 bytes per compare-select); launch shape as ds_add_f32.
extern "C" __global__ void ds_relu_f32(const float* __restrict__ x, float* __restrict__ out, long long n) {
  ds_ew_unary(x, out, n, ds_ew_relu_op());
}
DS_EXPORT_KERNEL(ds_relu_f32)

// Bound: memory (12 bytes per compare-select); launch shape as ds_add_f32.
extern "C" __global__ void ds_relu_backward_f32(const float* __restrict__ grad, const float* __restrict__ x,
                                                float* __restrict__ out, long long n) {
  ds_ew_binary(grad, x, out, n, ds_ew_relu_backward_op());
}
DS_EXPORT_KERNEL(ds_relu_backward_f32)

// Bound: memory (store-only, 4 bytes per element); launch shape as ds_add_f32. The scalar is read
// once per thread (all threads hit the same address: one broadcast transaction per warp).
extern "C" __global__ void ds_fill_from_device_f32(float* __restrict__ out, const float* __restrict__ value,
                                                   long long n) {
  const float v = __ldg(value);
  const long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long stride = (long long)gridDim.x * blockDim.x;
  long long i = tid;
  if (ds_ew_aligned16(out)) {
    const long long n4 = n >> 2;
    float4* __restrict__ out4 = reinterpret_cast<float4*>(out);
    float4 r;
    r.x = v;
    r.y = v;
    r.z = v;
    r.w = v;
    for (long long q = tid; q < n4; q += stride) out4[q] = r;
    i = (n4 << 2) + tid;
  }
  for (; i < n; i += stride) out[i] = v;
}
DS_EXPORT_KERNEL(ds_fill_from_device_f32)

// Bound: memory (8 bytes per compare-select); launch shape as ds_add_f32. grad/maxval/count are
// device scalars (the outputs of the max reduction and count kernels), read once per thread.
// out[i] = (x[i] == max or both NaN) ? grad / count : 0, like PyTorch's evenly_distribute_backward.
extern "C" __global__ void ds_max_backward_f32(const float* __restrict__ grad, const float* __restrict__ x,
                                               const float* __restrict__ maxval, const int* __restrict__ count,
                                               float* __restrict__ out, long long n) {
  ds_ew_max_backward_op op;
  op.g = ds_div_rn(__ldg(grad), (float)__ldg(count));
  op.maxval = __ldg(maxval);
  ds_ew_unary(x, out, n, op);
}
DS_EXPORT_KERNEL(ds_max_backward_f32)
