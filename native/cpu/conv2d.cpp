// CPU conv2d: forward, data gradient, weight gradient, bias gradient (conv_ops.h).
//
// Paths, per (image, group):
//  * depthwise (one input channel per group): a direct per-plane kernel, SIMD over the output width
//    with all taps accumulated in registers (conv_isa_impl.inc dw_*), planes split across cores;
//  * 1x1, stride 1, no padding: the GEMM runs on the input planes themselves (no im2col at all);
//  * everything else: implicit GEMM. Y[Cout/g x P] = W[Cout/g x K] * col[K x P], where col is never
//    materialised: the GEMM's B packer reads the input through a ShiftView (conv_isa.h), so the
//    im2col happens while packing each KC x NC block (cache resident) and costs no extra memory.
// Data gradient: a gather, split into stride_h x stride_w phases. Input points of one phase
// (iy = ry + sh*t) are reached by a fixed subset of taps at fixed offsets of dy, so each phase is a
// stride-1 implicit GEMM dX_phase[Cin/g x T] = Wt_phase[Cin/g x Cout/g*taps] * shift(dy); with
// stride 1 it writes dx directly, otherwise through a scratch plane that is then interleaved.
// Weight gradient: dW[Cout/g x K] += dY[Cout/g x P] * col^T[P x K], batches in order.
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "conv_gemm.h"
#include "conv_isa.h"
#include "conv_ops.h"
#include "conv_winograd.h"
#include "detseg/conv_math.cuh"

namespace detseg {
namespace cpu {
namespace {

using conv::APacker;
using conv::BPacker;
using conv::ShiftView;

struct ShiftPackB final : BPacker {
  ShiftView v;
  explicit ShiftPackB(const ShiftView& view) : v(view) {}
  void pack(int64_t k0, int64_t j0, int64_t kc, int64_t nc, float* dst) const override {
    conv::conv_isa().pack_b_shift(v, k0, j0, kc, nc, dst);
  }
};

struct ShiftPackBT final : BPacker {
  ShiftView v;
  explicit ShiftPackBT(const ShiftView& view) : v(view) {}
  void pack(int64_t k0, int64_t j0, int64_t kc, int64_t nc, float* dst) const override {
    conv::conv_isa().pack_b_shift_t(v, k0, j0, kc, nc, dst);
  }
};

// The transposed view with tap-major columns, read from NCHW (the weight gradient's direct packing).
struct ShiftPackBTaps final : BPacker {
  ShiftView v;
  explicit ShiftPackBTaps(const ShiftView& view) : v(view) {}
  void pack(int64_t k0, int64_t j0, int64_t kc, int64_t nc, float* dst) const override {
    conv::conv_isa().pack_b_taps_nchw(v, k0, j0, kc, nc, dst);
  }
};

// B already in micro-panels: panel q (columns [q * nr, q * nr + nr)) at panels + q * k_total * nr, its
// row k at + k * nr (a band copied straight into the forward's packed layout, copy_band_panels).
struct PanelsB final : BPacker {
  const float* panels;
  int64_t k_total, nr;
  PanelsB(const float* p, int64_t k, int64_t n) : panels(p), k_total(k), nr(n) {}
  const float* panel(int64_t k0, int64_t j0) const override {
    return j0 % nr == 0 ? panels + j0 / nr * k_total * nr + k0 * nr : nullptr;
  }
  // A copy, for orders that pack blocks (the fused order takes panel(); with rows of whole panels
  // and at most kChannelsLastMaxRows rows of A, copy_band_panels' GEMMs always run fused).
  void pack(int64_t k0, int64_t j0, int64_t kc, int64_t nc, float* dst) const override {
    for (int64_t q = 0; q < nc; q += nr)
      for (int64_t k = 0; k < kc; ++k)
        for (int64_t jj = 0; jj < nr; ++jj) {
          const int64_t j = j0 + q + jj;
          dst[q * kc + k * nr + jj] = q + jj < nc ? panels[j / nr * k_total * nr + (k0 + k) * nr + j % nr] : 0.0f;
        }
  }
};

// A grow-only per-thread scratch area (the strided data gradient's phase results, the weight gradient's
// channels-last bands), on huge pages like the GEMM's packing buffers: 1-3 % faster than a vector's
// 4 KiB pages (3x3 stride-2 and 2x2 stride-2 gradients, 3x3 64->64 weight gradient; alternating builds).
struct Scratch {
  conv::GrowBuffer b;
  float* get(size_t n) { return b.get(n); }
};
thread_local Scratch tl_scratch;
thread_local Scratch tl_scratch2;
thread_local Scratch tl_phase_weights;  // the data gradient's per-phase weight matrices (calling thread)

// Runs f(item, threads) for items [0, n): in parallel over items (one thread each) when they are
// many or small, else one after another with all threads inside each.
template <class F>
void for_items(int64_t n, int64_t M, int64_t N, int64_t K, F&& f) {
  const int T = omp_get_max_threads();
  const int inner = conv::gemm_threads(M, N, K, T);
  // one after another only when the items cannot be dealt evenly (a lone item, or e.g. 3 on 2 threads)
  if (n <= 1 || T <= 1 || (inner >= T && n < 2 * T && n % T != 0)) {
    for (int64_t i = 0; i < n; ++i) f(i, inner);
    return;
  }
  // any schedule: each item's result is independent of which thread runs it
#pragma omp parallel for schedule(dynamic, 1) num_threads(T)
  for (int64_t i = 0; i < n; ++i) f(i, 1);
}

bool is_pointwise(const Conv2dGeom& g) {
  return g.kh == 1 && g.kw == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 && g.pad_w == 0 &&
         g.h_out == g.h && g.w_out == g.w;
}

bool is_depthwise(const Conv2dGeom& g) { return g.c_in == g.groups; }

conv::DwGeom dw_geom(const Conv2dGeom& g) {
  return conv::DwGeom{g.h, g.w, g.h_out, g.w_out, g.kh, g.kw, g.stride_h, g.stride_w, g.pad_h, g.pad_w, g.dil_h,
                      g.dil_w};
}

// Whether c takes the Winograd path: never when off, wherever it fits when forced, else where `pays`.
bool use_winograd(const conv::WinoConv& c, bool (*pays)(const conv::WinoConv&) = conv::winograd_pays) {
  const int mode = conv::winograd_mode();
  return mode != 0 && conv::winograd_fits(c) && (mode == 2 || pays(c));
}

std::atomic<int64_t> g_winograd_runs{0};

// Forward by Winograd (conv_winograd.h) when the kernel is 3x3 (F(2x2, 3x3)) or 2x2 (F(3x3, 2x2)),
// stride 1, not depthwise, and it pays; false (nothing done) otherwise.
bool winograd_forward(const Conv2dGeom& g, const float* x, const float* weight, const float* bias, float* y) {
  if (g.stride_h != 1 || g.stride_w != 1 || g.kh != g.kw || (g.kh != 2 && g.kh != 3) || is_depthwise(g)) return false;
  conv::WinoConv c = conv::wino_dense(g.n, g.groups, g.c_in, g.h, g.w, g.c_out, g.h_out, g.w_out, g.pad_h, g.pad_w,
                                      g.dil_h, g.dil_w);
  c.m = g.kh == 3 ? 2 : 3;
  if (!use_winograd(c)) return false;
  const int64_t cig = g.c_in / g.groups, cog = g.c_out / g.groups, k2 = g.kh * g.kw;
  conv::winograd_conv(c, x, conv::WinoWeights{weight, cog * cig * k2, cig * k2, k2, k2, 0, g.kw, 1}, bias, y);
  g_winograd_runs.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// A strided convolution whose kernel has 2x2 taps per stride phase (kernel = 2 x stride, e.g. 4x4
// stride 2: a transposed convolution's input gradient), undilated, as Winograd input phases: tap class
// (ky0, kx0) (taps ky0 + j*sh, kx0 + i*sw) reads input rows sh*(oy + j) + ky0 - ph, i.e. input phase
// r = (ky0 - ph) mod sh at phase row oy + j + q, q = floor((ky0 - ph) / sh): a 2x2 correlation of that
// phase padded by -q. Empty when the shape is not one (or an input phase has no points).
struct StridedPhases {
  std::vector<conv::WinoConv> cs;
  std::vector<conv::WinoSource> srcs;  // the phases, read from split's copy
  conv::WinoSplit split{};
  std::vector<int64_t> t0;  // the class's first tap, ky0 * kw + kx0
};

StridedPhases strided_phases(const Conv2dGeom& g) {
  StridedPhases p;
  const int64_t sh = g.stride_h, sw = g.stride_w;
  if ((sh == 1 && sw == 1) || g.kh != 2 * sh || g.kw != 2 * sw || g.dil_h != 1 || g.dil_w != 1 || is_depthwise(g) ||
      conv::winograd_mode() == 0)
    return p;
  auto floor_div = [](int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); };
  p.split = conv::WinoSplit{g.h, g.w, sh, sw};
  for (int64_t ky0 = 0; ky0 < sh; ++ky0) {
    for (int64_t kx0 = 0; kx0 < sw; ++kx0) {
      const int64_t qy = floor_div(ky0 - g.pad_h, sh), ry = ky0 - g.pad_h - sh * qy;
      const int64_t qx = floor_div(kx0 - g.pad_w, sw), rx = kx0 - g.pad_w - sw * qx;
      const int64_t hr = ds_conv_phase_len(g.h, ry, sh), wr = ds_conv_phase_len(g.w, rx, sw);
      if (hr < 1 || wr < 1) return StridedPhases{};  // an input phase with no points: the direct paths
      conv::WinoConv c = conv::wino_dense(g.n, g.groups, g.c_in, hr, wr, g.c_out, g.h_out, g.w_out, -qy, -qx, 1, 1);
      c.m = 3;
      p.cs.push_back(c);
      p.srcs.push_back(p.split.source(ry, rx));
      p.t0.push_back(ky0 * g.kw + kx0);
    }
  }
  if (!conv::winograd_in_phases_fit(p.cs.data(), p.srcs.data(), (int)p.cs.size())) return StridedPhases{};
  return p;
}

// Each tap class's 2x2 taps in the kernel (its first tap t0, then a stride apart), to read from and
// to write to.
std::vector<conv::WinoWeights> phase_weights(const Conv2dGeom& g, const StridedPhases& p, const float* weight) {
  const int64_t cig = g.c_in / g.groups, cog = g.c_out / g.groups, k2 = g.kh * g.kw;
  std::vector<conv::WinoWeights> wts;
  for (int64_t t0 : p.t0)
    wts.push_back(conv::WinoWeights{weight, cog * cig * k2, cig * k2, k2, k2, t0, g.stride_h * g.kw, g.stride_w});
  return wts;
}

std::vector<conv::WinoGradTaps> phase_taps(const Conv2dGeom& g, const StridedPhases& p, float* dweight) {
  const int64_t cig = g.c_in / g.groups, cog = g.c_out / g.groups, k2 = g.kh * g.kw;
  std::vector<conv::WinoGradTaps> taps;
  for (int64_t t0 : p.t0)
    taps.push_back(conv::WinoGradTaps{dweight, cog * cig * k2, cig * k2, k2, t0, g.stride_h * g.kw, g.stride_w});
  return taps;
}

// The forward of such a convolution: all tap classes in one F(3x3, 2x2) run (winograd_conv_in_phases).
bool winograd_forward_strided(const Conv2dGeom& g, const float* x, const float* weight, const float* bias, float* y) {
  const StridedPhases p = strided_phases(g);
  const int np = (int)p.cs.size();
  if (np == 0 || (conv::winograd_mode() != 2 && !conv::winograd_in_phases_pay(p.cs.data(), np))) return false;
  conv::winograd_conv_in_phases(p.cs.data(), p.srcs.data(), p.split, phase_weights(g, p, weight).data(), np, x, bias,
                                y);
  g_winograd_runs.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// Its weight gradient (winograd_weight_grad_in_phases), every tap written.
bool winograd_weight_grad_strided(const Conv2dGeom& g, const float* x, const float* dy, float* dweight) {
  const StridedPhases p = strided_phases(g);
  const int np = (int)p.cs.size();
  if (np == 0 || (conv::winograd_mode() != 2 && !conv::winograd_weight_grad_in_phases_pay(p.cs.data(), np)))
    return false;
  conv::winograd_weight_grad_in_phases(p.cs.data(), p.srcs.data(), p.split, phase_taps(g, p, dweight).data(), np, x,
                                       dy);
  g_winograd_runs.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// Both (conv2d_forward_and_weight_grad_f32) where both take the Winograd input phases.
bool winograd_forward_and_weight_grad_strided(const Conv2dGeom& g, const float* x, const float* weight, float* y,
                                              const float* dy, float* dweight) {
  const StridedPhases p = strided_phases(g);
  const int np = (int)p.cs.size();
  if (np == 0 || (conv::winograd_mode() != 2 && (!conv::winograd_in_phases_pay(p.cs.data(), np) ||
                                                  !conv::winograd_weight_grad_in_phases_pay(p.cs.data(), np))))
    return false;
  conv::winograd_conv_in_phases_with_weight_grad(p.cs.data(), p.srcs.data(), p.split,
                                                 phase_weights(g, p, weight).data(), phase_taps(g, p, dweight).data(),
                                                 np, x, y, dy);
  g_winograd_runs.fetch_add(2, std::memory_order_relaxed);
  return true;
}

// Taps of the forward im2col: (ky*dh - ph, kx*dw - pw) in (ky, kx) order.
void forward_taps(const Conv2dGeom& g, std::vector<int64_t>& ty, std::vector<int64_t>& tx) {
  ty.clear();
  tx.clear();
  for (int64_t ky = 0; ky < g.kh; ++ky)
    for (int64_t kx = 0; kx < g.kw; ++kx) {
      ty.push_back(ky * g.dil_h - g.pad_h);
      tx.push_back(kx * g.dil_w - g.pad_w);
    }
}

// ---- forward -------------------------------------------------------------------------------------------

void depthwise_forward(const Conv2dGeom& g, const float* x, const float* w, const float* bias, float* y) {
  const conv::DwGeom d = dw_geom(g);
  const int64_t mult = g.c_out / g.c_in;
  const int64_t planes = g.n * g.c_out;
  const int64_t in_plane = g.h * g.w, out_plane = g.h_out * g.w_out;
  const auto fn = conv::conv_isa().dw_forward_plane;
  const int64_t work = out_plane * g.kh * g.kw;
  const int nt = (int)std::max<int64_t>(1, std::min<int64_t>(omp_get_max_threads(), planes * work / (1 << 16)));
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t p = 0; p < planes; ++p) {
    const int64_t n = p / g.c_out, co = p - n * g.c_out;
    const int64_t ci = co / mult;
    fn(d, x + (n * g.c_in + ci) * in_plane, w + co * g.kh * g.kw, bias ? bias[co] : 0.0f, y + p * out_plane);
  }
}

}  // namespace

int conv_set_winograd(int mode) {
  const int old = conv::winograd_mode();
  conv::set_winograd_mode(mode);
  return old;
}

int64_t conv_winograd_runs() { return g_winograd_runs.load(std::memory_order_relaxed); }

void conv2d_forward_f32(const Conv2dGeom& g, const float* x, const float* weight, const float* bias, float* y) {
  if (is_depthwise(g)) {
    depthwise_forward(g, x, weight, bias, y);
    return;
  }
  if (winograd_forward(g, x, weight, bias, y) || winograd_forward_strided(g, x, weight, bias, y)) return;
  const int64_t cig = g.c_in / g.groups, cog = g.c_out / g.groups;
  const int64_t K = cig * g.kh * g.kw, P = g.h_out * g.w_out;
  const int64_t in_plane = g.h * g.w;
  const bool pointwise = is_pointwise(g);
  std::vector<int64_t> ty, tx;
  forward_taps(g, ty, tx);
  for_items(g.n * g.groups, cog, P, K, [&](int64_t item, int threads) {
    const int64_t n = item / g.groups, gr = item - n * g.groups;
    const float* xg = x + (n * g.c_in + gr * cig) * in_plane;
    float* yg = y + (n * g.c_out + gr * cog) * P;
    const float* gbias = bias != nullptr ? bias + gr * cog : nullptr;  // added by the GEMM's first store
    conv::DensePackA a(weight + gr * cog * K, K, false);
    if (pointwise) {
      conv::DensePackB b(xg, P, false);
      conv::gemm(cog, P, K, a, b, yg, P, false, threads, gbias);
    } else {
      ShiftView v{xg, cig, in_plane, g.h, g.w, g.h_out, g.w_out, g.stride_h, g.stride_w, (int)(g.kh * g.kw),
                  ty.data(), tx.data()};
      ShiftPackB b(v);
      conv::gemm(cog, P, K, a, b, yg, P, false, threads, gbias);
    }
  });
}

// ---- data gradient ----------------------------------------------------------------------------------------

namespace {

// One stride phase (ry, rx) of the data gradient: the dx points iy = ry + sh*t (t < th), ix = rx + sw*u
// (u < tw), the taps that reach them and the dy offsets those taps read.
struct Phase {
  int64_t ry, rx, th, tw;
  std::vector<int64_t> ky, kx, off_y, off_x;  // per tap, in (ky, kx) order
};

std::vector<Phase> data_phases(const Conv2dGeom& g) {
  std::vector<Phase> phases;
  for (int64_t ry = 0; ry < std::min(g.stride_h, g.h); ++ry) {
    for (int64_t rx = 0; rx < std::min(g.stride_w, g.w); ++rx) {
      Phase p;
      p.ry = ry;
      p.rx = rx;
      p.th = ds_conv_phase_len(g.h, ry, g.stride_h);
      p.tw = ds_conv_phase_len(g.w, rx, g.stride_w);
      const DsConvPhaseTaps ty = ds_conv_phase_taps(ry, g.pad_h, g.kh, g.stride_h, g.dil_h);
      const DsConvPhaseTaps tx = ds_conv_phase_taps(rx, g.pad_w, g.kw, g.stride_w, g.dil_w);
      for (int64_t jy = 0; jy < ty.count; ++jy) {
        const int64_t ky = ty.ky0 + jy * ty.step;
        for (int64_t jx = 0; jx < tx.count; ++jx) {
          const int64_t kx = tx.ky0 + jx * tx.step;
          p.ky.push_back(ky);
          p.kx.push_back(kx);
          p.off_y.push_back(ds_conv_phase_offset(ry, g.pad_h, ky, g.stride_h, g.dil_h));
          p.off_x.push_back(ds_conv_phase_offset(rx, g.pad_w, kx, g.stride_w, g.dil_w));
        }
      }
      phases.push_back(std::move(p));
    }
  }
  return phases;
}

// Writes one dx row from the phase rows of its ry: phase r (rx = r) holds the points r + u*sw for
// u < len(r). Stride 2 zips the two rows with vector zips at the machine's width (the ISA table's zip2)
// instead of two strided passes.
template <class Row, class Len>
void interleave_phase_rows(float* dst, int64_t sw, int64_t nrx, Row row, Len len) {
  if (sw == 2 && nrx == 2) {
    const float* __restrict a = row(0);
    const float* __restrict b = row(1);
    const int64_t la = len(0), lb = len(1), both = std::min(la, lb);
    float* __restrict d = dst;
    conv::conv_isa().zip2(a, b, both, d);  // vector zips at the machine's width (this file is SSE2)
    for (int64_t u = both; u < la; ++u) d[2 * u] = a[u];
    for (int64_t u = both; u < lb; ++u) d[2 * u + 1] = b[u];
    return;
  }
  for (int64_t r = 0; r < nrx; ++r) {
    const float* src = row(r);
    const int64_t n = len(r);
    for (int64_t u = 0; u < n; ++u) dst[r + u * sw] = src[u];
  }
}

// Data gradient by Winograd: stride phase (ry, rx) is a stride-1 correlation of dy with the phase's
// taps (ds_conv_phase_taps: ky0 + j*step, reading dy at off0 - j*D, D = dil / gcd(stride, dil)),
// flipped. Taken when every phase has 3x3 taps (F(2x2, 3x3): 3x3 stride 1, 6x6 stride 2...) or 2x2
// (F(3x3, 2x2): 4x4 stride 2, 2x2 stride 1...) and it pays; false (nothing done) otherwise. With
// stride 1 the result goes straight to dx; otherwise each phase writes a dense block of a scratch
// (row stores, not scatters into every other column) and the phases are zipped into dx rows.
thread_local Scratch tl_wino_phases;

bool winograd_data_gradient(const Conv2dGeom& g, const float* dy, const float* weight, float* dx, const float* bias) {
  if (is_depthwise(g) || conv::winograd_mode() == 0) return false;
  struct PhaseConv {
    conv::WinoConv c;
    int64_t base;  // tap index of the flipped sub-kernel's first tap
    int64_t sky, skx;
    int64_t offset;  // of the phase's block in the scratch
  };
  std::vector<PhaseConv> phases;
  const int64_t nry = std::min(g.stride_h, g.h), nrx = std::min(g.stride_w, g.w);
  const bool phased = nry * nrx > 1;
  int64_t scratch = 0;
  for (int64_t ry = 0; ry < nry; ++ry) {
    for (int64_t rx = 0; rx < nrx; ++rx) {
      const DsConvPhaseTaps ty = ds_conv_phase_taps(ry, g.pad_h, g.kh, g.stride_h, g.dil_h);
      const DsConvPhaseTaps tx = ds_conv_phase_taps(rx, g.pad_w, g.kw, g.stride_w, g.dil_w);
      if (ty.count != tx.count || (ty.count != 2 && ty.count != 3)) return false;
      const int64_t n = ty.count;
      const int64_t dy_step = g.dil_h / ds_conv_gcd(g.stride_h, g.dil_h), dx_step = g.dil_w / ds_conv_gcd(g.stride_w, g.dil_w);
      const int64_t off_y = ds_conv_phase_offset(ry, g.pad_h, ty.ky0, g.stride_h, g.dil_h);
      const int64_t off_x = ds_conv_phase_offset(rx, g.pad_w, tx.ky0, g.stride_w, g.dil_w);
      const int64_t th = ds_conv_phase_len(g.h, ry, g.stride_h), tw = ds_conv_phase_len(g.w, rx, g.stride_w);
      conv::WinoConv c = conv::wino_dense(g.n, g.groups, g.c_out, g.h_out, g.w_out, g.c_in, th, tw,
                                          (n - 1) * dy_step - off_y, (n - 1) * dx_step - off_x, dy_step, dx_step);
      c.m = n == 3 ? 2 : 3;
      if (!conv::winograd_fits(c)) return false;
      phases.push_back(PhaseConv{c, (ty.ky0 + (n - 1) * ty.step) * g.kw + tx.ky0 + (n - 1) * tx.step,
                                 -ty.step * g.kw, -tx.step, scratch});
      scratch += g.n * g.c_in * th * tw;
    }
  }
  const int64_t cig = g.c_in / g.groups, cog = g.c_out / g.groups, k2 = g.kh * g.kw;
  std::vector<conv::WinoConv> cs;
  std::vector<conv::WinoWeights> wts;
  for (const PhaseConv& p : phases) {
    cs.push_back(p.c);
    wts.push_back(conv::WinoWeights{weight, cog * cig * k2, k2, cig * k2, k2, p.base, p.sky, p.skx});
  }
  // Phases share their source tiles and one U (winograd_conv_phases) when undilated; apart, each
  // F(3x3, 2x2) phase (a 4x4 stride-2 transposed convolution's forward) would rebuild a U 4x its taps
  // for a quarter of the points: measured 0.8-1.1x the direct path, so only a forced mode takes them.
  const int mode = conv::winograd_mode();
  const int np = (int)phases.size();
  const bool shared = phased && conv::winograd_phases_fit(cs.data(), np);
  const bool pays =
      shared ? conv::winograd_phases_pay(cs.data(), np)
             : !(phased && cs[0].m == 3) &&
                   std::all_of(cs.begin(), cs.end(), [](const conv::WinoConv& c) { return conv::winograd_pays(c); });
  if (mode != 2 && !pays) return false;
  float* blocks = phased ? tl_wino_phases.get((size_t)scratch) : nullptr;
  if (shared) {
    std::vector<float*> dsts;
    for (const PhaseConv& p : phases) dsts.push_back(blocks + p.offset);
    conv::winograd_conv_phases(cs.data(), wts.data(), np, dy, bias, dsts.data());
  } else {
    for (size_t k = 0; k < phases.size(); ++k)
      conv::winograd_conv(cs[k], dy, wts[k], bias, phased ? blocks + phases[k].offset : dx);
  }
  if (phased) {
    const int64_t rows = g.n * g.c_in * g.h;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t iy = r % g.h, plane = r / g.h;  // plane = image * c_in + channel
      const int64_t ry = iy % g.stride_h, t = iy / g.stride_h;
      const PhaseConv* row_phases = &phases[(size_t)(ry * nrx)];
      interleave_phase_rows(
          dx + r * g.w, g.stride_w, nrx,
          [&](int64_t rx) {
            const conv::WinoConv& c = row_phases[rx].c;
            return blocks + row_phases[rx].offset + (plane * c.h_out + t) * c.w_out;
          },
          [&](int64_t rx) { return row_phases[rx].c.w_out; });
    }
  }
  g_winograd_runs.fetch_add(1, std::memory_order_relaxed);
  return true;
}

// rows x len floats at dst, row r set to bias[r] (0 without a bias): points no tap reaches.
void fill_channels(float* dst, int64_t rows, int64_t len, const float* bias) {
  for (int64_t r = 0; r < rows; ++r) std::fill(dst + r * len, dst + (r + 1) * len, bias != nullptr ? bias[r] : 0.0f);
}

// Depthwise data gradient with stride 1: a depthwise correlation of dy with the flipped kernel,
// padded by dilation*(k-1) - pad, summed over the channel multiplier.
void depthwise_backward_data_s1(const Conv2dGeom& g, const float* dy, const float* w, float* dx, const float* bias) {
  const int64_t mult = g.c_out / g.c_in;
  const conv::DwGeom d{g.h_out, g.w_out, g.h, g.w, g.kh, g.kw, 1, 1,
                       g.dil_h * (g.kh - 1) - g.pad_h, g.dil_w * (g.kw - 1) - g.pad_w, g.dil_h, g.dil_w};
  const int64_t planes = g.n * g.c_in, in_plane = g.h * g.w, out_plane = g.h_out * g.w_out, taps = g.kh * g.kw;
  const auto fn = conv::conv_isa().dw_forward_plane;
  const int nt = (int)std::max<int64_t>(
      1, std::min<int64_t>(omp_get_max_threads(), planes * mult * in_plane * taps / (1 << 16)));
#pragma omp parallel num_threads(nt)
  {
    std::vector<float> flipped(taps), scratch(mult > 1 ? in_plane : 0);
#pragma omp for schedule(static)
    for (int64_t p = 0; p < planes; ++p) {
      const int64_t n = p / g.c_in, ci = p - n * g.c_in;
      float* out = dx + p * in_plane;
      for (int64_t m = 0; m < mult; ++m) {
        const int64_t co = ci * mult + m;
        for (int64_t t = 0; t < taps; ++t) flipped[t] = w[co * taps + (taps - 1 - t)];
        const float* src = dy + (n * g.c_out + co) * out_plane;
        if (m == 0) {
          fn(d, src, flipped.data(), bias != nullptr ? bias[ci] : 0.0f, out);
        } else {
          fn(d, src, flipped.data(), 0.0f, scratch.data());
          for (int64_t i = 0; i < in_plane; ++i) out[i] += scratch[i];
        }
      }
    }
  }
}

// Depthwise data gradient with stride > 1. The dx points of stride phase (ry, rx) are reached by a
// regular sub-grid of taps (ds_conv_phase_taps: ky0 + j*step) at dy offsets spaced
// D = dil / gcd(stride, dil) apart; with the sub-kernel flipped that is a stride-1 depthwise
// correlation of dy on the phase grid, which the forward's plane kernel runs (column plan and all)
// into a scratch plane, interleaved into dx. Sums over the channel multiplier in order.
void depthwise_backward_data_strided(const Conv2dGeom& g, const float* dy, const float* w, float* dx,
                                     const float* bias) {
  const int64_t mult = g.c_out / g.c_in, taps = g.kh * g.kw;
  const int64_t planes = g.n * g.c_in, in_plane = g.h * g.w, out_plane = g.h_out * g.w_out;
  struct PhaseDw {
    int64_t ry, rx, th, tw;
    conv::DwGeom d;
    std::vector<int64_t> tap;  // per sub-kernel position (flipped order), the original tap index
  };
  std::vector<PhaseDw> phases;
  for (int64_t ry = 0; ry < std::min(g.stride_h, g.h); ++ry) {
    for (int64_t rx = 0; rx < std::min(g.stride_w, g.w); ++rx) {
      const DsConvPhaseTaps ty = ds_conv_phase_taps(ry, g.pad_h, g.kh, g.stride_h, g.dil_h);
      const DsConvPhaseTaps tx = ds_conv_phase_taps(rx, g.pad_w, g.kw, g.stride_w, g.dil_w);
      PhaseDw ph;
      ph.ry = ry;
      ph.rx = rx;
      ph.th = ds_conv_phase_len(g.h, ry, g.stride_h);
      ph.tw = ds_conv_phase_len(g.w, rx, g.stride_w);
      const int64_t dyy = ty.step * g.dil_h / g.stride_h, dxx = tx.step * g.dil_w / g.stride_w;
      // offset of the flipped sub-kernel's first tap (the last tap of the sub-grid)
      const int64_t base_y = ty.count > 0 ? ds_conv_phase_offset(ry, g.pad_h, ty.ky0 + (ty.count - 1) * ty.step,
                                                                 g.stride_h, g.dil_h) : 0;
      const int64_t base_x = tx.count > 0 ? ds_conv_phase_offset(rx, g.pad_w, tx.ky0 + (tx.count - 1) * tx.step,
                                                                 g.stride_w, g.dil_w) : 0;
      ph.d = conv::DwGeom{g.h_out, g.w_out, ph.th, ph.tw, ty.count, tx.count, 1, 1, -base_y, -base_x,
                          std::max<int64_t>(1, dyy), std::max<int64_t>(1, dxx)};
      for (int64_t jy = 0; jy < ty.count; ++jy)
        for (int64_t jx = 0; jx < tx.count; ++jx)
          ph.tap.push_back((ty.ky0 + (ty.count - 1 - jy) * ty.step) * g.kw + tx.ky0 + (tx.count - 1 - jx) * tx.step);
      phases.push_back(std::move(ph));
    }
  }
  const auto fn = conv::conv_isa().dw_forward_plane;
  const int nt = (int)std::max<int64_t>(
      1, std::min<int64_t>(omp_get_max_threads(), planes * mult * in_plane * taps / (1 << 16)));
  const int64_t nrx = std::min(g.stride_w, g.w);  // phases come in rows of nrx (same ry)
  int64_t th_max = 0, tw_max = 0;
  for (const PhaseDw& ph : phases) {
    th_max = std::max(th_max, ph.th);
    tw_max = std::max(tw_max, ph.tw);
  }
#pragma omp parallel num_threads(nt)
  {
    std::vector<float> sub(taps), part(th_max * tw_max), sums(nrx * th_max * tw_max);
#pragma omp for schedule(static)
    for (int64_t p = 0; p < planes; ++p) {
      const int64_t n = p / g.c_in, ci = p - n * g.c_in;
      float* out = dx + p * in_plane;
      const float b = bias != nullptr ? bias[ci] : 0.0f;
      for (size_t q0 = 0; q0 < phases.size(); q0 += nrx) {
        for (int64_t r = 0; r < nrx; ++r) {
          const PhaseDw& ph = phases[q0 + r];
          const int64_t pts = ph.th * ph.tw;
          float* sum = sums.data() + r * th_max * tw_max;
          if (pts == 0) continue;
          if (ph.tap.empty()) {
            std::fill(sum, sum + pts, b);
            continue;
          }
          for (int64_t m = 0; m < mult; ++m) {
            const int64_t co = ci * mult + m;
            for (size_t t = 0; t < ph.tap.size(); ++t) sub[t] = w[co * taps + ph.tap[t]];
            const float* src = dy + (n * g.c_out + co) * out_plane;
            if (m == 0) {
              fn(ph.d, src, sub.data(), b, sum);
            } else {
              fn(ph.d, src, sub.data(), 0.0f, part.data());
              for (int64_t i = 0; i < pts; ++i) sum[i] += part[i];
            }
          }
        }
        // each dx row of this ry once, front to back: stride 2 zips the two phase rows
        const PhaseDw& p0 = phases[q0];
        for (int64_t t = 0; t < p0.th; ++t) {
          interleave_phase_rows(
              out + (p0.ry + t * g.stride_h) * g.w, g.stride_w, nrx,
              [&](int64_t r) { return sums.data() + r * th_max * tw_max + t * phases[q0 + r].tw; },
              [&](int64_t r) { return phases[q0 + r].tw; });
        }
      }
    }
  }
}

// The per-phase weight matrices of the data gradient, Wt_q[g][ci][co*ntaps + t] = w[g*cog + co][ci][tap t
// of phase q], row (g, ci) of phase q at wts[q] + (g*cig + ci) * Kp * row_step (row_step > 1 interleaves
// the phases' rows): a transpose of the (co, ci) plane of the weight. Done in 16 x 16 (co, ci) blocks, whose
// source rows (16 co rows of 16*kh*kw floats) and destination rows (16 ci rows of 16*ntaps floats)
// stay in L1; element by element over the whole weight, each read and write was a cache miss (2.4 ms
// of a 7 ms transposed convolution at 256->128, 4x4).
void reorder_phase_weights(const Conv2dGeom& g, const std::vector<Phase>& phases, const float* weight,
                           const std::vector<float*>& wts, int64_t row_step) {
  const int64_t cig = g.c_in / g.groups, cog = g.c_out / g.groups, khw = g.kh * g.kw, K = cig * khw;
  constexpr int64_t B = 16;
  const int64_t ci_blocks = (cig + B - 1) / B, co_blocks = (cog + B - 1) / B;
  const int64_t blocks = g.groups * ci_blocks;
  const int nt = (int)std::max<int64_t>(1, std::min<int64_t>(omp_get_max_threads(), g.c_out * K / (1 << 14)));
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t blk = 0; blk < blocks; ++blk) {
    const int64_t gr = blk / ci_blocks, ci0 = (blk - gr * ci_blocks) * B, ci1 = std::min(cig, ci0 + B);
    for (int64_t cb = 0; cb < co_blocks; ++cb) {
      const int64_t co0 = cb * B, co1 = std::min(cog, co0 + B);
      for (size_t q = 0; q < phases.size(); ++q) {
        const Phase& ph = phases[q];
        const int64_t ntaps = (int64_t)ph.ky.size(), Kp = cog * ntaps;
        int64_t taps[64];
        if (ntaps > 64) {  // more taps than the local table (kernels over 8x8 per phase): direct
          for (int64_t ci = ci0; ci < ci1; ++ci)
            for (int64_t co = co0; co < co1; ++co)
              for (int64_t t = 0; t < ntaps; ++t)
                wts[q][(gr * cig + ci) * Kp * row_step + co * ntaps + t] =
                    weight[(gr * cog + co) * K + ci * khw + ph.ky[t] * g.kw + ph.kx[t]];
          continue;
        }
        for (int64_t t = 0; t < ntaps; ++t) taps[t] = ph.ky[t] * g.kw + ph.kx[t];
        for (int64_t ci = ci0; ci < ci1; ++ci) {
          float* dst = wts[q] + (gr * cig + ci) * Kp * row_step;
          const float* src = weight + gr * cog * K + ci * khw;
          for (int64_t co = co0; co < co1; ++co)
            for (int64_t t = 0; t < ntaps; ++t) dst[co * ntaps + t] = src[co * K + taps[t]];
        }
      }
    }
  }
}

// The uniform data gradient's product, delivered tile by tile: row m = ci * np + q (phase q = ry * nrx +
// rx, so a channel's phases of one ry are neighbouring rows), column n = t * tw + u of a band starting
// at phase row t0; the value goes to dx[ci][ry + (t0 + t) * sh][rx + u * sw]. A tile's rows rx = 0..nrx-1
// of one (ci, ry) are interleaved into their dx row together (stride 2: vector zips); a group that a
// tile edge cuts is stored row by row, strided.
struct PhaseInterleaveSink final : conv::TileSink {
  float* dx;  // the image's (group's) first channel plane
  int64_t in_plane, w, sh, sw, nrx, np, tw, t0;
  void put(int64_t m0, int64_t rows, int64_t n0, int64_t cols, const float* tile, int64_t ld) const override {
    const int64_t t = n0 / tw, u0 = n0 - t * tw;
    if (sw == 2 && nrx == 2 && u0 + cols <= tw && m0 % 2 == 0 && rows % 2 == 0) {
      // the common tile (2x2 stride 2, within one phase row, whole pairs): one zip per pair of rows
      const auto zip2 = conv::conv_isa().zip2;
      float* row0 = dx + (t0 + t) * sh * w + u0 * 2;
      for (int64_t i = 0; i < rows; i += 2) {
        const int64_t m = m0 + i, ci = m / np, ry = (m - ci * np) / 2;
        zip2(tile + i * ld, tile + (i + 1) * ld, cols, row0 + ci * in_plane + ry * w);
      }
      return;
    }
    for (int64_t i = 0; i < rows;) {
      const int64_t m = m0 + i, ci = m / np, q = m - ci * np, ry = q / nrx, rx = q - ry * nrx;
      const bool whole = rx == 0 && i + nrx <= rows;
      for (int64_t n = n0; n < n0 + cols;) {
        const int64_t t = n / tw, u0 = n - t * tw, len = std::min(tw - u0, n0 + cols - n);
        float* dst = dx + ci * in_plane + (ry + (t0 + t) * sh) * w + u0 * sw;
        const float* src = tile + i * ld + (n - n0);
        if (whole) {
          interleave_phase_rows(dst, sw, nrx, [&](int64_t r) { return src + r * ld; }, [&](int64_t) { return len; });
        } else {
          for (int64_t u = 0; u < len; ++u) dst[rx + u * sw] = src[u];
        }
        n += len;
      }
      i += whole ? nrx : 1;
    }
  }
};

}  // namespace

void conv2d_backward_data_f32(const Conv2dGeom& g, const float* dy, const float* weight, float* dx,
                              const float* bias) {
  if (is_depthwise(g)) {
    if (g.stride_h == 1 && g.stride_w == 1) {
      depthwise_backward_data_s1(g, dy, weight, dx, bias);
    } else {
      depthwise_backward_data_strided(g, dy, weight, dx, bias);
    }
    return;
  }
  const int64_t cig = g.c_in / g.groups, cog = g.c_out / g.groups;
  if (winograd_data_gradient(g, dy, weight, dx, bias)) return;
  const int64_t K = cig * g.kh * g.kw;
  const int64_t in_plane = g.h * g.w, out_plane = g.h_out * g.w_out;
  if (is_pointwise(g)) {
    // dX[Cin/g x P] = W^T[Cin/g x Cout/g] * dY[Cout/g x P]
    for_items(g.n * g.groups, cig, in_plane, cog, [&](int64_t item, int threads) {
      const int64_t n = item / g.groups, gr = item - n * g.groups;
      conv::DensePackA a(weight + gr * cog * K, K, true);
      conv::DensePackB b(dy + (n * g.c_out + gr * cog) * out_plane, out_plane, false);
      conv::gemm(cig, in_plane, cog, a, b, dx + (n * g.c_in + gr * cig) * in_plane, in_plane, false, threads,
                 bias != nullptr ? bias + gr * cig : nullptr);
    });
    return;
  }
  const bool strided = g.stride_h > 1 || g.stride_w > 1;
  // Items run in parallel when there are several, else one after another with the GEMM threaded
  // inside (for_items). Every item writes its own points of dx.
  const std::vector<Phase> phases = data_phases(g);
  const int64_t np = (int64_t)phases.size();
  // Uniform phases (kernel == stride, no padding: every phase reads dy at the same offsets with one
  // tap, e.g. U-Net's 2x2 stride-2 up-convolution) share their B operand: one GEMM over all phases'
  // weights (np * Cin rows, one group) instead of np thin ones.
  bool uniform = strided && g.groups == 1 && np > 1;
  for (int64_t q = 1; q < np && uniform; ++q) {
    uniform = phases[q].off_y == phases[0].off_y && phases[q].off_x == phases[0].off_x &&
              phases[q].th == phases[0].th && phases[q].tw == phases[0].tw && !phases[0].ky.empty();
  }
  // the phase weights live in a grow-only per-thread buffer: a fresh zero-filled vector per call cost
  // page faults and a memset as large as the weight
  std::vector<float*> wts(np);
  int64_t total_taps = 0;
  for (int64_t q = 0; q < np; ++q) total_taps += (int64_t)phases[q].ky.size();
  {
    float* base = tl_phase_weights.get((size_t)std::max<int64_t>(1, g.groups * cig * cog * total_taps));
    int64_t at = 0;
    for (int64_t q = 0; q < np; ++q) {
      // uniform: the phases' rows interleaved, row ci * np + q (PhaseInterleaveSink's order)
      wts[q] = base + (uniform ? q * cog * (int64_t)phases[q].ky.size() : at);
      at += g.groups * cig * cog * (int64_t)phases[q].ky.size();
    }
  }
  reorder_phase_weights(g, phases, weight, wts, uniform ? np : 1);
  if (!strided) {  // one phase: straight into dx
    const Phase& ph = phases[0];
    const int64_t ntaps = (int64_t)ph.ky.size(), Kp = cog * ntaps;
    for_items(g.n * g.groups, cig, in_plane, Kp, [&](int64_t item, int threads) {
      const int64_t n = item / g.groups, gr = item - n * g.groups;
      float* dxg = dx + (n * g.c_in + gr * cig) * in_plane;
      if (ntaps == 0) {
        fill_channels(dxg, cig, in_plane, bias != nullptr ? bias + gr * cig : nullptr);
        return;
      }
      ShiftView v{dy + (n * g.c_out + gr * cog) * out_plane, cog, out_plane, g.h_out, g.w_out, ph.th, ph.tw, 1, 1,
                  (int)ntaps, ph.off_y.data(), ph.off_x.data()};
      ShiftPackB b(v);
      conv::DensePackA a(wts[0] + gr * cig * Kp, Kp, false);
      conv::gemm(cig, in_plane, Kp, a, b, dxg, in_plane, false, threads, bias != nullptr ? bias + gr * cig : nullptr);
    });
    return;
  }
  // Strided: work items (image, group, band of phase rows). An item runs every phase of its band into
  // a per-thread scratch block (sized to stay in L2) and interleaves it into dx right away, so the
  // dx rows of the band are completed while in cache (phase by phase over whole planes would write
  // each dx line from memory stride_w times).
  int64_t th_max = 0, tw_max = 0;
  for (const Phase& ph : phases) {
    th_max = std::max(th_max, ph.th);
    tw_max = std::max(tw_max, ph.tw);
  }
  std::vector<float> stacked_bias;  // uniform: the bias of every product row (row ci * np + q: bias[ci])
  if (uniform && bias != nullptr) {
    for (int64_t ci = 0; ci < cig; ++ci) stacked_bias.insert(stacked_bias.end(), (size_t)np, bias[ci]);
  }
  // Bands: the scratch of one (cig x band x tw) stays in L2; and at least four items per thread when
  // that keeps every GEMM at N >= 512, so the threads finish together (3x3 stride 2, 64->128 at
  // 128x128: 4 bands of 16 rows left one thread idle ~12% of the time, 8 of 8 rows balance).
  const int64_t band_l2 = std::max<int64_t>(1, (int64_t(64) << 10) / std::max<int64_t>(1, cig * tw_max));
  const int64_t four_per_thread = (th_max + 4 * omp_get_max_threads() - 1) / (4 * omp_get_max_threads());
  const int64_t band = std::min(band_l2, std::max(four_per_thread, (512 + tw_max - 1) / tw_max));
  const int64_t bands = (th_max + band - 1) / band;
  const int64_t avg_k = cog * std::max<int64_t>(1, total_taps / std::max<int64_t>(np, 1));
  for_items(g.n * g.groups * bands, cig, band * tw_max * np, avg_k, [&](int64_t item, int threads) {
    const int64_t bi = item % bands, ng = item / bands;
    const int64_t n = ng / g.groups, gr = ng - n * g.groups;
    float* dxg = dx + (n * g.c_in + gr * cig) * in_plane;
    const float* dyg = dy + (n * g.c_out + gr * cog) * out_plane;
    std::vector<int64_t> oy_band;
    const int64_t nrx = std::min(g.stride_w, g.w);
    if (uniform) {  // each finished tile of the product goes straight into its dx rows
      const Phase& ph = phases[0];
      const int64_t t0 = bi * band, rows = std::min(ph.th, t0 + band) - t0, ntaps = (int64_t)ph.ky.size();
      const int64_t Kp = cog * ntaps, T = rows * ph.tw;
      oy_band.resize(ntaps);
      for (int64_t t = 0; t < ntaps; ++t) oy_band[t] = ph.off_y[t] + t0;
      ShiftView v{dyg, cog, out_plane, g.h_out, g.w_out, rows, ph.tw, 1, 1, (int)ntaps, oy_band.data(),
                  ph.off_x.data()};
      ShiftPackB b(v);
      conv::DensePackA a(wts[0], Kp, false);  // row ci * np + q at wts[0] + (ci * np + q) * Kp
      PhaseInterleaveSink sink;
      sink.dx = dxg;
      sink.in_plane = in_plane;
      sink.w = g.w;
      sink.sh = g.stride_h;
      sink.sw = g.stride_w;
      sink.nrx = nrx;
      sink.np = np;
      sink.tw = ph.tw;
      sink.t0 = t0;
      conv::gemm_to_sink(np * cig, T, Kp, a, b, sink, threads, bias != nullptr ? stacked_bias.data() : nullptr);
      return;
    }
    // Phases come in rows of nrx (same ry, rx = 0..nrx-1): their results are interleaved together,
    // so each dx row of the band is written once, front to back.
    for (int64_t q0 = 0; q0 < np; q0 += nrx) {
      const int64_t t0 = bi * band, t1 = std::min(phases[q0].th, t0 + band);  // th depends on ry only
      if (t1 <= t0) continue;
      const int64_t rows = t1 - t0;
      float* c = tl_scratch.get((size_t)(cig * rows * tw_max * nrx));
      for (int64_t r = 0; r < nrx; ++r) {
        const Phase& ph = phases[q0 + r];
        const int64_t ntaps = (int64_t)ph.ky.size(), Kp = cog * ntaps, T = rows * ph.tw;
        float* cr = c + r * cig * rows * tw_max;
        if (ntaps == 0) {
          fill_channels(cr, cig, T, bias != nullptr ? bias + gr * cig : nullptr);
          continue;
        }
        oy_band.resize(ntaps);
        for (int64_t t = 0; t < ntaps; ++t) oy_band[t] = ph.off_y[t] + t0;  // the band starts at phase row t0
        ShiftView v{dyg, cog, out_plane, g.h_out, g.w_out, rows, ph.tw, 1, 1, (int)ntaps, oy_band.data(),
                    ph.off_x.data()};
        ShiftPackB b(v);
        conv::DensePackA a(wts[q0 + r] + gr * cig * Kp, Kp, false);
        conv::gemm(cig, T, Kp, a, b, cr, T, false, threads, bias != nullptr ? bias + gr * cig : nullptr);
      }
      const int64_t ry = phases[q0].ry, sw = g.stride_w;
      for (int64_t ci = 0; ci < cig; ++ci)
        for (int64_t t = t0; t < t1; ++t) {
          interleave_phase_rows(
              dxg + ci * in_plane + (ry + t * g.stride_h) * g.w, sw, nrx,
              [&](int64_t r) {
                const int64_t tw = phases[q0 + r].tw;
                return c + r * cig * rows * tw_max + ci * rows * tw + (t - t0) * tw;
              },
              [&](int64_t r) { return phases[q0 + r].tw; });
        }
    }
  });
}

// ---- weight gradient --------------------------------------------------------------------------------------

namespace {

// Weight gradient of a general conv2d: dW^T-ordered product C[co][tap*cig + c] = sum over pixels of
// dy[co][p] * x[c][p shifted by tap]. x is transposed to channels-last once per band of output rows,
// so the B operand packs with contiguous copies (the im2col^T of x would otherwise be transposed once
// per tap: 9x the data for 3x3); dy is A as it is, transposed by its packer. The bands (over all images) are dealt to kParts
// partial sums by index and the partials are added in order: the result does not depend on the
// thread count, and with two threads the parts run with no synchronisation at all.
constexpr int kParts = 2;
// Up to this many output channels per group the channels-last path wins (measured, 2 cores: 3x3
// 64->64 at 256x256 235 vs 197 GFLOP/s on a Xeon; on an EPYC Zen 5 also at 128: 3x3 stride 2
// 64->128 at 128x128 2.32 -> 1.91 ms, 2x2 stride 2 1.22 -> 1.01 ms); wider layers keep the
// transposing packer (256->256 at 64x64: 298 vs 280), where each packed element feeds more rows of A.
constexpr int64_t kChannelsLastMaxRows = 128;

// Whether the weight gradient packs B straight from NCHW x (below). Never for a kernel Winograd takes
// (3x3 / 2x2 stride 1, or 2 x stride): those have 4 * kh * kw > 9 * sh * sw.
bool weight_grad_direct(const Conv2dGeom& g) {
  return 4 * g.kh * g.kw <= 9 * g.stride_h * g.stride_w && g.stride_w <= 2 && g.dil_h == 1 && g.dil_w == 1;
}

// What the transposed convolution's backward adds to the weight gradient's bands (direct packing only):
// y = conv2d(x, weight) without bias, and x's channel sums (its bias gradient; null: none). Each band's
// share runs right before its weight-gradient product on the same thread: all three read the band of
// x, and the second and third find it in L2 instead of reading x from L3 again.
struct BandForward {
  const float* weight;
  float* y;
  float* x_sums;
};

// The rows of x whose channel sums the band of output rows [oy0, oy1) takes: its stride rows
// [oy0 * sh, oy1 * sh), the first band of an image from row 0 and its last to row h, so over all bands
// every row is summed once (copy_band, copy_band_panels).
struct SummedRows {
  int64_t s0, s1;
  SummedRows(const Conv2dGeom& g, int64_t oy0, int64_t oy1)
      : s0(oy0 == 0 ? 0 : std::min(g.h, oy0 * g.stride_h)),
        s1(oy1 == g.h_out ? g.h : std::min(g.h, oy1 * g.stride_h)) {}
};

// The rows [r0, r1) of x's band (every row its taps read), channel by channel into dst, channels
// plane_pad floats apart; and with sums, each channel's sum over the band's own rows added to it: its
// stride rows [oy0 * sh, oy1 * sh), the first band of an image from row 0 and its last to row h, so every
// row is summed once (where the rows summed are the rows copied, by the same read). With split_columns
// each row's even columns are stored first and its odd ones after them (split2).
void copy_band(const Conv2dGeom& g, const float* xg, int64_t cig, int64_t r0, int64_t r1, int64_t oy0, int64_t oy1,
               bool split_columns, float* dst, int64_t plane_pad, double* sums) {
  const int64_t in_plane = g.h * g.w;
  const SummedRows sr(g, oy0, oy1);
  const int64_t s0 = sr.s0, s1 = sr.s1;
  const int64_t len = (s1 - s0) * g.w;
  const conv::IsaTable& isa = conv::conv_isa();
  for (int64_t c = 0; c < cig; ++c) {
    const float* src = xg + c * in_plane;
    if (split_columns) {  // the sums read the rows again right after, from L1
      float* d = dst + c * plane_pad;
      for (int64_t r = r0; r < r1; ++r, d += g.w) isa.split2(src + r * g.w, g.w, d, d + (g.w + 1) / 2);
      if (sums != nullptr) sums[c] += isa.sum_lanes64(src + s0 * g.w, len, nullptr);
      continue;
    }
    if (sums != nullptr && s0 == r0 && s1 == r1) {  // the common case: one read for both
      sums[c] += isa.sum_lanes64(src + s0 * g.w, len, dst + c * plane_pad);
      continue;
    }
    if (r1 > r0) std::memcpy(dst + c * plane_pad, src + r0 * g.w, (size_t)((r1 - r0) * g.w) * sizeof(float));
    if (sums != nullptr) sums[c] += isa.sum_lanes64(src + s0 * g.w, len, nullptr);
  }
}

// copy_band for a kernel as tall as its stride and two wide at stride 2 without padding (2x2 stride 2,
// U-Net's up-convolution), whose taps read every value of the band once: the band straight into the
// forward's packed B (PanelsB: band point j of channel c, tap t at (j / nr) * K * nr + (c * taps + t)
// * nr + j % nr, K = taps * cig), each row split into its even and odd columns (split2_panels), with
// the channel sums as copy_band takes them. The forward then packs nothing, and the weight
// gradient's packer reads the same panels (band_panels_view).
void copy_band_panels(const Conv2dGeom& g, const float* xg, int64_t cig, int64_t oy0, int64_t oy1,
                      const std::vector<int64_t>& ty, const std::vector<int64_t>& tx, int64_t nr, float* dst,
                      double* sums) {
  const int64_t in_plane = g.h * g.w, taps = g.kh * g.kw, pf = taps * cig * nr;
  const conv::IsaTable& isa = conv::conv_isa();
  std::vector<int> tap_at((size_t)(g.kh * 2));  // tap index of (ky, kx)
  for (int64_t t = 0; t < taps; ++t) tap_at[(size_t)(ty[t] * 2 + tx[t])] = (int)t;
  const SummedRows sr(g, oy0, oy1);
  const int64_t s0 = sr.s0, s1 = sr.s1;
  // The sums by the split's own read where the rows summed are the rows split and whole lane blocks
  // (sum_lanes64's lanes and order, so the same bits); else a second read from L1.
  const bool fused_sums = sums != nullptr && s0 == oy0 * g.stride_h && s1 == oy1 * g.stride_h && g.w % 64 == 0;
  alignas(64) float lanes[64];
  for (int64_t c = 0; c < cig; ++c) {
    const float* src = xg + c * in_plane;
    if (fused_sums) std::fill(lanes, lanes + 64, 0.0f);
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      float* row_panels = dst + (oy - oy0) * g.w_out / nr * pf;
      for (int64_t ky = 0; ky < g.kh; ++ky)
        isa.split2_panels(src + (oy * g.stride_h + ky) * g.w, g.w_out, nr, pf,
                          row_panels + (c * taps + tap_at[(size_t)(ky * 2)]) * nr,
                          row_panels + (c * taps + tap_at[(size_t)(ky * 2 + 1)]) * nr, fused_sums ? lanes : nullptr);
    }
    if (fused_sums) {
      double total = 0.0;
      for (int j = 0; j < 64; ++j) total += lanes[j];
      sums[c] += total;
    } else if (sums != nullptr) {
      sums[c] += isa.sum_lanes64(src + s0 * g.w, (s1 - s0) * g.w, nullptr);
    }
  }
}

// The weight gradient's B (rows = band points, columns tap-major) over copy_band_panels' layout, as a
// ShiftView pack_b_taps_nchw reads: a grid nr points wide whose rows are the panels (K * nr floats
// apart), channels taps * nr floats apart, tap t at + t * nr.
ShiftView band_panels_view(const float* panels, int64_t cig, int64_t taps, int64_t pixels, int64_t nr,
                           const int64_t* zeros, const int64_t* tap_cols) {
  return ShiftView{panels, cig, taps * nr, pixels / nr, taps * cig * nr, pixels / nr, nr, 1, 1, (int)taps,
                   zeros, tap_cols};
}

// Bands of x this big (bytes of the rows one band reads) when the forward shares them: half of a core's
// L2 here, so the band is still there for the weight gradient's packer (2x2 stride 2 64 -> 128 at
// 128x128: 256 KiB - 1 MiB within the noise of each other, all ahead of the weight gradient's own bands).
constexpr int64_t kSharedBandBytes = int64_t(512) << 10;

void weight_grad_channels_last(const Conv2dGeom& g, const float* x, const float* dy, const std::vector<int64_t>& ty,
                               const std::vector<int64_t>& tx, float* dweight, const BandForward* fwd = nullptr) {
  const int64_t cig = g.c_in / g.groups, cog = g.c_out / g.groups;
  const int64_t taps = g.kh * g.kw, Nw = taps * cig, P = g.h_out * g.w_out, in_plane = g.h * g.w;
  const int64_t min_dy = *std::min_element(ty.begin(), ty.end()), max_dy = *std::max_element(ty.begin(), ty.end());
  // Bands of ~4096 output points (at least ~256K floats of transposed dy for thin layers): enough K per
  // GEMM call that the C block's reloads between calls stay cheap.
  const int64_t band_points =
      fwd != nullptr ? std::max<int64_t>(1, kSharedBandBytes / (int64_t)sizeof(float) / (cig * g.stride_h * g.w)) * g.w_out
                     : std::max<int64_t>(4096, (int64_t(1) << 18) / std::max<int64_t>(1, cog));
  // ... and at least kParts bands in all, so every part has work
  const int64_t per_image = (kParts + g.n - 1) / g.n;
  const int64_t band_rows = std::max<int64_t>(
      1, std::min<int64_t>({g.h_out, band_points / g.w_out, (g.h_out + per_image - 1) / per_image}));
  const int64_t bpi = (g.h_out + band_rows - 1) / band_rows, total = g.n * bpi;
  const int64_t items = g.groups * kParts;
  std::vector<float> parts((size_t)(items * cog * Nw));
  std::vector<double> sum_parts(fwd != nullptr && fwd->x_sums != nullptr ? (size_t)(items * cig) : 0);
  const int nt = (int)std::max<int64_t>(1, std::min<int64_t>(omp_get_max_threads(), items));
  // Where the taps read each x value a few times at most (kh*kw <= 2.25 strides: 2x2 stride 2,
  // U-Net's up-convolution, reads it once; 3x3 stride 2 2.25 times) the channels-last copy is a pass
  // over all of x that the packer's reads do not repay: B packs straight from x instead
  // (pack_b_taps_nchw, VL x VL register transposes, same values in the same order). Alternating builds:
  // 2x2 stride 2 64 -> 128 channels at 128x128 1.02 -> 0.84 ms, 3x3 stride 2 1.90 -> 1.82 ms; 3x3
  // stride 1 even (9 reads), 5x5 stride 1 8 % slower (25), so those keep the copy.
  const bool direct = weight_grad_direct(g);
  // Stride 2 across with every column a tap reads inside the row (no left padding, none implied on
  // the right): the band copy splits each row into its even and odd columns, and both products read
  // it as a stride-1 view (tap kx at column ox + (kx % 2) * (w + 1) / 2 + kx / 2), so neither packer
  // gathers every other float. 2x2 stride 2 64 -> 128 at 128x128 (2 MiB pages): 1.52 -> 1.49 ms, the
  // same bits (the same values meet in the same order).
  const bool split_columns = fwd != nullptr && direct && g.stride_w == 2 && g.pad_w == 0 &&
                             (g.w_out - 1) * g.stride_w + (g.kw - 1) * g.dil_w < g.w;
  std::vector<int64_t> split_tx(tx.size());
  for (size_t t = 0; t < tx.size() && split_columns; ++t) split_tx[t] = (tx[t] % 2) * ((g.w + 1) / 2) + tx[t] / 2;
  // ... and where each value of the band is read by one tap (2x2 stride 2: U-Net's up-convolution),
  // the split rows go straight into the forward's packed B, which then packs nothing: 2x2 stride 2
  // 64 -> 128 at 128x128 ~2.4 % faster (e.g. 1.888 -> 1.846 ms, 2.050 -> 2.009 in a slower minute;
  // alternating builds), the same bits.
  const int64_t nr = conv::conv_isa().nr;
  const bool panel_band = split_columns && g.kw == 2 && g.kh == g.stride_h && g.pad_h == 0 && g.w == 2 * g.w_out &&
                          g.w_out % nr == 0;
  std::vector<int64_t> zero_taps(tx.size(), 0), panel_tap_cols(tx.size());
  for (size_t t = 0; t < tx.size(); ++t) panel_tap_cols[t] = (int64_t)t * nr;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t gr = item / kParts, part = item - gr * kParts;
    float* c = parts.data() + item * cog * Nw;
    std::vector<int64_t> tdy(taps);
    bool first = true;
    for (int64_t bidx = part; bidx < total; bidx += kParts) {
      const int64_t n = bidx / bpi, bi = bidx - n * bpi;
      const int64_t oy0 = bi * band_rows, oy1 = std::min(g.h_out, oy0 + band_rows);
      const int64_t pixels = (oy1 - oy0) * g.w_out;
      // A = dy's band as it is ([co][p], rows P apart): its packer transposes 16x16 blocks into the
      // micro-panels, one pass over the band (a channels-last copy first was a second one)
      conv::DensePackA a(dy + (n * g.c_out + gr * cog) * P + oy0 * g.w_out, P, false);
      if (direct) {
        const float* xg = x + (n * g.c_in + gr * cig) * in_plane;
        ShiftView band{xg, cig, in_plane, g.h, g.w, oy1 - oy0, g.w_out, g.stride_h, g.stride_w, (int)taps,
                       tdy.data(), tx.data()};
        int64_t row0 = 0;  // the view's first row in x
        if (panel_band) {
          float* xb = tl_scratch2.get((size_t)(pixels * Nw));
          copy_band_panels(g, xg, cig, oy0, oy1, ty, tx, nr, xb,
                           sum_parts.empty() ? nullptr : sum_parts.data() + item * cig);
          conv::DensePackA fa(fwd->weight + gr * cog * Nw, Nw, false);
          PanelsB fb(xb, Nw, nr);
          conv::gemm(cog, pixels, Nw, fa, fb, fwd->y + (n * g.c_out + gr * cog) * P + oy0 * g.w_out, P, false, 1);
          ShiftPackBTaps b(band_panels_view(xb, cig, taps, pixels, nr, zero_taps.data(), panel_tap_cols.data()));
          conv::gemm(cog, Nw, pixels, a, b, c, Nw, !first, 1);
          first = false;
          continue;
        }
        if (fwd != nullptr) {
          // The band's rows copied first, channels a cache line more than their rows apart: x's planes
          // are a power of two apart (64 KiB at 128x128) and on 2 MiB pages all of a row's channels
          // fall in the same few L2 sets, so the band did not stay in L2 for the second product (2x2
          // stride 2 64 -> 128 at 128x128: 1.78 ms without the copy, 1.74 with neither banding nor copy).
          const int64_t r0 = std::max<int64_t>(0, oy0 * g.stride_h + min_dy);
          const int64_t r1 = std::min<int64_t>(g.h, (oy1 - 1) * g.stride_h + max_dy + 1);
          const int64_t plane_pad = (std::max<int64_t>(0, r1 - r0) * g.w + 15) / 16 * 16 + 16;
          float* xb = tl_scratch2.get((size_t)(cig * plane_pad));
          copy_band(g, xg, cig, r0, r1, oy0, oy1, split_columns, xb, plane_pad,
                    sum_parts.empty() ? nullptr : sum_parts.data() + item * cig);
          band = ShiftView{xb, cig, plane_pad, std::max<int64_t>(0, r1 - r0), g.w, oy1 - oy0, g.w_out, g.stride_h,
                           split_columns ? 1 : g.stride_w, (int)taps, tdy.data(),
                           split_columns ? split_tx.data() : tx.data()};
          row0 = r0;
        }
        for (int64_t t = 0; t < taps; ++t) tdy[t] = ty[t] + oy0 * g.stride_h - row0;  // rows from the view's first
        if (fwd != nullptr) {
          conv::DensePackA fa(fwd->weight + gr * cog * Nw, Nw, false);
          ShiftPackB fb(band);
          conv::gemm(cog, pixels, Nw, fa, fb, fwd->y + (n * g.c_out + gr * cog) * P + oy0 * g.w_out, P, false, 1);
        }
        ShiftPackBTaps b(band);
        conv::gemm(cog, Nw, pixels, a, b, c, Nw, !first, 1);
        first = false;
        continue;
      }
      const int64_t r0 = std::max<int64_t>(0, oy0 * g.stride_h + min_dy);
      const int64_t r1 = std::min<int64_t>(g.h, (oy1 - 1) * g.stride_h + max_dy + 1);
      const int64_t rows = std::max<int64_t>(0, r1 - r0);
      // per-thread grow-only buffers: a vector per band (~1 MiB each) was unmapped and faulted in again
      // on every call
      float* xt = tl_scratch2.get((size_t)std::max<int64_t>(1, rows * g.w * cig));
      const auto tr = conv::conv_isa().transpose;
      if (rows > 0) tr(x + (n * g.c_in + gr * cig) * in_plane + r0 * g.w, cig, rows * g.w, in_plane, xt, cig);
      for (int64_t t = 0; t < taps; ++t) tdy[t] = ty[t] + oy0 * g.stride_h - r0;  // rows relative to the band
      conv::TapView v{xt, cig, rows, g.w, g.w_out, g.stride_h, g.stride_w, (int)taps, tdy.data(), tx.data()};
      struct TapPackB final : conv::BPacker {
        conv::TapView v;
        explicit TapPackB(const conv::TapView& view) : v(view) {}
        void pack(int64_t k0, int64_t j0, int64_t kc, int64_t nc, float* dst) const override {
          conv::conv_isa().pack_b_taps(v, k0, j0, kc, nc, dst);
        }
      } b(v);
      conv::gemm(cog, Nw, pixels, a, b, c, Nw, !first, 1);
      first = false;
    }
    if (first) std::fill(c, c + cog * Nw, 0.0f);  // no band for this part
  }
  // dW[gr*cog + co][c][tap] = sum of the parts (in order) at [co][tap*cig + c]
  for (int64_t gr = 0; gr < g.groups; ++gr)
    for (int64_t co = 0; co < cog; ++co)
      for (int64_t t = 0; t < taps; ++t)
        for (int64_t ci = 0; ci < cig; ++ci) {
          float sum = 0.0f;
          for (int p = 0; p < kParts; ++p) sum += parts[((gr * kParts + p) * cog + co) * Nw + t * cig + ci];
          dweight[((gr * cog + co) * cig + ci) * taps + t] = sum;
        }
  for (int64_t gr = 0; gr < g.groups && !sum_parts.empty(); ++gr)
    for (int64_t ci = 0; ci < cig; ++ci) {
      double sum = 0.0;
      for (int p = 0; p < kParts; ++p) sum += sum_parts[(gr * kParts + p) * cig + ci];
      fwd->x_sums[gr * cig + ci] = (float)sum;
    }
}

}  // namespace

void conv2d_forward_and_weight_grad_f32(const Conv2dGeom& g, const float* x, const float* weight, float* y,
                                        const float* dy, float* dweight, float* x_sums) {
  if (winograd_forward_and_weight_grad_strided(g, x, weight, y, dy, dweight)) {
    if (x_sums != nullptr) conv2d_backward_bias_f32(x, g.n, g.c_in, g.h * g.w, x_sums);
    return;
  }
  // Where the forward is an implicit GEMM and the weight gradient packs straight from x (which rules
  // out every Winograd kernel), both and x's channel sums run band by band (weight_grad_channels_last).
  // 2x2 stride 2 64 -> 128 at 128x128, the transposed convolution's backward, on 2 MiB pages: 1.74 ->
  // 1.49 ms (the three one after the other -> banded with the aliasing-free copy and the column split).
  if (!is_depthwise(g) && !is_pointwise(g) && g.c_out / g.groups <= kChannelsLastMaxRows && weight_grad_direct(g)) {
    std::vector<int64_t> ty, tx;
    forward_taps(g, ty, tx);
    const BandForward fwd{weight, y, x_sums};
    weight_grad_channels_last(g, x, dy, ty, tx, dweight, &fwd);
    return;
  }
  conv2d_forward_f32(g, x, weight, nullptr, y);
  conv2d_backward_weight_f32(g, x, dy, dweight);
  if (x_sums != nullptr) conv2d_backward_bias_f32(x, g.n, g.c_in, g.h * g.w, x_sums);
}

void conv2d_backward_weight_f32(const Conv2dGeom& g, const float* x, const float* dy, float* dweight) {
  const int64_t cig = g.c_in / g.groups, cog = g.c_out / g.groups;
  const int64_t K = cig * g.kh * g.kw, P = g.h_out * g.w_out;
  const int64_t in_plane = g.h * g.w;
  if (is_depthwise(g)) {
    const conv::DwGeom d = dw_geom(g);
    const int64_t mult = g.c_out / g.c_in, taps = g.kh * g.kw;
    const auto fn = conv::conv_isa().dw_weight_plane;
    const int nt = (int)std::max<int64_t>(
        1, std::min<int64_t>(omp_get_max_threads(), g.c_out * g.n * P * taps / (1 << 16)));
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t co = 0; co < g.c_out; ++co) {
      std::vector<double> acc(taps, 0.0);
      const int64_t ci = co / mult;
      for (int64_t n = 0; n < g.n; ++n)
        fn(d, x + (n * g.c_in + ci) * in_plane, dy + (n * g.c_out + co) * P, acc.data());
      for (int64_t t = 0; t < taps; ++t) dweight[co * taps + t] = (float)acc[t];
    }
    return;
  }
  if (winograd_weight_grad_strided(g, x, dy, dweight)) return;
  if (g.kh == 3 && g.kw == 3 && g.stride_h == 1 && g.stride_w == 1) {
    const conv::WinoConv c = conv::wino_dense(g.n, g.groups, g.c_in, g.h, g.w, g.c_out, g.h_out, g.w_out, g.pad_h,
                                              g.pad_w, g.dil_h, g.dil_w);
    if (use_winograd(c, conv::winograd_weight_grad_pays)) {
      conv::winograd_weight_grad(c, x, dy, dweight);
      g_winograd_runs.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  std::vector<int64_t> ty, tx;
  forward_taps(g, ty, tx);
  if (is_pointwise(g)) {
    // dW[Cout/g x Cin/g] = sum over pixels of dY * X^T: a short, wide product (K = pixels is the long
    // side). Each image's pixels are cut into kParts halves, part p summing its half of every image in
    // order, and the parts are added in order: two threads each read half of dY and X once and
    // share nothing (one GEMM threaded inside streamed all of dY through both cores; 1x1 256->256
    // at 64x64: 2.6 -> ~1.9 ms). The cut does not depend on the thread count, nor do the bits.
    const int64_t items = g.groups * kParts;
    std::vector<float> parts((size_t)(items * cog * K));
    for_items(items, cog, K, P * g.n / kParts, [&](int64_t item, int threads) {
      const int64_t gr = item / kParts, part = item - gr * kParts;
      const int64_t p0 = P * part / kParts, p1 = P * (part + 1) / kParts;
      float* c = parts.data() + item * cog * K;
      for (int64_t n = 0; n < g.n; ++n) {
        conv::DensePackA a(dy + (n * g.c_out + gr * cog) * P + p0, P, false);
        conv::DensePackB b(x + (n * g.c_in + gr * cig) * in_plane + p0, P, true);
        conv::gemm(cog, K, p1 - p0, a, b, c, K, n > 0, threads);
      }
    });
    for (int64_t gr = 0; gr < g.groups; ++gr) {
      float* dwg = dweight + gr * cog * K;
      for (int64_t i = 0; i < cog * K; ++i) {
        float sum = 0.0f;
        for (int p = 0; p < kParts; ++p) sum += parts[(size_t)((gr * kParts + p) * cog * K + i)];
        dwg[i] = sum;
      }
    }
    return;
  }
  if (cog <= kChannelsLastMaxRows) {
    weight_grad_channels_last(g, x, dy, ty, tx, dweight);
    return;
  }
  // Wide layers: dW[Cout/g x K] += dY[Cout/g x P] * col^T[P x K] with the transposing im2col packer;
  // groups are independent, batches accumulate in order.
  for_items(g.groups, cog, K, P * g.n, [&](int64_t gr, int threads) {
    float* dwg = dweight + gr * cog * K;
    for (int64_t n = 0; n < g.n; ++n) {
      conv::DensePackA a(dy + (n * g.c_out + gr * cog) * P, P, false);
      ShiftView v{x + (n * g.c_in + gr * cig) * in_plane, cig, in_plane, g.h, g.w, g.h_out, g.w_out, g.stride_h,
                  g.stride_w, (int)(g.kh * g.kw), ty.data(), tx.data()};
      ShiftPackBT b(v);
      conv::gemm(cog, K, P, a, b, dwg, K, n > 0, threads);
    }
  });
}

// ---- bias gradient --------------------------------------------------------------------------------------

void conv2d_backward_bias_f32(const float* dy, int64_t n, int64_t c, int64_t hw, float* dbias) {
  const int nt = (int)std::max<int64_t>(1, std::min<int64_t>(omp_get_max_threads(), n * c * hw / (1 << 15)));
  const auto sum = conv::conv_isa().sum_lanes64;
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t ch = 0; ch < c; ++ch) {
    double total = 0.0;
    for (int64_t b = 0; b < n; ++b) total += sum(dy + (b * c + ch) * hw, hw, nullptr);
    dbias[ch] = (float)total;
  }
}

}  // namespace cpu
}  // namespace detseg
