// Anchors (docs/kernels/boxes.md): Faster R-CNN grid anchors (torchvision AnchorGenerator), SSD default
// boxes (torchvision DefaultBoxGenerator) and YOLO decoding. Formulas: detseg/box_anchors.cuh, shared
// with the CPU backend.
#include "detseg/box_anchors.cuh"
#include "detseg/box_device.cuh"
#include "detseg/kernel_api.cuh"

// One level: box t = (cell, a) with a = ratio * nsizes + size (torchvision's order), cells row-major.
// Bound: memory (one 16 B store per thread). Block 256, 1-D grid-stride; the A cell anchors (sqrt,
// division, rounding) are computed once per block into dynamic shared memory (16 * A bytes) and
// reused by every cell.
extern "C" __global__ void ds_boxes_anchor_grid_f32(const float* __restrict__ sizes, int nsizes,
                                                    const float* __restrict__ ratios, int nratios, long long grid_h,
                                                    long long grid_w, int stride_h, int stride_w,
                                                    float* __restrict__ out) {
  DS_SHARED_DYNAMIC(float, s_cell);
  const int a_per_cell = nsizes * nratios;
  for (int a = threadIdx.x; a < a_per_cell; a += blockDim.x) {
    const DsBox c = ds_anchor_cell(__ldg(sizes + a % nsizes), __ldg(ratios + a / nsizes));
    s_cell[4 * a] = c.x1;
    s_cell[4 * a + 1] = c.y1;
    s_cell[4 * a + 2] = c.x2;
    s_cell[4 * a + 3] = c.y2;
  }
  __syncthreads();
  const bool al = ds_boxes_aligned16(out);
  const long long total = grid_h * grid_w * a_per_cell;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (long long)gridDim.x * blockDim.x) {
    const long long cell = t / a_per_cell;
    const int a = (int)(t - cell * a_per_cell);
    const long long row = cell / grid_w, col = cell - row * grid_w;
    const DsBox c = {s_cell[4 * a], s_cell[4 * a + 1], s_cell[4 * a + 2], s_cell[4 * a + 3]};
    ds_boxes_store(out, t, ds_anchor_shifted(c, (int)(col * stride_w), (int)(row * stride_h)), al);
  }
}
DS_EXPORT_KERNEL(ds_boxes_anchor_grid_f32)

// One level: box t = (cell, p), cells row-major, p the (w, h) pair. Bound: memory (one 16 B store per
// thread; the pairs are a few cached words). Block 256, 1-D grid-stride.
extern "C" __global__ void ds_boxes_ssd_default_f32(const float* __restrict__ wh, int npairs, long long grid_h,
                                                    long long grid_w, float x_f, float y_f, float image_w,
                                                    float image_h, float* __restrict__ out) {
  const bool al = ds_boxes_aligned16(out);
  const long long total = grid_h * grid_w * npairs;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (long long)gridDim.x * blockDim.x) {
    const long long cell = t / npairs;
    const int p = (int)(t - cell * npairs);
    const long long row = cell / grid_w, col = cell - row * grid_w;
    ds_boxes_store(out, t,
                   ds_ssd_default_box(row, col, x_f, y_f, __ldg(wh + 2 * p), __ldg(wh + 2 * p + 1), image_w, image_h),
                   al);
  }
}
DS_EXPORT_KERNEL(ds_boxes_ssd_default_f32)

// input [B, A*K, H, W] -> out [B, A*H*W, K] (x1, y1, x2, y2, sigmoid(obj), sigmoid(cls)...).
// A block transposes a tile of `tile` cells x K channels of one (image, anchor) plane group through
// dynamic shared memory (4 * tile * K bytes): it reads K runs of `tile` contiguous floats (coalesced)
// and writes tile * K contiguous floats (coalesced). Bound: memory (each float read and written once;
// the box channels cost two exp and two sigmoids, recomputed by each of their 4 output threads).
// Block 256; grid (ceil(H*W / tile), min(B*A, 65535)), both dimensions grid-stride.
extern "C" __global__ void ds_boxes_yolo_decode_f32(const float* __restrict__ input, long long planes, int num_anchors,
                                                    int k, long long grid_h, long long grid_w, int tile,
                                                    const float* __restrict__ anchors, float image_h, float image_w,
                                                    float* __restrict__ out) {
  DS_SHARED_DYNAMIC(float, s_tile);
  const long long hw = grid_h * grid_w;
  const int span = tile * k;
  for (long long plane = blockIdx.y; plane < planes; plane += gridDim.y) {
    const float aw = __ldg(anchors + 2 * (plane % num_anchors));
    const float ah = __ldg(anchors + 2 * (plane % num_anchors) + 1);
    const float* __restrict__ in = input + plane * k * hw;
    float* __restrict__ o = out + plane * hw * k;
    for (long long c0 = (long long)blockIdx.x * tile; c0 < hw; c0 += (long long)gridDim.x * tile) {
      const int cells = (hw - c0) < tile ? (int)(hw - c0) : tile;
      for (int idx = threadIdx.x; idx < span; idx += blockDim.x) {
        const int ch = idx / tile, c = idx - ch * tile;
        if (c < cells) s_tile[c * k + ch] = __ldg(in + ch * hw + c0 + c);
      }
      __syncthreads();
      for (int idx = threadIdx.x; idx < cells * k; idx += blockDim.x) {
        const int c = idx / k, ch = idx - c * k;
        const float* v = s_tile + c * k;
        float r;
        if (ch < 4) {
          const long long cell = c0 + c;
          const long long row = cell / grid_w, col = cell - row * grid_w;
          const DsBox b = ds_yolo_box(v[0], v[1], v[2], v[3], row, col, grid_h, grid_w, aw, ah, image_w, image_h);
          r = ch == 0 ? b.x1 : (ch == 1 ? b.y1 : (ch == 2 ? b.x2 : b.y2));
        } else {
          r = ds_box_sigmoid(v[ch]);
        }
        o[c0 * k + idx] = r;
      }
      __syncthreads();  // the next tile overwrites shared memory
    }
  }
}
DS_EXPORT_KERNEL(ds_boxes_yolo_decode_f32)
