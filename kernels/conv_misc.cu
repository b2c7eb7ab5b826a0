// The conv family's non-GEMM kernels: depthwise convolution (forward, and data gradient for stride 1),
// depthwise weight gradient, bias gradients, and the small helpers of linear layers and of the split
// weight gradient. Contracts: docs/kernels/conv.md. Every reduction has a fixed order (per-thread
// strided partial sums, then a warp-shuffle tree and a tree over warps), so results are deterministic
// and no kernel here uses atomics.
#include "detseg/conv_math.cuh"
#include "detseg/kernel_api.cuh"

#define DS_CONVM_TILE_W 32
#define DS_CONVM_TILE_H 8

// Sum of v over the block (a multiple of 32 threads), valid in thread 0. s_warp: 32 floats of shared
// memory. Starts with a barrier so s_warp may be reused by consecutive calls; every thread must call.
__device__ __forceinline__ float ds_convm_block_sum(float v, float* s_warp) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nwarps = (int)(blockDim.x >> 5);
DS_CONV_UNROLL
  for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  __syncthreads();
  if (lane == 0) s_warp[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < nwarps ? s_warp[lane] : 0.0f;
DS_CONV_UNROLL
    for (int off = 16; off > 0; off >>= 1) v += __shfl_down_sync(0xffffffffu, v, off);
  }
  return v;
}

// Depthwise convolution of planes (groups == c_in), as a direct stencil over a shared-memory tile.
// mode 0 (forward): output plane (b, co) = bias[co] + w[co] * x[b][co / mult].
// mode 1 (data gradient, stride 1): output plane (b, ci) = sum over m < mult of flipped w[ci*mult + m]
//   correlated with dy[b][ci*mult + m], padded by dil*(k-1) - pad (may be negative).
// Bound: memory (each source element is loaded once per tile plus the halo; kh*kw FMAs per output).
// Block (32, 8): a 32 x 8 output tile per block, one output per thread; its source tile
// ((8-1)*sh + (kh-1)*dh + 1) x ((32-1)*sw + (kw-1)*dw + 1) and the plane's taps live in dynamic shared
// memory (size chosen by the Java backend); grid (ceil(w_out/32), ceil(h_out/8), min(planes, 65535)),
// planes grid-striding in z. Four blocks per SM (at most 64 registers): a memory-bound stencil needs
// the resident warps to hide its loads; in-tile offsets are ints because the launcher keeps the tile
// within 32 KiB, plane offsets stay 64-bit.
extern "C" __global__ void __launch_bounds__(256, 4)
    ds_conv_dw_f32(DS_CONV_GEOM_PARAMS, int mode, const float* __restrict__ src, const float* __restrict__ w,
                   const float* __restrict__ bias, float* __restrict__ dst) {
  const DsConvGeom g = DS_CONV_GEOM_MAKE;
  DS_SHARED_DYNAMIC(float, s_mem);
  const long long mult = g.c_out / g.c_in;
  // source / destination plane sizes and the stencil's stride and padding for this mode
  // each dimension < 2^31 (checked in Java); a plane's size may not be
  const int sh_src = (int)(mode == 0 ? g.h : g.h_out), sw_src = (int)(mode == 0 ? g.w : g.w_out);
  const int oh = (int)(mode == 0 ? g.h_out : g.h), ow = (int)(mode == 0 ? g.w_out : g.w);
  const int st_y = mode == 0 ? (int)g.sh : 1, st_x = mode == 0 ? (int)g.sw : 1;
  const long long pad_y = mode == 0 ? g.ph : g.dh * (g.kh - 1) - g.ph;
  const long long pad_x = mode == 0 ? g.pw : g.dw * (g.kw - 1) - g.pw;
  const long long planes = mode == 0 ? g.n * g.c_out : g.n * g.c_in;
  const long long nsum = mode == 0 ? 1 : mult;
  const int kh = (int)g.kh, kw = (int)g.kw, dil_y = (int)g.dh, dil_x = (int)g.dw, taps = kh * kw;
  const int tile_h = (DS_CONVM_TILE_H - 1) * st_y + (kh - 1) * dil_y + 1;
  const int tile_w = (DS_CONVM_TILE_W - 1) * st_x + (kw - 1) * dil_x + 1;
  float* s_tile = s_mem;
  float* s_w = s_mem + tile_h * tile_w;
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * DS_CONVM_TILE_W + tx;
  const long long ox = (long long)blockIdx.x * DS_CONVM_TILE_W + tx;
  const long long oy = (long long)blockIdx.y * DS_CONVM_TILE_H + ty;
  const long long y0 = (long long)blockIdx.y * DS_CONVM_TILE_H * st_y - pad_y;  // tile origin in the source
  const long long x0 = (long long)blockIdx.x * DS_CONVM_TILE_W * st_x - pad_x;
  const float* t = s_tile + ty * st_y * tile_w + tx * st_x;  // this thread's window in the tile
  for (long long o = blockIdx.z; o < planes; o += gridDim.z) {
    const long long b = mode == 0 ? o / g.c_out : o / g.c_in;
    const long long c = mode == 0 ? o - b * g.c_out : o - b * g.c_in;  // co (mode 0) or ci (mode 1)
    float acc = (mode == 0 && bias != nullptr) ? __ldg(bias + c) : 0.0f;
    for (long long j = 0; j < nsum; ++j) {
      const long long wc = mode == 0 ? c : c * mult + j;                   // weight plane
      const long long sc = mode == 0 ? b * g.c_in + c / mult : b * g.c_out + wc;  // source plane
      const float* __restrict__ s = src + sc * sh_src * (long long)sw_src;
      __syncthreads();  // the previous plane's tile has been used by every thread
      // row by row: each warp loads 32 consecutive columns of a source row (coalesced)
      for (int r = ty; r < tile_h; r += DS_CONVM_TILE_H) {
        const long long iy = y0 + r;
        const bool row_in = iy >= 0 && iy < sh_src;
        for (int q = tx; q < tile_w; q += DS_CONVM_TILE_W) {
          const long long ix = x0 + q;
          s_tile[r * tile_w + q] = (row_in && ix >= 0 && ix < sw_src) ? __ldg(s + iy * sw_src + ix) : 0.0f;
        }
      }
      const float* __restrict__ wp = w + wc * taps;
      for (int i = tid; i < taps; i += DS_CONVM_TILE_W * DS_CONVM_TILE_H) s_w[i] = __ldg(wp + (mode == 0 ? i : taps - 1 - i));
      __syncthreads();
      for (int ky = 0; ky < kh; ++ky) {
        const float* trow = t + ky * dil_y * tile_w;
        const float* wrow = s_w + ky * kw;
        for (int kx = 0; kx < kw; ++kx) acc = fmaf(wrow[kx], trow[kx * dil_x], acc);
      }
    }
    if (oy < oh && ox < ow) dst[(o * oh + oy) * ow + ox] = acc;
  }
}
DS_EXPORT_KERNEL(ds_conv_dw_f32)

// Depthwise weight gradient: dw[co][tap] = sum over images and output points of dy * x(tap).
// Bound: memory (dy and the input plane are read once per tap, from L2 after the first tap).
// Block 256 strides over the n*h_out*w_out points in a fixed assignment, then a block tree sum;
// grid (kh*kw, min(c_out, 65535)), channels grid-striding in y.
extern "C" __global__ void __launch_bounds__(256)
    ds_conv_dw_wgrad_f32(DS_CONV_GEOM_PARAMS, const float* __restrict__ x, const float* __restrict__ dy,
                         float* __restrict__ dw) {
  const DsConvGeom g = DS_CONV_GEOM_MAKE;
  DS_SHARED(float, s_warp, 32);
  const long long mult = g.c_out / g.c_in;
  const long long tap = blockIdx.x, ky = tap / g.kw, kx = tap - ky * g.kw;
  const long long P = g.h_out * g.w_out, R = g.n * P;
  for (long long co = blockIdx.y; co < g.c_out; co += gridDim.y) {
    const long long ci = co / mult;
    float s = 0.0f;
    for (long long r = threadIdx.x; r < R; r += blockDim.x) {
      const long long b = r / P, p = r - b * P, oy = p / g.w_out, ox = p - oy * g.w_out;
      const long long iy = oy * g.sh - g.ph + ky * g.dh, ix = ox * g.sw - g.pw + kx * g.dw;
      if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) {
        s = fmaf(__ldg(dy + (b * g.c_out + co) * P + p), __ldg(x + ((b * g.c_in + ci) * g.h + iy) * g.w + ix), s);
      }
    }
    s = ds_convm_block_sum(s, s_warp);
    if (threadIdx.x == 0) dw[co * g.kh * g.kw + tap] = s;
  }
}
DS_EXPORT_KERNEL(ds_conv_dw_wgrad_f32)

// Bias gradient: out[ch] = sum over images b and i < hw of g[(b*c + ch)*hw + i].
// Bound: memory (one coalesced pass over g). Block 256 per channel (fixed strided partials, block tree);
// grid min(c, 65535), channels grid-striding.
extern "C" __global__ void __launch_bounds__(256)
    ds_conv_bias_grad_f32(const float* __restrict__ grad, long long n, long long c, long long hw,
                          float* __restrict__ out) {
  DS_SHARED(float, s_warp, 32);
  for (long long ch = blockIdx.x; ch < c; ch += gridDim.x) {
    float s = 0.0f;
    for (long long b = 0; b < n; ++b) {
      const float* __restrict__ p = grad + (b * c + ch) * hw;
      for (long long i = threadIdx.x; i < hw; i += blockDim.x) s += __ldg(p + i);
    }
    s = ds_convm_block_sum(s, s_warp);
    if (threadIdx.x == 0) out[ch] = s;
  }
}
DS_EXPORT_KERNEL(ds_conv_bias_grad_f32)

// Column sums of x [rows x cols] (a linear layer's bias gradient): out[j] = sum over r of x[r][j].
// Bound: memory. Block (32, 8): a warp reads 32 consecutive columns of a row (coalesced), the 8 warps
// take rows ty, ty + 8, ...; the 8 partials are added in ty order through shared memory.
// Grid ceil(cols/32).
extern "C" __global__ void __launch_bounds__(256)
    ds_conv_sum_rows_f32(const float* __restrict__ x, long long rows, long long cols, float* __restrict__ out) {
  DS_SHARED(float, s_part, DS_CONVM_TILE_H * DS_CONVM_TILE_W);
  const long long j = (long long)blockIdx.x * DS_CONVM_TILE_W + threadIdx.x;
  float s = 0.0f;
  if (j < cols) {
    for (long long r = threadIdx.y; r < rows; r += DS_CONVM_TILE_H) s += __ldg(x + r * cols + j);
  }
  s_part[threadIdx.y * DS_CONVM_TILE_W + threadIdx.x] = s;
  __syncthreads();
  if (threadIdx.y == 0 && j < cols) {
    float t = s_part[threadIdx.x];
    for (int y = 1; y < DS_CONVM_TILE_H; ++y) t += s_part[y * DS_CONVM_TILE_W + threadIdx.x];
    out[j] = t;
  }
}
DS_EXPORT_KERNEL(ds_conv_sum_rows_f32)

// out[r][j] = bias[j] for a rows x cols out. Bound: memory (store stream). 1-D grid-stride, block 256.
extern "C" __global__ void __launch_bounds__(256)
    ds_conv_fill_rows_f32(const float* __restrict__ bias, long long rows, long long cols, float* __restrict__ out) {
  const long long total = rows * cols;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
    out[i] = __ldg(bias + i % cols);
}
DS_EXPORT_KERNEL(ds_conv_fill_rows_f32)

// out[(b*c + ch)*hw + i] += bias[ch] (a transposed convolution's bias). Bound: memory. 1-D grid-stride.
extern "C" __global__ void __launch_bounds__(256)
    ds_conv_add_channel_bias_f32(float* __restrict__ out, long long n, long long c, long long hw,
                                 const float* __restrict__ bias) {
  const long long total = n * c * hw;
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x)
    out[i] += __ldg(bias + (i / hw) % c);
}
DS_EXPORT_KERNEL(ds_conv_add_channel_bias_f32)

// out[i] = sum over s < splits of parts[s*count + i], in split order (the split weight gradient).
// Bound: memory. 1-D grid-stride, block 256.
extern "C" __global__ void __launch_bounds__(256)
    ds_conv_sum_splits_f32(const float* __restrict__ parts, int splits, long long count, float* __restrict__ out) {
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < count; i += (long long)gridDim.x * blockDim.x) {
    float s = __ldg(parts + i);
    for (int k = 1; k < splits; ++k) s += __ldg(parts + k * count + i);
    out[i] = s;
  }
}
DS_EXPORT_KERNEL(ds_conv_sum_splits_f32)
