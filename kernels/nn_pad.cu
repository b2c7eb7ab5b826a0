// Padding (constant, reflect, replicate; forward and backward) and the strided 2-D copy that
// concatenation and splitting use. Contracts: docs/kernels/nn.md; index maps:
// kernels/include/detseg/nn_pad_math.cuh (shared with the CPU).
#include "detseg/kernel_api.cuh"
#include "detseg/nn_pad_math.cuh"

// Bound: memory (one coalesced store per output, one read per in-range output). One thread per output
// over the flattened output plane, block 256, grid (min(ceil(outH*outW/256), 65535), min(planes,
// 65535)), both grid-stride. Elements are moved as 32-bit words, so the same kernel pads float32 and
// int32 tensors; value is the fill's bit pattern.
extern "C" __global__ void ds_nn_pad_fwd_b32(const unsigned int* __restrict__ x, unsigned int* __restrict__ y,
                                             long long planes, int H, int W, int outH, int outW, int pT, int pL,
                                             int mode, unsigned int value) {
  const int out_plane = outH * outW;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    const unsigned int* xp = x + p * H * (long long)W;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < out_plane; e += gridDim.x * blockDim.x) {
      const int oy = e / outW, ox = e - oy * outW;
      const int iy = ds_nn_pad_source(oy, H, pT, mode), ix = ds_nn_pad_source(ox, W, pL, mode);
      y[p * out_plane + e] = (iy < 0 || ix < 0) ? value : __ldg(xp + (long long)iy * W + ix);
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_pad_fwd_b32)

// Bound: memory. The backward as a gather: each thread owns one input element and sums the gradients
// of the outputs that read it (ranges in increasing order: the same order for every schedule). Launch
// shape as ds_nn_pad_fwd_f32 over the input plane.
extern "C" __global__ void ds_nn_pad_bwd_f32(const float* __restrict__ g, float* __restrict__ gi, long long planes,
                                             int H, int W, int outH, int outW, int pT, int pL, int mode) {
  const int in_plane = H * W;
  for (long long p = blockIdx.y; p < planes; p += gridDim.y) {
    const float* gp = g + p * outH * (long long)outW;
    for (int e = blockIdx.x * blockDim.x + threadIdx.x; e < in_plane; e += gridDim.x * blockDim.x) {
      const int iy = e / W, ix = e - iy * W;
      int ylo[3], yhi[3], xlo[3], xhi[3];
      ds_nn_pad_preimage(iy, H, outH, pT, mode, ylo, yhi);
      ds_nn_pad_preimage(ix, W, outW, pL, mode, xlo, xhi);
      float acc = 0.0f;
DS_NN_UNROLL
      for (int a = 0; a < 3; ++a) {
        for (int oy = ylo[a]; oy < yhi[a]; ++oy) {
DS_NN_UNROLL
          for (int b = 0; b < 3; ++b) {
            for (int ox = xlo[b]; ox < xhi[b]; ++ox) acc += __ldg(gp + (long long)oy * outW + ox);
          }
        }
      }
      gi[p * in_plane + e] = acc;
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_pad_bwd_f32)

// Bound: memory (a copy). dst[r * dst_stride + c] = src[r * src_stride + c] for r < rows, c < cols:
// one input of torch.cat into its slice of the output, or one slice of torch.split out of its input
// (rows = the product of the dimensions before the cat dimension). float4 when both pointers, both
// strides and cols are multiples of 4 floats (uniform test). Block 256 along the row (coalesced),
// grid (min(ceil(cols/1024), 65535), min(rows, 65535)), both grid-stride.
extern "C" __global__ void ds_nn_copy2d_f32(const float* __restrict__ src, long long src_stride,
                                            float* __restrict__ dst, long long dst_stride, long long rows,
                                            long long cols) {
  const bool vec = ((reinterpret_cast<unsigned long long>(src) | reinterpret_cast<unsigned long long>(dst)) & 15ull) == 0 &&
                   ((src_stride | dst_stride | cols) & 3) == 0;
  for (long long r = blockIdx.y; r < rows; r += gridDim.y) {
    const float* s = src + r * src_stride;
    float* d = dst + r * dst_stride;
    const long long tid = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long stride = (long long)gridDim.x * blockDim.x;
    if (vec) {
      for (long long c = tid; c < (cols >> 2); c += stride) {
        reinterpret_cast<float4*>(d)[c] = __ldg(reinterpret_cast<const float4*>(s) + c);
      }
    } else {
      for (long long c = tid; c < cols; c += stride) d[c] = __ldg(s + c);
    }
  }
}
DS_EXPORT_KERNEL(ds_nn_copy2d_f32)
