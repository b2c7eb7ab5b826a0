// R-CNN's box-regression L2 (docs/kernels/losses.md): the row-wise half squared error of reduction
// 'none' (0.5 sum_k (p - t)^2 plus the regularizer's per-row share, a device scalar) and its backward
// with a per-row or scalar upstream gradient. The reduced forms use the pointwise MSE kernels.
#include "detseg/kernel_api.cuh"
#include "detseg/loss_math.cuh"

// Bound: memory (k floats of p and t per row; k is 4 for boxes, so each thread reads 32 bytes).
// Block 256, grid min(ceil(n/256), 4096), a thread per row, grid-stride.
extern "C" __global__ void ds_loss_rows_half_sq_fwd_f32(const float* __restrict__ p, const float* __restrict__ t,
                                                        long long n, int k, const float* __restrict__ reg,
                                                        float* __restrict__ out) {
  const long long stride = (long long)gridDim.x * blockDim.x;
  const float r = __ldg(reg);
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    float s = 0.0f;
    for (int j = 0; j < k; ++j) {
      s += DsLossMse::value(__ldg(p + i * k + j), __ldg(t + i * k + j), 1.0f, 1.0f, 0.5f, 0.0f);
    }
    out[i] = s + r;
  }
}
DS_EXPORT_KERNEL(ds_loss_rows_half_sq_fwd_f32)

// Bound: memory (8 bytes in, 4 out per element). Block 256, grid min(ceil(n*k/1024), 4096), a thread per
// element (coalesced), grid-stride.
extern "C" __global__ void ds_loss_rows_half_sq_bwd_f32(const float* __restrict__ p, const float* __restrict__ t,
                                                        long long n, int k, const float* __restrict__ grad_out,
                                                        int grad_elementwise, float divisor,
                                                        float* __restrict__ grad_in) {
  const long long total = n * k;
  const long long stride = (long long)gridDim.x * blockDim.x;
  for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
    const float g = __ldg(grad_out + (grad_elementwise ? e / k : 0));
    grad_in[e] = DsLossMse::grad(__ldg(p + e), __ldg(t + e), 1.0f, 1.0f, 0.5f, 0.0f) * g / divisor;
  }
}
DS_EXPORT_KERNEL(ds_loss_rows_half_sq_bwd_f32)
