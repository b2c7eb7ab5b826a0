// CPU resize: nearest / bilinear / bicubic (PyTorch F.interpolate and ONNX Resize coordinate modes)
// and bed-of-nails zero insertion, forward and backward. Taps and weights come from
// kernels/include/detseg/nn_resize_math.cuh, the header the CUDA kernels use.
//
// Forward, per plane and output row oy: each input row the row's y taps name is first interpolated
// along W into a row buffer (a gather of T taps per output column from per-axis tap tables), kept in a
// small cache keyed by input row so that neighbouring output rows reuse it (upsampling by 2 computes
// each horizontal row once for two output rows); then the output row is the wy-weighted sum of those
// buffers, a unit-stride loop GCC vectorizes. The sum order (taps along x inside, along y outside) is
// the CUDA kernel's.
// Backward, per plane: for each output row, its gradient is scattered along W into one input-width row,
// which is then added (times wy) into the input rows the y taps name; per input element the order of
// additions equals the CUDA gather's (output rows ascending, taps ascending).
// No FMA contraction: the AVX2/AVX-512 variants must give the scalar variant's bits (cpu_simd.h), and
// the simulator's host build of the kernels rounds every operation too. Before every include, so inline
// functions of the shared headers get the same options.
#pragma GCC optimize("fp-contract=off")

#include <cstring>
#include <vector>

#include "cpu_simd.h"
#include "detseg/nn_resize_math.cuh"
#include "nn_ops.h"

namespace detseg {
namespace cpu {
namespace nn {
namespace {

constexpr int64_t kMinOutputsPerThread = 1 << 13;

struct AxisTable {
  int taps;
  std::vector<int> idx;    // [k * out + o]
  std::vector<float> w;    // [k * out + o]
};

ds_nn_rs_axis make_axis(int in, int out, float scale, const Resize2d& r) {
  ds_nn_rs_axis a;
  a.in = in;
  a.out = out;
  a.scale = scale;
  a.mode = r.mode;
  a.coord = r.coord;
  a.nearest = r.nearest;
  a.cubic_a = r.cubic_a;
  a.exclude_outside = r.exclude_outside;
  return a;
}

AxisTable make_table(const ds_nn_rs_axis& a) {
  AxisTable t;
  int idx[DS_NN_RS_MAX_TAPS];
  float w[DS_NN_RS_MAX_TAPS];
  t.taps = a.out > 0 ? ds_nn_rs_taps(a, 0, idx, w) : 1;
  t.idx.assign((size_t)t.taps * a.out, 0);
  t.w.assign((size_t)t.taps * a.out, 0.0f);
  for (int o = 0; o < a.out; ++o) {
    ds_nn_rs_taps(a, o, idx, w);
    for (int k = 0; k < t.taps; ++k) {
      t.idx[(size_t)k * a.out + o] = idx[k];
      t.w[(size_t)k * a.out + o] = w[k];
    }
  }
  return t;
}

// h[ox] = sum_k w[k][ox] * row[idx[k][ox]] (taps ascending).
DS_CPU_INLINE void hrow_body(const float* row, float* h, const int* idx, const float* w, int out, int taps) {
  if (taps == 1) {
    for (int o = 0; o < out; ++o) h[o] = w[o] * row[idx[o]];
  } else if (taps == 2) {
    const int* i1 = idx + out;
    const float* w1 = w + out;
    for (int o = 0; o < out; ++o) h[o] = w[o] * row[idx[o]] + w1[o] * row[i1[o]];
  } else {
    const int *i1 = idx + out, *i2 = idx + 2 * out, *i3 = idx + 3 * out;
    const float *w1 = w + out, *w2 = w + 2 * out, *w3 = w + 3 * out;
    for (int o = 0; o < out; ++o)
      h[o] = ((w[o] * row[idx[o]] + w1[o] * row[i1[o]]) + w2[o] * row[i2[o]]) + w3[o] * row[i3[o]];
  }
}
DS_CPU_VARIANTS(void, hrow, (const float* row, float* h, const int* idx, const float* w, int out, int taps),
                (row, h, idx, w, out, taps))

// Nearest with an integer factor s along W (idx[o] = o / s): h[k * s + j] = row[k], grouped stores
// GCC vectorizes (the general gather does not).
DS_CPU_INLINE void hrow_repeat_body(const float* row, float* h, int in, int s) {
  if (s == 2) {
    for (int k = 0; k < in; ++k) {
      h[2 * k] = row[k];
      h[2 * k + 1] = row[k];
    }
  } else {
    for (int k = 0; k < in; ++k)
      for (int j = 0; j < s; ++j) h[k * s + j] = row[k];
  }
}
DS_CPU_VARIANTS(void, hrow_repeat, (const float* row, float* h, int in, int s), (row, h, in, s))

// y[o] = sum_k wy[k] * h[k][o] (taps ascending).
DS_CPU_INLINE void vcombine_body(float* y, const float* const* h, const float* wy, int out, int taps) {
  if (taps == 1) {
    const float a = wy[0];
    const float* h0 = h[0];
    for (int o = 0; o < out; ++o) y[o] = a * h0[o];
  } else if (taps == 2) {
    const float a = wy[0], b = wy[1];
    const float *h0 = h[0], *h1 = h[1];
    for (int o = 0; o < out; ++o) y[o] = a * h0[o] + b * h1[o];
  } else {
    const float a = wy[0], b = wy[1], c = wy[2], d = wy[3];
    const float *h0 = h[0], *h1 = h[1], *h2 = h[2], *h3 = h[3];
    for (int o = 0; o < out; ++o) y[o] = ((a * h0[o] + b * h1[o]) + c * h2[o]) + d * h3[o];
  }
}
DS_CPU_VARIANTS(void, vcombine, (float* y, const float* const* h, const float* wy, int out, int taps),
                (y, h, wy, out, taps))

// dst[i] += a * src[i].
DS_CPU_INLINE void axpy_body(float* dst, const float* src, float a, int n) {
  for (int i = 0; i < n; ++i) dst[i] += a * src[i];
}
DS_CPU_VARIANTS(void, axpy, (float* dst, const float* src, float a, int n), (dst, src, a, n))

}  // namespace

void resize_f32(const float* x, float* y, const Resize2d& r) {
  static const auto hrow = DS_CPU_PICK(hrow);
  static const auto hrow_repeat = DS_CPU_PICK(hrow_repeat);
  static const auto vcombine = DS_CPU_PICK(vcombine);
  const AxisTable tx = make_table(make_axis(r.inW, r.outW, r.scaleW, r));
  const AxisTable ty = make_table(make_axis(r.inH, r.outH, r.scaleH, r));
  // Nearest along W with an integer factor (the common x2 / x4 upsampling): a repeat, not a gather.
  int repeat = 0;
  if (tx.taps == 1 && r.outW % r.inW == 0) {
    repeat = r.outW / r.inW;
    for (int o = 0; o < r.outW && repeat; ++o) {
      if (tx.idx[o] != o / repeat || tx.w[o] != 1.0f) repeat = 0;
    }
  }
  const bool nearest = tx.taps == 1 && ty.taps == 1;
  const int T = ty.taps;
  const int64_t rows = r.planes * r.outH;
  const int64_t in_plane = (int64_t)r.inH * r.inW;
  const int64_t per = std::max<int64_t>(1, kMinOutputsPerThread / std::max(1, r.outW * tx.taps));
  detail::parallel_ranges(rows, per, 1, [&](int64_t lo, int64_t hi) {
    std::vector<float> buf((size_t)T * r.outW);
    int64_t tag[DS_NN_RS_MAX_TAPS];
    for (int k = 0; k < T; ++k) tag[k] = -1;
    for (int64_t row = lo; row < hi; ++row) {
      const int64_t p = row / r.outH;
      const int oy = (int)(row - p * r.outH);
      const float* h[DS_NN_RS_MAX_TAPS];
      float wy[DS_NN_RS_MAX_TAPS];
      for (int k = 0; k < T; ++k) {
        const int iy = ty.idx[(size_t)k * r.outH + oy];
        wy[k] = ty.w[(size_t)k * r.outH + oy];
        const int slot = iy % T;
        float* b = buf.data() + (size_t)slot * r.outW;
        const int64_t key = p * r.inH + iy;
        if (tag[slot] != key) {
          const float* src = x + p * in_plane + (int64_t)iy * r.inW;
          if (repeat) {
            hrow_repeat(src, b, r.inW, repeat);
          } else {
            hrow(src, b, tx.idx.data(), tx.w.data(), r.outW, tx.taps);
          }
          tag[slot] = key;
        }
        h[k] = b;
      }
      if (nearest && wy[0] == 1.0f) {
        std::memcpy(y + row * r.outW, h[0], sizeof(float) * (size_t)r.outW);  // 1 * h == h exactly
      } else {
        vcombine(y + row * r.outW, h, wy, r.outW, T);
      }
    }
  });
}

void resize_backward_f32(const float* grad, float* gi, const Resize2d& r) {
  static const auto axpy = DS_CPU_PICK(axpy);
  const AxisTable tx = make_table(make_axis(r.inW, r.outW, r.scaleW, r));
  const AxisTable ty = make_table(make_axis(r.inH, r.outH, r.scaleH, r));
  const int64_t in_plane = (int64_t)r.inH * r.inW, out_plane = (int64_t)r.outH * r.outW;
  const int64_t per = std::max<int64_t>(1, kMinOutputsPerThread / std::max<int64_t>(1, out_plane * tx.taps));
  detail::parallel_ranges(r.planes, per, 1, [&](int64_t lo, int64_t hi) {
    std::vector<float> tmp(r.inW);
    for (int64_t p = lo; p < hi; ++p) {
      float* gip = gi + p * in_plane;
      std::memset(gip, 0, sizeof(float) * (size_t)in_plane);
      for (int oy = 0; oy < r.outH; ++oy) {
        const float* grow = grad + p * out_plane + (int64_t)oy * r.outW;
        std::fill(tmp.begin(), tmp.end(), 0.0f);
        for (int ox = 0; ox < r.outW; ++ox) {
          const float gv = grow[ox];
          for (int k = 0; k < tx.taps; ++k) {
            tmp[tx.idx[(size_t)k * r.outW + ox]] += tx.w[(size_t)k * r.outW + ox] * gv;
          }
        }
        for (int k = 0; k < ty.taps; ++k) {
          const int iy = ty.idx[(size_t)k * r.outH + oy];
          axpy(gip + (int64_t)iy * r.inW, tmp.data(), ty.w[(size_t)k * r.outH + oy], r.inW);
        }
      }
    }
  });
}

void bed_of_nails_f32(const float* x, float* y, int64_t planes, int H, int W, int sH, int sW) {
  const int outW = W * sW;
  const int64_t rows = planes * H * (int64_t)sH;
  const int64_t per = std::max<int64_t>(1, kMinOutputsPerThread / std::max(1, outW));
  detail::parallel_ranges(rows, per, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      float* yr = y + row * outW;
      std::memset(yr, 0, sizeof(float) * (size_t)outW);
      const int64_t p = row / ((int64_t)H * sH);
      const int oy = (int)(row - p * H * (int64_t)sH);
      if (oy % sH != 0) continue;
      const float* xr = x + (p * H + oy / sH) * (int64_t)W;
      for (int ix = 0; ix < W; ++ix) yr[(int64_t)ix * sW] = xr[ix];
    }
  });
}

void bed_of_nails_backward_f32(const float* grad, float* gi, int64_t planes, int H, int W, int sH, int sW) {
  const int64_t rows = planes * H;
  const int64_t outW = (int64_t)W * sW;
  const int64_t per = std::max<int64_t>(1, kMinOutputsPerThread / std::max(1, W));
  detail::parallel_ranges(rows, per, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t row = lo; row < hi; ++row) {
      const int64_t p = row / H;
      const int iy = (int)(row - p * H);
      const float* gr = grad + (p * H * sH + (int64_t)iy * sH) * outW;
      float* out = gi + row * W;
      for (int ix = 0; ix < W; ++ix) out[ix] = gr[(int64_t)ix * sW];
    }
  });
}

}  // namespace nn
}  // namespace cpu
}  // namespace detseg
