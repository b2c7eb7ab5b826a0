// The Winograd driver (conv_winograd.h), F(2x2, 3x3) and F(3x3, 2x2): tile plan, weight transform, and
// per tile block input transform -> 16 GEMMs on the SGEMM micro-kernel -> output transform.
//
// Layouts (MR x NR is the micro-tile of conv_isa()):
//  * U (transformed weights, packed once per call): [group][xi][panel of MR outputs][input][MR], the
//    micro-kernel's A panel format, so a K block of it is a plain offset. F(3x3, 2x2) packs only the
//    2x2 taps in that format ([group][tap][panel][input][MR]) and each A panel of U is combined from
//    them when its products run: its U is 4x the kernel, which written out and read back was memory
//    bound (at 256 -> 4 x 128 channels 8 MiB, a third of the run);
//  * V (one tile block's transformed inputs): [xi][panel of NR tiles][input][NR], its B panel format;
//  * M (the block's products): [xi][output (rounded up to MR)][tiles of the block].
// A block of BLOCK_PANELS x NR tiles keeps V and M within L2 at 256 channels; each A panel of U then
// serves BLOCK_PANELS B panels from L1. Blocks of all images and groups are dealt to the threads; each
// output point is computed by one thread in a fixed order (a block shared by the team splits its
// steps by channel, (xi, panel) and output row), so results do not depend on the thread count.
#include "conv_winograd.h"

#include <omp.h>

#include <emmintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "conv_gemm.h"
#include "conv_isa.h"
#include "env_mode.h"

namespace detseg {
namespace cpu {
namespace conv {
namespace {

constexpr int64_t BLOCK_PANELS = 2;

std::atomic<int> g_mode{detail::env_mode("DETSEG_CONV_WINOGRAD")};

// Tile bases along one axis: the points y < len with y mod m*dil < dil (outputs y, y + dil, ...).
std::vector<int64_t> tile_bases(int64_t len, int64_t dil, int m) {
  std::vector<int64_t> b;
  for (int64_t y = 0; y < len; ++y)
    if (y % (m * dil) < dil) b.push_back(y);
  return b;
}

// Per tile of the image: offsets and validity bits (conv_isa.h WinoBlock), padded to whole panels,
// and per lane group whether it is regular.
struct TilePlan {
  std::vector<int32_t> in_off, in_bits, out_off, out_bits;
  std::vector<int32_t> in_row;  // the source row of each tile's first point row (a WinoSplit copies only
                                // the rows a block's tiles read)
  std::vector<WinoGroup> groups;
  int32_t in_dy = 0, in_dx = 0, out_dy = 0, out_dx = 0;
  int64_t src_plane = 0, dst_plane = 0;  // floats between channels of what the tiles read / write
  int64_t tiles = 0, panels = 0;
};

// The segment of a row a regular group must stay in, and where its tile's points sit in it.
struct TileSeg {
  int64_t seg;          // segment id (tiles of one segment and consecutive columns can share a group)
  int64_t in_col, in_w;  // first input column within the segment, segment width
  int64_t out_col, out_w;
};

void add_tile(TilePlan& p, int64_t in_row, int64_t in_off, int32_t in_bits, int64_t out_off, int32_t out_bits) {
  p.in_row.push_back((int32_t)in_row);
  p.in_off.push_back((int32_t)in_off);
  p.in_bits.push_back(in_bits);
  p.out_off.push_back((int32_t)out_off);
  p.out_bits.push_back(out_bits);
}

// Pads to whole panels and marks the regular lane groups (segs: one per tile; regular_out false when
// results are not in consecutive columns).
void finish_plan(TilePlan& p, const std::vector<TileSeg>& segs, int64_t nr, int64_t lanes, int m, bool regular_in,
                 bool regular_out) {
  p.tiles = (int64_t)p.in_off.size();
  p.panels = (p.tiles + nr - 1) / nr;
  const size_t n = (size_t)(p.panels * nr);
  p.in_row.resize(n, 0);
  p.in_off.resize(n, 0);
  p.in_bits.resize(n, 0);
  p.out_off.resize(n, 0);
  p.out_bits.resize(n, 0);
  const int64_t groups = (int64_t)n / lanes;
  const int32_t L = (int32_t)lanes;
  p.groups.assign((size_t)groups, WinoGroup{{L, L}, {INT32_MIN, INT32_MIN, INT32_MIN}, {INT32_MIN, INT32_MIN, INT32_MIN}, 0, 0});
  if (!regular_in) return;
  // regular: whole, at most three segments of equal widths, tile columns m apart within each
  for (int64_t gi = 0; gi < groups; ++gi) {
    const int64_t first = gi * lanes, last = first + lanes - 1;
    if (last >= p.tiles) continue;
    int32_t end[2] = {L, L};
    int pieces = 1;
    bool ok = true;
    for (int64_t l = 1; l < lanes && ok; ++l) {
      const TileSeg& prev = segs[(size_t)(first + l - 1)];
      const TileSeg& cur = segs[(size_t)(first + l)];
      if (cur.seg != prev.seg) {
        ok = pieces < 3 && cur.in_w == prev.in_w && cur.out_w == prev.out_w;
        if (ok) end[pieces++ - 1] = (int32_t)l;
      } else {
        ok = cur.in_col == prev.in_col + m && cur.out_col == prev.out_col + m;
      }
    }
    if (!ok) continue;
    WinoGroup& gr = p.groups[(size_t)gi];
    gr.end[0] = end[0];
    gr.end[1] = end[1];
    const int64_t starts[3] = {0, end[0], end[1]};
    for (int k = 0; k < pieces; ++k) gr.in_col[k] = (int32_t)segs[(size_t)(first + starts[k])].in_col;
    gr.in_w = (int32_t)segs[(size_t)first].in_w;
    if (!regular_out) continue;
    for (int k = 0; k < pieces; ++k) gr.out_col[k] = (int32_t)segs[(size_t)(first + starts[k])].out_col;
    gr.out_w = (int32_t)segs[(size_t)first].out_w;
  }
}

int32_t row_bits(const WinoConv& c, int64_t iy) {
  int32_t bits = 0;
  for (int i = 0; i < 4; ++i) {
    const int64_t r = iy + i * c.dil_h;
    if (r >= 0 && r < c.h) bits |= 1 << i;
  }
  return bits;
}

// Column phases (phase_plan): with dense results and m = 2, column dilation d > 1 is undone by
// storing each row's columns phase by phase. Result phase rho (columns rho + d*k) reads one input
// phase phi at consecutive indices, so its tiles are those of an undilated row. Segments are laid
// 2*nt columns apart, nt tiles each (the longest phase's tiles plus a spare), input phase phi placed
// so that tile k' of segment rho reads from column s0 + 2*nt*rho + 2*k': all tiles of a tile row step
// 2 columns, across segments too, and every lane group within a row is regular. The spare tiles and
// gaps (zeros) keep a segment's reads off its neighbours' data; their outputs are not stored back.
struct PhaseLayout {
  int64_t d = 1, nt = 0, s0 = 0;
  int64_t in_w = 0, out_w = 0;        // physical row widths
  std::vector<int64_t> in_pos;        // by input phase: column of its index 0
  std::vector<int64_t> wo, c0, phi;   // by result phase: width, first input index, input phase
};

int64_t phase_width(int64_t len, int64_t phase, int64_t d) { return phase >= len ? 0 : (len - phase + d - 1) / d; }

bool phase_layout_applies(const WinoConv& c) {
  return c.m == 2 && c.dil_w > 1 && c.out_sy == 1 && c.out_sx == 1 && c.out_y0 == 0 && c.out_x0 == 0 &&
         c.out_pitch == c.w_out && c.out_plane == c.h_out * c.w_out;
}

PhaseLayout phase_layout(const WinoConv& c) {
  PhaseLayout L;
  const int64_t d = c.dil_w, rhos = std::min(d, c.w_out);
  L.d = d;
  L.wo.resize(rhos);
  L.c0.resize(rhos);
  L.phi.resize(rhos);
  int64_t nt = 1;
  for (int64_t r = 0; r < rhos; ++r) {
    L.phi[r] = ((r - c.pad_w) % d + d) % d;
    L.c0[r] = (r - c.pad_w - L.phi[r]) / d;
    L.wo[r] = phase_width(c.w_out, r, d);
    nt = std::max(nt, (L.wo[r] + 1) / 2);
  }
  // smallest nt for which no segment's data or live reads reach a neighbour's data
  for (;; ++nt) {
    bool ok = true;
    for (int64_t r = 0; r + 1 < rhos && ok; ++r) {
      const int64_t wi = phase_width(c.w, L.phi[r], d);
      const int64_t next_data = 2 * nt - L.c0[r + 1];  // relative to segment r's first read
      // a tile's fourth input column feeds only its second output column: when that is past the
      // phase's end (odd width) the column may hold a neighbour's data
      const int64_t last_read = 2 * ((L.wo[r] + 1) / 2 - 1) + (L.wo[r] % 2 == 1 ? 2 : 3);
      const int64_t data_end = -L.c0[r] + wi - 1;
      ok = std::max(last_read, data_end) < next_data;
    }
    if (ok) break;
  }
  L.nt = nt;
  L.s0 = 0;
  for (int64_t r = 0; r < rhos; ++r) L.s0 = std::max(L.s0, L.c0[r] - 2 * nt * r);
  L.in_pos.assign(d, -1);
  int64_t end = L.s0 + 2 * nt * rhos + 2;  // one past the last read
  for (int64_t r = 0; r < rhos; ++r) {
    L.in_pos[L.phi[r]] = L.s0 + 2 * nt * r - L.c0[r];
    end = std::max(end, L.in_pos[L.phi[r]] + phase_width(c.w, L.phi[r], d));
  }
  L.in_w = end;
  L.out_w = 2 * nt * rhos;
  return L;
}

TilePlan phase_plan(const WinoConv& c, const PhaseLayout& L, int64_t nr, int64_t lanes) {
  TilePlan p;
  std::vector<TileSeg> segs;
  int64_t seg = 0;
  const int64_t rhos = (int64_t)L.wo.size();
  for (int64_t oy : tile_bases(c.h_out, c.dil_h, 2)) {
    const int64_t iy = oy - c.pad_h;
    const int32_t bits = row_bits(c, iy) | 0xF0;  // columns: the layout's zeros pad them
    for (int64_t r = 0; r < rhos; ++r) {
      for (int64_t k = 0; k < L.nt; ++k) {
        int32_t ob = 0;
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b)
            if (oy + a * c.dil_h < c.h_out && 2 * k + b < L.wo[r]) ob |= 1 << (2 * a + b);
        const int64_t col = 2 * L.nt * r + 2 * k;
        add_tile(p, iy, iy * L.in_w + L.s0 + col, bits, oy * L.out_w + col, ob);
        segs.push_back(TileSeg{seg, L.s0 + col, L.in_w, col, L.out_w});
      }
    }
    ++seg;
  }
  p.in_dy = (int32_t)(c.dil_h * L.in_w);
  p.in_dx = 1;
  p.out_dy = (int32_t)(c.dil_h * L.out_w);
  p.out_dx = 1;
  p.src_plane = c.h * L.in_w;
  p.dst_plane = c.h_out * L.out_w;
  finish_plan(p, segs, nr, lanes, 2, true, true);
  return p;
}

// rows of width w -> rows of width L.in_w in the phase layout (zeros elsewhere), and back for results.
void to_phase_layout(const PhaseLayout& L, const float* src, int64_t rows, int64_t w, float* dst) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* s = src + r * w;
    float* o = dst + r * L.in_w;
    std::memset(o, 0, (size_t)L.in_w * sizeof(float));
    for (int64_t f = 0; f < std::min(L.d, w); ++f) {
      if (L.in_pos[f] < 0) continue;  // no result phase reads it (narrow results)
      float* q = o + L.in_pos[f];
      for (int64_t x = f; x < w; x += L.d) *q++ = s[x];
    }
  }
}

// rows of width w_out -> rows of width L.out_w in the result phase layout, zeros in the spare places.
void to_out_phase_layout(const PhaseLayout& L, const float* src, int64_t rows, int64_t w_out, float* dst) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* s = src + r * w_out;
    float* o = dst + r * L.out_w;
    std::memset(o, 0, (size_t)L.out_w * sizeof(float));
    for (int64_t rho = 0; rho < (int64_t)L.wo.size(); ++rho) {
      float* q = o + 2 * L.nt * rho;
      for (int64_t k = 0; k < L.wo[rho]; ++k) q[k] = s[rho + L.d * k];
    }
  }
}

void from_phase_layout(const PhaseLayout& L, const float* src, int64_t rows, int64_t w_out, float* dst) {
#pragma omp parallel for schedule(static)
  for (int64_t r = 0; r < rows; ++r) {
    const float* s = src + r * L.out_w;
    float* o = dst + r * w_out;
    for (int64_t rho = 0; rho < (int64_t)L.wo.size(); ++rho) {
      const float* q = s + 2 * L.nt * rho;
      for (int64_t k = 0; k < L.wo[rho]; ++k) o[rho + L.d * k] = q[k];
    }
  }
}

// Any m and result placement, columns in place: points dil_w apart. Regular lane groups (row loads)
// when dil_w = 1, with row stores too when results are in consecutive columns; the rest is read and
// written by gathers and scatters. Tiles are based at the output points oys x oxs; a base may lie
// outside the result (the shared grid of several phases, plan_for_phase), its points outside are
// masked off.
TilePlan plan_at(const WinoConv& c, const WinoSource& src, const std::vector<int64_t>& oys,
                 const std::vector<int64_t>& oxs, int64_t nr, int64_t lanes) {
  TilePlan p;
  std::vector<TileSeg> segs;
  const bool regular = c.dil_w == 1 && src.step == 1;
  int64_t seg = 0;
  for (int64_t oy : oys) {
    const int64_t iy = oy - c.pad_h;
    const int32_t rbits = row_bits(c, iy);
    for (int64_t ox : oxs) {
      const int64_t ix = ox - c.pad_w;
      int32_t bits = rbits;
      for (int j = 0; j < 4; ++j) {
        const int64_t q = ix + j * c.dil_w;
        if (q >= 0 && q < c.w) bits |= 16 << j;
      }
      int32_t ob = 0;
      for (int a = 0; a < c.m; ++a)
        for (int b = 0; b < c.m; ++b) {
          const int64_t y = oy + a * c.dil_h, x = ox + b * c.dil_w;
          if (y >= 0 && y < c.h_out && x >= 0 && x < c.w_out) ob |= 1 << (c.m * a + b);
        }
      add_tile(p, iy, src.off + iy * src.pitch + ix * src.step, bits,
               (c.out_y0 + c.out_sy * oy) * c.out_pitch + c.out_x0 + c.out_sx * ox, ob);
      segs.push_back(TileSeg{seg, ix, c.w, c.out_x0 + ox, c.out_x0 + c.w_out});
    }
    ++seg;
  }
  p.in_dy = (int32_t)(c.dil_h * src.pitch);
  p.in_dx = (int32_t)(c.dil_w * src.step);
  p.out_dy = (int32_t)(c.dil_h * c.out_sy * c.out_pitch);
  p.out_dx = (int32_t)(c.dil_w * c.out_sx);
  p.src_plane = src.plane;
  p.dst_plane = c.out_plane;
  finish_plan(p, segs, nr, lanes, c.m, regular, regular && c.out_sx == 1);
  return p;
}

WinoSource dense_source(const WinoConv& c) { return WinoSource{0, c.w, 1, c.h * c.w}; }

TilePlan general_plan(const WinoConv& c, int64_t nr, int64_t lanes) {
  return plan_at(c, dense_source(c), tile_bases(c.h_out, c.dil_h, c.m), tile_bases(c.w_out, c.dil_w, c.m), nr, lanes);
}

// Phases sharing one source (winograd_conv_phases, undilated): tiles based at the same source points
// for all, every m-th from the lowest first point any phase reads to the highest; phase k's tile at
// source row iy has its results at row iy + pad_h of its own.
struct SharedGrid {
  int64_t iy0 = 0, ny = 0, ix0 = 0, nx = 0;
};

SharedGrid shared_grid(const WinoConv* cs, int phases) {
  int64_t ylo = INT64_MAX, yhi = INT64_MIN, xlo = INT64_MAX, xhi = INT64_MIN;
  for (int k = 0; k < phases; ++k) {
    ylo = std::min(ylo, -cs[k].pad_h);
    yhi = std::max(yhi, cs[k].h_out - 1 - cs[k].pad_h);
    xlo = std::min(xlo, -cs[k].pad_w);
    xhi = std::max(xhi, cs[k].w_out - 1 - cs[k].pad_w);
  }
  const int m = cs[0].m;
  return SharedGrid{ylo, (yhi - ylo) / m + 1, xlo, (xhi - xlo) / m + 1};
}

TilePlan plan_for_phase(const WinoConv& c, const SharedGrid& s, int64_t nr, int64_t lanes) {
  std::vector<int64_t> oys, oxs;
  for (int64_t t = 0; t < s.ny; ++t) oys.push_back(s.iy0 + c.m * t + c.pad_h);
  for (int64_t t = 0; t < s.nx; ++t) oxs.push_back(s.ix0 + c.m * t + c.pad_w);
  return plan_at(c, dense_source(c), oys, oxs, nr, lanes);
}

// F(2x2, 3x3): U = G g G^T for every (group, output, input) into the packed layout; rows of the last
// panel past the group's outputs are 0; G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]. (F(3x3, 2x2)
// packs only its taps: pack_phase_taps below.)
// Per (group, panel of mr outputs) and a chunk of inputs, the kernels are first copied lane-major
// (one lane per output, each output's weights read front to back: 14 rows read side by side with a
// stride of a whole kernel row per output missed L1 on every load and cost 40% of the transform);
// every transform step is then a fixed 16-lane loop the compiler vectorises.

constexpr int kWLanes = 16;     // lanes of the transform's vectors (>= every ISA's mr)
constexpr int64_t kWChunk = 16;  // inputs copied per step

// t[0..3] = G * (g[0], g[1], g[2]), across the lanes.
inline void g_columns(const float* const* g, float* const* t) {
  for (int o = 0; o < kWLanes; ++o) {
    const float g0 = g[0][o], g1 = g[1][o], g2 = g[2][o];
    t[0][o] = g0;
    t[1][o] = 0.5f * (g0 + g1 + g2);
    t[2][o] = 0.5f * (g0 - g1 + g2);
    t[3][o] = g2;
  }
}

// With several phases (winograd_conv_phases) U's outputs interleave, output o of phase k (from wts[k])
// at row o * phases + k: a panel's lanes then read the same kernels, which hold every phase's taps
// (phases one after the other read each kernel `phases` times, from far apart, and made the
// transform a third of the run).
template <int MR>
void transform_weights_mr(const IsaTable& isa, const WinoConv& c, const WinoWeights* wts, int phases, float* u) {
  constexpr int R = 3;
  static_assert(MR <= kWLanes, "the weight transform holds a panel's outputs in one 16-lane row");
  constexpr int64_t mr = MR;
  const int64_t cig = c.c_in / c.groups, cog_phase = c.c_out / c.groups, cog = cog_phase * phases;
  const RowPanels rp(isa, cog);  // the products' panels (run_blocks)
  const int64_t upanels = rp.count;
  const int64_t panel_floats = cig * mr, xi_floats = upanels * panel_floats;
  const int64_t items = c.groups * upanels;
  const int nt =
      (int)std::max<int64_t>(1, std::min<int64_t>(omp_get_max_threads(), items * mr * cig * wts[0].k2 / 16384));
#pragma omp parallel num_threads(nt)
  {
    // taps[kWChunk][R*R][lanes], t[R][4][lanes], out[16][lanes]
    alignas(64) float taps[kWChunk * R * R * kWLanes];
    alignas(64) float tb[R * 4 * kWLanes];
    alignas(64) float out[16 * kWLanes];
    alignas(64) float stage[16 * kWChunk * MR];  // the chunk's U rows [xi][input][MR]
    // by lane: where the lane's kernel of input 0 starts, its input and tap strides
    const float* lane_w[kWLanes];
    int64_t lane_si[kWLanes], lane_sky[kWLanes], lane_skx[kWLanes];
    // Items are (group, panel of mr outputs): U's 16 rows of that panel are written front to back,
    // mr floats per input, so the writes stream (scattered 56-byte rows made it memory bound).
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t gr = item / upanels, p = item % upanels;
      const int64_t rows = rp.height(p);
      float* dst0 = u + gr * 16 * xi_floats + p * panel_floats;
      std::fill(taps, taps + kWChunk * R * R * kWLanes, 0.0f);  // lanes of missing outputs give U rows of 0
      for (int64_t o = 0; o < rows; ++o) {
        const int64_t vo = rp.row0(p) + o;
        const WinoWeights& wt = wts[vo % phases];
        lane_w[o] = wt.base + gr * wt.sg + (vo / phases) * wt.so + wt.t0;
        lane_si[o] = wt.si;
        lane_sky[o] = wt.sky;
        lane_skx[o] = wt.skx;
      }
      for (int64_t i0 = 0; i0 < cig; i0 += kWChunk) {
        const int64_t n = std::min(kWChunk, cig - i0);
        // inputs outer, lanes inner: lanes next to each other read the same kernel (the phases' taps of
        // one output), which 16 inputs' kernels at the same offset of their 4 KiB pages would evict
        // from L1 before the next lane came back to it
        for (int64_t ii = 0; ii < n; ++ii) {
          const int64_t i = i0 + ii;
          for (int64_t o = 0; o < rows; ++o) {
            const float* wo = lane_w[o] + i * lane_si[o];
            // the same kernel a chunk on: kernels of consecutive inputs are far apart (a whole kernel
            // row of outputs), so the hardware prefetcher does not follow
            if (i + kWChunk < cig) __builtin_prefetch(wo + kWChunk * lane_si[o]);
            for (int ky = 0; ky < R; ++ky)
              for (int kx = 0; kx < R; ++kx)
                taps[((ii * R + ky) * R + kx) * kWLanes + o] = wo[ky * lane_sky[o] + kx * lane_skx[o]];
          }
        }
        for (int64_t ii = 0; ii < n; ++ii) {
          const float* tp = taps + ii * R * R * kWLanes;
          for (int kx = 0; kx < R; ++kx) {
            const float* g[R];
            float* t[4];
            for (int ky = 0; ky < R; ++ky) g[ky] = tp + (ky * R + kx) * kWLanes;
            for (int r = 0; r < 4; ++r) t[r] = tb + (kx * 4 + r) * kWLanes;
            g_columns(g, t);
          }
          for (int r = 0; r < 4; ++r) {
            const float* g[R];
            float* t[4];
            for (int kx = 0; kx < R; ++kx) g[kx] = tb + (kx * 4 + r) * kWLanes;
            for (int s2 = 0; s2 < 4; ++s2) t[s2] = out + (r * 4 + s2) * kWLanes;
            g_columns(g, t);
          }
          for (int xi = 0; xi < 16; ++xi)
            std::memcpy(stage + (xi * kWChunk + ii) * MR, out + xi * kWLanes, sizeof(float) * MR);
        }
        // U's 16 rows of the panel take the chunk as whole runs of n*MR floats: written input by input
        // (16 rows 530 KiB apart at 256 -> 512 channels, 8 of them on one L1 set) each partly written
        // line was evicted and fetched again before its next input came
        for (int xi = 0; xi < 16; ++xi) {
          float* d = dst0 + xi * xi_floats + i0 * mr;
          const float* sp = stage + xi * kWChunk * MR;
          std::memcpy(d, sp, sizeof(float) * MR * n);
        }
      }
    }
  }
}

// The micro-tile height as a template argument: U's rows are written as fixed-size copies of MR floats
// (the lane loops are 16 wide whatever MR is).
void transform_weights(const IsaTable& isa, const WinoConv& c, const WinoWeights* wts, int phases, float* u) {
  switch (isa.mr) {
    case 14: transform_weights_mr<14>(isa, c, wts, phases, u); break;
    case 6: transform_weights_mr<6>(isa, c, wts, phases, u); break;
    case 4: transform_weights_mr<4>(isa, c, wts, phases, u); break;
    default:
      throw std::logic_error("Winograd weight transform: no case for a micro-tile of " + std::to_string(isa.mr) +
                             " rows");
  }
}

// F(3x3, 2x2)'s tap panels ([group][tap][panel][input][MR], U's A-panel layout, from which run_blocks
// combines each A panel of U when it needs it: lazy_u); every phase reads the same kernel tensor (a
// strided convolution's input phases, a data gradient's output phases, or the one phase). Per (group,
// panel of MR rows) and 16 inputs, the 16 kernels of each output the panel reads (k2 floats each, read
// whole) are transposed offset-major ([offset][output][input]); then per tap each lane's row of its
// phase's offset is taken and the [lane][input] block transposed to U's [input][MR] rows: two register
// transposes per value instead of a gather per tap, lane and phase, whose first touch of each kernel
// line waited on L3 (the k4 s2 p1 transposed convolution's input gradient 2.15 -> 2.01 ms; its forward
// and the 2x2 stride-1 convolution the same as gathered).
template <int MR>
void pack_phase_taps(const IsaTable& isa, const WinoConv& c, const WinoWeights* wts, int phases, int in_phases,
                     float* u) {
  const int64_t cig = c.c_in / c.groups, cog = c.c_out / c.groups * phases, K = cig * in_phases, k2 = wts[0].k2;
  const RowPanels rp(isa, cog);  // the products' panels (run_blocks)
  const int64_t upanels = rp.count, panel_floats = K * MR, xi_floats = upanels * panel_floats;
  const int64_t items = c.groups * upanels, so = wts[0].so, si = wts[0].si;
  constexpr int64_t kKernels = (MR + 1) / 2 + 1;  // outputs a panel's lanes read (phases >= 2), at most
  const int64_t kout = phases == 1 ? MR : kKernels, ld_s = kout * 16;
  const int nt = (int)std::max<int64_t>(1, std::min<int64_t>(omp_get_max_threads(), items * MR * K * k2 / 16384));
#pragma omp parallel num_threads(nt)
  {
    std::vector<float> s((size_t)(k2 * ld_s));  // [offset][output of the panel][input]
    alignas(64) float rows16[16 * 16];          // one tap: [lane][input], lanes past the panel's 0
    alignas(64) float t16[16 * 16];             // transposed: [input][lane]
#pragma omp for schedule(static)
    for (int64_t item = 0; item < items; ++item) {
      const int64_t gr = item / upanels, p = item % upanels, rows = rp.height(p), r0 = rp.row0(p);
      const int64_t j0 = r0 / phases, nj = (r0 + rows - 1) / phases - j0 + 1;
      const float* w = wts[0].base + gr * wts[0].sg + j0 * so;
      std::fill(rows16, rows16 + 256, 0.0f);
      for (int64_t ic0 = 0; ic0 < cig; ic0 += 16) {
        const int64_t n = std::min<int64_t>(16, cig - ic0);
        for (int64_t jj = 0; jj < nj; ++jj) isa.transpose(w + jj * so + ic0 * si, n, k2, si, s.data() + jj * 16, ld_s);
        for (int kin = 0; kin < in_phases; ++kin) {
          for (int t = 0; t < 4; ++t) {
            for (int64_t o = 0; o < rows; ++o) {
              const int64_t vo = r0 + o;
              const WinoWeights& wt = wts[in_phases > 1 ? kin : vo % phases];
              const int64_t off = wt.t0 + (t / 2) * wt.sky + (t % 2) * wt.skx;
              std::memcpy(rows16 + o * 16, s.data() + off * ld_s + (vo / phases - j0) * 16, sizeof(float) * 16);
            }
            isa.transpose(rows16, 16, n, 16, t16, 16);
            float* d = u + (gr * 4 + t) * xi_floats + p * panel_floats + (kin * cig + ic0) * MR;
            for (int64_t ii = 0; ii < n; ++ii) std::memcpy(d + ii * MR, t16 + ii * 16, sizeof(float) * MR);
          }
        }
      }
    }
  }
}

// pack_phase_taps at the micro-tile height mr. Its callers' phases all read one kernel tensor, each tap
// inside its kernel: checked, a logic error otherwise.
void pack_taps(int64_t mr, const IsaTable& isa, const WinoConv& c, const WinoWeights* wts, int phases, int in_phases,
               float* u) {
  bool one_tensor = phases == 1 || in_phases == 1;
  for (int k = 0; k < std::max(phases, in_phases); ++k) {
    const WinoWeights& a = wts[k];
    one_tensor = one_tensor && a.base == wts[0].base && a.sg == wts[0].sg && a.so == wts[0].so &&
                 a.si == wts[0].si && a.k2 == wts[0].k2;
    for (int t = 0; t < 4; ++t) {
      const int64_t off = a.t0 + (t / 2) * a.sky + (t % 2) * a.skx;
      one_tensor = one_tensor && off >= 0 && off < a.k2;
    }
  }
  if (!one_tensor) throw std::logic_error("Winograd tap packing: the phases' taps do not lie in one kernel tensor");
  switch (mr) {
    case 14: pack_phase_taps<14>(isa, c, wts, phases, in_phases, u); break;
    case 6: pack_phase_taps<6>(isa, c, wts, phases, in_phases, u); break;
    case 4: pack_phase_taps<4>(isa, c, wts, phases, in_phases, u); break;
    default: throw std::logic_error("Winograd tap packing: no case for a micro-tile of " + std::to_string(mr) + " rows");
  }
}

// The block of `panels` panels starting at tile t0 of the plan.
WinoBlock block_at(const TilePlan& plan, const IsaTable& isa, int m, int64_t t0, int64_t panels) {
  const int64_t g = t0 / isa.lanes;
  return WinoBlock{plan.in_off.data() + t0, plan.in_bits.data() + t0, plan.out_off.data() + t0,
                   plan.out_bits.data() + t0, plan.groups.data() + g, plan.in_dy, plan.in_dx, plan.out_dy,
                   plan.out_dx, m, panels};
}

// F(3x3, 2x2) builds U's A panels from tap panels when its products run (conv_winograd.cpp's top).
bool lazy_u(const WinoConv& c) { return c.m == 3; }

thread_local GrowBuffer tl_weights;  // U, on the calling thread
thread_local GrowBuffer tl_inputs;   // V of the block a thread runs
thread_local GrowBuffer tl_products;  // M of the block a thread runs
thread_local GrowBuffer tl_apanel;    // the A panel a thread combines from tap panels (lazy U)
thread_local GrowBuffer tl_split_src;  // source and result in the column-phase layout (calling thread)
thread_local GrowBuffer tl_split_dst;
thread_local GrowBuffer tl_grad_v;   // the weight gradient's V, dM and dU (calling thread)
thread_local GrowBuffer tl_grad_dm;
thread_local GrowBuffer tl_grad_du;
thread_local GrowBuffer tl_split_chunk;  // a thread's few channels of a WinoSplit copy

// Channels of a WinoSplit source copied apart at a time: 8 planes of 64x64 are 128 KiB, read back by
// the input transform from L2. (Copying all channels first, in one pass, left the copy in L3 and the
// transform waiting on it: with two threads the transform took three times its one-thread time.)
constexpr int64_t kSplitChannels = 8;

// Rows [y0, y1) of planes [0, n) of x (split.h x split.w each) into out, split's layout.
void split_source(const WinoSplit& sp, const float* x, int64_t n, int64_t y0, int64_t y1, float* out) {
  const int64_t h = sp.h, w = sp.w, sh = sp.sh, sw = sp.sw, ws = sp.phase_w(), ps = sp.phase_plane();
  for (int64_t q = 0; q < n; ++q) {
    const float* src = x + q * h * w;
    float* dst = out + q * sh * sw * ps;
    for (int64_t iy = y0; iy < y1; ++iy) {
      const float* row = src + iy * w;
      float* even = dst + (iy % sh) * sw * ps + (iy / sh) * ws;
      if (sw == 2) {
        // 4 even and 4 odd columns a step (SSE2: this file is built for the baseline x86-64)
        float* odd = even + ps;
        int64_t j = 0;
        for (; 2 * j + 8 <= w; j += 4) {
          const __m128 a = _mm_loadu_ps(row + 2 * j), b = _mm_loadu_ps(row + 2 * j + 4);
          _mm_storeu_ps(even + j, _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
          _mm_storeu_ps(odd + j, _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
        }
        for (; 2 * j < w; ++j) {
          even[j] = row[2 * j];
          if (2 * j + 1 < w) odd[j] = row[2 * j + 1];
        }
      } else {
        for (int64_t ix = 0; ix < w; ++ix) even[(ix % sw) * ps + ix / sw] = row[ix];
      }
    }
  }
}

// The input transforms of channels [lo, hi) of every input phase (plans[k], k < in_phases) into v
// (channel c of phase k at v + (k * cig + c) * cstride, K = in_phases * cig channels in all), from
// source channels ch0 + c of x as it is, or through its WinoSplit copy a few channels at a time.
void input_transforms(const IsaTable& isa, const WinoBlock& b, const TilePlan* plans, int in_phases, int m,
                      int64_t t0, const WinoSplit* split, const float* x, int64_t ch0, int64_t cig, int64_t lo,
                      int64_t hi, int64_t xi_stride, int64_t qs, int64_t cstride, float* v) {
  const int64_t plane = plans[0].src_plane;  // between channels of what the tiles read
  x += ch0 * (split != nullptr ? split->h * split->w : plane);
  auto run = [&](const float* src, int64_t c0, int64_t n) {
    for (int k = 0; k < in_phases; ++k) {
      const WinoBlock bk = in_phases == 1 ? b : block_at(plans[k], isa, m, t0, b.panels);
      isa.wino_input(bk, src, plane, n, xi_stride, qs, cstride, v + (k * cig + c0) * cstride);
    }
  };
  if (split == nullptr) {
    run(x + lo * plane, lo, hi - lo);
    return;
  }
  // only the source rows the block's tiles read (a large image has many blocks: copying whole planes
  // for each made the copy grow with the square of the image's height)
  int64_t r0 = std::numeric_limits<int64_t>::max(), r1 = std::numeric_limits<int64_t>::min();
  for (int k = 0; k < in_phases; ++k) {
    for (int64_t t = t0; t < t0 + b.panels * isa.nr; ++t) {
      const int32_t rows = plans[k].in_bits[(size_t)t] & 15;  // undilated: rows in_row + i, bit i set
      if (rows == 0) continue;
      r0 = std::min<int64_t>(r0, plans[k].in_row[(size_t)t] + __builtin_ctz(rows));
      r1 = std::max<int64_t>(r1, plans[k].in_row[(size_t)t] + 32 - __builtin_clz(rows));
    }
  }
  if (r0 >= r1) r0 = r1 = 0;  // no tile reads a point: the transforms read nothing either
  const int64_t y0 = std::min(split->h, r0 * split->sh), y1 = std::min(split->h, r1 * split->sh);
  float* chunk = tl_split_chunk.get((size_t)(kSplitChannels * plane));
  for (int64_t c0 = lo; c0 < hi; c0 += kSplitChannels) {
    const int64_t n = std::min(kSplitChannels, hi - c0);
    split_source(*split, x + c0 * split->h * split->w, n, y0, y1, chunk);
    run(chunk, c0, n);
  }
}

// Phases > 1 (winograd_conv_phases): the tiles of plans[0] are transformed once and multiplied by U's
// outputs of all phases; rows of phase k are stored through plans[k] into dsts[k].
// lazy_u(c): u holds F(3x3, 2x2) tap panels (transform_weights_mr with NOUT = 4), each A panel of U is
// combined from them just before its GEMM.
// in_phases > 1 (winograd_conv_in_phases): the tiles of plans[k] read input phase k, whose channels are
// K rows k*cig .. (k+1)*cig - 1 of V and U; the products sum over all, stored through plans[0].
// phases > 1 (winograd_conv_phases) and in_phases > 1 do not go together.
// keep (winograd_conv_in_phases_with_weight_grad): only items [keep->item0, keep->item1), each item's V
// left in keep->v (item i at (i - item0) * block_v_floats(...)) for the weight gradient's products.
struct KeptBlocks {
  int64_t item0, item1;
  float* v;
};

// Floats from one of the 16 xi matrices of V, dM or dU (`floats` each) to the next: a cache line more,
// so the 16 lines a transform writes or the final reads at once (one per xi) fall in 16 L1 and L2 sets.
// At power-of-two sizes (V of a block 2 x 512 x 32 = 128 KiB, dM 256 KiB, dU 512 KiB) on the 2 MiB pages
// of the packing buffers all 16 shared one set.
inline int64_t xi_apart(int64_t floats) { return floats + 16; }
inline int64_t v_xi_floats(int64_t panels, int64_t K, int64_t nr) { return xi_apart(panels * K * nr); }
// V of a block of `panels` (BLOCK_PANELS unless run_blocks widens them): all 16 xi.
int64_t block_v_floats(const IsaTable& isa, int64_t K, int64_t panels = BLOCK_PANELS) {
  return 16 * v_xi_floats(panels, K, isa.nr);
}

void run_blocks(const WinoConv& c, const IsaTable& isa, const TilePlan* plans, int phases, int in_phases,
                const WinoSplit* split, const float* u, const float* src, const float* bias, float* const* dsts,
                const KeptBlocks* keep = nullptr) {
  const TilePlan& plan = plans[0];
  const bool lazy = lazy_u(c);
  const int64_t MR = isa.mr, NR = isa.nr, KC = isa.kc;
  const int64_t cig = c.c_in / c.groups, cog_phase = c.c_out / c.groups, cog = cog_phase * phases;
  const int64_t K = cig * in_phases;
  const RowPanels rp(isa, cog);  // U's panels (transform_weights_mr, pack_phase_taps)
  const int64_t upanels = rp.count, mrows = upanels * MR;
  const int64_t u_xi = upanels * K * MR;
  const int T = omp_get_max_threads();
  // Panels per block: BLOCK_PANELS, or for a data gradient by output phases with lazy U twice that
  // when each image's tiles then make one block for the team to share (fewer blocks than threads) and
  // its V still fits L2 (K <= 256 at 32 tiles a panel): every thread combines the A panels of U for
  // each block it runs, so a block per thread combined all of U on each, a shared block once in all.
  // Data gradients of 4x4 stride 2 (c_in <- c_out, at the result's size): 128 <- 256 at 64x64 1.99 ->
  // 1.88 ms, 256 <- 128 2.21 -> 2.02, 128 <- 128 at 48x48 1.08 -> 0.79; 64 <- 128 and 64 <- 64 the same.
  // Not for the input-phase forwards (winograd_conv_in_phases): there the shared block's split input
  // transforms cost more (4x4 stride 2, 64 -> 128 from 64x64: 0.58 -> 0.72 ms). The kept blocks of the
  // weight gradient stay at BLOCK_PANELS.
  const int64_t wide = 2 * BLOCK_PANELS;
  const bool wide_blocks = lazy && phases > 1 && keep == nullptr && T > 1 && !omp_in_parallel() &&
                           K * NR <= 8192 && c.n * c.groups * ((plan.panels + wide - 1) / wide) < T;
  const int64_t bp = wide_blocks ? wide : BLOCK_PANELS;
  const int64_t blocks = (plan.panels + bp - 1) / bp;
  const int64_t item0 = keep != nullptr ? keep->item0 : 0;
  const int64_t items = (keep != nullptr ? keep->item1 : c.n * c.groups * blocks) - item0;
  const int64_t v_floats = block_v_floats(isa, K, bp), m_floats = 16 * mrows * bp * NR;

  // Item `item`, share `part` of `parts`: its input channels, (xi, panel) products and output rows,
  // with a barrier between the steps when the item is shared (parts > 1).
  auto run_item = [&](int64_t it, int part, int parts, float* v, float* m, float* abuf) {
    const int64_t item = item0 + it;
    if (keep != nullptr) v = keep->v + it * v_floats;
    const int64_t blk = item % blocks, ng = item / blocks;
    const int64_t img = ng / c.groups, gr = ng - img * c.groups;
    const int64_t t0 = blk * bp * NR;
    const WinoBlock b = block_at(plan, isa, c.m, t0, std::min<int64_t>(bp, plan.panels - blk * bp));
    auto share = [&](int64_t n, int64_t& lo, int64_t& hi) {
      lo = n * part / parts;
      hi = n * (part + 1) / parts;
    };
    int64_t lo, hi;
    share(cig, lo, hi);
    input_transforms(isa, b, plans, in_phases, c.m, t0, split, src, img * c.c_in + gr * cig, cig, lo, hi,
                     v_xi_floats(b.panels, K, NR), K * NR, NR, v);
    if (parts > 1) {
#pragma omp barrier
    }
    const int64_t ldm = b.panels * NR, v_xi = v_xi_floats(b.panels, K, NR), m_xi = mrows * ldm;
    // lazy: panel by panel, its products in turn, so the panel's taps stay in L2 while its A panels are
    // combined (xi by xi, every panel's taps came from L3 16 times: 0.1 ms slower); a block of its own
    // (parts == 1) runs xi 0-7 over all panels, then xi 8-15: V of 8 xi (1 MiB at 4 x 128 inputs) stays
    // in L2 across the panels where all 16 (2 MiB, all of L2) streamed from L3 for each (4x4 stride 2,
    // 128 -> 256 at 64x64: 2.01 -> 1.96 ms; each panel's taps are read twice). Same products, same bits.
    const int64_t xi_run = lazy && parts == 1 ? 8 : 16;
    auto product = [&](int64_t w) {
      const int64_t run = w / (xi_run * upanels), in_run = w % (xi_run * upanels);
      const int64_t xi = lazy ? run * xi_run + in_run % xi_run : w / upanels;
      const int64_t p = lazy ? in_run / xi_run : w % upanels;
      const IsaTable::Ukernel ker = RowPanels::kernel_for(isa, rp.height(p));
      const float* a;
      if (lazy) {
        // U[xi = 4r + s] = sum over taps (ta, tb) of G[r][ta] G[s][tb] tap(ta, tb), F(3x3, 2x2)'s
        // G = [1 0; 1/2 1/2; 1/2 -1/2; 0 -1] (its B^T's last row negated, conv_winograd.h)
        static const float G[4][2] = {{1.0f, 0.0f}, {0.5f, 0.5f}, {0.5f, -0.5f}, {0.0f, -1.0f}};
        const float* srcs[4];
        float coef[4];
        int terms = 0;
        for (int ta = 0; ta < 2; ++ta)
          for (int tb = 0; tb < 2; ++tb) {
            const float cf = G[xi / 4][ta] * G[xi % 4][tb];
            if (cf == 0.0f) continue;
            srcs[terms] = u + (gr * 4 + ta * 2 + tb) * u_xi + p * K * MR;
            coef[terms++] = cf;
          }
        if (terms == 1 && coef[0] == 1.0f) {
          a = srcs[0];  // U[0] and U[15] are taps as they are
        } else {
          isa.combine(srcs, coef, terms, K * MR, abuf);
          a = abuf;
        }
      } else {
        a = u + (gr * 16 + xi) * u_xi + p * K * MR;
      }
      for (int64_t q = 0; q < b.panels; ++q) {
        const float* bp = v + xi * v_xi + q * K * NR;
        float* cp = m + xi * m_xi + rp.row0(p) * ldm + q * NR;
        for (int64_t k0 = 0; k0 < K; k0 += KC)
          ker(std::min(KC, K - k0), a + k0 * MR, bp + k0 * NR, cp, ldm, k0 > 0, nullptr);
      }
    };
    // (Claiming the products 16 at a time instead, for the minutes when one vCPU is slower, was 9 %
    // slower at 256 -> 4 x 128 channels: a thread's products then no longer cover the output rows it
    // transforms next, and half of M came from the other core's L2.)
    share(16 * upanels, lo, hi);
    for (int64_t w = lo; w < hi; ++w) product(w);
    if (parts > 1) {
#pragma omp barrier
    }
    share(cog_phase, lo, hi);
    for (int k = 0; k < phases; ++k) {
      // rows o * phases + k of M (transform_weights_mr's interleave) are phase k's outputs o
      const WinoBlock bk = phases == 1 ? b : block_at(plans[k], isa, c.m, t0, b.panels);
      const int64_t out_plane = plans[k].dst_plane;
      isa.wino_output(bk, m + (lo * phases + k) * ldm, m_xi, phases * ldm, hi - lo,
                      bias != nullptr ? bias + gr * cog_phase + lo : nullptr,
                      dsts[k] + (img * c.c_out + gr * cog_phase + lo) * out_plane, out_plane);
    }
    if (parts > 1) {
#pragma omp barrier  // v and m are reused by the next item
    }
  };

  if (T > 1 && items < 2 * T && items % T != 0 && !omp_in_parallel()) {
    // Too few blocks to deal out evenly (small images, large channel counts): the team shares each
    // block, in the calling thread's buffers (a block is ~0.5 ms of work at 256 channels; the three
    // barriers per block cost microseconds). Not when they deal out evenly, one per thread: a shared
    // block's V and M are written by one core and read by the other, and those hand-overs cost more
    // than the blocks' products gain from being split (4x4 stride 2, 128 -> 256 channels at 32x32,
    // two blocks: 2.88 -> 2.61 ms; the input transform alone ran 3x slower than on one thread).
    float* v = keep != nullptr ? nullptr : tl_inputs.get((size_t)v_floats);
    float* m = tl_products.get((size_t)m_floats);
#pragma omp parallel num_threads(T)
    {
      float* abuf = lazy ? tl_apanel.get((size_t)(K * MR)) : nullptr;
      for (int64_t item = 0; item < items; ++item) run_item(item, omp_get_thread_num(), T, v, m, abuf);
    }
    return;
  }
  const int nt = (int)std::max<int64_t>(1, std::min<int64_t>(T, items));
#pragma omp parallel num_threads(nt)
  {
    float* v = keep != nullptr ? nullptr : tl_inputs.get((size_t)v_floats);
    float* m = tl_products.get((size_t)m_floats);
    float* abuf = lazy ? tl_apanel.get((size_t)(K * MR)) : nullptr;
#pragma omp for schedule(dynamic, 1)
    for (int64_t item = 0; item < items; ++item) run_item(item, 0, 1, v, m, abuf);
  }
}

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
  if (c.m == 3) {
    // F(3x3, 2x2): U holds 16 values per 4 taps (4x the kernel) and is rebuilt per call, so it pays
    // only over many tiles: 2x2 stride-1, 128 channels at 64x64: 1.56x forward, 1.17x data gradient;
    // at 32x32: 0.8x.
    return cig >= 64 && cog >= 64 && c.h_out * c.w_out >= 4096;
  }
  // The tile transforms cost ~ (cig + cog) * 16 per tile against 16 * cig * cog multiply-adds, and
  // the weight transform ~ 16 * cig * cog per call, paid back by ~5 saved multiply-adds per output
  // point: below 32 channels a side or ~400 output points per image the direct GEMM path measured as
  // fast or faster (e.g. 512 -> 512 at 13x13: 0.7x, 128 -> 256 at 26x26: 1.3x, 256 -> 256 at 64x64: 1.8x).
  return cig >= 32 && cog >= 32 && c.h_out * c.w_out >= 400;
}

bool winograd_weight_grad_pays(const WinoConv& c) {
  // Its GEMMs are (c_out x c_in) per tile block, the transforms ~ (c_in + c_out) * 16 per tile: measured
  // 0.9x the direct path at 64 channels (256x256), 1.3x at 96, 1.4-1.6x from 128 (64x64 to 128x128 maps).
  return c.m == 2 && winograd_pays(c) && c.c_in / c.groups >= 96 && c.c_out / c.groups >= 96;
}

namespace {
// The column-phase layout of c, its tile plan, the source copied into it and room for a result in it
// (the forward's output, the weight gradient's dy), in the calling thread's buffers.
struct PhaseRun {
  PhaseLayout L;
  TilePlan plan;
  const float* src;
  float* dst;
};

PhaseRun phase_run(const WinoConv& c, const IsaTable& isa, const float* src) {
  PhaseRun r;
  r.L = phase_layout(c);
  r.plan = phase_plan(c, r.L, isa.nr, isa.lanes);
  float* s2 = tl_split_src.get((size_t)(c.n * c.c_in * r.plan.src_plane));
  r.dst = tl_split_dst.get((size_t)(c.n * c.c_out * r.plan.dst_plane));
  to_phase_layout(r.L, src, c.n * c.c_in * c.h, c.w, s2);
  r.src = s2;
  return r;
}
}  // namespace

namespace {
// U for the F(2x2, 3x3) products, or for F(3x3, 2x2) the tap panels run_blocks combines its A panels
// from (U is 4x the kernel there and, at 256 -> 4 x 128 channels, 8 MiB: written out whole and read
// back it cost a third of the run), then the tile blocks.
const float* build_u(const WinoConv& c, const IsaTable& isa, const WinoWeights* wts, int phases, int in_phases) {
  const int64_t MR = isa.mr;
  const int64_t K = c.c_in / c.groups * in_phases, cog = c.c_out / c.groups * phases;
  const int64_t u_xi = RowPanels(isa, cog).count * K * MR;  // run_blocks' panels of U
  const bool lazy = lazy_u(c);
  float* u = tl_weights.get((size_t)(c.groups * (lazy ? 4 : 16) * u_xi));
  if (lazy) {
    pack_taps(MR, isa, c, wts, phases, in_phases, u);
  } else {
    // input phases come only with F(3x3, 2x2) (strided_phases in conv2d.cpp)
    if (in_phases != 1) throw std::logic_error("Winograd F(2x2, 3x3) weight transform: input phases");
    transform_weights(isa, c, wts, phases, u);
  }
  return u;
}

void run_conv(const WinoConv& c, const IsaTable& isa, const WinoWeights* wts, int phases, int in_phases,
              const TilePlan* plans, const WinoSplit* split, const float* src, const float* bias,
              float* const* dsts) {
  run_blocks(c, isa, plans, phases, in_phases, split, build_u(c, isa, wts, phases, in_phases), src, bias, dsts);
}
}  // namespace

void winograd_conv(const WinoConv& c, const float* src, const WinoWeights& wt, const float* bias, float* dst) {
  const IsaTable& isa = conv_isa();
  if (phase_layout_applies(c)) {
    // run on copies of the source and the result in the column-phase layout (phase_plan)
    const PhaseRun r = phase_run(c, isa, src);
    run_conv(c, isa, &wt, 1, 1, &r.plan, nullptr, r.src, bias, &r.dst);
    from_phase_layout(r.L, r.dst, c.n * c.c_out * c.h_out, c.w_out, dst);
    return;
  }
  const TilePlan plan = general_plan(c, isa.nr, isa.lanes);
  run_conv(c, isa, &wt, 1, 1, &plan, nullptr, src, bias, &dst);
}

bool winograd_phases_fit(const WinoConv* cs, int phases) {
  if (phases < 1) return false;
  const WinoConv& a = cs[0];
  if (a.dil_h != 1 || a.dil_w != 1) return false;
  for (int k = 0; k < phases; ++k) {
    const WinoConv& c = cs[k];
    if (c.n != a.n || c.groups != a.groups || c.c_in != a.c_in || c.h != a.h || c.w != a.w || c.c_out != a.c_out ||
        c.m != a.m || c.dil_h != 1 || c.dil_w != 1 || !winograd_fits(c))
      return false;
  }
  // the shared grid reaches past each phase's own tiles by at most the spread of the pads: every lane
  // offset of it must still be an int32
  const SharedGrid s = shared_grid(cs, phases);
  const int64_t lim = std::numeric_limits<int32_t>::max() / 2;
  const int64_t ylo = s.iy0, yhi = s.iy0 + a.m * s.ny + 3, xlo = s.ix0, xhi = s.ix0 + a.m * s.nx + 3;
  const int64_t ymax = std::max(std::abs(ylo), std::abs(yhi)), xmax = std::max(std::abs(xlo), std::abs(xhi));
  if (ymax >= lim / std::max<int64_t>(a.w, 1) - xmax) return false;
  for (int k = 0; k < phases; ++k) {
    const WinoConv& c = cs[k];
    const int64_t rows = std::max(std::abs(c.out_y0 + c.out_sy * (ylo + c.pad_h)),
                                  std::abs(c.out_y0 + c.out_sy * (yhi + c.pad_h)));
    const int64_t cols = std::max(std::abs(c.out_x0 + c.out_sx * (xlo + c.pad_w)),
                                  std::abs(c.out_x0 + c.out_sx * (xhi + c.pad_w)));
    if (rows >= lim / std::max<int64_t>(c.out_pitch, 1) - cols) return false;
  }
  return true;
}

bool winograd_phases_pay(const WinoConv* cs, int phases) {
  const WinoConv& c = cs[0];
  const int64_t cig = c.c_in / c.groups, cog = c.c_out / c.groups;
  const SharedGrid s = shared_grid(cs, phases);
  // Measured against the direct path, 4x4 stride-2 transposed convolutions (4 phases) on 2 threads:
  // 256 -> 128 channels from 32x32 1.5x, 64 -> 32 from 64x64 1.2x, 128 -> 64 / 256 -> 128 / 512 -> 256
  // from 16x16 (36 tiles) 1.3x / 1.4x / 1.04x, 64 -> 64 from 32x32 1.05x; but 32 -> 32 from 32x32 0.6x
  // and 256 -> 256 from 8x8 (16 tiles, half a B panel) 0.8x.
  return c.m == 3 && cig >= 64 && cog >= 64 && s.ny * s.nx >= 32;
}

void winograd_conv_phases(const WinoConv* cs, const WinoWeights* wts, int phases, const float* src, const float* bias,
                          float* const* dsts) {
  const IsaTable& isa = conv_isa();
  const SharedGrid s = shared_grid(cs, phases);
  std::vector<TilePlan> plans;
  for (int k = 0; k < phases; ++k) plans.push_back(plan_for_phase(cs[k], s, isa.nr, isa.lanes));
  run_conv(cs[0], isa, wts, phases, 1, plans.data(), nullptr, src, bias, dsts);
}

bool winograd_in_phases_fit(const WinoConv* cs, const WinoSource* srcs, int phases) {
  if (phases < 1) return false;
  const WinoConv& a = cs[0];
  const int64_t lim = std::numeric_limits<int32_t>::max() / 2;
  for (int k = 0; k < phases; ++k) {
    const WinoConv& c = cs[k];
    if (c.n != a.n || c.groups != a.groups || c.c_in != a.c_in || c.c_out != a.c_out || c.h_out != a.h_out ||
        c.w_out != a.w_out || c.m != a.m || c.out_pitch != a.out_pitch || c.out_plane != a.out_plane ||
        c.out_sy != a.out_sy || c.out_sx != a.out_sx || c.out_y0 != a.out_y0 || c.out_x0 != a.out_x0 ||
        srcs[k].plane != srcs[0].plane || c.h < 1 || c.w < 1 || !winograd_fits(c))
      return false;
    // every input lane offset, masked off or not: off + iy * pitch + ix * step for the tiles' rows
    // and columns (at most h_out + |pad| + 3 * dil of either sign)
    const int64_t rows = c.h_out + std::abs(c.pad_h) + 3 * c.dil_h, cols = c.w_out + std::abs(c.pad_w) + 3 * c.dil_w;
    const WinoSource& s = srcs[k];
    if (s.pitch < 0 || s.step < 1 || std::abs(s.off) >= lim) return false;
    const int64_t room = lim - std::abs(s.off);
    if (rows >= room / std::max<int64_t>(s.pitch, 1) || cols * s.step >= room - rows * s.pitch) return false;
  }
  return true;
}

bool winograd_in_phases_pay(const WinoConv* cs, int phases) {
  const WinoConv& c = cs[0];
  const int64_t cig = c.c_in / c.groups, cog = c.c_out / c.groups;
  const int64_t tiles = (c.h_out + c.m - 1) / c.m * ((c.w_out + c.m - 1) / c.m);
  // Measured against the direct path, 4x4 stride-2 convolutions on 2 threads (c_in -> c_out, result
  // size): 128 -> 256 at 32x32 1.3x, 64 -> 128 at 32x32 1.26x, 64 -> 64 at 64x64 1.22x, 128 -> 128 at
  // 64x64 1.04x; but at 16x16 (36 tiles) 0.8-0.9x (256 -> 512, 128 -> 128, 64 -> 64), 32 -> 32 at
  // 32x32 0.8x, 256 -> 256 at 8x8 0.4x: the transforms and 4 x c_in long A panels outweigh the saving
  // over few tiles.
  return c.m == 3 && phases > 1 && cig >= 64 && cog >= 64 && tiles >= 100;
}

namespace {
// Input phase k's plan: the result's tiles (the same for all), read through srcs[k].
std::vector<TilePlan> in_phase_plans(const WinoConv* cs, const WinoSource* srcs, int phases, const IsaTable& isa) {
  const std::vector<int64_t> oys = tile_bases(cs[0].h_out, 1, cs[0].m), oxs = tile_bases(cs[0].w_out, 1, cs[0].m);
  std::vector<TilePlan> plans;
  for (int k = 0; k < phases; ++k) plans.push_back(plan_at(cs[k], srcs[k], oys, oxs, isa.nr, isa.lanes));
  return plans;
}
}  // namespace

void winograd_conv_in_phases(const WinoConv* cs, const WinoSource* srcs, const WinoSplit& split,
                             const WinoWeights* wts, int phases, const float* x, const float* bias, float* y) {
  const IsaTable& isa = conv_isa();
  const std::vector<TilePlan> plans = in_phase_plans(cs, srcs, phases, isa);
  run_conv(cs[0], isa, wts, 1, phases, plans.data(), &split, x, bias, &y);
}

namespace {
// dU[group][xi][output][input] = sum over images and tiles of dM[xi] V[xi]^T, the input transforms of
// plans[k] filling inputs k*cig .. (k+1)*cig - 1 (in_phases > 1: winograd_weight_grad_in_phases), dM
// through plans[0]'s result placement. Returns dU (calling thread's buffer).
//
// (Tried: computing dU in pieces of 70 outputs x 128 inputs for all 16 xi into a thread's L2-sized
// tile and finishing each at once, with dM and V^T packed once for all pieces, to spare writing dU
// out and reading it back (8 MiB at 256 x 512): 10-20 % slower, every piece reading its panels from
// L3 where the whole-xi GEMMs keep theirs in L2.)
// The final G^T dU G's reads, 16 lanes (inputs) of one dU row at a time: uu[xi][l] = src[xi * matrix
// + l] for l < n, 0 past n. The line four steps on is prefetched: the hardware prefetchers do not
// follow 16 streams a matrix apart (dU's 16 matrices, 512 KiB apart at 256 x 512).
constexpr int64_t kDuLanes = 16;
inline int64_t du_matrix(int64_t cog, int64_t K) { return xi_apart(cog * K); }  // dU's, cog x K
void load_du_lanes(const float* src, int64_t matrix, int64_t n, float (&uu)[16][kDuLanes]) {
  for (int xi = 0; xi < 16; ++xi, src += matrix) {
    __builtin_prefetch(src + 4 * kDuLanes);
    if (n == kDuLanes) {
      std::memcpy(uu[xi], src, sizeof(uu[xi]));
    } else {
      for (int64_t l = 0; l < kDuLanes; ++l) uu[xi][l] = l < n ? src[l] : 0.0f;
    }
  }
}

float* weight_grad_products(const WinoConv& c, const IsaTable& isa, const TilePlan* plans, int in_phases,
                            const WinoSplit* split, const float* x, const float* g) {
  const TilePlan& plan = plans[0];
  const int64_t NR = isa.nr;
  const int64_t cig = c.c_in / c.groups, cog = c.c_out / c.groups, K = cig * in_phases;
  // Tiles in blocks of kPanels panels, K of the 16 GEMMs per block: at least 256, more while V and dM
  // stay within ~4 MiB (64 channels a side: 512 tiles).
  const int64_t kPanels = std::max<int64_t>(
      8, std::min<int64_t>(64, (int64_t(1) << 20) / (16 * (K + cog) * NR)));
  const int64_t TB = kPanels * NR;
  const int64_t v_xi = xi_apart(K * TB), dm_xi = xi_apart(cog * TB);
  float* v = tl_grad_v.get((size_t)(16 * v_xi));
  float* dm = tl_grad_dm.get((size_t)(16 * dm_xi));
  const int64_t blocks = (plan.panels + kPanels - 1) / kPanels;
  float* du = tl_grad_du.get((size_t)(c.groups * 16 * du_matrix(cog, K)));
  // One team for everything: per block the threads split the channels of the two transforms, then the
  // 16 GEMMs (each on one thread, its dU[xi] summed over blocks in order: no thread-count dependence).
#pragma omp parallel
  {
    const int part = omp_get_thread_num(), parts = omp_get_num_threads();
    for (int64_t gr = 0; gr < c.groups; ++gr) {
      for (int64_t img = 0; img < c.n; ++img) {
        for (int64_t blk = 0; blk < blocks; ++blk) {
          const int64_t t0 = blk * TB, panels = std::min<int64_t>(kPanels, plan.panels - blk * kPanels);
          const WinoBlock b = block_at(plan, isa, c.m, t0, panels);
          const int64_t kt = b.panels * NR;
          // the GEMMs' K: the block's tiles without the last panel's padding (zeros in V and dM)
          const int64_t k_real = std::min(t0 + kt, plan.tiles) - t0;
          const int64_t i0 = cig * part / parts, i1 = cig * (part + 1) / parts;
          const int64_t o0 = cog * part / parts, o1 = cog * (part + 1) / parts;
          input_transforms(isa, b, plans, in_phases, c.m, t0, split, x, img * c.c_in + gr * cig, cig, i0, i1, v_xi,
                           NR, TB, v);
          isa.wino_output_grad(b, g + (img * c.c_out + gr * cog + o0) * plan.dst_plane, plan.dst_plane, o1 - o0,
                               dm_xi, TB, dm + o0 * TB);
#pragma omp barrier
          const bool first = img == 0 && blk == 0;
          for (int xi = 16 * part / parts; xi < 16 * (part + 1) / parts; ++xi) {
            const DensePackA a(dm + xi * dm_xi, TB, false);
            const DensePackB bb(v + xi * v_xi, TB, true);
            gemm(cog, K, k_real, a, bb, du + (gr * 16 + xi) * du_matrix(cog, K), K, !first, 1);
          }
#pragma omp barrier  // v and dm are rewritten by the next block
        }
      }
    }
  }
  return du;
}
}  // namespace

void winograd_weight_grad(const WinoConv& c, const float* src, const float* dy, float* dweight) {
  const IsaTable& isa = conv_isa();
  const int64_t cig = c.c_in / c.groups, cog = c.c_out / c.groups;
  TilePlan plan;
  const float* x = src;
  const float* g = dy;
  if (phase_layout_applies(c)) {
    PhaseRun r = phase_run(c, isa, src);
    to_out_phase_layout(r.L, dy, c.n * c.c_out * c.h_out, c.w_out, r.dst);
    plan = std::move(r.plan);
    x = r.src;
    g = r.dst;
  } else {
    plan = general_plan(c, isa.nr, isa.lanes);
  }
  const float* du = weight_grad_products(c, isa, &plan, 1, nullptr, x, g);
  // dW = G^T dU G, G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1]: 16 inputs at a time, as the
  // strided weight gradient's (winograd_weight_grad_in_phases says why)
  constexpr int64_t kLanes = kDuLanes;
  const int64_t chunks = (cig + kLanes - 1) / kLanes, items = c.c_out * chunks;
#pragma omp parallel for schedule(static)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t go = item / chunks, i0 = (item % chunks) * kLanes, n = std::min(kLanes, cig - i0);
    const int64_t gr = go / cog, o = go % cog;
    float uu[16][kLanes];
    load_du_lanes(du + gr * 16 * du_matrix(cog, cig) + o * cig + i0, du_matrix(cog, cig), n, uu);
    float* w = dweight + (go * cig + i0) * 9;
    for (int64_t l = 0; l < n; ++l, w += 9) {
      float t[3][4];
      for (int s2 = 0; s2 < 4; ++s2) {
        const float u0 = uu[0 * 4 + s2][l], u1 = uu[1 * 4 + s2][l], u2 = uu[2 * 4 + s2][l], u3 = uu[3 * 4 + s2][l];
        t[0][s2] = u0 + 0.5f * (u1 + u2);
        t[1][s2] = 0.5f * (u1 - u2);
        t[2][s2] = 0.5f * (u1 + u2) + u3;
      }
      for (int ky = 0; ky < 3; ++ky) {
        const float t0 = t[ky][0], t1 = t[ky][1], t2 = t[ky][2], t3 = t[ky][3];
        w[ky * 3 + 0] = t0 + 0.5f * (t1 + t2);
        w[ky * 3 + 1] = 0.5f * (t1 - t2);
        w[ky * 3 + 2] = 0.5f * (t1 + t2) + t3;
      }
    }
  }
}

bool winograd_weight_grad_in_phases_pay(const WinoConv* cs, int phases) {
  // Measured against the direct path, 4x4 stride 2 on 2 threads (c_in -> c_out, result size): 128 ->
  // 256 at 32x32 (the k4 s2 p1 transposed convolution's, in its benchmark's backward: 5.7 against
  // 6.8 ms, alternating runs), 128 -> 128 at 64x64 1.36x, 256 -> 256 at 32x32 1.13x, 64 -> 128 at 32x32
  // 1.08x; 64 -> 64 at 64x64 0.95x (its dU, c_out x 4 c_in, is small next to the transforms).
  const WinoConv& c = cs[0];
  return winograd_in_phases_pay(cs, phases) && c.c_out / c.groups >= 96;
}

namespace {
// Phase k's 2x2 taps = G^T dU G, F(3x3, 2x2)'s G^T = [1 1/2 1/2 0; 0 1/2 -1/2 -1]. dU[xi] are 16
// matrices of c_out x K (at 256 x 512: 512 KiB apart, one L1 and L2 set for all 16): 16 inputs at a
// time, each xi's line used whole at once (one input per step missed on nearly every load and made
// this a third of the weight gradient).
void in_phases_taps_from_du(const WinoConv& c, const WinoGradTaps* taps, int phases, const float* du) {
  const int64_t cig = c.c_in / c.groups, cog = c.c_out / c.groups, K = cig * phases;
  constexpr int64_t kLanes = kDuLanes;
  const int64_t chunks = (K + kLanes - 1) / kLanes, items = c.c_out * chunks;
#pragma omp parallel for schedule(static)
  for (int64_t item = 0; item < items; ++item) {
    const int64_t go = item / chunks, v0 = (item % chunks) * kLanes, n = std::min(kLanes, K - v0);
    const int64_t gr = go / cog, o = go % cog;
    float uu[16][kLanes], w4[4][kLanes];
    load_du_lanes(du + gr * 16 * du_matrix(cog, K) + o * K + v0, du_matrix(cog, K), n, uu);
    for (int64_t l = 0; l < kLanes; ++l) {
      float t[2][4];
      for (int s2 = 0; s2 < 4; ++s2) {
        const float u0 = uu[0 * 4 + s2][l], u1 = uu[1 * 4 + s2][l], u2 = uu[2 * 4 + s2][l], u3 = uu[3 * 4 + s2][l];
        t[0][s2] = u0 + 0.5f * (u1 + u2);
        t[1][s2] = 0.5f * (u1 - u2) - u3;
      }
      for (int ta = 0; ta < 2; ++ta) {
        w4[ta * 2 + 0][l] = t[ta][0] + 0.5f * (t[ta][1] + t[ta][2]);
        w4[ta * 2 + 1][l] = 0.5f * (t[ta][1] - t[ta][2]) - t[ta][3];
      }
    }
    // runs of lanes within one phase, without a division per lane (2 % of the k4 s2 p1 backward)
    for (int64_t l = 0; l < n;) {
      const int64_t k = (v0 + l) / cig, i0 = (v0 + l) % cig, len = std::min(n - l, cig - i0);
      const WinoGradTaps& tp = taps[k];
      float* w = tp.base + gr * tp.sg + o * tp.so + i0 * tp.si + tp.t0;
      for (const int64_t e = l + len; l < e; ++l, w += tp.si) {
        w[0] = w4[0][l];
        w[tp.skx] = w4[1][l];
        w[tp.sky] = w4[2][l];
        w[tp.sky + tp.skx] = w4[3][l];
      }
    }
  }
}

// B = V[xi]^T (tiles x input channels) of the weight gradient's products, read from the forward's kept
// blocks (run_blocks' layout: per block [xi][panel][K][NR], tiles of a panel contiguous per channel):
// each panel's piece is one transposing copy, the same one DensePackB makes of a [K][tiles] matrix.
struct KeptVPackB final : BPacker {
  const float* v;  // block 0
  int64_t xi, K, nr, v_floats, last_block, last_panels;
  KeptVPackB(const float* v_, int64_t xi_, int64_t K_, int64_t nr_, int64_t v_floats_, int64_t last_block_,
             int64_t last_panels_)
      : v(v_), xi(xi_), K(K_), nr(nr_), v_floats(v_floats_), last_block(last_block_), last_panels(last_panels_) {}
  void pack(int64_t k0, int64_t j0, int64_t kc, int64_t nc, float* dst) const override {
    const IsaTable& isa = conv_isa();
    for (int64_t k = k0; k < k0 + kc;) {
      const int64_t panel = k / nr, lane = k - panel * nr, len = std::min(nr - lane, k0 + kc - k);
      const int64_t blk = panel / BLOCK_PANELS, q = panel - blk * BLOCK_PANELS;
      const int64_t panels = blk == last_block ? last_panels : BLOCK_PANELS;
      const float* base = v + blk * v_floats + xi * v_xi_floats(panels, K, nr) + q * K * nr;
      for (int64_t j = 0; j < nc; j += nr)
        isa.pack_b(base, nr, true, lane, j0 + j, len, std::min(nr, nc - j), dst + j * kc + (k - k0) * nr);
      k += len;
    }
  }
};
}  // namespace

void winograd_weight_grad_in_phases(const WinoConv* cs, const WinoSource* srcs, const WinoSplit& split,
                                    const WinoGradTaps* taps, int phases, const float* x, const float* dy) {
  const IsaTable& isa = conv_isa();
  const std::vector<TilePlan> plans = in_phase_plans(cs, srcs, phases, isa);
  in_phases_taps_from_du(cs[0], taps, phases, weight_grad_products(cs[0], isa, plans.data(), phases, &split, x, dy));
}

// Blocks of one (image, group) whose V the forward keeps for the weight gradient at a time: a fixed
// count (sums do not depend on the thread count), 2 MiB of V a block at 4 x 128 inputs.
constexpr int64_t kKeptBlocks = 4;

void winograd_conv_in_phases_with_weight_grad(const WinoConv* cs, const WinoSource* srcs, const WinoSplit& split,
                                              const WinoWeights* wts, const WinoGradTaps* taps, int phases,
                                              const float* x, float* y, const float* dy) {
  const IsaTable& isa = conv_isa();
  const WinoConv& c = cs[0];
  const std::vector<TilePlan> plans = in_phase_plans(cs, srcs, phases, isa);
  const TilePlan& plan = plans[0];
  const int64_t NR = isa.nr;
  const int64_t cig = c.c_in / c.groups, cog = c.c_out / c.groups, K = cig * phases;
  const float* u = build_u(c, isa, wts, 1, phases);
  const int64_t blocks = (plan.panels + BLOCK_PANELS - 1) / BLOCK_PANELS;
  const int64_t v_floats = block_v_floats(isa, K), TB = kKeptBlocks * BLOCK_PANELS * NR;
  float* v = tl_grad_v.get((size_t)(std::min(kKeptBlocks, blocks) * v_floats));
  float* dm = tl_grad_dm.get((size_t)(16 * (cog * TB + 16)));
  float* du = tl_grad_du.get((size_t)(c.groups * 16 * du_matrix(cog, K)));
  for (int64_t img = 0; img < c.n; ++img) {
    for (int64_t gr = 0; gr < c.groups; ++gr) {
      for (int64_t b0 = 0; b0 < blocks; b0 += kKeptBlocks) {
        const int64_t b1 = std::min(blocks, b0 + kKeptBlocks), item0 = (img * c.groups + gr) * blocks;
        const KeptBlocks keep{item0 + b0, item0 + b1, v};
        run_blocks(c, isa, plans.data(), 1, phases, &split, u, x, nullptr, &y, &keep);
        // the weight gradient's products over these blocks' tiles, dM beside their V
        const int64_t p0 = b0 * BLOCK_PANELS, p1 = std::min(plan.panels, b1 * BLOCK_PANELS), kt = (p1 - p0) * NR;
        const int64_t k_real = std::min(p1 * NR, plan.tiles) - p0 * NR;  // without the last panel's padding
        const bool first = img == 0 && b0 == 0;
        const int64_t last_panels = std::min(BLOCK_PANELS, plan.panels - (b1 - 1) * BLOCK_PANELS);
        const int64_t dm_xi = xi_apart(cog * kt);
#pragma omp parallel
        {
          const int part = omp_get_thread_num(), parts = omp_get_num_threads();
          const int64_t o0 = cog * part / parts, o1 = cog * (part + 1) / parts;
          for (int64_t blk = b0; blk < b1; ++blk) {
            const int64_t q0 = blk * BLOCK_PANELS, panels = std::min(BLOCK_PANELS, plan.panels - q0);
            const WinoBlock b = block_at(plan, isa, c.m, q0 * NR, panels);
            isa.wino_output_grad(b, dy + (img * c.c_out + gr * cog + o0) * plan.dst_plane, plan.dst_plane, o1 - o0,
                                 dm_xi, kt, dm + o0 * kt + (q0 - p0) * NR);
          }
#pragma omp barrier
          for (int xi = 16 * part / parts; xi < 16 * (part + 1) / parts; ++xi) {
            const DensePackA a(dm + xi * dm_xi, kt, false);
            const KeptVPackB bb(v, xi, K, NR, v_floats, b1 - 1 - b0, last_panels);
            gemm(cog, K, k_real, a, bb, du + (gr * 16 + xi) * du_matrix(cog, K), K, !first, 1);
          }
        }
      }
    }
  }
  in_phases_taps_from_du(c, taps, phases, du);
}

}  // namespace conv
}  // namespace cpu
}  // namespace detseg
