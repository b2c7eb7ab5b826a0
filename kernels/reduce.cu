// Reductions to a scalar in two launches: a partial kernel (block b writes partials[b]) and a final
// kernel (one block folds the partials). Contracts: docs/KERNEL_CONTRACTS.md.
//
// Order is fixed, so results are bitwise reproducible for a given (n, grid, block):
//   * element chunks of 4 (chunk c = x[4c .. 4c+3]) go to threads grid-stride: thread t of the grid
//     folds chunks t, t + S, t + 2S, ... (S = threads in the grid) into 4 lane accumulators, lane k
//     taking element k of each chunk; the last partial chunk (n % 4 elements) belongs to the thread
//     that would own chunk n / 4. The chunks are read as float4 when x is 16-byte aligned and as 4
//     scalars otherwise: same values, same order, so the alignment of x does not change the result;
//   * a thread's value is (l0 + l1) + (l2 + l3); then each warp folds by __shfl_down_sync (offsets
//     16, 8, 4, 2, 1), warp results go through shared memory, and warp 0 folds them the same way.
// Blocks must be a multiple of 32 threads, at most 1024.
#include "detseg/kernel_api.cuh"
#include "detseg/reduce_math.cuh"

// ---- file-local helpers (prefix ds_red_) ------------------------------------------------------------

struct ds_red_sum_op {
  typedef float acc_t;
  DS_HD float init() const { return 0.0f; }
  DS_HD float map(float x) const { return x; }
  DS_HD float combine(float a, float b) const { return a + b; }
};

struct ds_red_max_op {  // NaN anywhere -> NaN
  typedef float acc_t;
  DS_HD float init() const { return ds_neg_inf(); }
  DS_HD float map(float x) const { return x; }
  DS_HD float combine(float a, float b) const { return ds_max_nan(a, b); }
};

struct ds_red_count_op {  // counts x == value, or both NaN
  typedef int acc_t;
  float value;
  DS_HD int init() const { return 0; }
  DS_HD int map(float x) const { return ds_equal_or_both_nan(x, value) ? 1 : 0; }
  DS_HD int combine(int a, int b) const { return a + b; }
};

struct ds_red_int_sum_op {  // folds count partials
  typedef int acc_t;
  DS_HD int init() const { return 0; }
  DS_HD int combine(int a, int b) const { return a + b; }
};

template <class Op>
__device__ __forceinline__ void ds_red_chunk(typename Op::acc_t (&l)[4], float e0, float e1, float e2,
                                             float e3, const Op& op) {
  l[0] = op.combine(l[0], op.map(e0));
  l[1] = op.combine(l[1], op.map(e1));
  l[2] = op.combine(l[2], op.map(e2));
  l[3] = op.combine(l[3], op.map(e3));
}

// This thread's fold of its grid-stride chunks of x[0, n).
template <class Op>
__device__ __forceinline__ typename Op::acc_t ds_red_thread(const float* __restrict__ x, long long n,
                                                            const Op& op) {
  typedef typename Op::acc_t T;
  const long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  const long long stride = (long long)gridDim.x * blockDim.x;
  const long long n4 = n >> 2;
  T l[4] = {op.init(), op.init(), op.init(), op.init()};
  long long c = tid;
  if ((reinterpret_cast<unsigned long long>(x) & 15ull) == 0) {
    const float4* __restrict__ x4 = reinterpret_cast<const float4*>(x);
    // Two loads in flight per iteration (memory-level parallelism); folded in chunk order.
    for (; c + stride < n4; c += 2 * stride) {
      const float4 a = __ldg(x4 + c);
      const float4 b = __ldg(x4 + c + stride);
      ds_red_chunk(l, a.x, a.y, a.z, a.w, op);
      ds_red_chunk(l, b.x, b.y, b.z, b.w, op);
    }
    if (c < n4) {
      const float4 a = __ldg(x4 + c);
      ds_red_chunk(l, a.x, a.y, a.z, a.w, op);
    }
  } else {
    for (; c < n4; c += stride) {
      const float* p = x + 4 * c;
      ds_red_chunk(l, __ldg(p), __ldg(p + 1), __ldg(p + 2), __ldg(p + 3), op);
    }
  }
  const long long rem = n - (n4 << 2);
  if (rem > 0 && tid == n4 % stride) {
    const float* p = x + (n4 << 2);
    l[0] = op.combine(l[0], op.map(__ldg(p)));
    if (rem > 1) l[1] = op.combine(l[1], op.map(__ldg(p + 1)));
    if (rem > 2) l[2] = op.combine(l[2], op.map(__ldg(p + 2)));
  }
  return op.combine(op.combine(l[0], l[1]), op.combine(l[2], l[3]));
}

template <class T, class Op>
__device__ __forceinline__ T ds_red_warp(T v, const Op& op) {
  for (int offset = 16; offset > 0; offset >>= 1) v = op.combine(v, __shfl_down_sync(0xffffffffu, v, offset));
  return v;
}

// Folds v over the block; the result is valid in thread 0. s_warp: 32 slots of shared memory.
// Every thread of the block must call it (it has a barrier).
template <class T, class Op>
__device__ __forceinline__ T ds_red_block(T v, T* s_warp, const Op& op) {
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int nwarps = (blockDim.x + 31) >> 5;
  v = ds_red_warp(v, op);
  if (lane == 0) s_warp[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < nwarps ? s_warp[lane] : op.init();
    v = ds_red_warp(v, op);
  }
  return v;
}

template <class Op>
__device__ __forceinline__ void ds_red_partial(const float* __restrict__ x, long long n,
                                               typename Op::acc_t* __restrict__ partials,
                                               typename Op::acc_t* s_warp, const Op& op) {
  const typename Op::acc_t v = ds_red_block(ds_red_thread(x, n, op), s_warp, op);
  if (threadIdx.x == 0) partials[blockIdx.x] = v;
}

// One block folds count partials (thread t takes t, t + blockDim, ... in order). Scalar loads: at
// most a few thousand bytes, latency-bound, nothing for float4 to win.
template <class Op>
__device__ __forceinline__ void ds_red_final(const typename Op::acc_t* __restrict__ partials, int count,
                                             typename Op::acc_t* __restrict__ out,
                                             typename Op::acc_t* s_warp, const Op& op) {
  if (blockIdx.x != 0) return;  // block-uniform: only block 0 writes *out
  typename Op::acc_t v = op.init();
  for (int i = threadIdx.x; i < count; i += blockDim.x) v = op.combine(v, __ldg(partials + i));
  v = ds_red_block(v, s_warp, op);
  if (threadIdx.x == 0) *out = v;
}

// ---- kernels ----------------------------------------------------------------------------------------
// Bound: memory (4 bytes per add). Block 256, grid <= 1024: ~256K threads fill any current GPU with
// 16-byte loads in flight, while the final pass stays a single block over <= 1024 partials.
extern "C" __global__ void ds_reduce_sum_partial_f32(const float* __restrict__ x, long long n,
                                                     float* __restrict__ partials) {
  DS_SHARED(float, s_warp, 32);
  ds_red_partial(x, n, partials, s_warp, ds_red_sum_op());
}
DS_EXPORT_KERNEL(ds_reduce_sum_partial_f32)

// Bound: latency (one block, <= 1024 values); block 256 as the partial pass.
extern "C" __global__ void ds_reduce_sum_final_f32(const float* __restrict__ partials, int count,
                                                   float* __restrict__ out) {
  DS_SHARED(float, s_warp, 32);
  ds_red_final(partials, count, out, s_warp, ds_red_sum_op());
}
DS_EXPORT_KERNEL(ds_reduce_sum_final_f32)

// Bound: memory (4 bytes per compare-select); launch shape as the sum.
extern "C" __global__ void ds_reduce_max_partial_f32(const float* __restrict__ x, long long n,
                                                     float* __restrict__ partials) {
  DS_SHARED(float, s_warp, 32);
  ds_red_partial(x, n, partials, s_warp, ds_red_max_op());
}
DS_EXPORT_KERNEL(ds_reduce_max_partial_f32)

// Bound: latency (one block); as the sum's final pass.
extern "C" __global__ void ds_reduce_max_final_f32(const float* __restrict__ partials, int count,
                                                   float* __restrict__ out) {
  DS_SHARED(float, s_warp, 32);
  ds_red_final(partials, count, out, s_warp, ds_red_max_op());
}
DS_EXPORT_KERNEL(ds_reduce_max_final_f32)

// Bound: memory (4 bytes per compare); launch shape as the sum. *value is a device scalar.
extern "C" __global__ void ds_count_equal_partial_f32(const float* __restrict__ x, long long n,
                                                      const float* __restrict__ value, int* __restrict__ partials) {
  DS_SHARED(int, s_warp, 32);
  ds_red_count_op op;
  op.value = __ldg(value);
  ds_red_partial(x, n, partials, s_warp, op);
}
DS_EXPORT_KERNEL(ds_count_equal_partial_f32)

// Bound: latency (one block); as the sum's final pass.
extern "C" __global__ void ds_count_final_i32(const int* __restrict__ partials, int count, int* __restrict__ out) {
  DS_SHARED(int, s_warp, 32);
  ds_red_final(partials, count, out, s_warp, ds_red_int_sum_op());
}
DS_EXPORT_KERNEL(ds_count_final_i32)
