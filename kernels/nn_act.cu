// Activation kernels of the nn family: relu6, leaky_relu, sigmoid, tanh and their backwards.
// Contracts: docs/kernels/nn.md; formulas: kernels/include/detseg/nn_act_math.cuh (shared with the CPU).
// 1-D grid-stride loops on float4 when every pointer is 16-byte aligned (the test is uniform over the
// grid), scalar otherwise; in place (out == an input) is allowed.
#include "detseg/kernel_api.cuh"
#include "detseg/nn_act_math.cuh"

#define DS_NN_ACT_RELU6 0
#define DS_NN_ACT_LEAKY_RELU 1
#define DS_NN_ACT_SIGMOID 2
#define DS_NN_ACT_TANH 3

// ---- file-local helpers (prefix ds_act_) ------------------------------------------------------------

__device__ __forceinline__ bool ds_act_aligned16(const void* p) {
  return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0;
}

__device__ __forceinline__ float ds_act_fwd(int op, float x, float slope) {
  switch (op) {
    case DS_NN_ACT_RELU6: return ds_nn_relu6(x);
    case DS_NN_ACT_LEAKY_RELU: return ds_nn_leaky_relu(x, slope);
    case DS_NN_ACT_SIGMOID: return ds_nn_sigmoid(x);
    default: return ds_nn_tanh(x);
  }
}

// v is the forward's input for relu6 / leaky_relu and its output for sigmoid / tanh.
__device__ __forceinline__ float ds_act_bwd(int op, float g, float v, float slope) {
  switch (op) {
    case DS_NN_ACT_RELU6: return ds_nn_relu6_backward(g, v);
    case DS_NN_ACT_LEAKY_RELU: return ds_nn_leaky_relu_backward(g, v, slope);
    case DS_NN_ACT_SIGMOID: return ds_nn_sigmoid_backward(g, v);
    default: return ds_nn_tanh_backward(g, v);
  }
}

// ---- kernels ----------------------------------------------------------------------------------------

// Bound: memory (8 bytes per element; sigmoid/tanh add ~25 flops, still under the memory time on
// every GPU). Block 256, grid min(ceil(n/1024), 4096) (a thread takes a float4 per step); op is uniform
// across the grid, so the switch never diverges.
extern "C" __global__ void ds_nn_act_fwd_f32(const float* __restrict__ x, float* __restrict__ y, long long n, int op,
                                             float slope) {
  const long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long stride = (long long)gridDim.x * blockDim.x;
  long long i = tid;
  if (ds_act_aligned16(x) && ds_act_aligned16(y)) {
    const long long n4 = n >> 2;
    for (long long v = tid; v < n4; v += stride) {
      const float4 e = __ldg(reinterpret_cast<const float4*>(x) + v);
      float4 r;
      r.x = ds_act_fwd(op, e.x, slope);
      r.y = ds_act_fwd(op, e.y, slope);
      r.z = ds_act_fwd(op, e.z, slope);
      r.w = ds_act_fwd(op, e.w, slope);
      reinterpret_cast<float4*>(y)[v] = r;
    }
    i = (n4 << 2) + tid;
  }
  for (; i < n; i += stride) y[i] = ds_act_fwd(op, __ldg(x + i), slope);
}
DS_EXPORT_KERNEL(ds_nn_act_fwd_f32)

// Bound: memory (12 bytes per element). Launch shape as ds_nn_act_fwd_f32. v: the forward's input
// (relu6, leaky_relu) or output (sigmoid, tanh).
extern "C" __global__ void ds_nn_act_bwd_f32(const float* __restrict__ g, const float* __restrict__ v,
                                             float* __restrict__ gi, long long n, int op, float slope) {
  const long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long stride = (long long)gridDim.x * blockDim.x;
  long long i = tid;
  if (ds_act_aligned16(g) && ds_act_aligned16(v) && ds_act_aligned16(gi)) {
    const long long n4 = n >> 2;
    for (long long q = tid; q < n4; q += stride) {
      const float4 a = __ldg(reinterpret_cast<const float4*>(g) + q);
      const float4 b = __ldg(reinterpret_cast<const float4*>(v) + q);
      float4 r;
      r.x = ds_act_bwd(op, a.x, b.x, slope);
      r.y = ds_act_bwd(op, a.y, b.y, slope);
      r.z = ds_act_bwd(op, a.z, b.z, slope);
      r.w = ds_act_bwd(op, a.w, b.w, slope);
      reinterpret_cast<float4*>(gi)[q] = r;
    }
    i = (n4 << 2) + tid;
  }
  for (; i < n; i += stride) gi[i] = ds_act_bwd(op, __ldg(g + i), __ldg(v + i), slope);
}
DS_EXPORT_KERNEL(ds_nn_act_bwd_f32)
