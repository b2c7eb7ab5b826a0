// Gather through strides: out (contiguous, row-major over `shape`) = in[offset + Σ idx_k · stride_k].
// One kernel serves permute, narrow/select and any other view made contiguous; elements are moved
// as raw 4-byte or 1-byte words, so it works for float32, int32 and uint8 alike.
#include "detseg/kernel_api.cuh"

// Shape and strides (elements) of the view, padded to this many dimensions.
#define DS_SC_MAX_DIMS 8

// desc = [shape[0..ndim), stride[0..ndim)], staged once per block in shared memory.
template <typename Word>
__device__ __forceinline__ void ds_sc_gather(const Word* __restrict__ in, Word* __restrict__ out, long long n,
                                             const long long* __restrict__ desc, int ndim) {
  DS_SHARED(long long, sdesc, 2 * DS_SC_MAX_DIMS);
  if (threadIdx.x < 2 * ndim) sdesc[threadIdx.x] = desc[threadIdx.x];
  __syncthreads();
  const long long stride = (long long)gridDim.x * blockDim.x;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
    long long rest = i;
    long long src = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const long long extent = sdesc[d];
      const long long idx = rest % extent;
      rest /= extent;
      src += idx * sdesc[ndim + d];
    }
    out[i] = in[src];
  }
}

// Memory-bound: coalesced writes, gathered reads; block 256, grid-stride over the output (grid capped
// by the caller), the 64-bit index math of a few divisions per element hides under memory latency.
extern "C" __global__ void ds_strided_copy_b4(const unsigned* in, unsigned* out, long long n, const long long* desc,
                                              int ndim) {
  ds_sc_gather(in, out, n, desc, ndim);
}
DS_EXPORT_KERNEL(ds_strided_copy_b4)

// Memory-bound, as ds_strided_copy_b4, for 1-byte elements.
extern "C" __global__ void ds_strided_copy_b1(const unsigned char* in, unsigned char* out, long long n,
                                              const long long* desc, int ndim) {
  ds_sc_gather(in, out, n, desc, ndim);
}
DS_EXPORT_KERNEL(ds_strided_copy_b1)
