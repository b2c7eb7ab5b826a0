// CPU anchors (docs/kernels/boxes.md): Faster R-CNN grid anchors, SSD default boxes and YOLO decoding
// with the formulas of kernels/include/detseg/box_anchors.cuh (shared with the CUDA kernels).
#pragma GCC optimize("fp-contract=off")

#include <algorithm>
#include <vector>

#include "boxes_cpu.h"
#include "cpu_simd.h"
#include "detseg/box_anchors.cuh"

namespace detseg {
namespace cpu {
namespace {

constexpr int64_t kBoxesPerThread = 1 << 15;

inline void store(float* o, const DsBox& b) {
  o[0] = b.x1;
  o[1] = b.y1;
  o[2] = b.x2;
  o[3] = b.y2;
}

}  // namespace

void anchor_grid_f32(const float* sizes, int nsizes, const float* ratios, int nratios, int64_t grid_h,
                     int64_t grid_w, int64_t stride_h, int64_t stride_w, float* out) {
  const int a_per_cell = nsizes * nratios;
  if (a_per_cell == 0 || grid_h <= 0 || grid_w <= 0) return;
  // The cell anchors once (ratio-major, as AnchorGenerator's ws/hs views), then shifted per cell.
  std::vector<DsBox> cells(a_per_cell);
  for (int r = 0; r < nratios; ++r) {
    for (int s = 0; s < nsizes; ++s) cells[r * nsizes + s] = ds_anchor_cell(sizes[s], ratios[r]);
  }
  const int64_t ncells = grid_h * grid_w;
  detail::parallel_ranges(ncells, std::max<int64_t>(1, kBoxesPerThread / a_per_cell), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const int64_t row = c / grid_w, col = c - row * grid_w;
      const int sx = (int)(col * stride_w), sy = (int)(row * stride_h);
      float* o = out + 4 * c * a_per_cell;
      for (int a = 0; a < a_per_cell; ++a) store(o + 4 * a, ds_anchor_shifted(cells[a], sx, sy));
    }
  });
}

void ssd_default_boxes_f32(const float* wh, int npairs, int64_t grid_h, int64_t grid_w, float x_f, float y_f,
                           float image_w, float image_h, float* out) {
  if (npairs == 0 || grid_h <= 0 || grid_w <= 0) return;
  const int64_t ncells = grid_h * grid_w;
  detail::parallel_ranges(ncells, std::max<int64_t>(1, kBoxesPerThread / npairs), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t c = lo; c < hi; ++c) {
      const int64_t row = c / grid_w, col = c - row * grid_w;
      float* o = out + 4 * c * npairs;
      for (int p = 0; p < npairs; ++p) {
        store(o + 4 * p, ds_ssd_default_box(row, col, x_f, y_f, wh[2 * p], wh[2 * p + 1], image_w, image_h));
      }
    }
  });
}

void yolo_decode_f32(const float* input, int64_t batch, int64_t num_anchors, int64_t k, int64_t grid_h,
                     int64_t grid_w, const float* anchors, float image_h, float image_w, float* out) {
  const int64_t hw = grid_h * grid_w;
  const int64_t planes = batch * num_anchors;  // one (image, anchor) pair = K input planes of hw values
  if (planes == 0 || hw == 0) return;
  const int64_t chunk = 256;                     // cells per task: K planes x 256 floats stay in L1/L2
  const int64_t chunks = (hw + chunk - 1) / chunk;
  const int64_t tasks = planes * chunks;
  detail::parallel_ranges(tasks, std::max<int64_t>(1, kBoxesPerThread / (chunk * std::max<int64_t>(k, 1))), 1,
                          [&](int64_t lo, int64_t hi) {
    for (int64_t t = lo; t < hi; ++t) {
      const int64_t plane = t / chunks, c0 = (t - plane * chunks) * chunk, c1 = std::min(hw, c0 + chunk);
      const int64_t a = plane % num_anchors;
      const float aw = anchors[2 * a], ah = anchors[2 * a + 1];
      const float* in = input + plane * k * hw;
      float* o = out + plane * hw * k;
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t row = c / grid_w, col = c - row * grid_w;
        const DsBox b = ds_yolo_box(in[c], in[hw + c], in[2 * hw + c], in[3 * hw + c], row, col, grid_h, grid_w, aw,
                                    ah, image_w, image_h);
        store(o + c * k, b);
      }
      for (int64_t ch = 4; ch < k; ++ch) {
        const float* p = in + ch * hw;
        for (int64_t c = c0; c < c1; ++c) o[c * k + ch] = ds_box_sigmoid(p[c]);
      }
    }
  });
}

}  // namespace cpu
}  // namespace detseg
