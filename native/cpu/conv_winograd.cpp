// The Winograd driver (conv_winograd.h), F(2x2, 3x3) and F(3x3, 2x2): tile plan, weight transform, and
// per tile block input transform -> 16 GEMMs on the SGEMM micro-kernel -> output transform.
//
// Layouts (MR x NR is the micro-tile of conv_isa()):
//  * U (transformed weights, packed once per call): [group][xi][panel of MR outputs][input][MR], the
//    micro-kernel's A panel format, so a K block of it is a plain offset;
//  * V (one tile block's transformed inputs): [xi][panel of NR tiles][input][NR], its B panel format;
//  * M (the block's products): [xi][output (rounded up to MR)][tiles of the block].
// A block of BLOCK_PANELS x NR tiles keeps V and M within L2 at 256 channels; each A panel of U then
// serves BLOCK_PANELS B panels from L1. Blocks of all images and groups are dealt to the threads; each
// output point is computed by one thread in a fixed order (a block shared by the team splits its
// steps by channel, (xi, panel) and output row), so results do not depend on the thread count.
#include "conv_winograd.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <vector>

#include "conv_gemm.h"
#include "conv_isa.h"

namespace detseg {
namespace cpu {
namespace conv {
namespace {

constexpr int64_t BLOCK_PANELS = 2;

int initial_mode() {
  const char* v = std::getenv("DETSEG_CONV_WINOGRAD");
  if (v == nullptr) return 1;
  if (std::strcmp(v, "off") == 0 || std::strcmp(v, "0") == 0) return 0;
  if (std::strcmp(v, "always") == 0) return 2;
  return 1;
}

std::atomic<int> g_mode{initial_mode()};

// Tile bases along one axis: the points y < len with y mod m*dil < dil (outputs y, y + dil, ...).
std::vector<int64_t> tile_bases(int64_t len, int64_t dil, int m) {
  std::vector<int64_t> b;
  for (int64_t y = 0; y < len; ++y)
    if (y % (m * dil) < dil) b.push_back(y);
  return b;
}

// Per tile of the image: offsets and validity bits (conv_isa.h WinoBlock), padded to whole panels.
struct TilePlan {
  std::vector<int32_t> in_off, in_bits, out_off, out_bits, group_in_col, group_out_col;
  int64_t tiles = 0, panels = 0;
};

TilePlan plan_tiles(const WinoConv& c, int64_t nr, int64_t lanes) {
  const std::vector<int64_t> by = tile_bases(c.h_out, c.dil_h, c.m), bx = tile_bases(c.w_out, c.dil_w, c.m);
  TilePlan p;
  p.tiles = (int64_t)(by.size() * bx.size());
  p.panels = (p.tiles + nr - 1) / nr;
  const size_t n = (size_t)(p.panels * nr);
  p.in_off.assign(n, 0);
  p.in_bits.assign(n, 0);
  p.out_off.assign(n, 0);
  p.out_bits.assign(n, 0);
  size_t t = 0;
  for (int64_t oy : by) {
    for (int64_t ox : bx) {
      const int64_t iy = oy - c.pad_h, ix = ox - c.pad_w;
      int32_t bits = 0;
      for (int i = 0; i < 4; ++i) {
        const int64_t r = iy + i * c.dil_h, q = ix + i * c.dil_w;
        if (r >= 0 && r < c.h) bits |= 1 << i;
        if (q >= 0 && q < c.w) bits |= 16 << i;
      }
      p.in_off[t] = (int32_t)(iy * c.w + ix);
      p.in_bits[t] = bits;
      p.out_off[t] = (int32_t)((c.out_y0 + c.out_sy * oy) * c.out_pitch + c.out_x0 + c.out_sx * ox);
      int32_t ob = 0;
      for (int a = 0; a < c.m; ++a)
        for (int b = 0; b < c.m; ++b)
          if (oy + a * c.dil_h < c.h_out && ox + b * c.dil_w < c.w_out) ob |= 1 << (c.m * a + b);
      p.out_bits[t] = ob;
      ++t;
    }
  }
  // regular lane groups (the ISA kernels take them for m = 2 only): whole, inside one tile row,
  // columns 2 apart; their outputs also need consecutive result columns
  const int64_t groups = (int64_t)n / lanes, per_row = (int64_t)bx.size();
  p.group_in_col.assign((size_t)groups, INT32_MIN);
  p.group_out_col.assign((size_t)groups, INT32_MIN);
  for (int64_t gi = 0; gi < groups; ++gi) {
    const int64_t first = gi * lanes, last = first + lanes - 1;
    if (c.m != 2 || c.dil_w != 1 || last >= p.tiles || first / per_row != last / per_row) continue;
    const int64_t ox = bx[(size_t)(first % per_row)];
    if (bx[(size_t)(last % per_row)] != ox + 2 * (lanes - 1)) continue;
    p.group_in_col[(size_t)gi] = (int32_t)(ox - c.pad_w);
    if (c.out_sx == 1) p.group_out_col[(size_t)gi] = (int32_t)(c.out_x0 + ox);
  }
  return p;
}

// U = G g G^T for every (group, output, input) into the packed layout; rows of the last panel past
// the group's outputs are 0. F(2x2, 3x3): G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]. F(3x3, 2x2):
// G = [1 0; 1/2 1/2; 1/2 -1/2; 0 -1] (the last row negated to pair with the shared input transform).
// The loops run across the MR outputs of a panel (contiguous in U), so they vectorise; work items are
// (group, panel, input).

// t[0..3] = G * (g[0], g[1], g[2]) (r = 3) or G * (g[0], g[1]) (r = 2), across MR lanes.
template <int R, int MR>
inline void g_column(const float (*g)[MR], float (*t)[MR]) {
  for (int o = 0; o < MR; ++o) {
    if (R == 3) {
      const float g0 = g[0][o], g1 = g[1][o], g2 = g[2][o];
      t[0][o] = g0;
      t[1][o] = 0.5f * (g0 + g1 + g2);
      t[2][o] = 0.5f * (g0 - g1 + g2);
      t[3][o] = g2;
    } else {
      const float g0 = g[0][o], g1 = g[1][o];
      t[0][o] = g0;
      t[1][o] = 0.5f * (g0 + g1);
      t[2][o] = 0.5f * (g0 - g1);
      t[3][o] = -g1;
    }
  }
}

// MR is a template argument so the lane loops are fixed-length (vectorised, no calls).
template <int R, int MR>
void transform_weights(const WinoConv& c, const WinoWeights& wt, float* u) {
  const int64_t cig = c.c_in / c.groups, cog = c.c_out / c.groups;
  const int64_t upanels = (cog + MR - 1) / MR;
  const int64_t panel_floats = cig * MR, xi_floats = upanels * panel_floats;
  const int64_t items = c.groups * upanels * cig;
  const int nt = (int)std::max<int64_t>(1, std::min<int64_t>(omp_get_max_threads(), items * MR / 4096));
#pragma omp parallel for schedule(static) num_threads(nt)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t i = item % cig, gp = item / cig, p = gp % upanels, gr = gp / upanels;
    const int64_t rows = std::min<int64_t>(MR, cog - p * MR);
    // g[ky][kx][o]; t[kx][xi row][o] = G down each kernel column; then G across each row of t
    float g[R][R][MR], col[R][MR], t[R][4][MR], row[R][MR], uu[4][MR];
    const float* w0 = wt.base + gr * wt.sg + (p * MR) * wt.so + i * wt.si;
    for (int ky = 0; ky < R; ++ky)
      for (int kx = 0; kx < R; ++kx) {
        const float* w = w0 + ky * wt.sky + kx * wt.skx;
        for (int o = 0; o < MR; ++o) g[ky][kx][o] = o < rows ? w[o * wt.so] : 0.0f;
      }
    for (int kx = 0; kx < R; ++kx) {
      for (int ky = 0; ky < R; ++ky)
        for (int o = 0; o < MR; ++o) col[ky][o] = g[ky][kx][o];
      g_column<R, MR>(col, t[kx]);
    }
    float* dst = u + gr * 16 * xi_floats + p * panel_floats + i * MR;
    for (int r = 0; r < 4; ++r) {
      for (int kx = 0; kx < R; ++kx)
        for (int o = 0; o < MR; ++o) row[kx][o] = t[kx][r][o];
      g_column<R, MR>(row, uu);
      for (int s = 0; s < 4; ++s) {
        float* d = dst + (r * 4 + s) * xi_floats;
        for (int o = 0; o < MR; ++o) d[o] = uu[s][o];
      }
    }
  }
}

template <int R>
void transform_weights_for(int64_t mr, const WinoConv& c, const WinoWeights& wt, float* u) {
  switch (mr) {
    case 14: transform_weights<R, 14>(c, wt, u); break;
    case 6: transform_weights<R, 6>(c, wt, u); break;
    case 4: transform_weights<R, 4>(c, wt, u); break;
    default: throw std::logic_error("Winograd weight transform: no case for a micro-tile of this height");
  }
}

thread_local GrowBuffer tl_weights;  // U, on the calling thread
thread_local GrowBuffer tl_inputs;   // V of the block a thread runs
thread_local GrowBuffer tl_products;  // M of the block a thread runs

}  // namespace

int winograd_mode() { return g_mode.load(std::memory_order_relaxed); }
void set_winograd_mode(int mode) { g_mode.store(mode, std::memory_order_relaxed); }


bool winograd_fits(const WinoConv& c) {
  if (c.dil_h < 1 || c.dil_w < 1 || c.h_out < 1 || c.w_out < 1 || (c.m != 2 && c.m != 3)) return false;
  // every lane offset (input point or output point, masked off or not) must be an int32
  const int64_t lim = std::numeric_limits<int32_t>::max() / 2;
  const int64_t rows_in = c.h_out + std::abs(c.pad_h) + 3 * c.dil_h, cols_in = c.w_out + std::abs(c.pad_w) + 3 * c.dil_w;
  const int64_t rows_out = c.out_y0 + c.out_sy * (c.h_out + 3 * c.dil_h), cols_out = c.out_x0 + c.out_sx * (c.w_out + 3 * c.dil_w);
  return rows_in < lim / std::max<int64_t>(c.w, 1) - cols_in && rows_out < lim / std::max<int64_t>(c.out_pitch, 1) - cols_out;
}

bool winograd_pays(const WinoConv& c) {
  const int64_t cig = c.c_in / c.groups, cog = c.c_out / c.groups;
  // F(3x3, 2x2) reads and writes every tile point through gathers and scatters (its tiles step 3
  // columns, and a transposed convolution's phases write every other column), which eat its 2.25x:
  // measured 0.9-1.1x the direct path (256 -> 128 channels, 32x32 to 128x128 maps), so it only runs
  // when forced.
  if (c.m != 2) return false;
  // The tile transforms cost ~ (cig + cog) * 16 per tile against 16 * cig * cog multiply-adds, and
  // the weight transform ~ 16 * cig * cog per call, paid back by ~5 saved multiply-adds per output
  // point: below 32 channels a side or ~400 output points per image the direct GEMM path measured as
  // fast or faster (e.g. 512 -> 512 at 13x13: 0.9x, 128 -> 256 at 26x26: 1.3x, 256 -> 256 at 64x64: 1.8x).
  return cig >= 32 && cog >= 32 && c.h_out * c.w_out >= 400;
}

void winograd_conv(const WinoConv& c, const float* src, const WinoWeights& wt, const float* bias, float* dst) {
  const IsaTable& isa = conv_isa();
  const int64_t MR = isa.mr, NR = isa.nr, KC = isa.kc;
  const int64_t cig = c.c_in / c.groups, cog = c.c_out / c.groups;
  const int64_t upanels = (cog + MR - 1) / MR, mrows = upanels * MR;
  const int64_t u_xi = upanels * cig * MR;
  float* u = tl_weights.get((size_t)(c.groups * 16 * u_xi));
  if (c.m == 2) {
    transform_weights_for<3>(MR, c, wt, u);
  } else {
    transform_weights_for<2>(MR, c, wt, u);
  }

  const TilePlan plan = plan_tiles(c, NR, isa.lanes);
  const int64_t blocks = (plan.panels + BLOCK_PANELS - 1) / BLOCK_PANELS;
  const int64_t items = c.n * c.groups * blocks;
  const int64_t in_plane = c.h * c.w, out_plane = c.out_plane;
  const int64_t v_floats = 16 * BLOCK_PANELS * NR * cig, m_floats = 16 * mrows * BLOCK_PANELS * NR;

  // Item `item`, share `part` of `parts`: its input channels, (xi, panel) products and output rows,
  // with a barrier between the steps when the item is shared (parts > 1).
  auto run_item = [&](int64_t item, int part, int parts, float* v, float* m) {
    const int64_t blk = item % blocks, ng = item / blocks;
    const int64_t img = ng / c.groups, gr = ng - img * c.groups;
    const int64_t t0 = blk * BLOCK_PANELS * NR;
    const WinoBlock b{plan.in_off.data() + t0,
                      plan.in_bits.data() + t0,
                      plan.out_off.data() + t0,
                      plan.out_bits.data() + t0,
                      plan.group_in_col.data() + t0 / isa.lanes,
                      plan.group_out_col.data() + t0 / isa.lanes,
                      (int32_t)(c.dil_h * c.w),
                      (int32_t)c.dil_w,
                      (int32_t)(c.dil_h * c.out_sy * c.out_pitch),
                      (int32_t)(c.dil_w * c.out_sx),
                      (int32_t)c.w,
                      (int32_t)(c.out_x0 + c.out_sx * c.w_out),
                      c.m,
                      std::min<int64_t>(BLOCK_PANELS, plan.panels - blk * BLOCK_PANELS)};
    auto share = [&](int64_t n, int64_t& lo, int64_t& hi) {
      lo = n * part / parts;
      hi = n * (part + 1) / parts;
    };
    int64_t lo, hi;
    share(cig, lo, hi);
    isa.wino_input(b, src + (img * c.c_in + gr * cig + lo) * in_plane, in_plane, hi - lo, cig, v + lo * NR);
    if (parts > 1) {
#pragma omp barrier
    }
    const int64_t ldm = b.panels * NR, v_xi = b.panels * cig * NR, m_xi = mrows * ldm;
    share(16 * upanels, lo, hi);
    for (int64_t w = lo; w < hi; ++w) {
      const int64_t xi = w / upanels, p = w % upanels;
      const int64_t rows = std::min(MR, cog - p * MR);
      const IsaTable::Ukernel ker = rows <= isa.edge0 ? isa.ukernel_edge0
                                    : rows <= isa.edge1 ? isa.ukernel_edge1 : isa.ukernel;
      const float* a = u + (gr * 16 + xi) * u_xi + p * cig * MR;
      for (int64_t q = 0; q < b.panels; ++q) {
        const float* bp = v + xi * v_xi + q * cig * NR;
        float* cp = m + xi * m_xi + p * MR * ldm + q * NR;
        for (int64_t k0 = 0; k0 < cig; k0 += KC)
          ker(std::min(KC, cig - k0), a + k0 * MR, bp + k0 * NR, cp, ldm, k0 > 0, nullptr);
      }
    }
    if (parts > 1) {
#pragma omp barrier
    }
    share(cog, lo, hi);
    isa.wino_output(b, m + lo * ldm, m_xi, hi - lo, bias != nullptr ? bias + gr * cog + lo : nullptr,
                    dst + (img * c.c_out + gr * cog + lo) * out_plane, out_plane);
    if (parts > 1) {
#pragma omp barrier  // v and m are reused by the next item
    }
  };

  const int T = omp_get_max_threads();
  if (T > 1 && (items < 2 * T || (items % T != 0 && items < 16 * T)) && !omp_in_parallel()) {
    // Too few blocks to deal out evenly (small images, large channel counts): the team shares each
    // block, in the calling thread's buffers (a block is ~0.5 ms of work at 256 channels; the three
    // barriers per block cost microseconds).
    float* v = tl_inputs.get((size_t)v_floats);
    float* m = tl_products.get((size_t)m_floats);
#pragma omp parallel num_threads(T)
    for (int64_t item = 0; item < items; ++item) run_item(item, omp_get_thread_num(), T, v, m);
    return;
  }
  const int nt = (int)std::max<int64_t>(1, std::min<int64_t>(T, items));
#pragma omp parallel num_threads(nt)
  {
    float* v = tl_inputs.get((size_t)v_floats);
    float* m = tl_products.get((size_t)m_floats);
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < items; ++item) run_item(item, 0, 1, v, m);
  }
}

}  // namespace conv
}  // namespace cpu
}  // namespace detseg
