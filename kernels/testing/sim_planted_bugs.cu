// Test-only kernels with planted bugs (native/tests/test_planted_bugs.cpp, asan_modes.cpp). Each
// bug is one a real kernel author makes; the simulator must report every one of them.
#include "detseg/kernel_api.cuh"

// Sum of the block's values through warp shuffles and shared memory; valid in thread 0.
__device__ float simtest_block_total(float v) {
  DS_SHARED(float, warp_sums, 32);
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  if ((threadIdx.x & 31) == 0) warp_sums[threadIdx.x >> 5] = v;
  __syncthreads();
  float total = 0.0f;
  if (threadIdx.x == 0) {
    for (unsigned w = 0; w < (blockDim.x + 31) / 32; ++w) total += warp_sums[w];
  }
  return total;
}

// BUG: no __syncthreads() between writing the tile and reading another thread's slot.
extern "C" __global__ void simtest_bug_missing_sync(const float* in, float* out) {
  DS_SHARED(float, tile, 1024);
  const unsigned t = threadIdx.x, g = blockIdx.x * blockDim.x + t;
  tile[t] = in[g];
  out[g] = tile[blockDim.x - 1 - t];
}
DS_EXPORT_KERNEL(simtest_bug_missing_sync)

// The same kernel, fixed.
extern "C" __global__ void simtest_fixed_missing_sync(const float* in, float* out) {
  DS_SHARED(float, tile, 1024);
  const unsigned t = threadIdx.x, g = blockIdx.x * blockDim.x + t;
  tile[t] = in[g];
  __syncthreads();
  out[g] = tile[blockDim.x - 1 - t];
}
DS_EXPORT_KERNEL(simtest_fixed_missing_sync)

// BUG: off by one, writes out[n].
extern "C" __global__ void simtest_bug_oob_write(float* out, int n) {
  const int g = blockIdx.x * blockDim.x + threadIdx.x;
  if (g <= n) out[g] = 1.0f;
}
DS_EXPORT_KERNEL(simtest_bug_oob_write)

// BUG: reads in[n].
extern "C" __global__ void simtest_bug_oob_read(const float* in, float* out, int n) {
  const int g = blockIdx.x * blockDim.x + threadIdx.x;
  if (g < n) out[g] = in[g + 1];
}
DS_EXPORT_KERNEL(simtest_bug_oob_read)

// BUG: only half the block reaches the barrier.
extern "C" __global__ void simtest_bug_divergent_barrier(int* out) {
  if (threadIdx.x < 16) __syncthreads();
  out[blockIdx.x * blockDim.x + threadIdx.x] = 1;
}
DS_EXPORT_KERNEL(simtest_bug_divergent_barrier)

// BUG: every thread reaches a barrier, but odd and even threads different ones.
extern "C" __global__ void simtest_bug_barrier_sites(int* out) {
  const unsigned g = blockIdx.x * blockDim.x + threadIdx.x;
  if (threadIdx.x & 1) {
    out[g] = 1;
    __syncthreads();
  } else {
    out[g] = 2;
    __syncthreads();
  }
  out[g] += 10;
}
DS_EXPORT_KERNEL(simtest_bug_barrier_sites)

// BUG: lane 5 exits, the rest of the warp shuffles with a full mask.
extern "C" __global__ void simtest_bug_shfl_exited(int* out) {
  if (threadIdx.x == 5) return;
  out[threadIdx.x] = __shfl_sync(0xffffffffu, (int)threadIdx.x, 0);
}
DS_EXPORT_KERNEL(simtest_bug_shfl_exited)

// BUG: half of the warp waits at a block barrier while the other half shuffles with a full mask.
extern "C" __global__ void simtest_bug_shfl_vs_barrier(int* out) {
  int v = threadIdx.x;
  if (threadIdx.x < 16) {
    __syncthreads();
  } else {
    v = __shfl_xor_sync(0xffffffffu, v, 1);
  }
  out[threadIdx.x] = v;
}
DS_EXPORT_KERNEL(simtest_bug_shfl_vs_barrier)

// BUG: odd lanes vote while even lanes shuffle, both naming the whole warp.
extern "C" __global__ void simtest_bug_mixed_warp_ops(int* out) {
  int v;
  if (threadIdx.x & 1) {
    v = (int)__ballot_sync(0xffffffffu, 1);
  } else {
    v = __shfl_sync(0xffffffffu, 1, 0);
  }
  out[threadIdx.x] = v;
}
DS_EXPORT_KERNEL(simtest_bug_mixed_warp_ops)

// BUG: the mask names the next lane but not the calling one.
extern "C" __global__ void simtest_bug_mask_without_self(int* out) {
  out[threadIdx.x] = __shfl_sync(1u << ((threadIdx.x + 1) & 31), 1, 0);
}
DS_EXPORT_KERNEL(simtest_bug_mask_without_self)

// BUG: blocks accumulate into out[0] with a plain read-modify-write.
extern "C" __global__ void simtest_bug_racy_accumulate(const float* in, float* out) {
  const float partial = simtest_block_total(in[blockIdx.x * blockDim.x + threadIdx.x]);
  if (threadIdx.x == 0) out[0] += partial;
}
DS_EXPORT_KERNEL(simtest_bug_racy_accumulate)

// The same accumulation, correct: atomicAdd.
extern "C" __global__ void simtest_atomic_accumulate(const float* in, float* out) {
  const float partial = simtest_block_total(in[blockIdx.x * blockDim.x + threadIdx.x]);
  if (threadIdx.x == 0) atomicAdd(out, partial);
}
DS_EXPORT_KERNEL(simtest_atomic_accumulate)

// Per-block partials, no sharing between blocks: racecheck must stay quiet.
extern "C" __global__ void simtest_block_partials(const float* in, float* partials) {
  const float partial = simtest_block_total(in[blockIdx.x * blockDim.x + threadIdx.x]);
  if (threadIdx.x == 0) partials[blockIdx.x] = partial;
}
DS_EXPORT_KERNEL(simtest_block_partials)

// BUG: 40 KiB static shared memory declared twice (80 KiB) without any opt-in.
extern "C" __global__ void simtest_bug_shared_overflow(float* out) {
  DS_SHARED(float, a, 10240);
  DS_SHARED(float, b, 10240);
  a[threadIdx.x] = 1.0f;
  b[threadIdx.x] = 2.0f;
  out[threadIdx.x] = a[threadIdx.x] + b[threadIdx.x];
}
DS_EXPORT_KERNEL(simtest_bug_shared_overflow)
