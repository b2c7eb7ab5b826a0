// U-Net pixel weight maps from instance label maps (Ronneberger et al. 2015, eq. 2; contract in
// docs/kernels/losses.md): w(x) = w_c(x) + w0 exp(-(d1(x) + d2(x))^2 / (2 sigma^2)).
//
// d_k(x), the Euclidean distance from pixel x to the nearest pixel of instance k, is an exact distance
// transform per instance: the squared 1-D transform along columns, then along rows, each by the lower
// envelope of parabolas (Felzenszwalb & Huttenlocher 2012), O(h w) per instance. Each background pixel
// keeps its two smallest distances. Instances are split between threads, each keeping its own
// (d1, d2) pair per pixel; the pairs are merged afterwards (the two smallest of a union do not depend
// on the order), so the result does not depend on the thread count.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <omp.h>

#include "cpu_simd.h"
#include "loss_ops.h"

namespace detseg {
namespace cpu {
namespace {

constexpr double kInf = 1e30;

// 1-D squared distance transform of f[0, len) with stride: d[i] = min_q (i - q)^2 + f[q].
void edt_1d(const double* f, int64_t len, double* d, int64_t* v, double* z) {
  int64_t k = 0;
  v[0] = 0;
  z[0] = -kInf;
  z[1] = kInf;
  for (int64_t q = 1; q < len; ++q) {
    if (f[q] >= kInf) continue;
    if (f[v[k]] >= kInf) {  // the envelope so far is only "infinite" parabolas: restart at q
      v[0] = q;
      k = 0;
      z[0] = -kInf;
      z[1] = kInf;
      continue;
    }
    double sp;
    while (true) {
      sp = ((f[q] + (double)q * q) - (f[v[k]] + (double)v[k] * v[k])) / (2.0 * (double)(q - v[k]));
      if (sp <= z[k] && k > 0) {
        --k;
      } else {
        break;
      }
    }
    ++k;
    v[k] = q;
    z[k] = sp;
    z[k + 1] = kInf;
  }
  if (f[v[0]] >= kInf) {  // no finite sample at all
    for (int64_t q = 0; q < len; ++q) d[q] = kInf;
    return;
  }
  k = 0;
  for (int64_t q = 0; q < len; ++q) {
    while (z[k + 1] < (double)q) ++k;
    const double dq = (double)q - (double)v[k];
    d[q] = dq * dq + f[v[k]];
  }
}

// Squared distance to the nearest pixel with mask != 0, into dist [h, w].
void edt_2d(const uint8_t* mask, int64_t h, int64_t w, double* dist, std::vector<double>& f, std::vector<double>& d,
            std::vector<int64_t>& v, std::vector<double>& z) {
  const int64_t m = std::max(h, w);
  f.resize(m);
  d.resize(m);
  v.resize(m);
  z.resize(m + 1);
  for (int64_t x = 0; x < w; ++x) {
    for (int64_t y = 0; y < h; ++y) f[y] = mask[y * w + x] ? 0.0 : kInf;
    edt_1d(f.data(), h, d.data(), v.data(), z.data());
    for (int64_t y = 0; y < h; ++y) dist[y * w + x] = d[y];
  }
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) f[x] = dist[y * w + x];
    edt_1d(f.data(), w, d.data(), v.data(), z.data());
    for (int64_t x = 0; x < w; ++x) dist[y * w + x] = d[x];
  }
}

void one_image(const int32_t* lab, int64_t h, int64_t w, float w0, float sigma, float wc_bg, float wc_fg, float* out) {
  const int64_t hw = h * w;
  std::vector<int32_t> ids;
  int64_t fg = 0;
  for (int64_t i = 0; i < hw; ++i) {
    if (lab[i] > 0) {
      ++fg;
      ids.push_back(lab[i]);
    }
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  const int64_t bg = hw - fg;
  float wb = wc_bg, wf = wc_fg;
  if (wc_bg < 0) {  // balanced: each class's pixels sum to hw / 2
    wb = bg > 0 ? (float)((double)hw / (2.0 * (double)bg)) : 0.0f;
    wf = fg > 0 ? (float)((double)hw / (2.0 * (double)fg)) : 0.0f;
  }
  for (int64_t i = 0; i < hw; ++i) out[i] = lab[i] > 0 ? wf : wb;
  const int64_t k = (int64_t)ids.size();
  if (k < 2 || bg == 0 || w0 == 0.0f) return;
  const int nt = std::max(1, std::min<int>(omp_get_max_threads(), (int)std::min<int64_t>(k, hw * k / (1 << 16) + 1)));
  // Per thread: the two smallest squared distances per pixel.
  std::vector<double> best(2 * (size_t)nt * hw, kInf);
#pragma omp parallel num_threads(nt)
  {
    const int tid = omp_get_thread_num();
    double* d1 = best.data() + (size_t)2 * tid * hw;
    double* d2 = d1 + hw;
    std::vector<uint8_t> mask(hw);
    std::vector<double> dist(hw), f, d, z;
    std::vector<int64_t> v;
#pragma omp for schedule(static)
    for (int64_t j = 0; j < k; ++j) {
      const int32_t id = ids[j];
      for (int64_t i = 0; i < hw; ++i) mask[i] = lab[i] == id;
      edt_2d(mask.data(), h, w, dist.data(), f, d, v, z);
      for (int64_t i = 0; i < hw; ++i) {
        const double q = dist[i];
        if (q < d1[i]) {
          d2[i] = d1[i];
          d1[i] = q;
        } else if (q < d2[i]) {
          d2[i] = q;
        }
      }
    }
  }
  const double inv = 1.0 / (2.0 * (double)sigma * (double)sigma);
  for (int64_t i = 0; i < hw; ++i) {
    if (lab[i] > 0) continue;
    double a = kInf, b = kInf;  // merge the threads' pairs: two smallest of the union
    for (int t = 0; t < nt; ++t) {
      const double* d1 = best.data() + (size_t)2 * t * hw;
      const double* d2 = d1 + hw;
      for (double q : {d1[i], d2[i]}) {
        if (q < a) {
          b = a;
          a = q;
        } else if (q < b) {
          b = q;
        }
      }
    }
    const double s = std::sqrt(a) + std::sqrt(b);
    out[i] = (float)((double)out[i] + (double)w0 * std::exp(-s * s * inv));
  }
}

}  // namespace

void unet_weight_map_f32(const int32_t* labels, int64_t n, int64_t h, int64_t w, float w0, float sigma, float wc_bg,
                         float wc_fg, float* out) {
  for (int64_t i = 0; i < n; ++i) one_image(labels + i * h * w, h, w, w0, sigma, wc_bg, wc_fg, out + i * h * w);
}

}  // namespace cpu
}  // namespace detseg
