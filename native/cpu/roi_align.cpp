// CPU RoIAlign forward and backward (torchvision 0.14 semantics; formulas in detseg/roi_math.cuh).
//
// Plan, shared by every channel: bilinear interpolation is separable, so for each RoI the sample rows
// (bin row ph, sample iy) and the sample columns (pw, ix) are computed once, as two short tables of
// (neighbour pixels, weights), keeping only samples inside [-1, H] x [-1, W] (the others contribute 0).
// A sample's four corner weights are then products of one row entry and one column entry, exactly
// torchvision's hy*hx, hy*lx, ly*hx, ly*lx.
//
// Memory order: the loop nest is (channel block) -> (RoI) -> (channel in block) -> bins, so a block of
// feature planes (sized to stay in L2) is reused by every RoI before the next block is touched;
// torchvision's RoI -> channel order streams the whole map through the cache once per RoI, which is
// what makes it slow. Threads (OpenMP, dynamic schedule) take units of work that own whole output
// elements (forward) or whole gradient planes (backward), so results never depend on the schedule.
//
// SIMD: the inner loop is four gathers from a plane per sample; vectorizing across samples or
// channels needs hardware gathers, which measured no faster than scalar loads here (docs/kernels/roi.md),
// so the loops stay scalar and the time goes into cache locality instead.

// No FMA contraction: every product and sum is rounded on its own, as in torchvision and the kernels.
#pragma GCC optimize("fp-contract=off")

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu_simd.h"
#include "detseg/roi_math.cuh"
#include "roi_ops.h"

namespace detseg {
namespace cpu {
namespace {

// One sample row or column: neighbour offsets inside a plane (rows premultiplied by W) and weights.
struct AxisSample {
  int64_t lo, hi;
  float l, h;
};

// Everything about the selected RoIs that does not depend on the channel.
struct AlignPlan {
  std::vector<int64_t> roi;           // selected RoIs, ordered by (image, index)
  std::vector<int> batch;             // image of each
  std::vector<float> count;           // divisor of each
  std::vector<int64_t> ybin, xbin;    // per RoI: pooled_h + 1 / pooled_w + 1 offsets into ys / xs
  std::vector<AxisSample> ys, xs;     // in-range sample rows / columns, grouped by bin, in order
  std::vector<int64_t> image_begin;   // n + 1: the RoIs of image b are roi[image_begin[b] .. image_begin[b+1])
  std::vector<int64_t> invalid;       // selected RoIs with an unusable batch index (written as zeros)
};

bool selected(const RoiSet& rois, int64_t k) { return rois.levels == nullptr || rois.levels[k] == rois.level; }

AlignPlan make_plan(const RoiSet& rois, const FeatureShape& s, int pooled_h, int pooled_w, float scale,
                    int sampling_ratio, bool aligned) {
  AlignPlan p;
  std::vector<DsRoiBox> boxes;
  std::vector<int64_t> per_image(s.n + 1, 0);
  for (int64_t k = 0; k < rois.num_rois; ++k) {
    if (!selected(rois, k)) continue;
    const DsRoiBox b = ds_roi_load(rois.boxes, rois.stride, rois.batch_indices, k, (int)s.n);
    if (b.batch < 0) {
      p.invalid.push_back(k);
      continue;
    }
    ++per_image[b.batch + 1];
  }
  for (int64_t b = 0; b < s.n; ++b) per_image[b + 1] += per_image[b];
  p.image_begin = per_image;
  const int64_t m = per_image[s.n];
  p.roi.resize(m);
  std::vector<int64_t> fill(per_image.begin(), per_image.end() - 1);
  for (int64_t k = 0; k < rois.num_rois; ++k) {  // a stable counting sort by image
    if (!selected(rois, k)) continue;
    const DsRoiBox b = ds_roi_load(rois.boxes, rois.stride, rois.batch_indices, k, (int)s.n);
    if (b.batch >= 0) p.roi[fill[b.batch]++] = k;
  }
  p.batch.resize(m);
  p.count.resize(m);
  p.ybin.resize(m * (pooled_h + 1));
  p.xbin.resize(m * (pooled_w + 1));
  const int H = (int)s.h, W = (int)s.w;
  for (int64_t i = 0; i < m; ++i) {
    const DsRoiBox b = ds_roi_load(rois.boxes, rois.stride, rois.batch_indices, p.roi[i], (int)s.n);
    const DsRoiAlignGeom g = ds_roi_align_geom(b, scale, pooled_h, pooled_w, sampling_ratio, aligned);
    p.batch[i] = b.batch;
    p.count[i] = g.count;
    int64_t* yb = &p.ybin[i * (pooled_h + 1)];
    for (int ph = 0; ph < pooled_h; ++ph) {
      yb[ph] = (int64_t)p.ys.size();
      for (int iy = 0; iy < g.grid_h; ++iy) {
        const float y = ds_roi_align_sample(g.start_h, g.bin_h, ph, iy, g.grid_h);
        if (!ds_bilinear_in_range(y, H)) continue;
        const DsBilinearAxis a = ds_bilinear_axis(y, H);
        p.ys.push_back({(int64_t)a.lo * W, (int64_t)a.hi * W, a.l, a.h});
      }
    }
    yb[pooled_h] = (int64_t)p.ys.size();
    int64_t* xb = &p.xbin[i * (pooled_w + 1)];
    for (int pw = 0; pw < pooled_w; ++pw) {
      xb[pw] = (int64_t)p.xs.size();
      for (int ix = 0; ix < g.grid_w; ++ix) {
        const float x = ds_roi_align_sample(g.start_w, g.bin_w, pw, ix, g.grid_w);
        if (!ds_bilinear_in_range(x, W)) continue;
        const DsBilinearAxis a = ds_bilinear_axis(x, W);
        p.xs.push_back({(int64_t)a.lo, (int64_t)a.hi, a.l, a.h});
      }
    }
    xb[pooled_w] = (int64_t)p.xs.size();
  }
  return p;
}

// Planes per channel block: as many as fit in ~1 MiB (half of this machine kind's 2 MiB L2), 1..16.
int64_t channel_block(const FeatureShape& s) {
  const int64_t plane = std::max<int64_t>(1, s.h * s.w * (int64_t)sizeof(float));
  return std::min<int64_t>(s.c, std::max<int64_t>(1, std::min<int64_t>(16, (1 << 20) / plane)));
}

DsBilinearAxis as_axis(const AxisSample& a) {
  DsBilinearAxis r;
  r.l = a.l;
  r.h = a.h;
  r.lo = 0;
  r.hi = 0;
  return r;
}

// Output bins of one (RoI, channel): average of the in-range samples of each bin.
void forward_one(const float* plane, float* out, int pooled_h, int pooled_w, const AxisSample* ys,
                 const int64_t* ybin, const AxisSample* xs, const int64_t* xbin, float count) {
  for (int ph = 0; ph < pooled_h; ++ph) {
    const AxisSample* y0 = ys + ybin[ph];
    const AxisSample* y1 = ys + ybin[ph + 1];
    for (int pw = 0; pw < pooled_w; ++pw) {
      const AxisSample* x0 = xs + xbin[pw];
      const AxisSample* x1 = xs + xbin[pw + 1];
      float acc = 0.0f;
      for (const AxisSample* y = y0; y < y1; ++y) {
        const DsBilinearAxis ya = as_axis(*y);
        const float* r_lo = plane + y->lo;
        const float* r_hi = plane + y->hi;
        for (const AxisSample* x = x0; x < x1; ++x) {
          const DsBilinearWeights w = ds_bilinear_weights(ya, as_axis(*x));
          acc += ds_bilinear_combine(w, r_lo[x->lo], r_lo[x->hi], r_hi[x->lo], r_hi[x->hi]);
        }
      }
      out[ph * pooled_w + pw] = acc / count;
    }
  }
}

// Gradient of one (RoI, channel) added into its plane, torchvision's order and shares. When count is a
// power of two, (g * w) / count == (g * w) * (1 / count) exactly, and the multiply is much cheaper.
template <bool kPow2>
void backward_one(float* plane, const float* grad, int pooled_h, int pooled_w, const AxisSample* ys,
                  const int64_t* ybin, const AxisSample* xs, const int64_t* xbin, float count) {
  const float inv = 1.0f / count;
  for (int ph = 0; ph < pooled_h; ++ph) {
    const AxisSample* y0 = ys + ybin[ph];
    const AxisSample* y1 = ys + ybin[ph + 1];
    for (int pw = 0; pw < pooled_w; ++pw) {
      const float g = grad[ph * pooled_w + pw];
      const AxisSample* x0 = xs + xbin[pw];
      const AxisSample* x1 = xs + xbin[pw + 1];
      for (const AxisSample* y = y0; y < y1; ++y) {
        const DsBilinearAxis ya = as_axis(*y);
        float* r_lo = plane + y->lo;
        float* r_hi = plane + y->hi;
        for (const AxisSample* x = x0; x < x1; ++x) {
          const DsBilinearWeights w = ds_bilinear_weights(ya, as_axis(*x));
          float g1, g2, g3, g4;
          if (kPow2) {
            g1 = (g * w.w1) * inv;
            g2 = (g * w.w2) * inv;
            g3 = (g * w.w3) * inv;
            g4 = (g * w.w4) * inv;
          } else {
            g1 = ds_roi_align_grad_share(g, w.w1, count);
            g2 = ds_roi_align_grad_share(g, w.w2, count);
            g3 = ds_roi_align_grad_share(g, w.w3, count);
            g4 = ds_roi_align_grad_share(g, w.w4, count);
          }
          r_lo[x->lo] += g1;
          r_lo[x->hi] += g2;
          r_hi[x->lo] += g3;
          r_hi[x->hi] += g4;
        }
      }
    }
  }
}

bool is_pow2(float c) {
  int e;
  return std::frexp(c, &e) == 0.5f;
}

// Sample-channel products below which a second thread does not pay (~0.1 ms of work).
constexpr int64_t kMinWorkPerThread = 1 << 17;

int64_t plan_work(const AlignPlan& p, int pooled_h, int pooled_w, int64_t channels) {
  // rough: in-range samples per RoI times channels
  const int64_t m = (int64_t)p.roi.size();
  if (m == 0) return 0;
  const int64_t per_roi = (int64_t)(p.ys.size() / m + 1) * (int64_t)(p.xs.size() / m + 1);
  return per_roi * m * channels + (int64_t)pooled_h * pooled_w * m * channels;
}

}  // namespace

void roi_align_forward_f32(const float* input, FeatureShape s, RoiSet rois, int pooled_h, int pooled_w,
                           float spatial_scale, int sampling_ratio, bool aligned, float* output) {
  const AlignPlan p = make_plan(rois, s, pooled_h, pooled_w, spatial_scale, sampling_ratio, aligned);
  const int64_t bins = (int64_t)pooled_h * pooled_w;
  for (int64_t k : p.invalid) std::memset(output + k * s.c * bins, 0, sizeof(float) * s.c * bins);
  const int64_t m = (int64_t)p.roi.size();
  if (m == 0 || s.c == 0) return;
  const int64_t cb = channel_block(s);
  const int64_t nblocks = (s.c + cb - 1) / cb;
  const int nt = detail::threads_for(plan_work(p, pooled_h, pooled_w, s.c), kMinWorkPerThread);
  // Enough units for the dynamic schedule to balance: split the RoIs when there are few channel blocks.
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
      const AxisSample* ys = p.ys.data();
      const AxisSample* xs = p.xs.data();
      const int64_t* yb = &p.ybin[i * (pooled_h + 1)];
      const int64_t* xb = &p.xbin[i * (pooled_w + 1)];
      for (int64_t c = c0; c < c1; ++c) {
        forward_one(input + ((int64_t)p.batch[i] * s.c + c) * hw, output + (k * s.c + c) * bins, pooled_h,
                    pooled_w, ys, yb, xs, xb, p.count[i]);
      }
    }
  }
}

void roi_align_backward_f32(const float* grad_output, RoiSet rois, FeatureShape s, int pooled_h, int pooled_w,
                            float spatial_scale, int sampling_ratio, bool aligned, float* grad_input) {
  const AlignPlan p = make_plan(rois, s, pooled_h, pooled_w, spatial_scale, sampling_ratio, aligned);
  const int64_t bins = (int64_t)pooled_h * pooled_w;
  const int64_t hw = s.h * s.w;
  const int64_t cb = channel_block(s);
  const int64_t nblocks = s.c == 0 ? 0 : (s.c + cb - 1) / cb;
  const int64_t units = s.n * nblocks;
  const int64_t zero_work = s.n * s.c * hw / 16;  // zeroing is part of the job
  const int nt = detail::threads_for(plan_work(p, pooled_h, pooled_w, s.c) + zero_work, kMinWorkPerThread);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t u = 0; u < units; ++u) {
    const int64_t b = u / nblocks;
    const int64_t c0 = (u % nblocks) * cb;
    const int64_t c1 = std::min(s.c, c0 + cb);
    float* planes = grad_input + (b * s.c + c0) * hw;
    std::memset(planes, 0, sizeof(float) * (c1 - c0) * hw);
    for (int64_t i = p.image_begin[b]; i < p.image_begin[b + 1]; ++i) {
      const int64_t k = p.roi[i];
      const int64_t* yb = &p.ybin[i * (pooled_h + 1)];
      const int64_t* xb = &p.xbin[i * (pooled_w + 1)];
      const float count = p.count[i];
      const bool pow2 = is_pow2(count);
      for (int64_t c = c0; c < c1; ++c) {
        float* plane = grad_input + (b * s.c + c) * hw;
        const float* g = grad_output + (k * s.c + c) * bins;
        if (pow2) {
          backward_one<true>(plane, g, pooled_h, pooled_w, p.ys.data(), yb, p.xs.data(), xb, count);
        } else {
          backward_one<false>(plane, g, pooled_h, pooled_w, p.ys.data(), yb, p.xs.data(), xb, count);
        }
      }
    }
  }
}

void roi_fpn_levels_f32(RoiSet rois, int k_min, int k_max, float canonical_scale, float canonical_level, float eps,
                        int* levels) {
  for (int64_t k = 0; k < rois.num_rois; ++k) {
    // the batch index plays no part in the level (any positive count keeps ds_roi_load happy)
    const DsRoiBox b = ds_roi_load(rois.boxes, rois.stride, rois.batch_indices, k, 1);
    levels[k] = ds_roi_fpn_level(b, k_min, k_max, canonical_scale, canonical_level, eps);
  }
}

int64_t roi_first_bad_batch_f32(const float* boxes, int64_t num_rois, int64_t stride, int n) {
  for (int64_t k = 0; k < num_rois; ++k) {
    if (!ds_roi_batch_ok(boxes[k * stride], n)) return k;
  }
  return -1;
}

int64_t roi_first_out_of_range_i32(const int* v, int64_t count, int lo, int hi) {
  for (int64_t i = 0; i < count; ++i) {
    if (v[i] < lo || v[i] >= hi) return i;
  }
  return -1;
}

}  // namespace cpu
}  // namespace detseg
