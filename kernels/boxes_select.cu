// Device-side selections of the box family (docs/kernels/boxes.md): the balanced positive/negative
// sampler (seeded keys) and SSD hard negative mining (loss keys). Both keep, per category, the k
// candidates with the smallest 32-bit key, ties to the smaller index — exactly the CPU's choice
// (keys in detseg/box_sampling.cuh).
//
// One block of DS_SEL_BLOCK threads per row (image), rows grid-stride over grid.x:
//   1. count the candidates of each category (block sum), derive k per category;
//   2. radix select: four passes over the row build 256-bin histograms of the next key byte among the
//      candidates matching the prefix found so far (shared-memory integer atomics: the counts do not
//      depend on the order), and a warp scan of the histogram picks the byte holding the k-th key.
//      The result is the k-th key T and how many keys equal to T to keep (the quota);
//   3. one ordered pass writes the masks: key < T, or key == T and rank among equal keys (by index,
//      from warp ballots and per-warp totals in shared memory) < quota.
// Bound: memory (six coalesced passes over the row's 4-byte inputs, one over its 1-byte outputs).
#include "detseg/box_device.cuh"
#include "detseg/box_sampling.cuh"
#include "detseg/kernel_api.cuh"

#define DS_SEL_BLOCK 256  // threads per block (the kernels assume 8 warps)
#define DS_SEL_WARPS (DS_SEL_BLOCK / 32)

// Category loops must unroll so per-category state stays in registers (no local memory).
#if defined(__CUDACC__)
#define DS_SEL_UNROLL _Pragma("unroll")
#else
#define DS_SEL_UNROLL
#endif

// Per-category selection state, identical in every thread.
template <int NCAT>
struct DsSelPlan {
  bool all[NCAT];    // keep every candidate (k >= count)
  bool radix[NCAT];  // 0 < k < count: select by key
  unsigned thresh[NCAT];
  int quota[NCAT];
};

// Step 2 for every category with plan.radix set. s_prefix / s_rem must hold 0 / k on entry (written
// before a barrier); on exit (after a barrier) they hold T and the quota. src(i, &key) returns the
// category of element i (or -1) and its key.
template <int NCAT, class Src>
__device__ __forceinline__ void ds_sel_radix(const Src& src, long long n, const DsSelPlan<NCAT>& plan, int* s_hist,
                                             unsigned* s_prefix, int* s_rem) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  bool any = false;
  DS_SEL_UNROLL for (int c = 0; c < NCAT; ++c) any |= plan.radix[c];
  if (!any) {  // uniform: every thread holds the same plan
    __syncthreads();
    return;
  }
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int t = threadIdx.x; t < NCAT * 256; t += blockDim.x) s_hist[t] = 0;
    __syncthreads();
    const unsigned high_mask = shift == 24 ? 0u : (0xFFFFFFFFu << (shift + 8));
    unsigned pre[NCAT];
    DS_SEL_UNROLL for (int c = 0; c < NCAT; ++c) pre[c] = s_prefix[c];
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
      unsigned key;
      const int cat = src(i, &key);
      DS_SEL_UNROLL for (int c = 0; c < NCAT; ++c) {  // static c keeps plan and pre in registers
        if (cat == c && plan.radix[c] && (key & high_mask) == pre[c]) atomicAdd(s_hist + c * 256 + ((key >> shift) & 255u), 1);
      }
    }
    __syncthreads();
    DS_SEL_UNROLL for (int c = 0; c < NCAT; ++c) {  // warp c finds the byte of category c (static c: no local memory)
      if (warp != c || !plan.radix[c]) continue;
      const int* h = s_hist + c * 256 + lane * 8;
      int s = 0;
      for (int b = 0; b < 8; ++b) s += h[b];
      int incl = s;
      for (int d = 1; d < 32; d <<= 1) {
        const int v = __shfl_up_sync(0xffffffffu, incl, d);
        if (lane >= d) incl += v;
      }
      const int rem = s_rem[c];
      const unsigned reached = __ballot_sync(0xffffffffu, incl >= rem);
      if (lane == __ffs(reached) - 1) {
        int run = incl - s;
        for (int b = 0; b < 8; ++b) {
          if (run + h[b] >= rem) {
            s_prefix[c] = pre[c] | ((unsigned)(lane * 8 + b) << shift);
            s_rem[c] = rem - run;
            break;
          }
          run += h[b];
        }
      }
    }
    __syncthreads();
  }
}

// Step 3: sink(i, sel) is called for every i < n with sel[c] = element i is kept in category c.
template <int NCAT, class Src, class Sink>
__device__ __forceinline__ void ds_sel_write(const Src& src, long long n, const DsSelPlan<NCAT>& plan, int* s_cnt,
                                             const Sink& sink) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const unsigned lt = (1u << lane) - 1u;
  int run[NCAT];
  DS_SEL_UNROLL for (int c = 0; c < NCAT; ++c) run[c] = 0;
  for (long long t0 = 0; t0 < n; t0 += blockDim.x) {  // block-uniform
    const long long i = t0 + threadIdx.x;
    unsigned key = 0;
    const int cat = i < n ? src(i, &key) : -1;
    unsigned ballot[NCAT];
    DS_SEL_UNROLL for (int c = 0; c < NCAT; ++c) {
      ballot[c] = __ballot_sync(0xffffffffu, cat == c && plan.radix[c] && key == plan.thresh[c]);
      if (lane == 0) s_cnt[c * 32 + warp] = __popc(ballot[c]);
    }
    __syncthreads();
    bool sel[NCAT];
    DS_SEL_UNROLL for (int c = 0; c < NCAT; ++c) {
      int before = 0, total = 0;
      for (int w = 0; w < DS_SEL_WARPS; ++w) {
        const int v = s_cnt[c * 32 + w];
        before += w < warp ? v : 0;
        total += v;
      }
      const int rank = run[c] + before + __popc(ballot[c] & lt);
      sel[c] = cat == c &&
               (plan.all[c] || (plan.radix[c] && (key < plan.thresh[c] || (key == plan.thresh[c] && rank < plan.quota[c]))));
      run[c] += total;
    }
    if (i < n) sink(i, sel);
    __syncthreads();  // s_cnt is rewritten by the next tile
  }
}

// Steps 1-3 after the counts: plans the categories from k, runs the radix passes, reads T and quotas.
template <int NCAT, class Src>
__device__ __forceinline__ DsSelPlan<NCAT> ds_sel_plan(const Src& src, long long n, const long long (&count)[NCAT],
                                                       const long long (&k)[NCAT], int* s_hist, unsigned* s_prefix,
                                                       int* s_rem) {
  DsSelPlan<NCAT> plan;
  DS_SEL_UNROLL for (int c = 0; c < NCAT; ++c) {
    plan.all[c] = k[c] >= count[c];
    plan.radix[c] = k[c] > 0 && k[c] < count[c];
    if (threadIdx.x == 0) {
      s_prefix[c] = 0u;
      s_rem[c] = (int)k[c];
    }
  }
  ds_sel_radix<NCAT>(src, n, plan, s_hist, s_prefix, s_rem);  // starts with a barrier
  DS_SEL_UNROLL for (int c = 0; c < NCAT; ++c) {
    plan.thresh[c] = s_prefix[c];
    plan.quota[c] = s_rem[c];
  }
  return plan;
}

// ---- balanced positive / negative sampler -------------------------------------------------------
struct DsSampleSrc {
  const int* __restrict__ labels;
  unsigned long long stream;
  // 0: positive (label >= 1), 1: negative (label == 0), -1: ignored.
  __device__ __forceinline__ int operator()(long long i, unsigned* key) const {
    const int l = __ldg(labels + i);
    *key = ds_box_rng_key(stream, (unsigned long long)i);
    return l >= 1 ? 0 : (l == 0 ? 1 : -1);
  }
};

struct DsSampleSink {
  unsigned char* __restrict__ pos;
  unsigned char* __restrict__ neg;
  __device__ __forceinline__ void operator()(long long i, const bool (&sel)[2]) const {
    pos[i] = sel[0] ? 1 : 0;
    neg[i] = sel[1] ? 1 : 0;
  }
};

// labels [rows, n] int32 -> pos_mask, neg_mask [rows, n] uint8. Launch: block DS_SEL_BLOCK,
// grid min(rows, 65535) (rows grid-stride); bound as the file header says.
extern "C" __global__ void ds_boxes_sample_pos_neg_i32(const int* __restrict__ labels, long long rows, long long n,
                                                       long long batch, long long max_pos, long long seed,
                                                       unsigned char* __restrict__ pos_mask,
                                                       unsigned char* __restrict__ neg_mask) {
  DS_SHARED(int, s_hist, 2 * 256);
  DS_SHARED(int, s_cnt, 2 * 32);
  DS_SHARED(unsigned, s_prefix, 2);
  DS_SHARED(int, s_rem, 2);
  DS_SHARED(long long, s_warp, 32);
  DS_SHARED(long long, s_total, 1);
  for (long long row = blockIdx.x; row < rows; row += gridDim.x) {  // block-uniform
    DsSampleSrc src;
    src.labels = labels + row * n;
    src.stream = ds_box_rng_stream((unsigned long long)seed, (unsigned long long)row);
    // 1. counts, packed as positives << 32 | negatives (each < 2^31) into one block sum
    long long packed = 0;
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
      const int l = __ldg(src.labels + i);
      packed += l >= 1 ? (1ll << 32) : (l == 0 ? 1ll : 0ll);
    }
    packed = ds_boxes_block_sum(packed, s_warp);
    if (threadIdx.x == 0) *s_total = packed;
    __syncthreads();
    const long long count[2] = {*s_total >> 32, *s_total & 0xFFFFFFFFll};
    const long long kp = count[0] < max_pos ? count[0] : max_pos;
    const long long kn = count[1] < batch - kp ? count[1] : batch - kp;
    const long long k[2] = {kp, kn};
    const DsSelPlan<2> plan = ds_sel_plan<2>(src, n, count, k, s_hist, s_prefix, s_rem);
    DsSampleSink sink;
    sink.pos = pos_mask + row * n;
    sink.neg = neg_mask + row * n;
    ds_sel_write<2>(src, n, plan, s_cnt, sink);
  }
}
DS_EXPORT_KERNEL(ds_boxes_sample_pos_neg_i32)

// ---- SSD hard negative mining --------------------------------------------------------------------
struct DsHnmSrc {
  const float* __restrict__ loss;
  const int* __restrict__ labels;
  // 0: negative (label == 0) keyed by descending loss, -1: anything else.
  __device__ __forceinline__ int operator()(long long i, unsigned* key) const {
    *key = ds_box_loss_key_desc(__ldg(loss + i));
    return __ldg(labels + i) == 0 ? 0 : -1;
  }
};

struct DsHnmSink {
  const int* __restrict__ labels;
  unsigned char* __restrict__ mask;
  unsigned char* __restrict__ neg;
  __device__ __forceinline__ void operator()(long long i, const bool (&sel)[1]) const {
    neg[i] = sel[0] ? 1 : 0;
    mask[i] = (sel[0] || __ldg(labels + i) > 0) ? 1 : 0;
  }
};

// loss [rows, n] float, labels [rows, n] int32 -> mask, neg_mask [rows, n] uint8. Launch as the sampler.
extern "C" __global__ void ds_boxes_hard_negative_f32(const float* __restrict__ loss, const int* __restrict__ labels,
                                                      long long rows, long long n, float ratio,
                                                      unsigned char* __restrict__ mask,
                                                      unsigned char* __restrict__ neg_mask) {
  DS_SHARED(int, s_hist, 256);
  DS_SHARED(int, s_cnt, 32);
  DS_SHARED(unsigned, s_prefix, 1);
  DS_SHARED(int, s_rem, 1);
  DS_SHARED(long long, s_warp, 32);
  DS_SHARED(long long, s_total, 1);
  for (long long row = blockIdx.x; row < rows; row += gridDim.x) {  // block-uniform
    DsHnmSrc src;
    src.loss = loss + row * n;
    src.labels = labels + row * n;
    long long packed = 0;  // positives << 32 | negatives
    for (long long i = threadIdx.x; i < n; i += blockDim.x) {
      const int l = __ldg(src.labels + i);
      packed += l > 0 ? (1ll << 32) : (l == 0 ? 1ll : 0ll);
    }
    packed = ds_boxes_block_sum(packed, s_warp);
    if (threadIdx.x == 0) *s_total = packed;
    __syncthreads();
    const long long num_pos = *s_total >> 32;
    const long long count[1] = {*s_total & 0xFFFFFFFFll};
    const long long k[1] = {ds_box_hnm_count(ratio, num_pos, count[0])};
    const DsSelPlan<1> plan = ds_sel_plan<1>(src, n, count, k, s_hist, s_prefix, s_rem);
    DsHnmSink sink;
    sink.labels = src.labels;
    sink.mask = mask + row * n;
    sink.neg = neg_mask + row * n;
    ds_sel_write<1>(src, n, plan, s_cnt, sink);
  }
}
DS_EXPORT_KERNEL(ds_boxes_hard_negative_f32)
