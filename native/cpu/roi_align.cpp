// CPU RoIAlign forward and backward (torchvision 0.14 semantics; formulas in detseg/roi_math.cuh).
//
// Plan, shared by every channel: bilinear interpolation is separable, so for each RoI the sample rows
// (bin row ph, sample iy) and the sample columns (pw, ix) are computed once, as two short tables of
// (neighbour pixels, weights), keeping only samples inside [-1, H] x [-1, W] (the others contribute 0).
// A sample's four corner weights are then products of one row entry and one column entry, exactly
// torchvision's hy*hx, hy*lx, ly*hx, ly*lx.
//
// Two paths, chosen per call by how densely the RoIs sample the map (kDenseForward / kDenseBackward):
//   - dense (the detector case): blocks of 32 channels of one image are transposed to channels-last
//     [H][W][32] with in-register 16x16 transposes; every sample then reads its four corners as
//     contiguous 32-float vectors (GCC vector types: zmm / ymm / xmm per SIMD variant) and the cost of a
//     sample is shared by 32 channels. Forward RoIs run in Z-order so the rows they read stay in L2.
//   - sparse: plane by plane, (channel block) -> (RoI) -> (channel) -> bins, blocks of planes sized to
//     stay in L2, scalar.
// Each lane performs exactly the scalar sequence of operations, so both paths, every SIMD variant and
// torchvision give the same floats. Threads (OpenMP, dynamic schedule) take units that own whole
// output elements (forward) or whole gradient planes (backward), so results never depend on the
// schedule, and each gradient pixel sums its shares in torchvision's order.

// No FMA contraction: every product and sum is rounded on its own, as in torchvision and the kernels.
#pragma GCC optimize("fp-contract=off")
// The 64-byte vector helpers below are always inlined; the note about their (never used) out-of-line
// calling convention without AVX-512 does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
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

// In-range samples per channel, summed over the selected RoIs: the work of one channel.
int64_t samples_per_channel(const AlignPlan& p, int pooled_h, int pooled_w) {
  int64_t total = 0;
  for (size_t i = 0; i < p.roi.size(); ++i) {
    const int64_t ny = p.ybin[i * (pooled_h + 1) + pooled_h] - p.ybin[i * (pooled_h + 1)];
    const int64_t nx = p.xbin[i * (pooled_w + 1) + pooled_w] - p.xbin[i * (pooled_w + 1)];
    total += ny * nx + (int64_t)pooled_h * pooled_w;
  }
  return total;
}

// ---- channels-last path -------------------------------------------------------------------------
// A block of kLanes channels of one image is transposed to [H][W][kLanes] once; then every sample
// reads its four corners as four contiguous kLanes-float vectors and updates kLanes accumulators
// (kVecs vectors of 16 floats), so the per-sample cost is shared by kLanes channels. Each lane
// runs exactly the scalar sequence of operations, so results are bit-identical to the scalar path
// and to torchvision. Pays when the RoIs sample the map densely enough to amortize the transposes
// (chosen by kDenseForward / kDenseBackward below); sparse calls use the scalar path above.
constexpr int kVecs = 2;                // vectors of 16 floats per pixel of a block
constexpr int kLanes = 16 * kVecs;      // channels per block

// 16 floats as one GCC vector: a zmm in the AVX-512 variant, two ymm in AVX2, four xmm in the baseline.
// Lane-wise arithmetic with fp-contract off, so every lane rounds exactly like the scalar formula.
typedef float DsV16 __attribute__((vector_size(64)));

DS_CPU_INLINE DsV16 v16_load(const float* p) {
  DsV16 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

DS_CPU_INLINE void v16_store(float* p, DsV16 v) { std::memcpy(p, &v, sizeof(v)); }

typedef int DsI16 __attribute__((vector_size(64)));

// In-register transpose of a 16x16 block (m[j][p] -> m[p][j]) in four butterfly stages: stage b swaps
// the off-diagonal b x b blocks of every 2b x 2b block (one two-input shuffle per row and stage).
template <int B>
DS_CPU_INLINE void v16_butterfly(DsV16* m) {
  DsI16 lo, hi;
  for (int q = 0; q < 16; ++q) {
    lo[q] = (q & B) ? 16 + (q - B) : q;
    hi[q] = (q & B) ? 16 + q : q + B;
  }
  for (int i = 0; i < 16; ++i) {
    if (i & B) continue;
    const DsV16 a = m[i], c = m[i + B];
    m[i] = __builtin_shuffle(a, c, lo);
    m[i + B] = __builtin_shuffle(a, c, hi);
  }
}

DS_CPU_INLINE void v16_transpose(DsV16* m) {
  v16_butterfly<8>(m);
  v16_butterfly<4>(m);
  v16_butterfly<2>(m);
  v16_butterfly<1>(m);
}

// planes [nc][hw] (NCHW, one image) -> t [hw][kLanes], lanes >= nc zero.
DS_CPU_INLINE void to_channels_last(const float* planes, int64_t nc, int64_t hw, float* t) {
  const int64_t full = hw / 16 * 16;
  for (int v = 0; v < kVecs; ++v) {
    for (int64_t p0 = 0; p0 < full; p0 += 16) {
      DsV16 m[16];
      for (int j = 0; j < 16; ++j) {
        const int64_t c = 16 * v + j;
        m[j] = c < nc ? v16_load(planes + c * hw + p0) : DsV16{};
      }
      v16_transpose(m);
      for (int q = 0; q < 16; ++q) v16_store(t + (p0 + q) * kLanes + 16 * v, m[q]);
    }
  }
  for (int64_t px = full; px < hw; ++px) {
    for (int64_t c = 0; c < kLanes; ++c) t[px * kLanes + c] = c < nc ? planes[c * hw + px] : 0.0f;
  }
}

// t [hw][kLanes] -> planes [nc][hw].
DS_CPU_INLINE void from_channels_last(const float* t, int64_t nc, int64_t hw, float* planes) {
  const int64_t full = hw / 16 * 16;
  for (int v = 0; v < kVecs; ++v) {
    if (16 * v >= nc) break;
    for (int64_t p0 = 0; p0 < full; p0 += 16) {
      DsV16 m[16];
      for (int q = 0; q < 16; ++q) m[q] = v16_load(t + (p0 + q) * kLanes + 16 * v);
      v16_transpose(m);
      for (int j = 0; j < 16; ++j) {
        const int64_t c = 16 * v + j;
        if (c < nc) v16_store(planes + c * hw + p0, m[j]);
      }
    }
  }
  for (int64_t px = full; px < hw; ++px) {
    for (int64_t c = 0; c < nc; ++c) planes[c * hw + px] = t[px * kLanes + c];
  }
}

// local [bins][kLanes] -> rows [nc][bins] (a RoI's output, channel-major).
DS_CPU_INLINE void lanes_to_rows(const float* local, int64_t nc, int64_t bins, float* rows) {
  const int64_t full = bins / 16 * 16;
  for (int v = 0; v < kVecs && 16 * v < nc; ++v) {
    for (int64_t b0 = 0; b0 < full; b0 += 16) {
      DsV16 m[16];
      for (int q = 0; q < 16; ++q) m[q] = v16_load(local + (b0 + q) * kLanes + 16 * v);
      v16_transpose(m);
      for (int j = 0; j < 16 && 16 * v + j < nc; ++j) v16_store(rows + (16 * v + j) * bins + b0, m[j]);
    }
  }
  for (int64_t j = 0; j < nc; ++j) {
    for (int64_t b = full; b < bins; ++b) rows[j * bins + b] = local[b * kLanes + j];
  }
}

// rows [nc][bins] -> local [bins][kLanes], lanes >= nc zero.
DS_CPU_INLINE void rows_to_lanes(const float* rows, int64_t nc, int64_t bins, float* local) {
  const int64_t full = bins / 16 * 16;
  for (int v = 0; v < kVecs; ++v) {
    for (int64_t b0 = 0; b0 < full; b0 += 16) {
      DsV16 m[16];
      for (int j = 0; j < 16; ++j) {
        const int64_t c = 16 * v + j;
        m[j] = c < nc ? v16_load(rows + c * bins + b0) : DsV16{};
      }
      v16_transpose(m);
      for (int q = 0; q < 16; ++q) v16_store(local + (b0 + q) * kLanes + 16 * v, m[q]);
    }
  }
  for (int64_t b = full; b < bins; ++b) {
    for (int64_t c = 0; c < kLanes; ++c) local[b * kLanes + c] = c < nc ? rows[c * bins + b] : 0.0f;
  }
}

struct BlockJob {
  const AlignPlan* plan;
  const int64_t* order;  // plan indices of the RoIs to run, in the order to run them
  int64_t m;
  int pooled_h, pooled_w;
  int64_t channels, c0, nc, hw;
};

DS_CPU_INLINE void forward_block_body(const BlockJob& job, const float* planes, float* t, float* local,
                                      float* output) {
  to_channels_last(planes, job.nc, job.hw, t);
  const AlignPlan& p = *job.plan;
  const int pooled_h = job.pooled_h, pooled_w = job.pooled_w;
  const int64_t bins = (int64_t)pooled_h * pooled_w;
  for (int64_t q = 0; q < job.m; ++q) {
    const int64_t i = job.order[q];
    const int64_t* yb = &p.ybin[i * (pooled_h + 1)];
    const int64_t* xb = &p.xbin[i * (pooled_w + 1)];
    const float count = p.count[i];
    for (int ph = 0; ph < pooled_h; ++ph) {
      for (int pw = 0; pw < pooled_w; ++pw) {
        DsV16 acc[kVecs];
        for (int v = 0; v < kVecs; ++v) acc[v] = DsV16{} ;
        for (int64_t yi = yb[ph]; yi < yb[ph + 1]; ++yi) {
          const AxisSample& y = p.ys[yi];
          const DsBilinearAxis ya = as_axis(y);
          for (int64_t xi = xb[pw]; xi < xb[pw + 1]; ++xi) {
            const AxisSample& x = p.xs[xi];
            const DsBilinearWeights w = ds_bilinear_weights(ya, as_axis(x));
            const float* t1 = t + (y.lo + x.lo) * kLanes;
            const float* t2 = t + (y.lo + x.hi) * kLanes;
            const float* t3 = t + (y.hi + x.lo) * kLanes;
            const float* t4 = t + (y.hi + x.hi) * kLanes;
            for (int v = 0; v < kVecs; ++v) {
              // ds_bilinear_combine, lane-wise: ((w1*v1 + w2*v2) + w3*v3) + w4*v4, then acc + that
              const DsV16 c = ((v16_load(t1 + 16 * v) * w.w1 + v16_load(t2 + 16 * v) * w.w2) +
                               v16_load(t3 + 16 * v) * w.w3) + v16_load(t4 + 16 * v) * w.w4;
              acc[v] = acc[v] + c;
            }
          }
        }
        float* l = local + ((int64_t)ph * pooled_w + pw) * kLanes;
        for (int v = 0; v < kVecs; ++v) v16_store(l + 16 * v, acc[v] / count);
      }
    }
    // [bin][lane] -> the RoI's [channel][bin] rows (contiguous for the block's channels)
    lanes_to_rows(local, job.nc, bins, output + (p.roi[i] * job.channels + job.c0) * bins);
  }
}
DS_CPU_VARIANTS(void, forward_block,
                (const BlockJob& job, const float* planes, float* t, float* local, float* output),
                (job, planes, t, local, output))

template <bool kPow2>
DS_CPU_INLINE void backward_roi(const BlockJob& job, int64_t i, const float* local, float* t) {
  const AlignPlan& p = *job.plan;
  const int pooled_h = job.pooled_h, pooled_w = job.pooled_w;
  const int64_t* yb = &p.ybin[i * (pooled_h + 1)];
  const int64_t* xb = &p.xbin[i * (pooled_w + 1)];
  const float count = p.count[i];
  const float inv = 1.0f / count;
  for (int ph = 0; ph < pooled_h; ++ph) {
    for (int pw = 0; pw < pooled_w; ++pw) {
      const float* gl = local + ((int64_t)ph * pooled_w + pw) * kLanes;
      DsV16 g[kVecs];
      for (int v = 0; v < kVecs; ++v) g[v] = v16_load(gl + 16 * v);
      for (int64_t yi = yb[ph]; yi < yb[ph + 1]; ++yi) {
        const AxisSample& y = p.ys[yi];
        const DsBilinearAxis ya = as_axis(y);
        for (int64_t xi = xb[pw]; xi < xb[pw + 1]; ++xi) {
          const AxisSample& x = p.xs[xi];
          const DsBilinearWeights w = ds_bilinear_weights(ya, as_axis(x));
          float* t1 = t + (y.lo + x.lo) * kLanes;
          float* t2 = t + (y.lo + x.hi) * kLanes;
          float* t3 = t + (y.hi + x.lo) * kLanes;
          float* t4 = t + (y.hi + x.hi) * kLanes;
          for (int v = 0; v < kVecs; ++v) {
            // torchvision's shares (g * w) / count; for count = 2^k, (g * w) * 2^-k is the same number
            DsV16 g1, g2, g3, g4;
            if (kPow2) {
              g1 = (g[v] * w.w1) * inv;
              g2 = (g[v] * w.w2) * inv;
              g3 = (g[v] * w.w3) * inv;
              g4 = (g[v] * w.w4) * inv;
            } else {
              g1 = (g[v] * w.w1) / count;
              g2 = (g[v] * w.w2) / count;
              g3 = (g[v] * w.w3) / count;
              g4 = (g[v] * w.w4) / count;
            }
            // one corner after the other: corners coincide at a clamped edge, and torchvision adds
            // them in this order
            v16_store(t1 + 16 * v, v16_load(t1 + 16 * v) + g1);
            v16_store(t2 + 16 * v, v16_load(t2 + 16 * v) + g2);
            v16_store(t3 + 16 * v, v16_load(t3 + 16 * v) + g3);
            v16_store(t4 + 16 * v, v16_load(t4 + 16 * v) + g4);
          }
        }
      }
    }
  }
}

DS_CPU_INLINE void backward_block_body(const BlockJob& job, const float* grad_output, float* t, float* local,
                                       float* planes) {
  for (int64_t px = 0; px < job.hw * kLanes; ++px) t[px] = 0.0f;
  const int64_t bins = (int64_t)job.pooled_h * job.pooled_w;
  for (int64_t q = 0; q < job.m; ++q) {
    const int64_t i = job.order[q];
    // the RoI's [channel][bin] gradient rows -> [bin][lane] (padding lanes 0)
    rows_to_lanes(grad_output + (job.plan->roi[i] * job.channels + job.c0) * bins, job.nc, bins, local);
    if (is_pow2(job.plan->count[i])) {
      backward_roi<true>(job, i, local, t);
    } else {
      backward_roi<false>(job, i, local, t);
    }
  }
  from_channels_last(t, job.nc, job.hw, planes);
}
DS_CPU_VARIANTS(void, backward_block,
                (const BlockJob& job, const float* grad_output, float* t, float* local, float* planes),
                (job, grad_output, t, local, planes))

// Channels-last pays once the RoIs take at least this many samples (plus bins) per pixel of the map:
// the crossovers measured on one core of the 2-core dev machine (1x256x200x272 map, 7x7 RoIs of
// 16-256 px at scale 1/4) were ~35 RoIs forward and ~110 RoIs backward, where the backward also
// zeroes and transposes back a gradient block.
constexpr double kDenseForward = 0.15;
constexpr double kDenseBackward = 0.5;

bool use_channels_last(const AlignPlan& p, const FeatureShape& s, int pooled_h, int pooled_w, double ratio) {
  const int64_t hw = s.h * s.w;
  if (hw == 0 || s.c == 0) return false;
  return (double)samples_per_channel(p, pooled_h, pooled_w) >= ratio * (double)(s.n * hw);
}

// Z-order (Morton) index of the 16x16-pixel cell holding a RoI's first sample: RoIs run in this order
// touch nearby pixels one after the other, so the block's rows they read stay in L2.
uint64_t locality_key(const AlignPlan& p, int64_t i, int pooled_h, int pooled_w, int64_t width) {
  const int64_t y0 = p.ybin[i * (pooled_h + 1)], x0 = p.xbin[i * (pooled_w + 1)];
  const bool any = y0 < p.ybin[i * (pooled_h + 1) + pooled_h] && x0 < p.xbin[i * (pooled_w + 1) + pooled_w];
  const uint64_t row = any ? (uint64_t)(p.ys[y0].lo / std::max<int64_t>(width, 1)) >> 4 : 0;
  const uint64_t col = any ? (uint64_t)p.xs[x0].lo >> 4 : 0;
  uint64_t key = 0;
  for (int bit = 0; bit < 24; ++bit) {
    key |= ((row >> bit) & 1) << (2 * bit + 1);
    key |= ((col >> bit) & 1) << (2 * bit);
  }
  return key;
}

// Scratch of one thread: hw * kLanes floats, 64-byte aligned.
struct Scratch {
  float* data = nullptr;
  explicit Scratch(int64_t floats) {
    data = static_cast<float*>(::operator new[](sizeof(float) * std::max<int64_t>(floats, 16), std::align_val_t(64)));
  }
  ~Scratch() { ::operator delete[](data, std::align_val_t(64)); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
};

int64_t plan_work(const AlignPlan& p, int pooled_h, int pooled_w, int64_t channels) {
  return samples_per_channel(p, pooled_h, pooled_w) * channels;
}

}  // namespace

void roi_align_forward_f32(const float* input, FeatureShape s, RoiSet rois, int pooled_h, int pooled_w,
                           float spatial_scale, int sampling_ratio, bool aligned, float* output) {
  const AlignPlan p = make_plan(rois, s, pooled_h, pooled_w, spatial_scale, sampling_ratio, aligned);
  const int64_t bins = (int64_t)pooled_h * pooled_w;
  for (int64_t k : p.invalid) std::memset(output + k * s.c * bins, 0, sizeof(float) * s.c * bins);
  const int64_t m = (int64_t)p.roi.size();
  if (m == 0 || s.c == 0) return;
  const int64_t hw = s.h * s.w;
  if (use_channels_last(p, s, pooled_h, pooled_w, kDenseForward)) {
    // RoIs of each image sorted by their first sample row, so consecutive RoIs read nearby rows of the
    // transposed block and those stay in L2 (outputs are per RoI: the order changes no result).
    std::vector<int64_t> order(m);
    for (int64_t i = 0; i < m; ++i) order[i] = i;
    std::vector<uint64_t> key(m);
    for (int64_t i = 0; i < m; ++i) key[i] = locality_key(p, i, pooled_h, pooled_w, s.w);
    for (int64_t b = 0; b < s.n; ++b) {
      std::stable_sort(order.begin() + p.image_begin[b], order.begin() + p.image_begin[b + 1],
                       [&](int64_t a, int64_t c) { return key[a] < key[c]; });
    }
    const int64_t nblocks = (s.c + kLanes - 1) / kLanes;
    const int nt = detail::threads_for(plan_work(p, pooled_h, pooled_w, s.c) + s.n * s.c * hw, kMinWorkPerThread);
    // Few channel blocks (small C): also split each image's RoIs, so every thread has work.
    const int64_t chunks = s.n * nblocks >= nt ? 1 : (nt + s.n * nblocks - 1) / (s.n * nblocks);
    const int64_t units = s.n * nblocks * chunks;
    static const auto block = DS_CPU_PICK(forward_block);
#pragma omp parallel num_threads(nt)
    {
      Scratch t(hw * kLanes);
      Scratch local(bins * kLanes);
#pragma omp for schedule(dynamic, 1)
      for (int64_t u = 0; u < units; ++u) {
        const int64_t chunk = u % chunks;
        const int64_t b = u / chunks / nblocks;
        const int64_t c0 = (u / chunks % nblocks) * kLanes;
        const int64_t begin = p.image_begin[b], count = p.image_begin[b + 1] - begin;
        const int64_t per = (count + chunks - 1) / chunks;
        const int64_t q0 = std::min(count, chunk * per), q1 = std::min(count, q0 + per);
        if (q0 >= q1) continue;
        const BlockJob job{&p, order.data() + begin + q0, q1 - q0, pooled_h, pooled_w, s.c, c0,
                           std::min<int64_t>(kLanes, s.c - c0), hw};
        block(job, input + (b * s.c + c0) * hw, t.data, local.data, output);
      }
    }
    return;
  }
  const int64_t cb = channel_block(s);
  const int64_t nblocks = (s.c + cb - 1) / cb;
  const int nt = detail::threads_for(plan_work(p, pooled_h, pooled_w, s.c), kMinWorkPerThread);
  // Enough units for the dynamic schedule to balance: split the RoIs when there are few channel blocks.
  const int64_t want = 4 * (int64_t)nt;
  const int64_t chunks = nblocks >= want ? 1 : std::min<int64_t>(m, (want + nblocks - 1) / nblocks);
  const int64_t per_chunk = (m + chunks - 1) / chunks;
  const int64_t units = nblocks * chunks;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t u = 0; u < units; ++u) {
    const int64_t c0 = (u % nblocks) * cb;
    const int64_t c1 = std::min(s.c, c0 + cb);
    const int64_t i0 = (u / nblocks) * per_chunk;
    const int64_t i1 = std::min(m, i0 + per_chunk);
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t k = p.roi[i];
      const int64_t* yb = &p.ybin[i * (pooled_h + 1)];
      const int64_t* xb = &p.xbin[i * (pooled_w + 1)];
      for (int64_t c = c0; c < c1; ++c) {
        forward_one(input + ((int64_t)p.batch[i] * s.c + c) * hw, output + (k * s.c + c) * bins, pooled_h,
                    pooled_w, p.ys.data(), yb, p.xs.data(), xb, p.count[i]);
      }
    }
  }
}

void roi_align_backward_f32(const float* grad_output, RoiSet rois, FeatureShape s, int pooled_h, int pooled_w,
                            float spatial_scale, int sampling_ratio, bool aligned, float* grad_input) {
  const AlignPlan p = make_plan(rois, s, pooled_h, pooled_w, spatial_scale, sampling_ratio, aligned);
  const int64_t bins = (int64_t)pooled_h * pooled_w;
  const int64_t hw = s.h * s.w;
  if (s.c == 0 || s.n == 0) return;
  const int64_t work = plan_work(p, pooled_h, pooled_w, s.c) + s.n * s.c * hw;  // zeroing is part of the job
  const int nt = detail::threads_for(work, kMinWorkPerThread);
  if (use_channels_last(p, s, pooled_h, pooled_w, kDenseBackward)) {
    // Threads own (image, 16-channel block) units; RoIs run in ascending order, as torchvision adds them.
    std::vector<int64_t> order(p.roi.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = (int64_t)i;
    const int64_t nblocks = (s.c + kLanes - 1) / kLanes;
    const int64_t units = s.n * nblocks;
    static const auto block = DS_CPU_PICK(backward_block);
#pragma omp parallel num_threads(nt)
    {
      Scratch t(hw * kLanes);
      Scratch local(bins * kLanes);
#pragma omp for schedule(dynamic, 1)
      for (int64_t u = 0; u < units; ++u) {
        const int64_t b = u / nblocks;
        const int64_t c0 = (u % nblocks) * kLanes;
        const int64_t begin = p.image_begin[b];
        const BlockJob job{&p, order.data() + begin, p.image_begin[b + 1] - begin, pooled_h, pooled_w, s.c, c0,
                           std::min<int64_t>(kLanes, s.c - c0), hw};
        block(job, grad_output, t.data, local.data, grad_input + (b * s.c + c0) * hw);
      }
    }
    return;
  }
  const int64_t cb = channel_block(s);
  const int64_t nblocks = (s.c + cb - 1) / cb;
  const int64_t units = s.n * nblocks;
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
