// RoIPool forward (max and argmax) and backward through argmax, torchvision 0.14 semantics (bins in
// detseg/roi_math.cuh, shared with the CPU backend). Contracts: docs/kernels/roi.md.
//
// Backward modes as for RoIAlign: ds_roi_pool_backward_atomic_f32 scatters with float atomicAdd
// (schedule-dependent bits where RoIs overlap); ds_roi_pool_footprint_f32 + the tile lists of
// roi_common.cu + ds_roi_pool_backward_gather_f32 let each gradient pixel gather, in torchvision's CPU
// order (RoI, bin row, bin column), the bins whose argmax is that pixel: bitwise reproducible.
#include "detseg/kernel_api.cuh"
#include "detseg/roi_math.cuh"

#define DS_ROI_POOL_TILE 16    // gather kernel: a block is a 16x16 pixel tile (must equal DS_ROI_TILE)
#define DS_ROI_POOL_CC 8       // gather kernel: channels per block
#define DS_ROI_POOL_TABLE 128  // gather kernel: bin bounds of one RoI kept in shared memory per axis
#define DS_ROI_POOL_NEG_MAX (-3.402823466e+38f)  // -FLT_MAX, torchvision's start value

// Bound: memory (reads every pixel of the bin; bins of one RoI and channel are read by neighbouring
// threads). One thread per output element in [K, C, PH, PW] order (coalesced stores of output and
// argmax); 1-D grid-stride, block 256.
extern "C" __global__ void ds_roi_pool_forward_f32(const float* __restrict__ input, int num_images, int channels,
                                                   int height, int width, const float* __restrict__ boxes,
                                                   long long box_stride, const int* __restrict__ batch_indices,
                                                   long long num_rois, int pooled_h, int pooled_w, float spatial_scale,
                                                   float* __restrict__ output, int* __restrict__ argmax) {
  const long long total = num_rois * channels * pooled_h * pooled_w;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    const int pw = (int)(i % pooled_w);
    long long t = i / pooled_w;
    const int ph = (int)(t % pooled_h);
    t /= pooled_h;
    const int c = (int)(t % channels);
    const long long r = t / channels;
    const DsRoiBox box = ds_roi_load(boxes, box_stride, batch_indices, r, num_images);
    float maxval = 0.0f;
    int maxidx = -1;
    if (box.batch >= 0) {
      const DsRoiPoolGeom g = ds_roi_pool_geom(box, spatial_scale, pooled_h, pooled_w);
      int hs, he, ws, we;
      ds_roi_pool_bin(g.start_h, g.bin_h, ph, height, g.valid, &hs, &he);
      ds_roi_pool_bin(g.start_w, g.bin_w, pw, width, g.valid, &ws, &we);
      const bool empty = he <= hs || we <= ws;
      maxval = empty ? 0.0f : DS_ROI_POOL_NEG_MAX;
      const float* __restrict__ plane = input + ((long long)box.batch * channels + c) * height * width;
      for (int h = hs; h < he; ++h) {
        for (int w = ws; w < we; ++w) {
          const float v = __ldg(plane + (long long)h * width + w);
          if (v > maxval) {  // strict: the first maximum wins, NaN never does
            maxval = v;
            maxidx = h * width + w;
          }
        }
      }
    }
    output[i] = maxval;
    argmax[i] = maxidx;
  }
}
DS_EXPORT_KERNEL(ds_roi_pool_forward_f32)

// Fast backward. Bound: memory/atomics (one float atomicAdd per bin). One thread per grad_output
// element, 1-D grid-stride, block 256; grad_input zeroed by the caller; argmax in [-1, H*W) (checked).
extern "C" __global__ void ds_roi_pool_backward_atomic_f32(const float* __restrict__ grad_output,
                                                           const int* __restrict__ argmax, int num_images,
                                                           int channels, int height, int width,
                                                           const float* __restrict__ boxes, long long box_stride,
                                                           const int* __restrict__ batch_indices, long long num_rois,
                                                           int pooled_h, int pooled_w, float* __restrict__ grad_input) {
  const long long bins = (long long)pooled_h * pooled_w;
  const long long total = num_rois * channels * bins;
  const long long plane_size = (long long)height * width;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    const int a = __ldg(argmax + i);
    if (a < 0 || a >= plane_size) continue;
    const long long t = i / bins;
    const int c = (int)(t % channels);
    const long long r = t / channels;
    const DsRoiBox box = ds_roi_load(boxes, box_stride, batch_indices, r, num_images);
    if (box.batch < 0) continue;
    atomicAdd(grad_input + ((long long)box.batch * channels + c) * plane_size + a, __ldg(grad_output + i));
  }
}
DS_EXPORT_KERNEL(ds_roi_pool_backward_atomic_f32)

// Footprint of each RoI: the union of its non-empty bins (image -1 if all are empty). Bin bounds are
// monotone in the bin index, so the union is [first non-empty start, last non-empty end).
// Bound: compute (PH + PW bins per RoI). One thread per RoI, 1-D grid-stride, block 256.
extern "C" __global__ void ds_roi_pool_footprint_f32(const float* __restrict__ boxes, long long box_stride,
                                                     const int* __restrict__ batch_indices, long long num_rois,
                                                     int num_images, int height, int width, int pooled_h,
                                                     int pooled_w, float spatial_scale, int* __restrict__ footprints) {
  for (long long r = blockIdx.x * (long long)blockDim.x + threadIdx.x; r < num_rois;
       r += (long long)gridDim.x * blockDim.x) {
    int* f = footprints + r * 5;
    const DsRoiBox box = ds_roi_load(boxes, box_stride, batch_indices, r, num_images);
    int y0 = height, y1 = -1, x0 = width, x1 = -1;
    if (box.batch >= 0) {
      const DsRoiPoolGeom g = ds_roi_pool_geom(box, spatial_scale, pooled_h, pooled_w);
      for (int ph = 0; ph < pooled_h; ++ph) {
        int lo, hi;
        ds_roi_pool_bin(g.start_h, g.bin_h, ph, height, g.valid, &lo, &hi);
        if (hi > lo) {
          y0 = min(y0, lo);
          y1 = max(y1, hi - 1);
        }
      }
      for (int pw = 0; pw < pooled_w; ++pw) {
        int lo, hi;
        ds_roi_pool_bin(g.start_w, g.bin_w, pw, width, g.valid, &lo, &hi);
        if (hi > lo) {
          x0 = min(x0, lo);
          x1 = max(x1, hi - 1);
        }
      }
    }
    const bool any = y1 >= 0 && x1 >= 0;
    f[0] = any ? box.batch : -1;
    f[1] = y0;
    f[2] = y1;
    f[3] = x0;
    f[4] = x1;
  }
}
DS_EXPORT_KERNEL(ds_roi_pool_footprint_f32)

__device__ __forceinline__ void ds_roi_pool_bin_entry(const int* s_lo, const int* s_hi, long long start, float bin,
                                                      int p, int size, bool valid, int* lo, int* hi) {
  if (p < DS_ROI_POOL_TABLE) {
    *lo = s_lo[p];
    *hi = s_hi[p];
  } else {
    ds_roi_pool_bin(start, bin, p, size, valid, lo, hi);
  }
}

// Deterministic backward (gather). Block (16, 16) = one pixel tile, grid.x = tiles, grid.y = chunks
// of 8 channels (grid-strided). Per listed RoI the block stages its bin bounds in shared memory; each
// thread then adds, for its pixel, the gradients of the bins containing it whose argmax is the pixel,
// in (bin row, bin column) order, for 8 channels held in registers. Writes every pixel once.
// Bound: latency (bin scans and argmax reads per RoI); grad_input stores coalesced along x.
extern "C" __global__ void ds_roi_pool_backward_gather_f32(
    const float* __restrict__ grad_output, const int* __restrict__ argmax, int num_images, int channels, int height,
    int width, const float* __restrict__ boxes, long long box_stride, const int* __restrict__ batch_indices,
    int pooled_h, int pooled_w, float spatial_scale, const long long* __restrict__ tile_offsets,
    const int* __restrict__ tile_rois, int tiles_x, int tiles_per_image, float* __restrict__ grad_input) {
  DS_SHARED(int, s_hs, DS_ROI_POOL_TABLE);
  DS_SHARED(int, s_he, DS_ROI_POOL_TABLE);
  DS_SHARED(int, s_ws, DS_ROI_POOL_TABLE);
  DS_SHARED(int, s_we, DS_ROI_POOL_TABLE);
  const long long tile = blockIdx.x;
  const int b = (int)(tile / tiles_per_image);
  const int t = (int)(tile % tiles_per_image);
  const int y = (t / tiles_x) * DS_ROI_POOL_TILE + (int)threadIdx.y;
  const int x = (t % tiles_x) * DS_ROI_POOL_TILE + (int)threadIdx.x;
  const bool inside = y < height && x < width;
  const int tid = threadIdx.y * blockDim.x + threadIdx.x;
  const int nthreads = blockDim.x * blockDim.y;
  const long long bins = (long long)pooled_h * pooled_w;
  const int pixel = y * width + x;  // argmax values are plane indices (H*W < 2^31, checked by the caller)
  const long long list_begin = tile_offsets[tile];
  const long long list_end = tile_offsets[tile + 1];
  for (int c0 = blockIdx.y * DS_ROI_POOL_CC; c0 < channels; c0 += gridDim.y * DS_ROI_POOL_CC) {
    const int nc = min(DS_ROI_POOL_CC, channels - c0);
    float acc[DS_ROI_POOL_CC];
DS_ROI_UNROLL
    for (int cc = 0; cc < DS_ROI_POOL_CC; ++cc) acc[cc] = 0.0f;
    for (long long li = list_begin; li < list_end; ++li) {
      const long long r = tile_rois[li];
      const DsRoiBox box = ds_roi_load(boxes, box_stride, batch_indices, r, num_images);
      const DsRoiPoolGeom g = ds_roi_pool_geom(box, spatial_scale, pooled_h, pooled_w);
      __syncthreads();  // the previous RoI's bins have been read
      for (int p = tid; p < pooled_h && p < DS_ROI_POOL_TABLE; p += nthreads) {
        ds_roi_pool_bin(g.start_h, g.bin_h, p, height, g.valid, &s_hs[p], &s_he[p]);
      }
      for (int p = tid; p < pooled_w && p < DS_ROI_POOL_TABLE; p += nthreads) {
        ds_roi_pool_bin(g.start_w, g.bin_w, p, width, g.valid, &s_ws[p], &s_we[p]);
      }
      __syncthreads();
      if (!inside) continue;
      const long long base = ((long long)r * channels + c0) * bins;
      for (int ph = 0; ph < pooled_h; ++ph) {
        int hs, he;
        ds_roi_pool_bin_entry(s_hs, s_he, g.start_h, g.bin_h, ph, height, g.valid, &hs, &he);
        if (y < hs || y >= he) continue;
        for (int pw = 0; pw < pooled_w; ++pw) {
          int ws, we;
          ds_roi_pool_bin_entry(s_ws, s_we, g.start_w, g.bin_w, pw, width, g.valid, &ws, &we);
          if (x < ws || x >= we) continue;
          const long long o = base + (long long)ph * pooled_w + pw;
DS_ROI_UNROLL
          for (int cc = 0; cc < DS_ROI_POOL_CC; ++cc) {
            if (cc < nc && __ldg(argmax + o + cc * bins) == pixel) {
              acc[cc] = ds_add_rn(acc[cc], __ldg(grad_output + o + cc * bins));
            }
          }
        }
      }
    }
    if (inside) {
      float* out = grad_input + (((long long)b * channels + c0) * height + y) * width + x;
DS_ROI_UNROLL
      for (int cc = 0; cc < DS_ROI_POOL_CC; ++cc) {
        if (cc < nc) out[(long long)cc * height * width] = acc[cc];
      }
    }
  }
}
DS_EXPORT_KERNEL(ds_roi_pool_backward_gather_f32)
