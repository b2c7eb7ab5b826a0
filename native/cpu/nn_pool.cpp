// CPU pooling: max (with argmax) and average pooling, adaptive and global pooling, max unpooling, and
// their backwards. Window rules: kernels/include/detseg/nn_pool_math.cuh (shared with the CUDA
// kernels), PyTorch 1.13 semantics.
//
// Forward max/avg pooling works one output row at a time and vectorizes ACROSS the row: for each input
// row of the window and each kernel column kw, the outputs whose tap lands inside the input form one
// contiguous range of ow, and their inputs are row[ow * sW + kw * dW - pL] (unit stride or a
// fixed stride that GCC turns into permutes), so the running max / index (or sum) of a whole output row
// is updated with compare-blend (or add) vectors. The per-output candidate order is PyTorch's (input
// rows, then columns), so values, argmax ties and NaN handling match its scalar loop exactly.
// Backwards scatter per plane in output order, which is also the order the CUDA gather sums in.
// No FMA contraction: the AVX2/AVX-512 variants must give the scalar variant's bits (cpu_simd.h), and
// the simulator's host build of the kernels rounds every operation too. Before every include, so inline
// functions of the shared headers get the same options.
#pragma GCC optimize("fp-contract=off")

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cpu_simd.h"
#include "detseg/nn_pool_math.cuh"
#include "nn_ops.h"

namespace detseg {
namespace cpu {
namespace nn {
namespace {

// Output elements per thread worth a fork/join (a few microseconds of work).
constexpr int64_t kMinOutputsPerThread = 1 << 13;

// Runs f(lo, hi) over [0, n) items in contiguous per-thread ranges; work_per_item sizes the split.
template <class F>
void parallel_items(int64_t n, int64_t work_per_item, F&& f) {
  const int64_t per = std::max<int64_t>(1, kMinOutputsPerThread / std::max<int64_t>(1, work_per_item));
  detail::parallel_ranges(n, per, 1, f);
}

// ---- max pooling, one output row ---------------------------------------------------------------------
DS_CPU_INLINE void max_row_body(const float* xp, float* y, int32_t* ind, const int* iw0col, int oh, const Pool2d* gp) {
  const Pool2d& g = *gp;
  const int hs = oh * g.sH - g.pT;
  const int ih0 = ds_nn_first_valid_tap(hs, g.dH);
  const int ih1 = std::min(hs + (g.kH - 1) * g.dH + 1, g.H);
  const float ninf = -std::numeric_limits<float>::infinity();
  for (int ow = 0; ow < g.outW; ++ow) {
    y[ow] = ninf;
    ind[ow] = ih0 * g.W + iw0col[ow];
  }
  for (int ih = ih0; ih < ih1; ih += g.dH) {
    const float* row = xp + (int64_t)ih * g.W;
    const int base = ih * g.W;
    for (int kw = 0; kw < g.kW; ++kw) {
      const int t = kw * g.dW - g.pL;
      const int lo = std::max(0, ds_nn_ceildiv(-t, g.sW));
      const int hi = std::min(g.outW - 1, ds_nn_floordiv(g.W - 1 - t, g.sW));
      if (g.sW == 1) {
        for (int ow = lo; ow <= hi; ++ow) {
          const float v = row[ow + t];
          const float m = y[ow];
          const bool b = v > m || v != v;
          y[ow] = b ? v : m;
          ind[ow] = b ? base + ow + t : ind[ow];
        }
      } else if (g.sW == 2) {
        for (int ow = lo; ow <= hi; ++ow) {
          const float v = row[2 * ow + t];
          const float m = y[ow];
          const bool b = v > m || v != v;
          y[ow] = b ? v : m;
          ind[ow] = b ? base + 2 * ow + t : ind[ow];
        }
      } else {
        const int s = g.sW;
        for (int ow = lo; ow <= hi; ++ow) {
          const float v = row[s * ow + t];
          const float m = y[ow];
          const bool b = v > m || v != v;
          y[ow] = b ? v : m;
          ind[ow] = b ? base + s * ow + t : ind[ow];
        }
      }
    }
  }
}
DS_CPU_VARIANTS(void, max_row, (const float* xp, float* y, int32_t* ind, const int* iw0col, int oh, const Pool2d* g),
                (xp, y, ind, iw0col, oh, g))

// ---- average pooling, one output row -----------------------------------------------------------------
// wspan/wcnt: per output column, the padded-window width and the clipped width.
DS_CPU_INLINE void avg_row_body(const float* xp, float* y, const int* wspan, const int* wcnt, int oh, const Pool2d* gp,
                                int count_include_pad, int divisor_override) {
  const Pool2d& g = *gp;
  const ds_nn_avg_axis ah = ds_nn_avg_window(oh, g.kH, g.sH, g.pT, g.H, g.limH);
  for (int ow = 0; ow < g.outW; ++ow) y[ow] = 0.0f;
  if (ah.lo >= ah.hi) return;
  for (int ih = ah.lo; ih < ah.hi; ++ih) {
    const float* row = xp + (int64_t)ih * g.W;
    for (int kw = 0; kw < g.kW; ++kw) {
      const int t = kw - g.pL;
      const int lo = std::max(0, ds_nn_ceildiv(-t, g.sW));
      const int hi = std::min(g.outW - 1, ds_nn_floordiv(g.W - 1 - t, g.sW));
      if (g.sW == 1) {
        for (int ow = lo; ow <= hi; ++ow) y[ow] += row[ow + t];
      } else if (g.sW == 2) {
        for (int ow = lo; ow <= hi; ++ow) y[ow] += row[2 * ow + t];
      } else {
        const int s = g.sW;
        for (int ow = lo; ow <= hi; ++ow) y[ow] += row[s * ow + t];
      }
    }
  }
  const int hspan = ah.span, hcnt = ah.hi - ah.lo;
  for (int ow = 0; ow < g.outW; ++ow) {
    const int div = divisor_override != 0 ? divisor_override
                                          : (count_include_pad ? hspan * wspan[ow] : hcnt * wcnt[ow]);
    y[ow] = wcnt[ow] > 0 ? y[ow] / (float)div : 0.0f;
  }
}
DS_CPU_VARIANTS(void, avg_row,
                (const float* xp, float* y, const int* wspan, const int* wcnt, int oh, const Pool2d* g, int cip, int dov),
                (xp, y, wspan, wcnt, oh, g, cip, dov))

// ---- plane sums for global average pooling -----------------------------------------------------------
constexpr int kLanes = 32;
DS_CPU_INLINE float plane_sum_body(const float* x, int64_t n) {
  float lane[kLanes];
  for (int j = 0; j < kLanes; ++j) lane[j] = 0.0f;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lane[j] += x[i + j];
  for (int j = 0; i + j < n; ++j) lane[j] += x[i + j];
  for (int w = kLanes / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) lane[j] += lane[j + w];
  return lane[0];
}
DS_CPU_VARIANTS(float, plane_sum, (const float* x, int64_t n), (x, n))

// n / d for 0 <= n < 2^32 by one multiply (Lemire et al.'s M = floor(2^64 / d) + 1, exact for 32-bit n
// and d): the backwards divide every recorded index by W.
struct FastDiv {
  uint64_t m;
  explicit FastDiv(uint32_t d) : m(~uint64_t(0) / d + 1) {}
  uint32_t div(uint32_t n) const { return (uint32_t)(((unsigned __int128)m * n) >> 64); }
};

}  // namespace

void max_pool2d_f32(const float* x, float* y, int32_t* ind, const Pool2d& g) {
  static const auto fn = DS_CPU_PICK(max_row);
  std::vector<int> iw0col(g.outW);
  for (int ow = 0; ow < g.outW; ++ow) iw0col[ow] = ds_nn_first_valid_tap(ow * g.sW - g.pL, g.dW);
  const int64_t rows = g.planes * g.outH;
  parallel_items(rows, (int64_t)g.outW * g.kH * g.kW, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t p = r / g.outH;
      const int oh = (int)(r - p * g.outH);
      fn(x + p * g.H * (int64_t)g.W, y + r * g.outW, ind + r * g.outW, iw0col.data(), oh, &g);
    }
  });
}

void avg_pool2d_f32(const float* x, float* y, const Pool2d& g, int count_include_pad, int divisor_override) {
  static const auto fn = DS_CPU_PICK(avg_row);
  std::vector<int> wspan(g.outW), wcnt(g.outW);
  for (int ow = 0; ow < g.outW; ++ow) {
    const ds_nn_avg_axis aw = ds_nn_avg_window(ow, g.kW, g.sW, g.pL, g.W, g.limW);
    wspan[ow] = aw.span;
    wcnt[ow] = std::max(0, aw.hi - aw.lo);
  }
  const int64_t rows = g.planes * g.outH;
  parallel_items(rows, (int64_t)g.outW * g.kH * g.kW, [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t p = r / g.outH;
      const int oh = (int)(r - p * g.outH);
      fn(x + p * g.H * (int64_t)g.W, y + r * g.outW, wspan.data(), wcnt.data(), oh, &g, count_include_pad,
         divisor_override);
    }
  });
}

void max_pool2d_backward_f32(const float* grad, const int32_t* ind, float* gi, const Pool2d& g) {
  const int in_plane = g.H * g.W, out_plane = g.outH * g.outW;
  const int extH = (g.kH - 1) * g.dH + 1, extW = (g.kW - 1) * g.dW + 1;
  const FastDiv byW((uint32_t)g.W);
  parallel_items(g.planes, (int64_t)in_plane + out_plane, [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      float* gip = gi + p * in_plane;
      const float* gp = grad + p * out_plane;
      const int32_t* ip = ind + p * out_plane;
      std::memset(gip, 0, sizeof(float) * (size_t)in_plane);
      for (int oh = 0; oh < g.outH; ++oh) {
        const int hs = oh * g.sH - g.pT;
        const int32_t* irow = ip + oh * g.outW;
        const float* grow = gp + oh * g.outW;
        for (int ow = 0, ws = -g.pL; ow < g.outW; ++ow, ws += g.sW) {
          const int idx = irow[ow];
          const int ih = (int)byW.div((uint32_t)idx), iw = idx - ih * g.W;
          // unsigned compares: in the plane, and inside this output's window extent
          const bool ok = (uint32_t)idx < (uint32_t)in_plane && (uint32_t)(ih - hs) < (uint32_t)extH &&
                          (uint32_t)(iw - ws) < (uint32_t)extW;
          if (ok) gip[idx] += grow[ow];
        }
      }
    }
  });
}

void avg_pool2d_backward_f32(const float* grad, float* gi, const Pool2d& g, int count_include_pad,
                             int divisor_override) {
  const int in_plane = g.H * g.W, out_plane = g.outH * g.outW;
  parallel_items(g.planes, (int64_t)in_plane + (int64_t)out_plane * g.kH * g.kW, [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      float* gip = gi + p * in_plane;
      const float* gp = grad + p * out_plane;
      std::memset(gip, 0, sizeof(float) * (size_t)in_plane);
      for (int oh = 0; oh < g.outH; ++oh) {
        const ds_nn_avg_axis ah = ds_nn_avg_window(oh, g.kH, g.sH, g.pT, g.H, g.limH);
        for (int ow = 0; ow < g.outW; ++ow) {
          const ds_nn_avg_axis aw = ds_nn_avg_window(ow, g.kW, g.sW, g.pL, g.W, g.limW);
          if (ah.lo >= ah.hi || aw.lo >= aw.hi) continue;
          const float d = gp[oh * g.outW + ow] / (float)ds_nn_avg_divisor(ah, aw, count_include_pad, divisor_override);
          for (int ih = ah.lo; ih < ah.hi; ++ih) {
            float* r = gip + ih * g.W;
            for (int iw = aw.lo; iw < aw.hi; ++iw) r[iw] += d;
          }
        }
      }
    }
  });
}

void adaptive_avg_pool2d_f32(const float* x, float* y, int64_t planes, int H, int W, int outH, int outW) {
  const int64_t in_plane = (int64_t)H * W;
  if (outH == 1 && outW == 1) {  // PyTorch: mean over H, W
    static const auto fn = DS_CPU_PICK(plane_sum);
    parallel_items(planes, in_plane, [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p) y[p] = fn(x + p * in_plane, in_plane) / (float)in_plane;
    });
    return;
  }
  const int64_t rows = planes * outH;
  parallel_items(rows, (int64_t)outW * ((H + outH - 1) / outH + 1) * ((W + outW - 1) / outW + 1),
                 [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t p = r / outH;
      const int oh = (int)(r - p * outH);
      const float* xp = x + p * in_plane;
      const int ih0 = ds_nn_adaptive_start(oh, H, outH), ih1 = ds_nn_adaptive_end(oh, H, outH);
      for (int ow = 0; ow < outW; ++ow) {
        const int iw0 = ds_nn_adaptive_start(ow, W, outW), iw1 = ds_nn_adaptive_end(ow, W, outW);
        float s = 0.0f;
        for (int ih = ih0; ih < ih1; ++ih)
          for (int iw = iw0; iw < iw1; ++iw) s += xp[(int64_t)ih * W + iw];
        y[r * outW + ow] = s / (float)(ih1 - ih0) / (float)(iw1 - iw0);
      }
    }
  });
}

void adaptive_max_pool2d_f32(const float* x, float* y, int32_t* ind, int64_t planes, int H, int W, int outH,
                             int outW) {
  const int64_t in_plane = (int64_t)H * W;
  const int64_t rows = planes * outH;
  parallel_items(rows, (int64_t)outW * ((H + outH - 1) / outH + 1) * ((W + outW - 1) / outW + 1),
                 [&](int64_t lo, int64_t hi) {
    for (int64_t r = lo; r < hi; ++r) {
      const int64_t p = r / outH;
      const int oh = (int)(r - p * outH);
      const float* xp = x + p * in_plane;
      const int ih0 = ds_nn_adaptive_start(oh, H, outH), ih1 = ds_nn_adaptive_end(oh, H, outH);
      for (int ow = 0; ow < outW; ++ow) {
        const int iw0 = ds_nn_adaptive_start(ow, W, outW), iw1 = ds_nn_adaptive_end(ow, W, outW);
        float m = -std::numeric_limits<float>::infinity();
        int mi = ih0 * W + iw0;
        for (int ih = ih0; ih < ih1; ++ih) {
          for (int iw = iw0; iw < iw1; ++iw) {
            const float v = xp[(int64_t)ih * W + iw];
            if (ds_nn_max_better(v, m)) {
              m = v;
              mi = ih * W + iw;
            }
          }
        }
        y[r * outW + ow] = m;
        ind[r * outW + ow] = mi;
      }
    }
  });
}

void adaptive_avg_pool2d_backward_f32(const float* grad, float* gi, int64_t planes, int H, int W, int outH,
                                      int outW) {
  const int in_plane = H * W, out_plane = outH * outW;
  if (outH == 1 && outW == 1) {  // mean's backward: grad / (H*W) everywhere
    parallel_items(planes, in_plane, [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p) {
        const float v = grad[p] / (float)in_plane;
        float* gip = gi + p * in_plane;
        for (int i = 0; i < in_plane; ++i) gip[i] = v;
      }
    });
    return;
  }
  parallel_items(planes, (int64_t)in_plane * 2, [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      float* gip = gi + p * in_plane;
      const float* gp = grad + p * out_plane;
      std::memset(gip, 0, sizeof(float) * (size_t)in_plane);
      for (int oh = 0; oh < outH; ++oh) {
        const int ih0 = ds_nn_adaptive_start(oh, H, outH), ih1 = ds_nn_adaptive_end(oh, H, outH);
        for (int ow = 0; ow < outW; ++ow) {
          const int iw0 = ds_nn_adaptive_start(ow, W, outW), iw1 = ds_nn_adaptive_end(ow, W, outW);
          const float d = gp[oh * outW + ow] / (float)(ih1 - ih0) / (float)(iw1 - iw0);
          for (int ih = ih0; ih < ih1; ++ih)
            for (int iw = iw0; iw < iw1; ++iw) gip[ih * W + iw] += d;
        }
      }
    }
  });
}

void adaptive_max_pool2d_backward_f32(const float* grad, const int32_t* ind, float* gi, int64_t planes, int H,
                                      int W, int outH, int outW) {
  const int in_plane = H * W, out_plane = outH * outW;
  const FastDiv byW((uint32_t)W);
  parallel_items(planes, (int64_t)in_plane + out_plane, [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      float* gip = gi + p * in_plane;
      const float* gp = grad + p * out_plane;
      const int32_t* ip = ind + p * out_plane;
      std::memset(gip, 0, sizeof(float) * (size_t)in_plane);
      for (int oh = 0; oh < outH; ++oh) {
        const int ih0 = ds_nn_adaptive_start(oh, H, outH), ih1 = ds_nn_adaptive_end(oh, H, outH);
        for (int ow = 0; ow < outW; ++ow) {
          const int iw0 = ds_nn_adaptive_start(ow, W, outW), iw1 = ds_nn_adaptive_end(ow, W, outW);
          const int idx = ip[oh * outW + ow];
          if (idx < 0 || idx >= in_plane) continue;
          const int ih = (int)byW.div((uint32_t)idx), iw = idx - ih * W;
          if (ih < ih0 || ih >= ih1 || iw < iw0 || iw >= iw1) continue;
          gip[idx] += gp[oh * outW + ow];
        }
      }
    }
  });
}

int max_unpool2d_f32(const float* x, const int32_t* ind, float* y, int64_t planes, int in_hw, int out_hw) {
  int bad = 0;
  parallel_items(planes, (int64_t)in_hw + out_hw, [&](int64_t lo, int64_t hi) {
    int local = 0;
    for (int64_t p = lo; p < hi; ++p) {
      float* yp = y + p * out_hw;
      const float* xp = x + p * in_hw;
      const int32_t* ip = ind + p * in_hw;
      std::memset(yp, 0, sizeof(float) * (size_t)out_hw);
      for (int i = 0; i < in_hw; ++i) {
        const int idx = ip[i];
        if (idx < 0 || idx >= out_hw) {
          local = 1;
          continue;
        }
        yp[idx] = xp[i];
      }
    }
    if (local) {
#pragma omp atomic write
      bad = 1;
    }
  });
  return bad;
}

int max_unpool2d_backward_f32(const float* grad, const int32_t* ind, float* gi, int64_t planes, int in_hw,
                              int out_hw) {
  int bad = 0;
  parallel_items(planes, (int64_t)in_hw, [&](int64_t lo, int64_t hi) {
    int local = 0;
    for (int64_t p = lo; p < hi; ++p) {
      const float* gp = grad + p * out_hw;
      const int32_t* ip = ind + p * in_hw;
      float* gip = gi + p * in_hw;
      for (int i = 0; i < in_hw; ++i) {
        const int idx = ip[i];
        const bool ok = idx >= 0 && idx < out_hw;
        local |= !ok;
        gip[i] = ok ? gp[idx] : 0.0f;
      }
    }
    if (local) {
#pragma omp atomic write
      bad = 1;
    }
  });
  return bad;
}

}  // namespace nn
}  // namespace cpu
}  // namespace detseg

namespace detseg {
namespace cpu {
namespace nn {

void index_layout_i32(const int32_t* in, int32_t* out, int64_t planes, int per_plane, int H, int W, int mode) {
  const int64_t hw = (int64_t)H * W;
  detail::parallel_ranges(planes, std::max<int64_t>(1, (1 << 14) / std::max(1, per_plane)), 1,
                          [&](int64_t lo, int64_t hi) {
    for (int64_t p = lo; p < hi; ++p) {
      const int32_t* a = in + p * per_plane;
      int32_t* b = out + p * per_plane;
      for (int e = 0; e < per_plane; ++e) {
        const int v = a[e];
        int64_t r;
        if (mode == 2) {
          r = (int64_t)v - p * hw;
        } else if (mode == 1) {
          const int h = v / W, w = v - h * W;
          r = p * hw + (int64_t)w * H + h;
        } else {
          r = p * hw + v;
        }
        b[e] = (int32_t)r;
      }
    }
  });
}

}  // namespace nn
}  // namespace cpu
}  // namespace detseg
