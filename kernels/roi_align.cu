// RoIAlign forward and backward (torchvision 0.14 semantics; formulas in detseg/roi_math.cuh, shared with
// the CPU backend). Contracts and launch shapes: docs/kernels/roi.md.
//
// RoIs: boxes [K, box_stride] floats, either torchvision's rows (batch index, x1, y1, x2, y2) with
// batch_indices == nullptr, or ONNX's (x1, y1, x2, y2) with an int batch index per RoI. When levels is
// not null only RoIs with levels[k] == level take part (multi-scale RoIAlign: one launch per level).
//
// Backward comes in two modes:
//   - ds_roi_align_backward_atomic_f32: one thread per grad_output element scatters its four corner
//     shares with float atomicAdd (torchvision's design); fast, but the summation order, hence the
//     last bits, depends on the schedule;
//   - ds_roi_align_footprint_f32 + ds_roi_tile_lists/scan (roi_common.cu) + ds_roi_align_backward_gather_f32:
//     every gradient pixel is owned by one thread, which walks the RoIs listed for its tile in
//     ascending order and adds the shares of the samples touching it in torchvision's CPU order (bin
//     row, bin column, sample row, sample column). No float atomics: bitwise identical run after run,
//     and equal to the CPU backend's (and torchvision's CPU) gradient.
#include "detseg/kernel_api.cuh"
#include "detseg/roi_math.cuh"

#define DS_ROI_ALIGN_TILE 16   // gather kernel: a block is a 16x16 pixel tile (must equal DS_ROI_TILE)
#define DS_ROI_ALIGN_CC 8      // gather kernel: channels per block (accumulators per thread)
#define DS_ROI_ALIGN_TABLE 256 // gather kernel: sample rows / columns of one RoI kept in shared memory

// Bound: memory (4 gathered reads per sample; the RoI's 5 floats are broadcast loads). One thread per
// output element in [K, C, PH, PW] order, so a warp's stores are contiguous and its neighbouring bins
// read neighbouring pixels; 1-D grid-stride with block 256 (any grid is correct).
extern "C" __global__ void ds_roi_align_forward_f32(const float* __restrict__ input, int num_images, int channels,
                                                    int height, int width, const float* __restrict__ boxes,
                                                    long long box_stride, const int* __restrict__ batch_indices,
                                                    const int* __restrict__ levels, int level, long long num_rois,
                                                    int pooled_h, int pooled_w, float spatial_scale,
                                                    int sampling_ratio, int aligned, float* __restrict__ output) {
  const long long total = num_rois * channels * pooled_h * pooled_w;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    const int pw = (int)(i % pooled_w);
    long long t = i / pooled_w;
    const int ph = (int)(t % pooled_h);
    t /= pooled_h;
    const int c = (int)(t % channels);
    const long long r = t / channels;
    if (levels != nullptr && __ldg(levels + r) != level) continue;
    const DsRoiBox box = ds_roi_load(boxes, box_stride, batch_indices, r, num_images);
    float value = 0.0f;
    if (box.batch >= 0) {
      const DsRoiAlignGeom g = ds_roi_align_geom(box, spatial_scale, pooled_h, pooled_w, sampling_ratio, aligned != 0);
      const float* __restrict__ plane = input + ((long long)box.batch * channels + c) * height * width;
      float acc = 0.0f;
      for (int iy = 0; iy < g.grid_h; ++iy) {
        const float y = ds_roi_align_sample(g.start_h, g.bin_h, ph, iy, g.grid_h);
        if (!ds_bilinear_in_range(y, height)) continue;
        const DsBilinearAxis ay = ds_bilinear_axis(y, height);
        const float* __restrict__ r_lo = plane + (long long)ay.lo * width;
        const float* __restrict__ r_hi = plane + (long long)ay.hi * width;
        for (int ix = 0; ix < g.grid_w; ++ix) {
          const float x = ds_roi_align_sample(g.start_w, g.bin_w, pw, ix, g.grid_w);
          if (!ds_bilinear_in_range(x, width)) continue;
          const DsBilinearAxis ax = ds_bilinear_axis(x, width);
          const DsBilinearWeights w = ds_bilinear_weights(ay, ax);
          acc = ds_add_rn(acc, ds_bilinear_combine(w, __ldg(r_lo + ax.lo), __ldg(r_lo + ax.hi), __ldg(r_hi + ax.lo),
                                                   __ldg(r_hi + ax.hi)));
        }
      }
      value = ds_div_rn(acc, g.count);
    }
    output[i] = value;
  }
}
DS_EXPORT_KERNEL(ds_roi_align_forward_f32)

// Fast backward. Bound: memory/atomics (4 float atomicAdds per sample into grad_input, which the
// caller zeroed). One thread per grad_output element (coalesced reads of grad_output), 1-D grid-stride,
// block 256. Schedule-dependent in the last bits: see the file comment.
extern "C" __global__ void ds_roi_align_backward_atomic_f32(const float* __restrict__ grad_output, int num_images,
                                                            int channels, int height, int width,
                                                            const float* __restrict__ boxes, long long box_stride,
                                                            const int* __restrict__ batch_indices,
                                                            const int* __restrict__ levels, int level,
                                                            long long num_rois, int pooled_h, int pooled_w,
                                                            float spatial_scale, int sampling_ratio, int aligned,
                                                            float* __restrict__ grad_input) {
  const long long total = num_rois * channels * pooled_h * pooled_w;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
       i += (long long)gridDim.x * blockDim.x) {
    const int pw = (int)(i % pooled_w);
    long long t = i / pooled_w;
    const int ph = (int)(t % pooled_h);
    t /= pooled_h;
    const int c = (int)(t % channels);
    const long long r = t / channels;
    if (levels != nullptr && __ldg(levels + r) != level) continue;
    const DsRoiBox box = ds_roi_load(boxes, box_stride, batch_indices, r, num_images);
    if (box.batch < 0) continue;
    const DsRoiAlignGeom g = ds_roi_align_geom(box, spatial_scale, pooled_h, pooled_w, sampling_ratio, aligned != 0);
    const float grad = __ldg(grad_output + i);
    float* plane = grad_input + ((long long)box.batch * channels + c) * height * width;
    for (int iy = 0; iy < g.grid_h; ++iy) {
      const float y = ds_roi_align_sample(g.start_h, g.bin_h, ph, iy, g.grid_h);
      if (!ds_bilinear_in_range(y, height)) continue;
      const DsBilinearAxis ay = ds_bilinear_axis(y, height);
      float* r_lo = plane + (long long)ay.lo * width;
      float* r_hi = plane + (long long)ay.hi * width;
      for (int ix = 0; ix < g.grid_w; ++ix) {
        const float x = ds_roi_align_sample(g.start_w, g.bin_w, pw, ix, g.grid_w);
        if (!ds_bilinear_in_range(x, width)) continue;
        const DsBilinearAxis ax = ds_bilinear_axis(x, width);
        const DsBilinearWeights w = ds_bilinear_weights(ay, ax);
        atomicAdd(r_lo + ax.lo, ds_roi_align_grad_share(grad, w.w1, g.count));
        atomicAdd(r_lo + ax.hi, ds_roi_align_grad_share(grad, w.w2, g.count));
        atomicAdd(r_hi + ax.lo, ds_roi_align_grad_share(grad, w.w3, g.count));
        atomicAdd(r_hi + ax.hi, ds_roi_align_grad_share(grad, w.w4, g.count));
      }
    }
  }
}
DS_EXPORT_KERNEL(ds_roi_align_backward_atomic_f32)

// Footprint of each RoI: the bounding box of the pixels its in-range samples read (image -1 if none).
// Bound: compute (PH*grid_h + PW*grid_w sample positions per RoI, no reuse). One thread per RoI,
// 1-D grid-stride, block 256.
extern "C" __global__ void ds_roi_align_footprint_f32(const float* __restrict__ boxes, long long box_stride,
                                                      const int* __restrict__ batch_indices,
                                                      const int* __restrict__ levels, int level, long long num_rois,
                                                      int num_images, int height, int width, int pooled_h,
                                                      int pooled_w, float spatial_scale, int sampling_ratio,
                                                      int aligned, int* __restrict__ footprints) {
  for (long long r = blockIdx.x * (long long)blockDim.x + threadIdx.x; r < num_rois;
       r += (long long)gridDim.x * blockDim.x) {
    int* f = footprints + r * 5;
    const DsRoiBox box = ds_roi_load(boxes, box_stride, batch_indices, r, num_images);
    int y0 = height, y1 = -1, x0 = width, x1 = -1;
    if (box.batch >= 0 && (levels == nullptr || __ldg(levels + r) == level)) {
      const DsRoiAlignGeom g = ds_roi_align_geom(box, spatial_scale, pooled_h, pooled_w, sampling_ratio, aligned != 0);
      for (int ph = 0; ph < pooled_h; ++ph) {
        for (int iy = 0; iy < g.grid_h; ++iy) {
          const float y = ds_roi_align_sample(g.start_h, g.bin_h, ph, iy, g.grid_h);
          if (!ds_bilinear_in_range(y, height)) continue;
          const DsBilinearAxis a = ds_bilinear_axis(y, height);
          y0 = min(y0, a.lo);
          y1 = max(y1, a.hi);
        }
      }
      for (int pw = 0; pw < pooled_w; ++pw) {
        for (int ix = 0; ix < g.grid_w; ++ix) {
          const float x = ds_roi_align_sample(g.start_w, g.bin_w, pw, ix, g.grid_w);
          if (!ds_bilinear_in_range(x, width)) continue;
          const DsBilinearAxis a = ds_bilinear_axis(x, width);
          x0 = min(x0, a.lo);
          x1 = max(x1, a.hi);
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
DS_EXPORT_KERNEL(ds_roi_align_footprint_f32)

// Sample row / column j of the current RoI along one axis: from the shared table for j < TABLE, else
// recomputed (only RoIs with more than 256 samples per axis reach that).
struct DsRoiAlignAxisTable {
  const int* lo;
  const int* hi;
  const float* l;
  const float* h;
};

__device__ __forceinline__ DsBilinearAxis ds_roi_align_axis_entry(const DsRoiAlignAxisTable& t, long long j,
                                                                  float start, float bin, int grid, int size) {
  DsBilinearAxis a;
  if (j < DS_ROI_ALIGN_TABLE) {
    a.lo = t.lo[j];
    a.hi = t.hi[j];
    a.l = t.l[j];
    a.h = t.h[j];
    return a;
  }
  const float v = ds_roi_align_sample(start, bin, (int)(j / grid), (int)(j % grid), grid);
  if (!ds_bilinear_in_range(v, size)) {
    a.lo = -1;
    a.hi = -1;
    a.l = 0.0f;
    a.h = 0.0f;
    return a;
  }
  return ds_bilinear_axis(v, size);
}

__device__ __forceinline__ void ds_roi_align_fill_table(int* lo, int* hi, float* l, float* h, long long n, int tid,
                                                        int nthreads, float start, float bin, int grid, int size) {
  const long long m = n < DS_ROI_ALIGN_TABLE ? n : DS_ROI_ALIGN_TABLE;
  for (long long j = tid; j < m; j += nthreads) {
    const float v = ds_roi_align_sample(start, bin, (int)(j / grid), (int)(j % grid), grid);
    if (ds_bilinear_in_range(v, size)) {
      const DsBilinearAxis a = ds_bilinear_axis(v, size);
      lo[j] = a.lo;
      hi[j] = a.hi;
      l[j] = a.l;
      h[j] = a.h;
    } else {
      lo[j] = -1;
      hi[j] = -1;
      l[j] = 0.0f;
      h[j] = 0.0f;
    }
  }
}

// First and last sample (along one axis) whose neighbours include pixel p; *first = -1 if none.
__device__ __forceinline__ void ds_roi_align_touch_range(const DsRoiAlignAxisTable& t, long long n, float start,
                                                         float bin, int grid, int size, int p, long long* first,
                                                         long long* last) {
  *first = -1;
  *last = -2;
  for (long long j = 0; j < n; ++j) {
    const DsBilinearAxis a = ds_roi_align_axis_entry(t, j, start, bin, grid, size);
    if (ds_bilinear_axis_touches(a, p)) {
      if (*first < 0) *first = j;
      *last = j;
    }
  }
}

// Deterministic backward (gather). Block (16, 16) = one tile of pixels; grid.x = tiles (all images),
// grid.y = channel chunks of 8 (grid-strided). Per listed RoI the block stages the RoI's sample rows
// and columns in shared memory once (reused by 256 pixels x 8 channels), then each thread adds, for
// its pixel and 8 channels held in registers, the shares of the samples touching it. Every pixel of
// the tile is written once (zero when nothing touches it): no atomics, no prior memset.
// Bound: compute/latency (short scans of the shared tables per RoI; the grad_output reads are few and
// cached); writes of grad_input are coalesced along x.
extern "C" __global__ void ds_roi_align_backward_gather_f32(
    const float* __restrict__ grad_output, int num_images, int channels, int height, int width,
    const float* __restrict__ boxes, long long box_stride, const int* __restrict__ batch_indices, int pooled_h,
    int pooled_w, float spatial_scale, int sampling_ratio, int aligned, const long long* __restrict__ tile_offsets,
    const int* __restrict__ tile_rois, int tiles_x, int tiles_per_image, float* __restrict__ grad_input) {
  DS_SHARED(int, s_ylo, DS_ROI_ALIGN_TABLE);
  DS_SHARED(int, s_yhi, DS_ROI_ALIGN_TABLE);
  DS_SHARED(float, s_yl, DS_ROI_ALIGN_TABLE);
  DS_SHARED(float, s_yh, DS_ROI_ALIGN_TABLE);
  DS_SHARED(int, s_xlo, DS_ROI_ALIGN_TABLE);
  DS_SHARED(int, s_xhi, DS_ROI_ALIGN_TABLE);
  DS_SHARED(float, s_xl, DS_ROI_ALIGN_TABLE);
  DS_SHARED(float, s_xh, DS_ROI_ALIGN_TABLE);
  const DsRoiAlignAxisTable ty = {s_ylo, s_yhi, s_yl, s_yh};
  const DsRoiAlignAxisTable tx = {s_xlo, s_xhi, s_xl, s_xh};
  const long long tile = blockIdx.x;
  const int b = (int)(tile / tiles_per_image);
  const int t = (int)(tile % tiles_per_image);
  const int y = (t / tiles_x) * DS_ROI_ALIGN_TILE + (int)threadIdx.y;
  const int x = (t % tiles_x) * DS_ROI_ALIGN_TILE + (int)threadIdx.x;
  const bool inside = y < height && x < width;
  const int tid = threadIdx.y * blockDim.x + threadIdx.x;
  const int nthreads = blockDim.x * blockDim.y;
  const long long bins = (long long)pooled_h * pooled_w;
  const long long list_begin = tile_offsets[tile];
  const long long list_end = tile_offsets[tile + 1];
  for (int c0 = blockIdx.y * DS_ROI_ALIGN_CC; c0 < channels; c0 += gridDim.y * DS_ROI_ALIGN_CC) {
    const int nc = min(DS_ROI_ALIGN_CC, channels - c0);
    float acc[DS_ROI_ALIGN_CC];
DS_ROI_UNROLL
    for (int cc = 0; cc < DS_ROI_ALIGN_CC; ++cc) acc[cc] = 0.0f;
    for (long long li = list_begin; li < list_end; ++li) {
      const long long r = tile_rois[li];
      const DsRoiBox box = ds_roi_load(boxes, box_stride, batch_indices, r, num_images);
      const DsRoiAlignGeom g = ds_roi_align_geom(box, spatial_scale, pooled_h, pooled_w, sampling_ratio, aligned != 0);
      const long long ny = (long long)pooled_h * g.grid_h;
      const long long nx = (long long)pooled_w * g.grid_w;
      __syncthreads();  // the previous RoI's tables have been read
      ds_roi_align_fill_table(s_ylo, s_yhi, s_yl, s_yh, ny, tid, nthreads, g.start_h, g.bin_h, g.grid_h, height);
      ds_roi_align_fill_table(s_xlo, s_xhi, s_xl, s_xh, nx, tid, nthreads, g.start_w, g.bin_w, g.grid_w, width);
      __syncthreads();
      if (!inside) continue;
      long long j0, j1, k0, k1;
      ds_roi_align_touch_range(ty, ny, g.start_h, g.bin_h, g.grid_h, height, y, &j0, &j1);
      if (j0 < 0) continue;
      ds_roi_align_touch_range(tx, nx, g.start_w, g.bin_w, g.grid_w, width, x, &k0, &k1);
      if (k0 < 0) continue;
      const float* __restrict__ go = grad_output + ((long long)r * channels + c0) * bins;
      // torchvision's order for one pixel: bin row, bin column, sample row, sample column.
      for (long long ph = j0 / g.grid_h; ph <= j1 / g.grid_h; ++ph) {
        const long long ja = max(j0, ph * g.grid_h);
        const long long jb = min(j1, ph * g.grid_h + g.grid_h - 1);
        for (long long pw = k0 / g.grid_w; pw <= k1 / g.grid_w; ++pw) {
          const long long ka = max(k0, pw * g.grid_w);
          const long long kb = min(k1, pw * g.grid_w + g.grid_w - 1);
          float gv[DS_ROI_ALIGN_CC];
DS_ROI_UNROLL
          for (int cc = 0; cc < DS_ROI_ALIGN_CC; ++cc) gv[cc] = cc < nc ? __ldg(go + cc * bins + ph * pooled_w + pw) : 0.0f;
          for (long long j = ja; j <= jb; ++j) {
            const DsBilinearAxis ay = ds_roi_align_axis_entry(ty, j, g.start_h, g.bin_h, g.grid_h, height);
            if (!ds_bilinear_axis_touches(ay, y)) continue;
            const float wy = ds_bilinear_axis_weight(ay, y);
            for (long long k = ka; k <= kb; ++k) {
              const DsBilinearAxis ax = ds_roi_align_axis_entry(tx, k, g.start_w, g.bin_w, g.grid_w, width);
              if (!ds_bilinear_axis_touches(ax, x)) continue;
              const float w = ds_mul_rn(wy, ds_bilinear_axis_weight(ax, x));
DS_ROI_UNROLL
              for (int cc = 0; cc < DS_ROI_ALIGN_CC; ++cc) {
                acc[cc] = ds_add_rn(acc[cc], ds_roi_align_grad_share(gv[cc], w, g.count));
              }
            }
          }
        }
      }
    }
    if (inside) {
      float* out = grad_input + (((long long)b * channels + c0) * height + y) * width + x;
DS_ROI_UNROLL
      for (int cc = 0; cc < DS_ROI_ALIGN_CC; ++cc) {
        if (cc < nc) out[(long long)cc * height * width] = acc[cc];
      }
    }
  }
}
DS_EXPORT_KERNEL(ds_roi_align_backward_gather_f32)
