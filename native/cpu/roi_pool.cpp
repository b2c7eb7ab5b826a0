// CPU RoIPool forward (max with argmax) and backward (through argmax), torchvision 0.14 semantics;
// bins come from detseg/roi_math.cuh, shared with the CUDA kernels.
//
// Bin bounds depend only on the RoI, so they are computed once per RoI and reused by every channel.
// As in roi_align.cpp, work is (channel block) -> (RoI) -> (channel) so a block of planes stays in L2,
// and backward threads own whole gradient planes: each pixel adds its shares in torchvision's order
// (RoI, bin row, bin column), deterministically and bit-equal to torchvision.
#include <omp.h>

#include <algorithm>
#include <cfloat>
#include <cstring>
#include <vector>

#include "cpu_simd.h"
#include "detseg/roi_math.cuh"
#include "roi_ops.h"

namespace detseg {
namespace cpu {
namespace {

struct PoolPlan {
  std::vector<int64_t> roi;          // by (image, index)
  std::vector<int> batch;
  std::vector<int> hs, he, ws, we;   // per RoI: pooled_h (rows) / pooled_w (columns) bin bounds
  std::vector<int64_t> image_begin;  // n + 1
  std::vector<int64_t> invalid;      // unusable batch index: output 0, argmax -1
};

PoolPlan make_plan(const RoiSet& rois, const FeatureShape& s, int pooled_h, int pooled_w, float scale) {
  PoolPlan p;
  std::vector<int64_t> per_image(s.n + 1, 0);
  for (int64_t k = 0; k < rois.num_rois; ++k) {
    const DsRoiBox b = ds_roi_load(rois.boxes, rois.stride, rois.batch_indices, k, (int)s.n);
    if (b.batch < 0) {
      p.invalid.push_back(k);
    } else {
      ++per_image[b.batch + 1];
    }
  }
  for (int64_t b = 0; b < s.n; ++b) per_image[b + 1] += per_image[b];
  p.image_begin = per_image;
  const int64_t m = per_image[s.n];
  p.roi.resize(m);
  std::vector<int64_t> fill(per_image.begin(), per_image.end() - 1);
  for (int64_t k = 0; k < rois.num_rois; ++k) {
    const DsRoiBox b = ds_roi_load(rois.boxes, rois.stride, rois.batch_indices, k, (int)s.n);
    if (b.batch >= 0) p.roi[fill[b.batch]++] = k;
  }
  p.batch.resize(m);
  p.hs.resize(m * pooled_h);
  p.he.resize(m * pooled_h);
  p.ws.resize(m * pooled_w);
  p.we.resize(m * pooled_w);
  for (int64_t i = 0; i < m; ++i) {
    const DsRoiBox b = ds_roi_load(rois.boxes, rois.stride, rois.batch_indices, p.roi[i], (int)s.n);
    const DsRoiPoolGeom g = ds_roi_pool_geom(b, scale, pooled_h, pooled_w);
    p.batch[i] = b.batch;
    for (int ph = 0; ph < pooled_h; ++ph) {
      ds_roi_pool_bin(g.start_h, g.bin_h, ph, (int)s.h, g.valid, &p.hs[i * pooled_h + ph], &p.he[i * pooled_h + ph]);
    }
    for (int pw = 0; pw < pooled_w; ++pw) {
      ds_roi_pool_bin(g.start_w, g.bin_w, pw, (int)s.w, g.valid, &p.ws[i * pooled_w + pw], &p.we[i * pooled_w + pw]);
    }
  }
  return p;
}

int64_t channel_block(const FeatureShape& s) {
  const int64_t plane = std::max<int64_t>(1, s.h * s.w * (int64_t)sizeof(float));
  return std::min<int64_t>(s.c, std::max<int64_t>(1, std::min<int64_t>(16, (1 << 20) / plane)));
}

constexpr int64_t kMinWorkPerThread = 1 << 17;

}  // namespace

void roi_pool_forward_f32(const float* input, FeatureShape s, RoiSet rois, int pooled_h, int pooled_w,
                          float spatial_scale, float* output, int* argmax) {
  const PoolPlan p = make_plan(rois, s, pooled_h, pooled_w, spatial_scale);
  const int64_t bins = (int64_t)pooled_h * pooled_w;
  for (int64_t k : p.invalid) {
    std::memset(output + k * s.c * bins, 0, sizeof(float) * s.c * bins);
    std::fill(argmax + k * s.c * bins, argmax + (k + 1) * s.c * bins, -1);
  }
  const int64_t m = (int64_t)p.roi.size();
  if (m == 0 || s.c == 0) return;
  // work: every pixel of every bin, per channel (bins overlap, so this can exceed the RoI's area)
  int64_t area = 0;
  for (int64_t i = 0; i < m; ++i) {
    int64_t rows = 0, cols = 0;
    for (int ph = 0; ph < pooled_h; ++ph) rows += std::max(0, p.he[i * pooled_h + ph] - p.hs[i * pooled_h + ph]);
    for (int pw = 0; pw < pooled_w; ++pw) cols += std::max(0, p.we[i * pooled_w + pw] - p.ws[i * pooled_w + pw]);
    area += rows * cols + bins;
  }
  const int nt = detail::threads_for(area * s.c, kMinWorkPerThread);
  const int64_t cb = channel_block(s);
  const int64_t nblocks = (s.c + cb - 1) / cb;
  const int64_t want = 4 * (int64_t)nt;
  const int64_t chunks = nblocks >= want ? 1 : std::min<int64_t>(m, (want + nblocks - 1) / nblocks);
  const int64_t per_chunk = (m + chunks - 1) / chunks;
  const int64_t units = nblocks * chunks;
  const int64_t hw = s.h * s.w;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t u = 0; u < units; ++u) {
    const int64_t c0 = (u % nblocks) * cb;
    const int64_t c1 = std::min(s.c, c0 + cb);
    const int64_t i0 = (u / nblocks) * per_chunk;
    const int64_t i1 = std::min(m, i0 + per_chunk);
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t k = p.roi[i];
      const int* hs = &p.hs[i * pooled_h];
      const int* he = &p.he[i * pooled_h];
      const int* ws = &p.ws[i * pooled_w];
      const int* we = &p.we[i * pooled_w];
      for (int64_t c = c0; c < c1; ++c) {
        const float* plane = input + ((int64_t)p.batch[i] * s.c + c) * hw;
        float* out = output + (k * s.c + c) * bins;
        int* arg = argmax + (k * s.c + c) * bins;
        for (int ph = 0; ph < pooled_h; ++ph) {
          for (int pw = 0; pw < pooled_w; ++pw) {
            const bool empty = he[ph] <= hs[ph] || we[pw] <= ws[pw];
            float maxval = empty ? 0.0f : -FLT_MAX;  // torchvision: an empty bin is 0, argmax -1
            int64_t maxidx = -1;
            for (int h = hs[ph]; h < he[ph]; ++h) {
              const float* row = plane + (int64_t)h * s.w;
              for (int w = ws[pw]; w < we[pw]; ++w) {
                if (row[w] > maxval) {  // strict: the first maximum wins, NaN never does
                  maxval = row[w];
                  maxidx = (int64_t)h * s.w + w;
                }
              }
            }
            out[ph * pooled_w + pw] = maxval;
            arg[ph * pooled_w + pw] = (int)maxidx;
          }
        }
      }
    }
  }
}

void roi_pool_backward_f32(const float* grad_output, const int* argmax, RoiSet rois, FeatureShape s, int pooled_h,
                           int pooled_w, float* grad_input) {
  // Bins are not needed: argmax says where each gradient goes. Only the image of each RoI matters.
  std::vector<int64_t> per_image(s.n + 1, 0);
  for (int64_t k = 0; k < rois.num_rois; ++k) {
    const DsRoiBox b = ds_roi_load(rois.boxes, rois.stride, rois.batch_indices, k, (int)s.n);
    if (b.batch >= 0) ++per_image[b.batch + 1];
  }
  for (int64_t b = 0; b < s.n; ++b) per_image[b + 1] += per_image[b];
  std::vector<int64_t> order(per_image[s.n]);
  std::vector<int64_t> fill(per_image.begin(), per_image.end() - 1);
  for (int64_t k = 0; k < rois.num_rois; ++k) {
    const DsRoiBox b = ds_roi_load(rois.boxes, rois.stride, rois.batch_indices, k, (int)s.n);
    if (b.batch >= 0) order[fill[b.batch]++] = k;
  }
  const int64_t bins = (int64_t)pooled_h * pooled_w;
  const int64_t hw = s.h * s.w;
  const int64_t cb = channel_block(s);
  const int64_t nblocks = s.c == 0 ? 0 : (s.c + cb - 1) / cb;
  const int64_t units = s.n * nblocks;
  const int nt = detail::threads_for(s.n * s.c * hw / 16 + (int64_t)order.size() * s.c * bins, kMinWorkPerThread);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t u = 0; u < units; ++u) {
    const int64_t b = u / nblocks;
    const int64_t c0 = (u % nblocks) * cb;
    const int64_t c1 = std::min(s.c, c0 + cb);
    std::memset(grad_input + (b * s.c + c0) * hw, 0, sizeof(float) * (c1 - c0) * hw);
    for (int64_t i = per_image[b]; i < per_image[b + 1]; ++i) {
      const int64_t k = order[i];
      for (int64_t c = c0; c < c1; ++c) {
        float* plane = grad_input + (b * s.c + c) * hw;
        const float* g = grad_output + (k * s.c + c) * bins;
        const int* a = argmax + (k * s.c + c) * bins;
        for (int64_t j = 0; j < bins; ++j) {
          if (a[j] >= 0 && a[j] < hw) plane[a[j]] += g[j];
        }
      }
    }
  }
}

}  // namespace cpu
}  // namespace detseg
