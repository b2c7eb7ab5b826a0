// The CPU conv family's promise that results do not depend on the thread count (conv_ops.h): every
// path (direct GEMM, Winograd with blocks dealt to threads or shared by the team, the column-phase
// layout of dilated convolutions, strided data gradients, SGEMM's split-N, split-M and own-rows
// modes) gives the same bits on 1 and 2 threads.
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iterator>
#include <random>
#include <vector>

#include "conv_ops.h"
#include "harness.h"

namespace {

using detseg::cpu::Conv2dGeom;

struct Run {
  std::vector<float> y, dx, dw;
};

Run run(const Conv2dGeom& g, const std::vector<float>& x, const std::vector<float>& w, const std::vector<float>& b,
        const std::vector<float>& dy, int threads) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  Run r;
  r.y.assign((size_t)(g.n * g.c_out * g.h_out * g.w_out), 0.0f);
  r.dx.assign(x.size(), 0.0f);
  r.dw.assign(w.size(), 0.0f);
  detseg::cpu::conv2d_forward_f32(g, x.data(), w.data(), b.data(), r.y.data());
  detseg::cpu::conv2d_backward_data_f32(g, dy.data(), w.data(), r.dx.data(), nullptr);
  detseg::cpu::conv2d_backward_weight_f32(g, x.data(), dy.data(), r.dw.data());
  omp_set_num_threads(before);
  return r;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void check_threads(const Conv2dGeom& g, int winograd_mode) {
  std::mt19937 rng(11);
  std::normal_distribution<float> nd;
  std::vector<float> x((size_t)(g.n * g.c_in * g.h * g.w)), w((size_t)(g.c_out * (g.c_in / g.groups) * g.kh * g.kw));
  std::vector<float> b((size_t)g.c_out), dy((size_t)(g.n * g.c_out * g.h_out * g.w_out));
  for (auto* v : {&x, &w, &b, &dy})
    for (float& e : *v) e = nd(rng);
  const int old = detseg::cpu::conv_set_winograd(winograd_mode);
  const int64_t runs0 = detseg::cpu::conv_winograd_runs();
  const Run one = run(g, x, w, b, dy, 1);
  const Run two = run(g, x, w, b, dy, 2);
  const int64_t runs = detseg::cpu::conv_winograd_runs() - runs0;
  detseg::cpu::conv_set_winograd(old);
  CHECK(same_bits(one.y, two.y));
  CHECK(same_bits(one.dx, two.dx));
  CHECK(same_bits(one.dw, two.dw));
  if (winograd_mode == 0) CHECK_EQ(runs, (int64_t)0);
  if (winograd_mode == 2) CHECK(runs > 0);  // the path under test did run
}

}  // namespace

// {n, c_in, h, w, c_out, h_out, w_out, kh, kw, sh, sw, ph, pw, dh, dw, groups}
TEST(conv_direct_paths_same_bits_on_1_and_2_threads) {
  check_threads(Conv2dGeom{2, 24, 13, 17, 20, 13, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1}, 0);
  check_threads(Conv2dGeom{1, 16, 20, 22, 12, 10, 11, 4, 4, 2, 2, 1, 1, 1, 1, 2}, 0);
  // a 2x2 stride-2 data gradient, its 4 phases stacked into 520 rows: SGEMM's own-rows mode
  check_threads(Conv2dGeom{1, 130, 24, 28, 48, 12, 14, 2, 2, 2, 2, 0, 0, 1, 1, 1}, 0);
}

namespace {
// C = alpha op(A) op(B) + beta C on `threads` threads, and its largest error against a double-precision
// product relative to sum |a| |b| of the element, over every 7th row and the last 24 (where a short
// remainder of rows runs).
std::vector<float> sgemm_on(int threads, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const std::vector<float>& a,
                            const std::vector<float>& b, const std::vector<float>& c0, float beta, double* err) {
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  std::vector<float> c = c0;
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  detseg::cpu::sgemm_f32(ta, tb, m, n, k, 0.5f, a.data(), lda, b.data(), ldb, beta, c.data(), n);
  omp_set_num_threads(before);
  double worst = 0.0;
  for (int64_t i = 0; i < m; ++i) {
    if (i % 7 != 0 && i < m - 24) continue;
    for (int64_t j = 0; j < n; ++j) {
      double s = 0.0, mag = 0.0;
      for (int64_t p = 0; p < k; ++p) {
        const double av = ta ? a[p * lda + i] : a[i * lda + p], bv = tb ? b[j * ldb + p] : b[p * ldb + j];
        s += av * bv;
        mag += std::fabs(av * bv);
      }
      const double want = 0.5 * s + beta * c0[i * n + j];
      worst = std::max(worst, std::fabs(c[i * n + j] - want) / (0.5 * mag + std::fabs(beta * c0[i * n + j]) + 1e-30));
    }
  }
  *err = worst;
  return c;
}

struct SgemmShape {
  int64_t m, n, k;
  bool ta, tb;
  float beta;
};

// Random operands of shape s on 1 and 2 threads: the same bits, both within 1e-5 of a double product.
void check_sgemm_on_1_and_2_threads(const SgemmShape& s, std::mt19937& rng) {
  std::normal_distribution<float> nd;
  std::vector<float> a((size_t)(s.m * s.k)), b((size_t)(s.k * s.n)), c0((size_t)(s.m * s.n));
  for (auto* v : {&a, &b, &c0})
    for (float& e : *v) e = nd(rng);
  double e1 = 0.0, e2 = 0.0;
  const std::vector<float> one = sgemm_on(1, s.ta, s.tb, s.m, s.n, s.k, a, b, c0, s.beta, &e1);
  const std::vector<float> two = sgemm_on(2, s.ta, s.tb, s.m, s.n, s.k, a, b, c0, s.beta, &e2);
  CHECK(same_bits(one, two));
  CHECK(e1 < 1e-5);
  CHECK(e2 < 1e-5);
}
}  // namespace

// Tall A (own-rows mode, shares not multiples of the panel height), wide N (split-N), narrow N with
// tall A below the own-rows size (split-M), each transposition, beta 0 and 1.
TEST(sgemm_same_bits_on_1_and_2_threads) {
  // (each has over 8M multiply-adds, so it does run on 2 threads)
  const SgemmShape shapes[] = {{1030, 97, 300, false, false, 0.0f}, {522, 160, 129, true, false, 1.0f},
                               {500, 64, 300, false, true, 0.0f},   {200, 700, 260, false, false, 1.0f},
                               {300, 40, 800, true, true, 1.0f}};
  std::mt19937 rng(5);
  for (const SgemmShape& s : shapes) check_sgemm_on_1_and_2_threads(s, rng);
}

// The splits follow the threads' measured speeds (conv_gemm.cpp): with the speeds set to put them at
// their extremes (one thread 1.5x its equal share, or 2/3 of it) and unknown, the own-rows (shares of
// 512 rows: 340/172 at the extreme) and split-N modes still give the bits of one thread.
TEST(sgemm_same_bits_whatever_the_speed_split) {
  struct Shape {
    int64_t m, n, k;
  };
  const Shape shapes[] = {{512, 100, 300}, {1030, 97, 260}, {200, 700, 260}};
  const float speeds[][2] = {{1.0f, 5.0f}, {5.0f, 1.0f}, {0.0f, 0.0f}, {1.0f, 1.2f}};
  std::mt19937 rng(7);
  std::normal_distribution<float> nd;
  for (const Shape& s : shapes) {
    std::vector<float> a((size_t)(s.m * s.k)), b((size_t)(s.k * s.n)), c0((size_t)(s.m * s.n));
    for (auto* v : {&a, &b})
      for (float& e : *v) e = nd(rng);
    double err = 0.0;
    const std::vector<float> one = sgemm_on(1, false, false, s.m, s.n, s.k, a, b, c0, 0.0f, &err);
    CHECK(err < 1e-5);
    for (const auto& sp : speeds) {
      detseg::cpu::conv_set_thread_speed(0, sp[0]);
      detseg::cpu::conv_set_thread_speed(1, sp[1]);
      const std::vector<float> two = sgemm_on(2, false, false, s.m, s.n, s.k, a, b, c0, 0.0f, &err);
      CHECK(same_bits(one, two));
      CHECK(err < 1e-5);
    }
  }
}

// M leaving one or two rows past its last full micro-panel (14 rows at AVX-512, 6 at AVX2): the driver
// splits the last panel and that remainder into two halves (conv_gemm.cpp, RowPanels). At every ISA, in
// each of its modes (the fused order M <= 160, split-N, split-M, own-rows with a share that leaves 2
// rows), with and without accumulating, transposed or not: against a double-precision product, and
// the same bits on 1 and 2 threads.
TEST(sgemm_split_last_panels_match_a_double_product_at_every_isa) {
  // 128 = 9 x 14 + 2 = 21 x 6 + 2; 127 = 9 x 14 + 1 = 21 x 6 + 1; 170 = 12 x 14 + 2 = 28 x 6 + 2 (split-M:
  // N of 3 panels); 226 = 16 x 14 + 2 = 37 x 6 + 4 (split-N); 1046 on 2 threads: shares of 520 = 37 x 14 + 2
  // and 526 (own rows), with N = 500 and row-major A packed panel by panel as it runs (two K blocks at
  // every ISA); 16 = 14 + 2 (a pair and nothing before it)
  const SgemmShape shapes[] = {{128, 300, 300, false, false, 1.0f}, {127, 260, 310, true, true, 0.0f},
                               {170, 90, 600, false, true, 1.0f},   {226, 700, 260, true, false, 0.0f},
                               {1046, 40, 300, false, false, 0.0f}, {16, 900, 700, false, false, 1.0f},
                               {1046, 500, 600, false, false, 1.0f}};
  std::mt19937 rng(13);
  int levels = 0;
  for (int level = 0; level <= 2; ++level) {
    if (!detseg::cpu::conv_force_isa(level)) continue;  // this CPU lacks the level
    ++levels;
    for (const SgemmShape& s : shapes) check_sgemm_on_1_and_2_threads(s, rng);
  }
  detseg::cpu::conv_force_isa(-1);
  CHECK(levels >= 1);
}

TEST(conv_winograd_same_bits_on_1_and_2_threads) {
  // many blocks (dealt out), one block (shared by the team), dilation 3 (column-phase layout)
  check_threads(Conv2dGeom{1, 40, 48, 70, 36, 48, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1}, 2);
  check_threads(Conv2dGeom{1, 64, 9, 12, 48, 9, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1}, 2);
  check_threads(Conv2dGeom{2, 32, 30, 33, 32, 30, 33, 3, 3, 1, 1, 3, 3, 3, 3, 2}, 2);
  // 4x4 stride 2: its data gradient's phases by F(3x3, 2x2)
  check_threads(Conv2dGeom{1, 16, 24, 26, 20, 12, 13, 4, 4, 2, 2, 1, 1, 1, 1, 1}, 2);
}

namespace {
// dW against a double-precision direct sum, relative to sum |x| |dy| of each element.
double weight_grad_error(const Conv2dGeom& g) {
  std::mt19937 rng(23);
  std::normal_distribution<float> nd;
  const int64_t cig = g.c_in / g.groups, cog = g.c_out / g.groups;
  std::vector<float> x((size_t)(g.n * g.c_in * g.h * g.w)), dy((size_t)(g.n * g.c_out * g.h_out * g.w_out));
  for (auto* v : {&x, &dy})
    for (float& e : *v) e = nd(rng);
  std::vector<float> dw((size_t)(g.c_out * cig * g.kh * g.kw), -1.0f);
  detseg::cpu::conv2d_backward_weight_f32(g, x.data(), dy.data(), dw.data());
  double worst = 0.0;
  for (int64_t co = 0; co < g.c_out; ++co)
    for (int64_t ci = 0; ci < cig; ++ci)
      for (int64_t ky = 0; ky < g.kh; ++ky)
        for (int64_t kx = 0; kx < g.kw; ++kx) {
          const int64_t cin = (co / cog) * cig + ci;
          double s = 0.0, mag = 0.0;
          for (int64_t n = 0; n < g.n; ++n)
            for (int64_t oy = 0; oy < g.h_out; ++oy)
              for (int64_t ox = 0; ox < g.w_out; ++ox) {
                const int64_t iy = oy * g.stride_h - g.pad_h + ky * g.dil_h, ix = ox * g.stride_w - g.pad_w + kx * g.dil_w;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                const double p = (double)x[((n * g.c_in + cin) * g.h + iy) * g.w + ix] *
                                 dy[((n * g.c_out + co) * g.h_out + oy) * g.w_out + ox];
                s += p;
                mag += std::fabs(p);
              }
          const float got = dw[((co * cig + ci) * g.kh + ky) * g.kw + kx];
          worst = std::max(worst, std::fabs(got - s) / (mag + 1e-30));
        }
  return worst;
}

// weight_grad_error of every shape under 1e-5 at each instruction set this CPU has, on the GEMM paths
// (Winograd's weight gradient off).
void check_weight_grad_at_every_isa(const Conv2dGeom* shapes, size_t count) {
  const int old = detseg::cpu::conv_set_winograd(0);
  int levels = 0;
  for (int level = 0; level <= 2; ++level) {
    if (!detseg::cpu::conv_force_isa(level)) continue;  // this CPU lacks the level
    ++levels;
    for (size_t i = 0; i < count; ++i) CHECK(weight_grad_error(shapes[i]) < 1e-5);
  }
  detseg::cpu::conv_force_isa(-1);
  detseg::cpu::conv_set_winograd(old);
  CHECK(levels > 0);
}
}  // namespace

// The channels-last weight gradient (up to 128 output channels) packs whole 32-channel (AVX-512),
// 16 (AVX2) or 8 (SSE2) runs of one tap per panel, a row of output pixels at a time with the padded
// columns zeroed: strides 1 and 2 with padding on the left and right, dilation, a 2x2 stride-2 kernel
// and groups, at every instruction set this CPU has.
TEST(conv_weight_gradient_matches_a_direct_sum_at_every_isa) {
  // {n, c_in, h, w, c_out, h_out, w_out, kh, kw, sh, sw, ph, pw, dh, dw, groups}
  const Conv2dGeom shapes[] = {
      {1, 64, 15, 19, 24, 8, 10, 3, 3, 2, 2, 1, 1, 1, 1, 1},    // stride 2, pad 1 (odd width: right pad used)
      {2, 64, 11, 13, 20, 11, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1},   // stride 1, pad 1, two images
      {1, 64, 12, 16, 16, 6, 8, 2, 2, 2, 2, 0, 0, 1, 1, 1},     // 2x2 stride 2
      {1, 48, 14, 17, 12, 14, 17, 3, 3, 1, 1, 2, 2, 2, 2, 1},   // dilation 2, pad 2
      {1, 96, 9, 21, 32, 5, 11, 3, 3, 2, 2, 1, 1, 1, 1, 2},     // groups of 48 channels, stride 2
  };
  check_weight_grad_at_every_isa(shapes, sizeof(shapes) / sizeof(shapes[0]));
}

// Kernels of at most 2.25 taps per stride cell (undilated, stride_w <= 2) pack the weight gradient's
// B straight from NCHW x (pack_b_taps_nchw): channel counts that split panels across taps, output
// widths that are no multiple of the vector (value-by-value tails, K blocks starting mid-row), an
// unused last input column, padding on both sides, strides (1, 2), two images; every ISA here.
TEST(conv_weight_gradient_packed_from_nchw_matches_a_direct_sum_at_every_isa) {
  // {n, c_in, h, w, c_out, h_out, w_out, kh, kw, sh, sw, ph, pw, dh, dw, groups}
  const Conv2dGeom shapes[] = {
      {1, 40, 26, 101, 24, 13, 50, 2, 2, 2, 2, 0, 0, 1, 1, 1},  // 40 channels, odd width, 50 columns
      {2, 33, 27, 40, 20, 14, 20, 3, 3, 2, 2, 1, 1, 1, 1, 1},   // 3x3 stride 2 pad 1, two images
      {1, 32, 10, 64, 8, 10, 32, 1, 2, 1, 2, 0, 0, 1, 1, 1},    // 1x2 kernel, stride (1, 2)
      {1, 64, 16, 35, 16, 8, 17, 2, 3, 2, 2, 0, 1, 1, 1, 1},    // 2x3, padded left and right
      {1, 64, 32, 64, 96, 16, 32, 2, 2, 2, 2, 0, 0, 1, 1, 2},   // groups of 32 channels
  };
  check_weight_grad_at_every_isa(shapes, sizeof(shapes) / sizeof(shapes[0]));
}

namespace {
std::vector<float> normal(std::mt19937& rng, int64_t n) {
  std::normal_distribution<float> nd;
  std::vector<float> v((size_t)n);
  for (float& e : v) e = nd(rng);
  return v;
}

// dX (plus a per-input-channel bias when asked) against a double-precision direct sum, relative to
// sum |w| |dy| + |bias| of each element. dX starts as a sentinel, so a point left unwritten fails.
double data_grad_error(const Conv2dGeom& g, bool with_bias) {
  std::mt19937 rng(29);
  std::normal_distribution<float> nd;
  const int64_t cig = g.c_in / g.groups, cog = g.c_out / g.groups;
  std::vector<float> w((size_t)(g.c_out * cig * g.kh * g.kw)), dy((size_t)(g.n * g.c_out * g.h_out * g.w_out));
  std::vector<float> bias((size_t)g.c_in);
  for (auto* v : {&w, &dy, &bias})
    for (float& e : *v) e = nd(rng);
  std::vector<float> dx((size_t)(g.n * g.c_in * g.h * g.w), -7777.0f);
  detseg::cpu::conv2d_backward_data_f32(g, dy.data(), w.data(), dx.data(), with_bias ? bias.data() : nullptr);
  std::vector<double> want(dx.size(), 0.0), mag(dx.size(), 0.0);
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t co = 0; co < g.c_out; ++co)
      for (int64_t oy = 0; oy < g.h_out; ++oy)
        for (int64_t ox = 0; ox < g.w_out; ++ox) {
          const double d = dy[((n * g.c_out + co) * g.h_out + oy) * g.w_out + ox];
          for (int64_t ci = 0; ci < cig; ++ci)
            for (int64_t ky = 0; ky < g.kh; ++ky)
              for (int64_t kx = 0; kx < g.kw; ++kx) {
                const int64_t iy = oy * g.stride_h - g.pad_h + ky * g.dil_h, ix = ox * g.stride_w - g.pad_w + kx * g.dil_w;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                const int64_t at = ((n * g.c_in + (co / cog) * cig + ci) * g.h + iy) * g.w + ix;
                const double p = d * w[((co * cig + ci) * g.kh + ky) * g.kw + kx];
                want[(size_t)at] += p;
                mag[(size_t)at] += std::fabs(p);
              }
        }
  double worst = 0.0;
  for (size_t i = 0; i < dx.size(); ++i) {
    const double b = with_bias ? bias[(i / (size_t)(g.h * g.w)) % (size_t)g.c_in] : 0.0;
    worst = std::max(worst, std::fabs(dx[i] - (want[i] + b)) / (mag[i] + std::fabs(b) + 1e-30));
  }
  return worst;
}
}  // namespace

// The data gradient's GEMM paths, above all the uniform one (kernel == stride, no padding: one product
// over every phase, its tiles interleaved straight into dx rows by a sink): 2x2 stride 2 with a whole
// pair zip per tile, with phase rows shorter than a tile, with a tall product (SGEMM's own-rows mode),
// 3x3 stride 3 and 2x3 strides (phase groups a tile edge cuts), 1x2; next to 3x3 and 4x4 stride 2
// (per-phase products and a scratch zip) — with and without a bias, at every instruction set.
TEST(conv_data_gradient_matches_a_direct_sum_at_every_isa) {
  // {n, c_in, h, w, c_out, h_out, w_out, kh, kw, sh, sw, ph, pw, dh, dw, groups}
  const Conv2dGeom shapes[] = {
      {1, 64, 16, 20, 48, 8, 10, 2, 2, 2, 2, 0, 0, 1, 1, 1},    // 2x2 stride 2, 256 product rows
      {2, 37, 12, 18, 20, 6, 9, 2, 2, 2, 2, 0, 0, 1, 1, 1},     // odd channels, 9-wide phase rows, two images
      {1, 130, 24, 68, 24, 12, 34, 2, 2, 2, 2, 0, 0, 1, 1, 1},  // 520 product rows
      {1, 20, 15, 18, 12, 5, 6, 3, 3, 3, 3, 0, 0, 1, 1, 1},     // 3x3 stride 3: nine phases
      {1, 24, 10, 21, 16, 5, 7, 2, 3, 2, 3, 0, 0, 1, 1, 1},     // 2x3 stride (2, 3)
      {1, 30, 9, 16, 16, 9, 8, 1, 2, 1, 2, 0, 0, 1, 1, 1},      // 1x2 stride (1, 2)
      {1, 24, 15, 19, 16, 8, 10, 3, 3, 2, 2, 1, 1, 1, 1, 1},    // 3x3 stride 2, pad 1 (not uniform)
      {1, 16, 14, 18, 24, 7, 9, 4, 4, 2, 2, 1, 1, 1, 1, 1},     // 4x4 stride 2, pad 1 (not uniform)
  };
  const int old = detseg::cpu::conv_set_winograd(0);
  int levels = 0;
  for (int level = 0; level <= 2; ++level) {
    if (!detseg::cpu::conv_force_isa(level)) continue;  // this CPU lacks the level
    ++levels;
    for (const Conv2dGeom& g : shapes) {
      CHECK(data_grad_error(g, false) < 1e-5);
      CHECK(data_grad_error(g, true) < 1e-5);
    }
  }
  detseg::cpu::conv_force_isa(-1);
  detseg::cpu::conv_set_winograd(old);
  CHECK(levels > 0);
}

namespace {
// With Winograd forced, at every instruction set this CPU has: errors(g) (each under 2e-5) for every
// shape, which must take the Winograd path `runs` times; then the same bits on 1 and 2 threads.
void check_winograd_at_every_isa(const Conv2dGeom* shapes, size_t count, int64_t runs, const char* what,
                                 const std::function<std::vector<double>(const Conv2dGeom&)>& errors) {
  const int old = detseg::cpu::conv_set_winograd(2);
  int levels = 0;
  for (int level = 0; level <= 2; ++level) {
    if (!detseg::cpu::conv_force_isa(level)) continue;
    ++levels;
    for (size_t i = 0; i < count; ++i) {
      const Conv2dGeom& g = shapes[i];
      const int64_t runs0 = detseg::cpu::conv_winograd_runs();
      const std::vector<double> e = errors(g);
      CHECK_EQ(detseg::cpu::conv_winograd_runs() - runs0, runs);
      for (double v : e) {
        if (!(v < 2e-5))  // which shape, at which level
          std::fprintf(stderr, "isa level %d, %lldx%lld kernel, input %lldx%lld: %s error %g\n", level,
                       (long long)g.kh, (long long)g.kw, (long long)g.h, (long long)g.w, what, v);
        CHECK(v < 2e-5);
      }
    }
  }
  detseg::cpu::conv_force_isa(-1);
  for (size_t i = 0; i < count; ++i) check_threads(shapes[i], 2);
  detseg::cpu::conv_set_winograd(old);
  CHECK(levels > 0);
}
}  // namespace

// The data gradient's stride phases by one shared-tile Winograd run (winograd_conv_phases): 4x4 stride
// 2 with pads 0-3 (phases whose tiles start a row or column before their results), odd sizes, rows
// wide enough for regular lane groups and rows cut short, groups with two images, a 1-wide map, and
// 6x6 stride 3 (nine phases of 2x2 taps) — with and without a bias, at every instruction set, and the
// same bits on 1 and 2 threads.
TEST(conv_winograd_shared_phases_match_a_direct_sum_at_every_isa) {
  // {n, c_in, h, w, c_out, h_out, w_out, kh, kw, sh, sw, ph, pw, dh, dw, groups}
  const Conv2dGeom shapes[] = {
      {1, 24, 64, 100, 40, 32, 50, 4, 4, 2, 2, 1, 1, 1, 1, 1},  // the transposed k4 s2 p1 shape, wide rows
      {1, 20, 15, 19, 24, 8, 10, 4, 4, 2, 2, 1, 1, 1, 1, 1},   // odd sizes
      {1, 16, 14, 18, 20, 6, 8, 4, 4, 2, 2, 0, 0, 1, 1, 1},    // no padding
      {1, 16, 13, 50, 12, 7, 26, 4, 4, 2, 2, 2, 2, 1, 1, 1},   // pad 2: all phases shifted alike
      {1, 16, 17, 21, 12, 10, 11, 4, 4, 2, 2, 3, 2, 1, 1, 1},  // pad 3 and 2: rows and columns differ
      {2, 24, 12, 14, 32, 6, 7, 4, 4, 2, 2, 1, 1, 1, 1, 2},    // groups, two images
      {1, 12, 2, 1, 16, 1, 1, 4, 4, 2, 2, 1, 1, 1, 1, 1},      // a 1x1 dy, a 1-wide dx
      {1, 16, 12, 86, 16, 6, 43, 4, 4, 2, 2, 1, 1, 1, 1, 1},   // 15 tiles a row: a lane group ends with a
                                                               // row's first tile alone (its column -1 off)
      {1, 12, 18, 21, 16, 5, 6, 6, 6, 3, 3, 1, 1, 1, 1, 1},    // 6x6 stride 3: nine 2x2 phases
      {1, 16, 64, 64, 24, 32, 32, 4, 4, 2, 2, 1, 1, 1, 1, 1},   // 11 tiles a row: lane groups of three rows
      {1, 12, 66, 66, 16, 32, 32, 4, 4, 2, 2, 0, 0, 1, 1, 1},   // the same without padding
      {1, 12, 54, 54, 16, 27, 27, 4, 4, 2, 2, 1, 1, 1, 1, 1},   // 81 tiles: one shared block of 3 panels
                                                                // at 32 lanes (run_blocks' wide blocks)
      {1, 12, 42, 42, 16, 21, 21, 4, 4, 2, 2, 1, 1, 1, 1, 1},   // 49 tiles: 4 panels of 16 in one block
  };
  check_winograd_at_every_isa(shapes, std::size(shapes), 2, "data gradient (without / with a bias)",
                              [](const Conv2dGeom& g) {
                                return std::vector<double>{data_grad_error(g, false), data_grad_error(g, true)};
                              });
}

namespace {
// Y (with a bias when asked) against a double-precision direct sum, relative to sum |w| |x| + |bias| of
// each element. Y starts as a sentinel, so a point left unwritten fails.
double forward_error(const Conv2dGeom& g, bool with_bias) {
  std::mt19937 rng(31);
  const int64_t cig = g.c_in / g.groups, cog = g.c_out / g.groups;
  const std::vector<float> x = normal(rng, g.n * g.c_in * g.h * g.w), w = normal(rng, g.c_out * cig * g.kh * g.kw);
  const std::vector<float> bias = normal(rng, g.c_out);
  std::vector<float> y((size_t)(g.n * g.c_out * g.h_out * g.w_out), -7777.0f);
  detseg::cpu::conv2d_forward_f32(g, x.data(), w.data(), with_bias ? bias.data() : nullptr, y.data());
  double worst = 0.0;
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t co = 0; co < g.c_out; ++co)
      for (int64_t oy = 0; oy < g.h_out; ++oy)
        for (int64_t ox = 0; ox < g.w_out; ++ox) {
          double want = with_bias ? bias[(size_t)co] : 0.0, mag = std::fabs(want);
          for (int64_t ci = 0; ci < cig; ++ci)
            for (int64_t ky = 0; ky < g.kh; ++ky)
              for (int64_t kx = 0; kx < g.kw; ++kx) {
                const int64_t iy = oy * g.stride_h - g.pad_h + ky * g.dil_h, ix = ox * g.stride_w - g.pad_w + kx * g.dil_w;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                const double p = (double)w[(size_t)(((co * cig + ci) * g.kh + ky) * g.kw + kx)] *
                                 x[(size_t)(((n * g.c_in + (co / cog) * cig + ci) * g.h + iy) * g.w + ix)];
                want += p;
                mag += std::fabs(p);
              }
          const float got = y[(size_t)(((n * g.c_out + co) * g.h_out + oy) * g.w_out + ox)];
          worst = std::max(worst, std::fabs(got - want) / (mag + 1e-30));
        }
  return worst;
}
}  // namespace

// A transposed convolution's input and weight gradients at once (conv2d_forward_and_weight_grad_f32,
// the forward keeping its input transforms for the weight gradient): the forward is bit for bit the
// forward alone, the weight gradient matches a direct sum as the weight gradient alone does, both the
// same bits on 1 and 2 threads; with more tile blocks than one kept set (several rounds summing into dU), two
// images, groups, odd sizes, nine phases, at every instruction set. Not fused (Winograd off), the two
// plain paths.
namespace {
double forward_and_weight_grad_error(const Conv2dGeom& g) {
  std::mt19937 rng(41);
  const int64_t cig = g.c_in / g.groups;
  const std::vector<float> x = normal(rng, g.n * g.c_in * g.h * g.w), w = normal(rng, g.c_out * cig * g.kh * g.kw);
  const std::vector<float> dy = normal(rng, g.n * g.c_out * g.h_out * g.w_out);
  const size_t ny = (size_t)(g.n * g.c_out * g.h_out * g.w_out), nw = w.size();
  std::vector<float> y(ny, -7777.0f), dw(nw, -7777.0f), y2(ny, 3.0f), dw2(nw, 3.0f);
  std::vector<float> y_alone(ny, 5.0f), dw_alone(nw, 5.0f);
  std::vector<float> sums((size_t)g.c_in, -7777.0f), sums2((size_t)g.c_in, 3.0f);
  const int before = omp_get_max_threads();
  omp_set_num_threads(1);
  detseg::cpu::conv2d_forward_and_weight_grad_f32(g, x.data(), w.data(), y.data(), dy.data(), dw.data(), sums.data());
  omp_set_num_threads(2);
  detseg::cpu::conv2d_forward_and_weight_grad_f32(g, x.data(), w.data(), y2.data(), dy.data(), dw2.data(),
                                                  sums2.data());
  omp_set_num_threads(before);
  CHECK(same_bits(y, y2));
  CHECK(same_bits(dw, dw2));
  CHECK(same_bits(sums, sums2));
  detseg::cpu::conv2d_forward_f32(g, x.data(), w.data(), nullptr, y_alone.data());
  detseg::cpu::conv2d_backward_weight_f32(g, x.data(), dy.data(), dw_alone.data());
  CHECK(same_bits(y, y_alone));
  double worst = 0.0;
  for (int64_t co = 0; co < g.c_out; ++co)
    for (int64_t ci = 0; ci < cig; ++ci)
      for (int64_t ky = 0; ky < g.kh; ++ky)
        for (int64_t kx = 0; kx < g.kw; ++kx) {
          const int64_t cin = (co / (g.c_out / g.groups)) * cig + ci;
          double s = 0.0, mag = 0.0;
          for (int64_t n = 0; n < g.n; ++n)
            for (int64_t oy = 0; oy < g.h_out; ++oy)
              for (int64_t ox = 0; ox < g.w_out; ++ox) {
                const int64_t iy = oy * g.stride_h - g.pad_h + ky, ix = ox * g.stride_w - g.pad_w + kx;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                const double p = (double)x[(size_t)(((n * g.c_in + cin) * g.h + iy) * g.w + ix)] *
                                 dy[(size_t)(((n * g.c_out + co) * g.h_out + oy) * g.w_out + ox)];
                s += p;
                mag += std::fabs(p);
              }
          const size_t at = (size_t)(((co * cig + ci) * g.kh + ky) * g.kw + kx);
          worst = std::max(worst, std::fabs(dw[at] - s) / (mag + 1e-30));
          worst = std::max(worst, std::fabs(dw_alone[at] - s) / (mag + 1e-30));
        }
  // x's channel sums (the transposed convolution's bias gradient), every row of every image once
  for (int64_t c = 0; c < g.c_in; ++c) {
    double s = 0.0, mag = 0.0;
    for (int64_t n = 0; n < g.n; ++n)
      for (int64_t i = 0; i < g.h * g.w; ++i) {
        const double v = x[(size_t)((n * g.c_in + c) * g.h * g.w + i)];
        s += v;
        mag += std::fabs(v);
      }
    worst = std::max(worst, std::fabs(sums[(size_t)c] - s) / (mag + 1e-30));
  }
  return worst;
}
}  // namespace

TEST(conv_forward_and_weight_gradient_together_match_each_alone_at_every_isa) {
  // {n, c_in, h, w, c_out, h_out, w_out, kh, kw, sh, sw, ph, pw, dh, dw, groups}
  const Conv2dGeom shapes[] = {
      {1, 16, 64, 64, 24, 32, 32, 4, 4, 2, 2, 1, 1, 1, 1, 1},   // 121 tiles: one kept set
      {1, 8, 130, 132, 12, 65, 66, 4, 4, 2, 2, 1, 1, 1, 1, 1},  // 22 x 22 tiles: several kept sets
      {2, 24, 12, 14, 32, 6, 7, 4, 4, 2, 2, 1, 1, 1, 1, 2},     // groups, two images
      {1, 20, 15, 19, 24, 7, 9, 4, 4, 2, 2, 1, 1, 1, 1, 1},     // odd sizes
      {1, 12, 18, 21, 16, 5, 6, 6, 6, 3, 3, 1, 1, 1, 1, 1},     // 6x6 stride 3: nine phases
  };
  // runs: together on 1 and on 2 threads (2 each), then the forward and the weight gradient alone
  check_winograd_at_every_isa(shapes, std::size(shapes), 6, "together: weight gradient", [](const Conv2dGeom& g) {
    return std::vector<double>{forward_and_weight_grad_error(g)};
  });
  const int old = detseg::cpu::conv_set_winograd(0);
  const int64_t runs0 = detseg::cpu::conv_winograd_runs();
  CHECK(forward_and_weight_grad_error(shapes[0]) < 2e-5);
  CHECK_EQ(detseg::cpu::conv_winograd_runs() - runs0, (int64_t)0);
  detseg::cpu::conv_set_winograd(old);
}

// Where the forward is an implicit GEMM and the weight gradient packs straight from x (2x2 stride 2,
// 3x3 stride 2, 1x2 stride (1, 2)...), the two and x's channel sums run band by band of x: the forward
// bit for bit the forward alone, the weight gradient and the sums against double-precision sums, the
// same bits on 1 and 2 threads; many bands (64 channels of 128-wide rows: 8 grid rows a band) with a
// short last one, rows past the last stride row (odd h), padding, two images, groups, rows split into
// their even and odd columns (stride 2 across, no padding there; odd widths) and not (left padding, or
// right padding implied by the output width), copied straight into the forward's packed B (kernel
// as tall as its stride, two wide, rows of whole micro-panels), at every instruction set.
TEST(conv_forward_and_weight_gradient_by_bands_match_direct_sums_at_every_isa) {
  // {n, c_in, h, w, c_out, h_out, w_out, kh, kw, sh, sw, ph, pw, dh, dw, groups}
  const Conv2dGeom shapes[] = {
      {1, 64, 74, 128, 16, 37, 64, 2, 2, 2, 2, 0, 0, 1, 1, 1},  // 5 bands, the last 5 rows
      {1, 24, 23, 30, 20, 11, 15, 2, 2, 2, 2, 0, 0, 1, 1, 1},   // odd h: row 22 read by no tap, summed
      {2, 24, 12, 14, 32, 6, 7, 2, 2, 2, 2, 0, 0, 1, 1, 2},     // groups, two images
      {1, 64, 40, 128, 12, 20, 64, 3, 3, 2, 2, 1, 1, 1, 1, 1},  // 3x3 stride 2 pad 1: bands share rows
      {1, 16, 9, 20, 8, 9, 10, 1, 2, 1, 2, 0, 0, 1, 1, 1},      // 1x2 stride (1, 2)
      {1, 8, 2, 2, 8, 1, 1, 2, 2, 2, 2, 0, 0, 1, 1, 1},         // a 1x1 result
      {1, 16, 20, 25, 12, 10, 12, 2, 2, 2, 2, 0, 0, 1, 1, 1},   // odd width, split: 13 even, 12 odd columns
      {1, 16, 20, 25, 12, 10, 13, 2, 2, 2, 2, 0, 0, 1, 1, 1},   // column 25 is right padding: not split
      {1, 16, 20, 37, 12, 9, 18, 3, 3, 2, 2, 0, 0, 1, 1, 1},    // 3x3 stride 2 unpadded: split, tap 2 reads
      {2, 32, 8, 64, 16, 4, 32, 2, 2, 2, 2, 0, 0, 1, 1, 2},     // rows of whole micro-panels: B in place
      {1, 16, 6, 64, 8, 6, 32, 1, 2, 1, 2, 0, 0, 1, 1, 1},      // ... 1x2 stride (1, 2)
      {1, 96, 4, 64, 8, 2, 32, 2, 2, 2, 2, 0, 0, 1, 1, 1},      // ... K = 384: two K blocks in place
      {1, 16, 9, 64, 8, 4, 32, 2, 2, 2, 2, 0, 0, 1, 1, 1},      // ... odd h: the sums read row 8 apart
      {1, 16, 8, 32, 8, 4, 16, 2, 2, 2, 2, 0, 0, 1, 1, 1},      // ... rows of 32: not whole lane blocks
  };
  const int64_t runs0 = detseg::cpu::conv_winograd_runs();
  for (int level = 0; level <= 2; ++level) {
    if (!detseg::cpu::conv_force_isa(level)) {
      std::printf("    (ISA level %d not on this CPU: skipped)\n", level);
      continue;
    }
    for (const Conv2dGeom& g : shapes) {
      const double err = forward_and_weight_grad_error(g);
      if (!(err < 2e-5)) std::printf("    level %d, %lldx%lld stride %lld: error %.3g\n", level, (long long)g.kh,
                                     (long long)g.kw, (long long)g.stride_h, err);
      CHECK(err < 2e-5);
    }
  }
  detseg::cpu::conv_force_isa(-1);
  CHECK_EQ(detseg::cpu::conv_winograd_runs() - runs0, (int64_t)0);  // none of these is a Winograd kernel
}

// F(2x2, 3x3)'s forward, data gradient and weight gradient where rows hold fewer tiles than a lane
// group has lanes, so groups take up to three rows (pieces) and, past that, the gathers; at every
// instruction set, against a double-precision direct sum.
TEST(conv_winograd_3x3_lane_groups_over_several_rows_match_a_direct_sum_at_every_isa) {
  // {n, c_in, h, w, c_out, h_out, w_out, kh, kw, sh, sw, ph, pw, dh, dw, groups}
  const Conv2dGeom shapes[] = {
      {1, 16, 20, 20, 24, 20, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1},  // 10 tiles a row: two and three pieces
      {1, 16, 22, 22, 24, 20, 20, 3, 3, 1, 1, 0, 0, 1, 1, 1},  // the same without padding
      {1, 12, 14, 13, 16, 14, 13, 3, 3, 1, 1, 1, 1, 1, 1, 1},  // 7 tiles a row, the last half outside
      {1, 12, 30, 9, 16, 28, 7, 3, 3, 1, 1, 0, 0, 1, 1, 1},    // 4 tiles a row: gathers
  };
  check_winograd_at_every_isa(shapes, std::size(shapes), 5,
                              "forward (without / with a bias) / data gradient (without / with) / weight gradient",
                              [](const Conv2dGeom& g) {
                                return std::vector<double>{forward_error(g, false), forward_error(g, true),
                                                           data_grad_error(g, false), data_grad_error(g, true),
                                                           weight_grad_error(g)};
                              });
}

// The forward and weight gradient of a strided convolution whose kernel has 2x2 taps per stride phase
// (4x4 stride 2, 6x6 stride 3, 4x2 stride (2, 1)) by one Winograd run over its input phases
// (winograd_conv_in_phases, winograd_weight_grad_in_phases):
// pads 0-3 (phases reading from a row before or after the one under their result), odd sizes and
// phases of unequal length, rows wide enough for whole lane groups, groups with two images, a 1x1
// result — with and without a bias, at every instruction set, and the same bits on 1 and 2 threads.
TEST(conv_winograd_strided_forward_and_weight_gradient_match_a_direct_sum_at_every_isa) {
  // {n, c_in, h, w, c_out, h_out, w_out, kh, kw, sh, sw, ph, pw, dh, dw, groups}
  const Conv2dGeom shapes[] = {
      {1, 24, 64, 100, 40, 32, 50, 4, 4, 2, 2, 1, 1, 1, 1, 1},  // k4 s2 p1, wide rows
      {1, 20, 15, 19, 24, 7, 9, 4, 4, 2, 2, 1, 1, 1, 1, 1},    // odd sizes: phases of unequal length
      {1, 16, 14, 18, 20, 6, 8, 4, 4, 2, 2, 0, 0, 1, 1, 1},    // no padding
      {1, 16, 13, 50, 12, 7, 26, 4, 4, 2, 2, 2, 2, 1, 1, 1},   // pad 2
      {1, 16, 17, 21, 12, 10, 11, 4, 4, 2, 2, 3, 2, 1, 1, 1},   // pads 3 and 2
      {2, 24, 12, 14, 32, 6, 7, 4, 4, 2, 2, 1, 1, 1, 1, 2},    // groups, two images
      {1, 12, 2, 2, 16, 1, 1, 4, 4, 2, 2, 1, 1, 1, 1, 1},      // a 1x1 result
      {1, 12, 18, 21, 16, 5, 6, 6, 6, 3, 3, 1, 1, 1, 1, 1},    // 6x6 stride 3: nine phases
      {1, 12, 16, 15, 16, 8, 14, 4, 2, 2, 1, 1, 0, 1, 1, 1},   // 4x2 stride (2, 1): two phases
      {1, 16, 64, 64, 24, 32, 32, 4, 4, 2, 2, 1, 1, 1, 1, 1},  // 11 tiles a row: lane groups of three rows
      {1, 12, 36, 35, 16, 18, 17, 4, 4, 2, 2, 1, 1, 1, 1, 1},  // 6 tiles a row, an odd input width
      {1, 12, 68, 68, 16, 33, 33, 4, 4, 2, 2, 0, 0, 1, 1, 1},  // 11 a row, every tile's points inside
                                                                // the image: pieces meet there
  };
  check_winograd_at_every_isa(shapes, std::size(shapes), 3, "forward (without / with a bias) / weight gradient",
                              [](const Conv2dGeom& g) {
                                return std::vector<double>{forward_error(g, false), forward_error(g, true),
                                                           weight_grad_error(g)};
                              });
}

// Output channels leaving one or two rows past the last full micro-panel of U (14 rows at AVX-512, 6 at
// AVX2): the products' last panel and that remainder run as two halves (RowPanels in conv_gemm.h), which
// U's packing (the F(2x2, 3x3) weight transform and F(3x3, 2x2)'s tap panels, output phases
// interleaved) must lay out alike. Forward, data and weight gradients at every instruction set against
// direct sums, and the same bits on 1 and 2 threads.
TEST(conv_winograd_split_last_panels_match_a_direct_sum_at_every_isa) {
  // {n, c_in, h, w, c_out, h_out, w_out, kh, kw, sh, sw, ph, pw, dh, dw, groups}
  const Conv2dGeom shapes[] = {
      // 3x3: 44 outputs (3 x 14 + 2, 7 x 6 + 2); its data gradient 43 (3 x 14 + 1, 7 x 6 + 1)
      {1, 43, 12, 14, 44, 12, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1},
      // 4x4 stride 2: 43 outputs over input phases; its data gradient 4 phases x 11 = 44 rows
      {1, 11, 16, 18, 43, 8, 9, 4, 4, 2, 2, 1, 1, 1, 1, 1},
      // 2x2 stride 1 (F(3x3, 2x2), one phase): 44 outputs, 43 inputs
      {1, 43, 10, 11, 44, 9, 10, 2, 2, 1, 1, 0, 0, 1, 1, 1},
  };
  const int64_t runs[] = {5, 5, 4};  // 2x2 stride 1's weight gradient is no Winograd one
  for (size_t i = 0; i < std::size(shapes); ++i)
    check_winograd_at_every_isa(&shapes[i], 1, runs[i],
                                "forward (without / with a bias) / data gradient (without / with) / weight gradient",
                                [](const Conv2dGeom& g) {
                                  return std::vector<double>{forward_error(g, false), forward_error(g, true),
                                                             data_grad_error(g, false), data_grad_error(g, true),
                                                             weight_grad_error(g)};
                                });
}
