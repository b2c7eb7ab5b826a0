// Resize kernels of the nn family: nearest / bilinear / bicubic interpolation (PyTorch's
// F.interpolate and ONNX Resize coordinate modes) and "bed of nails" zero insertion, forward and
// backward. Contracts: docs/kernels/nn.md. Taps and weights: kernels/include/detseg/nn_resize_math.cuh
// (shared with the CPU backend).
//
// The backward is a deterministic gather in two separable passes (no float atomics): along W, each
// thread owns one (plane, oy, ix) and sums its covering outputs' gradients times their x weights
// into a [planes, outH, inW] temporary; along H, each thread owns one input element and sums the
// temporary over its covering rows times their y weights. The covering output range of every input
// index is found once per axis (ds_nn_resize_ranges_i32).
#include "detseg/kernel_api.cuh"
#include "detseg/nn_resize_math.cuh"

// ---- file-local helpers (prefix ds_rs_) -------------------------------------------------------------

__device__ __forceinline__ ds_nn_rs_axis ds_rs_axis(int in, int out, float scale, int mode, int coord, int nearest,
                                                    float cubic_a, int exclude_outside) {
  ds_nn_rs_axis a;
  a.in = in;
  a.out = out;
  a.scale = scale;
  a.mode = mode;
  a.coord = coord;
  a.nearest = nearest;
  a.cubic_a = cubic_a;
  a.exclude_outside = exclude_outside;
  return a;
}

// ---- forward ----------------------------------------------------------------------------------------

// Bound: memory (one coalesced store per output; the <= 16 tap reads per output hit L1/L2, since
// neighbouring outputs share input rows: the upsampling reuse is served by the cache, and a shared
// tile would need a scale-dependent footprint). One thread per output over the flattened output
// plane (block 256: no idle lanes for narrow maps), grid (min(ceil(outH*outW/256), 65535),
// min(planes, 65535)), both grid-stride. Each thread computes its row's and column's taps
// (a few flops; no table traffic).
extern "C" __global__ void ds_nn_resize_fwd_f32(const float* __restrict__ x, float* __restrict__ y, long long planes,
                                                int inH, int inW, int outH, int outW, float scaleH, float scaleW,
                                                int mode, int coord, int nearest, float cubic_a, int exclude_outside) {
  const ds_nn_rs_axis ah = ds_rs_axis(inH, outH, scaleH, mode, coord, nearest, cubic_a, exclude_outside);
  const ds_nn_rs_axis aw = ds_rs_axis(inW, outW, scaleW, mode, coord, nearest, cubic_a, exclude_outside);
  const int out_plane = outH * outW;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    const float* xp = x + p * inH * (long long)inW;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < out_plane; e += gridDim.x * blockDim.x) {
      const int oy = e / outW, ox = e - oy * outW;
      int iy[DS_NN_RS_MAX_TAPS], ix[DS_NN_RS_MAX_TAPS];
      float wy[DS_NN_RS_MAX_TAPS], wx[DS_NN_RS_MAX_TAPS];
      const int ny = ds_nn_rs_taps(ah, oy, iy, wy);
      const int nx = ds_nn_rs_taps(aw, ox, ix, wx);
      float acc = 0.0f;
      // Constant trip counts with guards, so the tap arrays stay in registers.
DS_NN_UNROLL
      for (int ky = 0; ky < DS_NN_RS_MAX_TAPS; ++ky) {
        if (ky < ny) {
          const float* row = xp + (long long)iy[ky] * inW;
          float r = 0.0f;
DS_NN_UNROLL
          for (int kx = 0; kx < DS_NN_RS_MAX_TAPS; ++kx) {
            if (kx < nx) r += wx[kx] * __ldg(row + ix[kx]);
          }
          acc += wy[ky] * r;
        }
      }
      y[p * out_plane + e] = acc;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_resize_fwd_f32)

// Bound: latency (tiny: one thread per input index of one axis, O(log out) tap evaluations). Writes
// ranges[2i], ranges[2i+1] = first and last output whose taps read input i (last < first when none).
// Block 256, grid ceil(in/256).
extern "C" __global__ void ds_nn_resize_ranges_i32(int* __restrict__ ranges, int in, int out, float scale, int mode,
                                                   int coord, int nearest, float cubic_a, int exclude_outside) {
  const ds_nn_rs_axis a = ds_rs_axis(in, out, scale, mode, coord, nearest, cubic_a, exclude_outside);
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < in; i += gridDim.x * blockDim.x) {
    int lo, hi;
    ds_nn_rs_covering(a, i, &lo, &hi);
    ranges[2 * i] = lo;
    ranges[2 * i + 1] = hi;
  }
}
DS_EXPORT_KERNEL(ds_nn_resize_ranges_i32)

// Bound: memory. Backward pass along W: tmp[p][oy][ix] = sum over covering ox (ascending) and their
// taps equal to ix of wx * grad[p][oy][ox]. One thread per tmp element over the flattened
// [outH, inW] plane (coalesced tmp stores; grad reads of neighbouring threads overlap in L1).
// Launch shape as ds_nn_resize_fwd_f32 over outH*inW.
extern "C" __global__ void ds_nn_resize_bwd_w_f32(const float* __restrict__ g, float* __restrict__ tmp,
                                                  const int* __restrict__ ranges_w, long long planes, int outH,
                                                  int inW, int outW, float scaleW, int mode, int coord, int nearest,
                                                  float cubic_a, int exclude_outside) {
  const ds_nn_rs_axis aw = ds_rs_axis(inW, outW, scaleW, mode, coord, nearest, cubic_a, exclude_outside);
  const int tmp_plane = outH * inW;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < tmp_plane; e += gridDim.x * blockDim.x) {
      const int oy = e / inW, ix = e - oy * inW;
      const float* grow = g + (p * outH + oy) * (long long)outW;
      const int lo = __ldg(ranges_w + 2 * ix), hi = __ldg(ranges_w + 2 * ix + 1);
      float acc = 0.0f;
      for (int ox = lo; ox <= hi; ++ox) {
        int idx[DS_NN_RS_MAX_TAPS];
        float w[DS_NN_RS_MAX_TAPS];
        const int n = ds_nn_rs_taps(aw, ox, idx, w);
        const float gv = __ldg(grow + ox);
DS_NN_UNROLL
        for (int k = 0; k < DS_NN_RS_MAX_TAPS; ++k) {
          if (k < n && idx[k] == ix) acc += w[k] * gv;
        }
      }
      tmp[p * tmp_plane + e] = acc;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_resize_bwd_w_f32)

// Bound: memory. Backward pass along H: grad_input[p][iy][ix] = sum over covering oy (ascending) and
// their taps equal to iy of wy * tmp[p][oy][ix]; threads of a warp read consecutive ix of the same tmp
// rows (coalesced). Launch shape as ds_nn_resize_fwd_f32 over inH*inW.
extern "C" __global__ void ds_nn_resize_bwd_h_f32(const float* __restrict__ tmp, float* __restrict__ gi,
                                                  const int* __restrict__ ranges_h, long long planes, int inH,
                                                  int inW, int outH, float scaleH, int mode, int coord, int nearest,
                                                  float cubic_a, int exclude_outside) {
  const ds_nn_rs_axis ah = ds_rs_axis(inH, outH, scaleH, mode, coord, nearest, cubic_a, exclude_outside);
  const int in_plane = inH * inW;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    const float* tp = tmp + p * outH * (long long)inW;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < in_plane; e += gridDim.x * blockDim.x) {
      const int iy = e / inW, ix = e - iy * inW;
      const int lo = __ldg(ranges_h + 2 * iy), hi = __ldg(ranges_h + 2 * iy + 1);
      float acc = 0.0f;
      for (int oy = lo; oy <= hi; ++oy) {
        int idx[DS_NN_RS_MAX_TAPS];
        float w[DS_NN_RS_MAX_TAPS];
        const int n = ds_nn_rs_taps(ah, oy, idx, w);
        const float tv = __ldg(tp + (long long)oy * inW + ix);
DS_NN_UNROLL
        for (int k = 0; k < DS_NN_RS_MAX_TAPS; ++k) {
          if (k < n && idx[k] == iy) acc += w[k] * tv;
        }
      }
      gi[p * in_plane + e] = acc;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_resize_bwd_h_f32)

// ---- bed of nails -----------------------------------------------------------------------------------

// Bound: memory (store-dominated: one coalesced store per output, an input read for 1 in sH*sW).
// out[p][y][x] = (y % sH == 0 && x % sW == 0) ? in[p][y/sH][x/sW] : 0 on an (H*sH) x (W*sW) plane.
// Launch shape as ds_nn_resize_fwd_f32.
extern "C" __global__ void ds_nn_bed_of_nails_fwd_f32(const float* __restrict__ x, float* __restrict__ y,
                                                      long long planes, int H, int W, int sH, int sW) {
  const int outW = W * sW;
  const int out_plane = H * sH * outW;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < out_plane; e += gridDim.x * blockDim.x) {
      const int oy = e / outW, ox = e - oy * outW;
      const int iy = oy / sH, ix = ox / sW;
      const bool hit = oy == iy * sH && ox == ix * sW;
      y[p * out_plane + e] = hit ? __ldg(x + p * H * (long long)W + (long long)iy * W + ix) : 0.0f;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_bed_of_nails_fwd_f32)

// Bound: memory (a strided gather of 1 in sH*sW gradients, coalesced stores). grad_input[p][y][x] =
// grad[p][y*sH][x*sW]. Launch shape as ds_nn_resize_fwd_f32 over the input plane.
extern "C" __global__ void ds_nn_bed_of_nails_bwd_f32(const float* __restrict__ g, float* __restrict__ gi,
                                                      long long planes, int H, int W, int sH, int sW) {
  const int in_plane = H * W;
  const long long out_plane = (long long)H * sH * W * sW;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < in_plane; e += gridDim.x * blockDim.x) {
      const int iy = e / W, ix = e - iy * W;
      gi[p * in_plane + e] = __ldg(g + p * out_plane + (long long)iy * sH * W * sW + (long long)ix * sW);
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_bed_of_nails_bwd_f32)
