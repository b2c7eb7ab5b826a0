// Pooling kernels of the nn family: max pooling with int32 argmax indices, average pooling, adaptive
// average/max pooling, global average/max pooling, max unpooling, and their backwards. Contracts:
// docs/kernels/nn.md. Window rules: kernels/include/detseg/nn_pool_math.cuh (shared with the CPU).
//
// Layout: NCHW, contiguous; a "plane" is one (n, c) image of H*W elements (< 2^31, checked in Java),
// plane offsets are 64-bit. Every backward is a gather (each thread owns one input element and sums
// the gradients of the outputs that read it, in output order), so there are no float atomics and the
// results do not depend on the schedule.
#include "detseg/kernel_api.cuh"
#include "detseg/nn_pool_math.cuh"

// ---- file-local helpers (prefix ds_pool_) -----------------------------------------------------------

// One pooled output at (oh, ow). `ld(ih, iw)` reads an in-bounds input element (from global memory or
// from a shared-memory tile); scan order and tie rules are PyTorch's (rows, then columns).
template <class Load>
__device__ __forceinline__ void ds_pool_one(const Load& ld, int oh, int ow, int H, int W, int kH, int kW, int sH,
                                            int sW, int pT, int pL, int limH, int limW, int dH, int dW, int avg,
                                            int count_include_pad, int divisor_override, float* v_out,
                                            int* i_out) {
  if (!avg) {
    const int hs = oh * sH - pT, ws = ow * sW - pL;
    const int ih0 = ds_nn_first_valid_tap(hs, dH), iw0 = ds_nn_first_valid_tap(ws, dW);
    const int ih1 = ds_nn_imin(hs + (kH - 1) * dH + 1, H), iw1 = ds_nn_imin(ws + (kW - 1) * dW + 1, W);
    float m = -INFINITY;
    int mi = ih0 * W + iw0;
    for (int ih = ih0; ih < ih1; ih += dH) {
      for (int iw = iw0; iw < iw1; iw += dW) {
        const float v = ld(ih, iw);
        if (ds_nn_max_better(v, m)) {
          m = v;
          mi = ih * W + iw;
        }
      }
    }
    *v_out = m;
    *i_out = mi;
  } else {
    const ds_nn_avg_axis ah = ds_nn_avg_window(oh, kH, sH, pT, H, limH);
    const ds_nn_avg_axis aw = ds_nn_avg_window(ow, kW, sW, pL, W, limW);
    if (ah.lo >= ah.hi || aw.lo >= aw.hi) {
      *v_out = 0.0f;
      return;
    }
    float s = 0.0f;
    for (int ih = ah.lo; ih < ah.hi; ++ih) {
      for (int iw = aw.lo; iw < aw.hi; ++iw) s += ld(ih, iw);
    }
    *v_out = s / (float)ds_nn_avg_divisor(ah, aw, count_include_pad, divisor_override);
  }
}

struct ds_pool_global_load {
  const float* p;
  int W;
  __device__ __forceinline__ float operator()(int ih, int iw) const { return __ldg(p + (long long)ih * W + iw); }
};

struct ds_pool_tile_load {
  const float* t;
  int ih_base, iw_base, tile_w;
  __device__ __forceinline__ float operator()(int ih, int iw) const {
    return t[(ih - ih_base) * tile_w + (iw - iw_base)];
  }
};

// (value, index) of a max reduction: NaN wins (the largest index among NaNs, as a sequential scan
// keeps the last NaN), then the larger value, then the smaller index (the first maximum). The rule is
// order-independent, so warp folds give the sequential scan's answer.
__device__ __forceinline__ void ds_pool_argmax_combine(float& v, int& i, float v2, int i2) {
  const bool n1 = v != v, n2 = v2 != v2;
  bool take;
  if (n1 || n2) take = n2 && (!n1 || i2 > i);
  else take = v2 > v || (v2 == v && i2 < i);
  if (take) {
    v = v2;
    i = i2;
  }
}

// ---- forward ----------------------------------------------------------------------------------------

// Bound: memory (each input element is read once from DRAM; a k x k window re-reads it (k/s)^2 times
// from shared memory). Block (32, 8) = one 32 x 8 tile of outputs, coalesced along W; the block
// stages the tile's input footprint (tile_h x tile_w = (7 sH + (kH-1) dH + 1) x (31 sW + (kW-1) dW + 1)
// floats, dynamic shared memory, chosen in Java only when it fits 24 KiB) once per plane; grid
// (ceil(outW/32), ceil(outH/8), min(planes, 65535)), planes grid-stride in z. avg selects average
// pooling (ind unused, may be null) over max pooling.
extern "C" __global__ void ds_nn_pool2d_fwd_tiled_f32(const float* __restrict__ x, float* __restrict__ y,
                                                      int* __restrict__ ind, long long planes, int H, int W,
                                                      int outH, int outW, int kH, int kW, int sH, int sW, int pT,
                                                      int pL, int limH, int limW, int dH, int dW, int avg,
                                                      int count_include_pad, int divisor_override, int tile_h,
                                                      int tile_w) {
  DS_SHARED_DYNAMIC(float, tile);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int oh = blockIdx.y * 8 + ty, ow = blockIdx.x * 32 + tx;
  ds_pool_tile_load ld;
  ld.t = tile;
  ld.ih_base = (int)blockIdx.y * 8 * sH - pT;
  ld.iw_base = (int)blockIdx.x * 32 * sW - pL;
  ld.tile_w = tile_w;
  const long long in_plane = (long long)H * W, out_plane = (long long)outH * outW;
  for (long long p = blockIdx.z; p < planes; p += gridDim.z) {
    const float* xp = x + p * in_plane;
    __syncthreads();  // the previous plane's tile is no longer read
    for (int r = ty; r < tile_h; r += 8) {
      const int ih = ld.ih_base + r;
      const bool row_ok = ih >= 0 && ih < H;
      for (int c = tx; c < tile_w; c += 32) {
        const int iw = ld.iw_base + c;
        tile[r * tile_w + c] = (row_ok && iw >= 0 && iw < W) ? __ldg(xp + (long long)ih * W + iw) : 0.0f;
      }
    }
    __syncthreads();
    if (oh < outH && ow < outW) {
      float v;
      int mi = 0;
      ds_pool_one(ld, oh, ow, H, W, kH, kW, sH, sW, pT, pL, limH, limW, dH, dW, avg, count_include_pad,
                  divisor_override, &v, &mi);
      const long long o = p * out_plane + (long long)oh * outW + ow;
      y[o] = v;
      if (!avg) ind[o] = mi;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_pool2d_fwd_tiled_f32)

// Bound: memory. The untiled form, used when windows do not overlap (k <= s: no reuse to stage) or the
// footprint would not fit shared memory; neighbouring threads read neighbouring windows, so reuse
// that exists is served by L1. Block 256 over the flattened output plane (coalesced stores, no idle
// lanes for narrow maps); grid (min(ceil(outH*outW/256), 65535), min(planes, 65535)), both
// grid-stride.
extern "C" __global__ void ds_nn_pool2d_fwd_f32(const float* __restrict__ x, float* __restrict__ y,
                                                int* __restrict__ ind, long long planes, int H, int W, int outH,
                                                int outW, int kH, int kW, int sH, int sW, int pT, int pL, int limH,
                                                int limW, int dH, int dW, int avg, int count_include_pad,
                                                int divisor_override) {
  const int out_plane = outH * outW;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    ds_pool_global_load ld;
    ld.p = x + p * H * (long long)W;
    ld.W = W;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < out_plane; e += gridDim.x * blockDim.x) {
      const int oh = e / outW, ow = e - oh * outW;
      float v;
      int mi = 0;
      ds_pool_one(ld, oh, ow, H, W, kH, kW, sH, sW, pT, pL, limH, limW, dH, dW, avg, count_include_pad,
                  divisor_override, &v, &mi);
      const long long o = p * out_plane + e;
      y[o] = v;
      if (!avg) ind[o] = mi;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_pool2d_fwd_f32)

// Bound: memory (adaptive windows barely overlap: each input is read about once). Launch shape as
// ds_nn_pool2d_fwd_f32. Average: sum / kh / kw (PyTorch's order); max: value and index as max pooling.
extern "C" __global__ void ds_nn_adaptive_pool2d_fwd_f32(const float* __restrict__ x, float* __restrict__ y,
                                                         int* __restrict__ ind, long long planes, int H, int W,
                                                         int outH, int outW, int avg) {
  const int out_plane = outH * outW;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    const float* xp = x + p * H * (long long)W;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < out_plane; e += gridDim.x * blockDim.x) {
      const int oh = e / outW, ow = e - oh * outW;
      const int ih0 = ds_nn_adaptive_start(oh, H, outH), ih1 = ds_nn_adaptive_end(oh, H, outH);
      const int iw0 = ds_nn_adaptive_start(ow, W, outW), iw1 = ds_nn_adaptive_end(ow, W, outW);
      const long long o = p * out_plane + e;
      if (avg) {
        float s = 0.0f;
        for (int ih = ih0; ih < ih1; ++ih) {
          for (int iw = iw0; iw < iw1; ++iw) s += __ldg(xp + (long long)ih * W + iw);
        }
        y[o] = s / (float)(ih1 - ih0) / (float)(iw1 - iw0);
      } else {
        float m = -INFINITY;
        int mi = ih0 * W + iw0;
        for (int ih = ih0; ih < ih1; ++ih) {
          for (int iw = iw0; iw < iw1; ++iw) {
            const float v = __ldg(xp + (long long)ih * W + iw);
            if (ds_nn_max_better(v, m)) {
              m = v;
              mi = ih * W + iw;
            }
          }
        }
        y[o] = m;
        ind[o] = mi;
      }
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_adaptive_pool2d_fwd_f32)

// Bound: memory (one pass over the input). One warp per plane (block 256 = 8 planes), lanes stride the
// plane (128-byte coalesced loads per warp step) and fold with __shfl_down_sync in a fixed order;
// grid min(ceil(planes/8), 65535), grid-stride over planes. Average: sum / (H*W); max: value and the
// argmax with PyTorch's tie rules (ds_pool_argmax_combine).
extern "C" __global__ void ds_nn_global_pool2d_fwd_f32(const float* __restrict__ x, float* __restrict__ y,
                                                       int* __restrict__ ind, long long planes, int hw, int avg) {
  const int lane = threadIdx.x & 31;
  const long long warps = (long long)gridDim.x * (blockDim.x >> 5);
  for (long long p = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5); p < planes; p += warps) {
    const float* xp = x + p * hw;
    if (avg) {
      float s = 0.0f;
      for (int i = lane; i < hw; i += 32) s += __ldg(xp + i);
      for (int off = 16; off > 0; off >>= 1) s += __shfl_down_sync(0xffffffffu, s, off);
      if (lane == 0) y[p] = s / (float)hw;
    } else {
      float m = -INFINITY;
      int mi = lane < hw ? lane : 0x7fffffff;
      for (int i = lane; i < hw; i += 32) {
        const float v = __ldg(xp + i);
        if (ds_nn_max_better(v, m)) {
          m = v;
          mi = i;
        }
      }
      for (int off = 16; off > 0; off >>= 1) {
        const float m2 = __shfl_down_sync(0xffffffffu, m, off);
        const int i2 = __shfl_down_sync(0xffffffffu, mi, off);
        ds_pool_argmax_combine(m, mi, m2, i2);
      }
      if (lane == 0) {
        y[p] = m;
        ind[p] = mi;
      }
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_global_pool2d_fwd_f32)

// ---- backward ---------------------------------------------------------------------------------------

// Bound: memory (reads the (k/s)^2 covering outputs' gradients and indices, mostly from L1). One
// thread per input element: it sums grad[o] over the outputs o whose window extent covers it and whose
// recorded index is this element, in output order, so the sum is reproducible and equals the CPU's
// scatter order. adaptive selects adaptive windows (k/s/pad ignored). Launch shape as
// ds_nn_pool2d_fwd_f32 over the input plane. An index outside its output's window is ignored.
extern "C" __global__ void ds_nn_maxpool2d_bwd_f32(const float* __restrict__ g, const int* __restrict__ ind,
                                                   float* __restrict__ gi, long long planes, int H, int W, int outH,
                                                   int outW, int extH, int extW, int sH, int sW, int pT, int pL,
                                                   int adaptive) {
  const int in_plane = H * W, out_plane = outH * outW;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    const float* gp = g + p * out_plane;
    const int* ip = ind + p * out_plane;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < in_plane; e += gridDim.x * blockDim.x) {
      const int ih = e / W, iw = e - ih * W;
      ds_nn_range rh, rw;
      if (adaptive) {
        rh = ds_nn_adaptive_outputs_covering(ih, H, outH);
        rw = ds_nn_adaptive_outputs_covering(iw, W, outW);
      } else {
        rh = ds_nn_pool_outputs_covering(ih, extH, sH, pT, outH);
        rw = ds_nn_pool_outputs_covering(iw, extW, sW, pL, outW);
      }
      float acc = 0.0f;
      for (int oh = rh.lo; oh <= rh.hi; ++oh) {
        for (int ow = rw.lo; ow <= rw.hi; ++ow) {
          const int o = oh * outW + ow;
          if (__ldg(ip + o) == e) acc += __ldg(gp + o);
        }
      }
      gi[p * in_plane + e] = acc;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_maxpool2d_bwd_f32)

// Bound: memory. One thread per input element summing grad[o] / divisor(o) over the windows that
// contain it (output order, as the CPU's scatter); adaptive windows divide by kh then kw as PyTorch's
// adaptive_avg_pool2d backward. Launch shape as ds_nn_maxpool2d_bwd_f32; at most 64 registers (4 blocks
// of 256 per SM; it took 72, i.e. 3 blocks, unbounded) so enough warps are resident to hide its gathers.
extern "C" __global__ void __launch_bounds__(256, 4) ds_nn_avgpool2d_bwd_f32(const float* __restrict__ g, float* __restrict__ gi,
                                                   long long planes, int H, int W, int outH, int outW, int kH, int kW,
                                                   int sH, int sW, int pT, int pL, int limH, int limW,
                                                   int count_include_pad, int divisor_override, int adaptive) {
  const int in_plane = H * W, out_plane = outH * outW;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    const float* gp = g + p * out_plane;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < in_plane; e += gridDim.x * blockDim.x) {
      const int ih = e / W, iw = e - ih * W;
      float acc = 0.0f;
      if (adaptive) {
        const ds_nn_range rh = ds_nn_adaptive_outputs_covering(ih, H, outH);
        const ds_nn_range rw = ds_nn_adaptive_outputs_covering(iw, W, outW);
        for (int oh = rh.lo; oh <= rh.hi; ++oh) {
          const float kh = (float)(ds_nn_adaptive_end(oh, H, outH) - ds_nn_adaptive_start(oh, H, outH));
          for (int ow = rw.lo; ow <= rw.hi; ++ow) {
            const float kw = (float)(ds_nn_adaptive_end(ow, W, outW) - ds_nn_adaptive_start(ow, W, outW));
            acc += __ldg(gp + oh * outW + ow) / kh / kw;
          }
        }
      } else {
        const ds_nn_range rh = ds_nn_pool_outputs_covering(ih, kH, sH, pT, outH);
        const ds_nn_range rw = ds_nn_pool_outputs_covering(iw, kW, sW, pL, outW);
        for (int oh = rh.lo; oh <= rh.hi; ++oh) {
          const ds_nn_avg_axis ah = ds_nn_avg_window(oh, kH, sH, pT, H, limH);
          for (int ow = rw.lo; ow <= rw.hi; ++ow) {
            const ds_nn_avg_axis aw = ds_nn_avg_window(ow, kW, sW, pL, W, limW);
            const int div = ds_nn_avg_divisor(ah, aw, count_include_pad, divisor_override);
            acc += __ldg(gp + oh * outW + ow) / (float)div;
          }
        }
      }
      gi[p * in_plane + e] = acc;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_avgpool2d_bwd_f32)

// Bound: memory (one read of the plane's single gradient per element, broadcast from L1; coalesced
// stores). Global pooling's backward: average -> grad / (H*W) everywhere; max -> grad at the argmax.
// Launch shape as ds_nn_maxpool2d_bwd_f32.
extern "C" __global__ void ds_nn_global_pool2d_bwd_f32(const float* __restrict__ g, const int* __restrict__ ind,
                                                       float* __restrict__ gi, long long planes, int hw, int avg) {
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    const float gv = __ldg(g + p);
    const int at = avg ? -1 : __ldg(ind + p);
    const float a = avg ? gv / (float)hw : 0.0f;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < hw; e += gridDim.x * blockDim.x) {
      gi[p * hw + e] = avg ? a : (e == at ? gv : 0.0f);
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_global_pool2d_bwd_f32)

// ---- max unpooling ----------------------------------------------------------------------------------
// Deterministic in two passes: each output position learns which input writes it (the largest input
// position among duplicates, i.e. the last one in input order as PyTorch's sequential CPU loop), by
// integer atomicMax, whose result does not depend on the order; then every output is written once.

// Bound: memory (one 4-byte read and one integer atomic per input element). owner must be filled with
// -1 before the launch; *err becomes 1 when an index is outside [0, out_hw). Launch shape as
// ds_nn_pool2d_fwd_f32 over the input plane.
extern "C" __global__ void ds_nn_max_unpool2d_owner_i32(const int* __restrict__ ind, int* __restrict__ owner,
                                                        int* __restrict__ err, long long planes, int in_hw,
                                                        int out_hw) {
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < in_hw; e += gridDim.x * blockDim.x) {
      const int idx = __ldg(ind + p * in_hw + e);
      if (idx < 0 || idx >= out_hw) {
        atomicMax(err, 1);
      } else {
        atomicMax(owner + p * out_hw + idx, e);
      }
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_max_unpool2d_owner_i32)

// Bound: memory (coalesced owner read and output write; the input read is a gather). Launch shape as
// ds_nn_pool2d_fwd_f32 over the output plane.
extern "C" __global__ void ds_nn_max_unpool2d_fwd_f32(const float* __restrict__ x, const int* __restrict__ owner,
                                                      float* __restrict__ y, long long planes, int in_hw,
                                                      int out_hw) {
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < out_hw; e += gridDim.x * blockDim.x) {
      const int src = __ldg(owner + p * out_hw + e);
      y[p * out_hw + e] = src >= 0 ? __ldg(x + p * in_hw + src) : 0.0f;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_max_unpool2d_fwd_f32)

// Bound: memory (gather). grad_input[e] = grad[indices[e]] (PyTorch's backward of max_unpool2d, a
// gather, so duplicates each receive the gradient). *err becomes 1 for an index out of range (its
// gradient is 0). Launch shape as ds_nn_pool2d_fwd_f32 over the input plane.
extern "C" __global__ void ds_nn_max_unpool2d_bwd_f32(const float* __restrict__ g, const int* __restrict__ ind,
                                                      float* __restrict__ gi, int* __restrict__ err,
                                                      long long planes, int in_hw, int out_hw) {
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < in_hw; e += gridDim.x * blockDim.x) {
      const int idx = __ldg(ind + p * in_hw + e);
      float v = 0.0f;
      if (idx < 0 || idx >= out_hw) {
        atomicMax(err, 1);
      } else {
        v = __ldg(g + p * out_hw + idx);
      }
      gi[p * in_hw + e] = v;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_max_unpool2d_bwd_f32)

// ---- ONNX index layouts -----------------------------------------------------------------------------

// Bound: memory (4 bytes in, 4 out). Converts argmax indices between PyTorch's per-plane flat layout
// (h * W + w within each H x W plane) and ONNX's whole-tensor layout (plane * H * W + h * W + w, or
// plane * H * W + w * H + h for MaxPool's storage_order = 1); per_plane indices belong to each of the
// planes. mode 0: to ONNX row-major, 1: to ONNX column-major, 2: from ONNX row-major (MaxUnpool's
// input; an index into another plane comes out outside [0, H*W)). The caller guarantees the ONNX
// values fit int32. Launch shape as ds_nn_pool2d_fwd_f32 over per_plane.
extern "C" __global__ void ds_nn_index_layout_i32(const int* __restrict__ in, int* __restrict__ out,
                                                  long long planes, int per_plane, int H, int W, int mode) {
  const long long hw = (long long)H * W;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < per_plane; e += gridDim.x * blockDim.x) {
      const long long i = p * per_plane + e;
      const int v = __ldg(in + i);
      long long r;
      if (mode == 2) {
        r = (long long)v - p * hw;
      } else if (mode == 1) {
        const int h = v / W, w = v - h * W;
        r = p * hw + (long long)w * H + h;
      } else {
        r = p * hw + v;
      }
      out[i] = (int)r;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_index_layout_i32)
