// Soft-NMS (Bodla et al. 2017), linear and Gaussian, on the device. Contract: docs/kernels/nms.md; the
// decay rule is ds_nms_soft_weight in detseg/nms_math.cuh, shared with native/cpu/nms_soft.cpp.
#include "detseg/kernel_api.cuh"
#include "detseg/nms_math.cuh"

// (score, index) of the better candidate: higher score, ties to the lower index; index < 0 = none.
__device__ __forceinline__ void ds_nms_soft_better(float& bs, int& bi, float os, int oi) {
  if (oi >= 0 && (bi < 0 || os > bs || (os == bs && oi < bi))) {
    bs = os;
    bi = oi;
  }
}

__device__ __forceinline__ void ds_nms_soft_warp_argmax(float& bs, int& bi) {
  for (int off = 16; off > 0; off >>= 1) {
    const float os = __shfl_down_sync(0xffffffffu, bs, off);
    const int oi = __shfl_down_sync(0xffffffffu, bi, off);
    ds_nms_soft_better(bs, bi, os, oi);
  }
}

// Bound: latency (each selection is a block-wide argmax and depends on the previous one; a step streams
// the n boxes once). One block, since the steps are sequential; 256 threads (a multiple of 32, 8 warps)
// keep a step's pass over n boxes short while the warp-shuffle argmax stays two barriers deep. Thread t
// owns boxes t, t + 256, ...; work[i] is its current score (NaN = gone), so no box is shared.
// Writes keep[q], kept_scores[q] (the q-th selection and its score at selection) and *count.
extern "C" __global__ void ds_nms_soft_f32(const float* __restrict__ boxes, const float* __restrict__ scores,
                                           long long n, float sigma, float iou_threshold, float score_threshold,
                                           int method, float* __restrict__ work, int* __restrict__ keep,
                                           float* __restrict__ kept_scores, int* __restrict__ count) {
  DS_SHARED(float, s_ws, 32);
  DS_SHARED(int, s_wi, 32);
  DS_SHARED(float, s_sel_score, 1);
  DS_SHARED(int, s_sel, 1);
  const int t = threadIdx.x, lane = t & 31, warp = t >> 5;
  const int nwarps = (blockDim.x + 31) >> 5;
  const float nan = __int_as_float(0x7fc00000);
  float bs = 0.0f;
  int bi = -1;
  for (long long i = t; i < n; i += blockDim.x) {
    const float s = __ldg(scores + i);
    const bool alive = ds_nms_soft_alive(s, score_threshold);
    work[i] = alive ? s : nan;
    if (alive) ds_nms_soft_better(bs, bi, s, (int)i);
  }
  long long selected = 0;
  for (;;) {
    ds_nms_soft_warp_argmax(bs, bi);
    if (lane == 0) {
      s_ws[warp] = bs;
      s_wi[warp] = bi;
    }
    __syncthreads();
    if (warp == 0) {
      float ws = lane < nwarps ? s_ws[lane] : 0.0f;
      int wi = lane < nwarps ? s_wi[lane] : -1;
      ds_nms_soft_warp_argmax(ws, wi);
      if (lane == 0) {
        s_sel[0] = wi;
        s_sel_score[0] = ws;
      }
    }
    __syncthreads();
    const int sel = s_sel[0];
    if (sel < 0) break;  // block-uniform
    if (t == 0) {
      keep[selected] = sel;
      kept_scores[selected] = s_sel_score[0];
    }
    ++selected;
    const float4 a = make_float4(__ldg(boxes + 4ll * sel), __ldg(boxes + 4ll * sel + 1), __ldg(boxes + 4ll * sel + 2),
                                 __ldg(boxes + 4ll * sel + 3));
    const float area_a = ds_box_area(a.x, a.y, a.z, a.w);
    bs = 0.0f;
    bi = -1;
    for (long long i = t; i < n; i += blockDim.x) {
      float s = work[i];
      if (s != s) continue;
      if (i == sel) {
        work[i] = nan;
        continue;
      }
      const float* b = boxes + 4 * i;
      const float bx1 = __ldg(b), by1 = __ldg(b + 1), bx2 = __ldg(b + 2), by2 = __ldg(b + 3);
      const float iou = ds_box_iou(a.x, a.y, a.z, a.w, area_a, bx1, by1, bx2, by2, ds_box_area(bx1, by1, bx2, by2));
      s = ds_mul_rn(s, ds_nms_soft_weight(iou, method, iou_threshold, sigma));
      const bool alive = ds_nms_soft_alive(s, score_threshold);
      work[i] = alive ? s : nan;
      if (alive) ds_nms_soft_better(bs, bi, s, (int)i);
    }
  }
  if (t == 0) *count = (int)selected;
}
DS_EXPORT_KERNEL(ds_nms_soft_f32)
