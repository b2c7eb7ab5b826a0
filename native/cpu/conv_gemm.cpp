// The CPU SGEMM driver (conv_gemm.h) and the run-time choice of the conv family's kernels.
#include "conv_gemm.h"

#include <omp.h>
#include <sys/mman.h>
#include <xmmintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "conv_ops.h"
#include "cpu_simd.h"

namespace detseg {
namespace cpu {
namespace conv {

namespace {
const IsaTable* detected_isa() {
  switch (detail::simd()) {
    case detail::Simd::Avx512: return &conv_isa_avx512();
    case detail::Simd::Avx2: return &conv_isa_avx2();
    default: return &conv_isa_scalar();
  }
}
std::atomic<const IsaTable*> g_isa{nullptr};
}  // namespace

const IsaTable& conv_isa() {
  const IsaTable* t = g_isa.load(std::memory_order_acquire);
  if (t == nullptr) {
    t = detected_isa();
    g_isa.store(t, std::memory_order_release);
  }
  return *t;
}

GrowBuffer::~GrowBuffer() { std::free(p); }

float* GrowBuffer::get(size_t n) {
  if (n > cap) {
    std::free(p);
    // Blocks of 256 KiB and up go on 2 MiB pages when the kernel allows (THP in madvise mode): a
    // packed B block spans ~200 4-KiB pages, more than the L1 TLB holds, and the micro-kernel
    // walks a new stretch of it every call.
    const size_t huge = size_t(2) << 20;
    const bool big = n * sizeof(float) >= (size_t(256) << 10);
    const size_t align = big ? huge : 64;
    const size_t bytes = (n * sizeof(float) + align - 1) / align * align;
    p = static_cast<float*>(std::aligned_alloc(align, bytes));
    if (p == nullptr) {
      cap = 0;
      throw std::bad_alloc();
    }
    if (big) madvise(p, bytes, MADV_HUGEPAGE);  // a hint: failure only costs speed
    cap = bytes / sizeof(float);
  }
  return p;
}

namespace {

thread_local GrowBuffer tl_packed_a;  // the calling thread's prepacked A, shared with its team
thread_local GrowBuffer tl_shared_b;  // the calling thread's B block in split-M mode, shared with its team
thread_local GrowBuffer tl_pack_b;    // each thread's own B block in split-N mode and serial runs

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// Rows of A packed at once: the whole of op(A) up to 32 MiB, so it is packed once per GEMM however
// many column blocks of B there are.
constexpr int64_t kMaxPackedA = int64_t(1) << 23;

// Where a block of C goes: row-major memory (c, ldc), or a sink that takes whole tiles; (m, n) is the
// block's first element in the GEMM's C, which the sink is told.
struct COut {
  float* c;
  int64_t ldc;
  const TileSink* sink;
  int64_t m, n;
  COut at(int64_t i, int64_t j) const { return COut{sink ? nullptr : c + i * ldc + j, ldc, sink, m + i, n + j}; }
};

// One micro-tile: rows [0, nrows) of the A micro-panel a (mr rows, k-major) times the B micro-panel b
// (nr columns) over kc into out (nrows x ncols). A small remainder of rows runs a kernel over fewer
// rows; partial tiles, and every tile bound for a sink, go through a local tile.
inline void tile_call(const IsaTable& t, int64_t nrows, int64_t ncols, int64_t kc, const float* a, const float* b,
                      const COut& out, bool accumulate, const float* bias, const float* pf = nullptr,
                      int64_t pf_lines = 0) {
  const int mr = t.mr, nr = t.nr;
  const IsaTable::Ukernel uk = RowPanels::kernel_for(t, nrows);
  const int64_t kr = RowPanels::kernel_rows(t, nrows);
  if (nrows == kr && ncols == nr && out.sink == nullptr) {
    if (pf_lines > 0 && kr == mr) {
      t.ukernel_prefetch(kc, a, b, out.c, out.ldc, accumulate, bias, pf, pf_lines);
      // the kernel's share: one line at each even k < kc - 1 that is a multiple of 16
      const int64_t done = std::min<int64_t>(pf_lines, kc >= 2 ? (kc - 2) / 16 + 1 : 0);
      for (int64_t l = done; l < pf_lines; ++l) _mm_prefetch(reinterpret_cast<const char*>(pf + 16 * l), _MM_HINT_T1);
      return;
    }
    uk(kc, a, b, out.c, out.ldc, accumulate, bias);
    return;
  }
  alignas(64) float tile[32 * 64];
  float bias_rows[32];
  if (bias != nullptr && nrows < kr) {  // the kernel reads kr rows of bias; rows past nrows are padding
    for (int64_t i = 0; i < kr; ++i) bias_rows[i] = i < nrows ? bias[i] : 0.0f;
    bias = bias_rows;
  }
  if (out.sink != nullptr) {  // never accumulating (gemm_to_sink)
    uk(kc, a, b, tile, nr, false, bias);
    out.sink->put(out.m, nrows, out.n, ncols, tile, nr);
    return;
  }
  if (accumulate) {
    for (int64_t i = 0; i < nrows; ++i) std::memcpy(tile + i * nr, out.c + i * out.ldc, ncols * sizeof(float));
  }
  uk(kc, a, b, tile, nr, accumulate, bias);
  for (int64_t i = 0; i < nrows; ++i) std::memcpy(out.c + i * out.ldc, tile + i * nr, ncols * sizeof(float));
}

// C block [panels p0..p1 of rp x nc] from packed A (ap: the block's panel 0) and B (nc columns) over
// kc, C at the block's row 0. The A micro-panel stays in L1 while the B panels of the block (L2
// resident) stream past it. With lazy (rows from m0 of lazy's op(A), K block from pc) each A panel is
// packed right before its turn, its rows prefetched during the turn before (row_run).
struct LazyA {
  const APacker* a;
  int64_t m0, pc;
};
void macro_kernel(const IsaTable& t, const RowPanels& rp, int64_t p0, int64_t p1, int64_t nc, int64_t kc,
                  float* ap, const float* bp, const COut& c, bool accumulate, const float* bias,
                  const LazyA* lazy = nullptr) {
  const int mr = t.mr, nr = t.nr;
  const int64_t n_jr = (nc + nr - 1) / nr;
  // The next A micro-panel (mr x kc floats) is prefetched into L2 in slices while the current one
  // works through the B panels: it comes from L3 or memory, and waiting for it on the first call of
  // each panel cost ~8% at 1024^3. Each call's slice is spread over its k loop (ukernel_prefetch):
  // issued as a burst before the call, the prefetches stalled on full fill buffers (~1 % of SGEMM
  // 2048^3 sat on them; 37.9 -> 37.6 ms, alternating runs). Lazy: call j prefetches row j of the next
  // panel's source instead.
  const int64_t panel_lines = (int64_t)mr * kc / 16;
  const int64_t lines_per_call = (panel_lines + n_jr - 1) / n_jr;
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t ir = rp.row0(p), nrows = rp.height(p);
    float* a = ap + p * mr * kc;
    if (lazy != nullptr) lazy->a->pack(lazy->m0 + ir, lazy->pc, nrows, kc, a);
    const float* next_a = p + 1 < p1 ? a + (int64_t)mr * kc : nullptr;
    for (int64_t jr = 0, call = 0; jr < nc; jr += nr, ++call) {
      const float* pf = nullptr;
      int64_t pf_lines = 0;
      if (next_a != nullptr && lazy != nullptr) {
        if (call < rp.height(p + 1)) {
          pf = lazy->a->row_run(lazy->m0 + rp.row0(p + 1) + call, lazy->pc);
          pf_lines = kc / 16 + 1;  // the run need not start on a line
        }
      } else if (next_a != nullptr) {
        const int64_t l0 = call * lines_per_call, l1 = std::min(panel_lines, l0 + lines_per_call);
        pf = next_a + 16 * l0;
        pf_lines = std::max<int64_t>(0, l1 - l0);
      }
      tile_call(t, nrows, std::min<int64_t>(nr, nc - jr), kc, a, bp + jr * kc, c.at(ir, jr), accumulate,
                bias == nullptr ? nullptr : bias + ir, pf, pf_lines);
    }
  }
}

// The blocking of one GEMM. For short A (few rows) each B micro-panel is packed right before the
// whole height of A runs over it (fused: the panel is still in L1, and the packed B block never
// goes to L2 and back), with a smaller K block so panel and A micro-panel share L1.
struct Blocking {
  int64_t kc, nc;
  bool fused;
};

// Rows of A up to which the fused order is used, and its K block. Measured on the dev machine for
// 3x3 64->64 at 256x256 (M = 64): packing the im2col block separately cost ~20% there.
constexpr int64_t kFusedMaxRows = 160;
constexpr int64_t kFusedKc = 192;
// ... except that K up to this runs as one block: one pass over C, and the B micro-panel (32 KiB at 256)
// still shares L1 with the A stream. 2x2 stride 2 64 -> 128 at 128x128 (K = 256): 0.745 -> 0.705 ms.
constexpr int64_t kFusedOneBlock = 256;

// Rows of A per thread from which the threads run their rows independently (gemm_rows).
constexpr int64_t kOwnRowsPerThread = 256;
static_assert(kOwnRowsPerThread > kFusedMaxRows, "a thread's share must block like the whole");

// K blocks are balanced: K = 2304 (3x3 over 256 channels) runs as 5 x ~464 rather than 4 x 512 and a
// 256 tail, whose pass over C costs as much as a full block's for half the work. Multiples of 8 keep
// the packed panels' sizes multiples of 16 floats.
// A sink's GEMM runs K as one block (one_block), however long.
Blocking blocking_for(const IsaTable& t, int64_t M, int64_t K, bool one_block) {
  const bool fused = M <= kFusedMaxRows;
  const int64_t kmax = one_block ? std::max<int64_t>(K, 1) : fused ? std::min<int64_t>(t.kc, K <= kFusedOneBlock ? K : kFusedKc) : t.kc;
  const int64_t blocks = std::max<int64_t>(1, (K + kmax - 1) / kmax);
  const int64_t kc = std::min<int64_t>(kmax, round_up((K + blocks - 1) / blocks, 8));
  return Blocking{kc, t.nc, fused};
}

// Packs panels [p0, p1) of rows [m0, m0 + rp.rows) of op(A), every K block, into ap: block pc starts
// at ap + pc * Mpad, panel p of it at + p * mr * kc. A split last pair (RowPanels) is packed panel by
// panel: each of its halves is zero-padded to mr rows.
void pack_a_panels(const IsaTable& t, const Blocking& bk, const APacker& a, int64_t m0, const RowPanels& rp,
                   int64_t Mpad, int64_t K, int64_t p0, int64_t p1, float* ap) {
  if (p1 <= p0) return;
  const int64_t last = rp.count - 1;
  const bool split = rp.row0(last) != last * t.mr;
  const int64_t whole = split ? std::min(p1, last - 1) : p1;  // panels [p0, whole) packed in one call
  for (int64_t pc = 0; pc < K; pc += bk.kc) {
    const int64_t kc = std::min<int64_t>(bk.kc, K - pc);
    float* block = ap + pc * Mpad;
    if (whole > p0) a.pack(m0 + rp.row0(p0), pc, rp.row0(whole) - rp.row0(p0), kc, block + p0 * t.mr * kc);
    for (int64_t p = std::max(whole, p0); p < p1; ++p)
      a.pack(m0 + rp.row0(p), pc, rp.height(p), kc, block + p * t.mr * kc);
  }
}

// Columns [n0, n1) against all prepacked rows (rp), on this thread.
// lazy (not with the fused order): A is not packed yet; the first column block packs it as it goes.
void run_columns(const IsaTable& t, const Blocking& bk, const RowPanels& rp, int64_t Mpad, int64_t n0, int64_t n1,
                 int64_t K, float* ap, const BPacker& b, const COut& C, bool accumulate, const float* bias,
                 const APacker* lazy = nullptr, int64_t m0 = 0) {
  const int64_t kcap = std::min<int64_t>(bk.kc, K);
  if (bk.fused) {
    float* bp = tl_pack_b.get(t.nr * kcap);
    for (int64_t pc = 0; pc < K; pc += bk.kc) {
      const int64_t kc = std::min<int64_t>(bk.kc, K - pc);
      const float* a = ap + pc * Mpad;
      for (int64_t jr = n0; jr < n1; jr += t.nr) {
        const int64_t ncols = std::min<int64_t>(t.nr, n1 - jr);
        const float* bq = ncols == t.nr ? b.panel(pc, jr) : nullptr;
        if (bq == nullptr) {
          b.pack(pc, jr, kc, ncols, bp);
          bq = bp;
        }
        for (int64_t p = 0; p < rp.count; ++p) {
          const int64_t ir = rp.row0(p);
          tile_call(t, rp.height(p), ncols, kc, a + p * t.mr * kc, bq, C.at(ir, jr), accumulate || pc > 0,
                    pc == 0 && bias != nullptr ? bias + ir : nullptr);
        }
      }
    }
    return;
  }
  float* bp = tl_pack_b.get(round_up(std::min<int64_t>(bk.nc, n1 - n0), t.nr) * kcap);
  for (int64_t jc = n0; jc < n1; jc += bk.nc) {
    const int64_t nc = std::min<int64_t>(bk.nc, n1 - jc);
    for (int64_t pc = 0; pc < K; pc += bk.kc) {
      const int64_t kc = std::min<int64_t>(bk.kc, K - pc);
      b.pack(pc, jc, kc, nc, bp);
      const LazyA la{lazy, m0, pc};
      macro_kernel(t, rp, 0, rp.count, nc, kc, ap + pc * Mpad, bp, C.at(0, jc), accumulate || pc > 0,
                   pc == 0 ? bias : nullptr, lazy != nullptr && jc == n0 ? &la : nullptr);
    }
  }
}

// Work shares by measured thread speed. The two vCPUs of these VMs are not always equally fast: for
// minutes at a time one ran SGEMM 1024^3 7-11 % slower than the other on one thread (its FMA peak 4 %
// lower), and with equal static shares the faster thread waited at the join for the slower. Shares in
// proportion to each OpenMP thread's measured speed: own-rows SGEMM +4-5 % at 512-2048, split-N
// convolutions +1-2 % (alternating builds in one process, one vCPU slower). Results keep their bits:
// no C element's sum order depends on where a split falls.
constexpr int kSpeedSlots = 16;
std::atomic<float> g_speed[kSpeedSlots];  // multiply-adds per ns per thread index, smoothed; 0 unknown
// the smallest own-rows share (2/3 of an equal one, less 3 rows of rounding) still blocks like the whole
static_assert(kOwnRowsPerThread * 2 / 3 - 3 > kFusedMaxRows, "a thread's share must block like the whole");

// Runs OpenMP thread tid's share (fmas multiply-adds) and folds its speed into g_speed[tid].
template <class Share>
void run_timed(int tid, double fmas, Share&& share) {
  const auto start = std::chrono::steady_clock::now();
  share();
  const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  if (tid >= kSpeedSlots || ns <= 0.0 || fmas <= 0.0) return;
  const float v = (float)(fmas / ns), old = g_speed[tid].load(std::memory_order_relaxed);
  g_speed[tid].store(old > 0.0f ? 0.75f * old + 0.25f * v : v, std::memory_order_relaxed);
}

// bounds[0..nt]: thread i takes units [bounds[i], bounds[i + 1]) of `units` (rows in own-rows mode,
// B panels in split-N), cut at multiples of `step`. Equal shares until every thread has a speed; then
// the equal shares moved toward the speeds' proportions as far as keeps every share within 2/3 and
// 1.5x of the equal one.
void speed_shares(int nt, int64_t units, int64_t step, int64_t* bounds) {
  std::vector<double> p((size_t)nt);
  double total = 0.0;
  bool known = nt <= kSpeedSlots;
  for (int i = 0; i < nt && known; ++i) {
    p[i] = g_speed[i].load(std::memory_order_relaxed);
    known = p[i] > 0.0;
    total += p[i];
  }
  const double u = 1.0 / nt, lo = u * 2.0 / 3.0, hi = u * 1.5;
  double alpha = known ? 1.0 : 0.0;  // share i = u + alpha * (p_i - u), linear in alpha, all u at 0
  for (int i = 0; i < nt && known; ++i) {
    p[i] /= total;
    if (p[i] > hi) alpha = std::min(alpha, (hi - u) / (p[i] - u));
    if (p[i] < lo) alpha = std::min(alpha, (u - lo) / (u - p[i]));
  }
  double cum = 0.0;
  bounds[0] = 0;
  for (int i = 1; i < nt; ++i) {
    cum += known ? u + alpha * (p[i - 1] - u) : u;
    bounds[i] = std::max(bounds[i - 1], std::min<int64_t>(units, (int64_t)(units * cum) / step * step));
  }
  bounds[nt] = units;
}

// Rows [m0, m0 + Mr) of C with nt threads.
void gemm_rows(const IsaTable& t, int nt, int64_t m0, int64_t Mr, int64_t N, int64_t K, const APacker& a,
               const BPacker& b, const COut& C, bool accumulate, const float* bias) {
  const int64_t Mpad = round_up(Mr, t.mr);
  const RowPanels rp(t, Mr);
  const int64_t m_panels = rp.count;
  const int64_t n_panels = (N + t.nr - 1) / t.nr;
  const COut crow = C.at(m0, 0);
  const Blocking bk = blocking_for(t, Mr, K, C.sink != nullptr);
  if (nt == 1) {
    float* ap = tl_packed_a.get(Mpad * K);
    // A packed panel by panel during the first column block, each panel's rows prefetched (from L3 or
    // memory into L2) while the panel before runs, instead of all of A first at the rate L3 delivers
    // it: where A's rows are contiguous along k and the block's B panels are enough calls to spread
    // a panel's rows over.
    const bool lazy = !bk.fused && a.row_run(m0, 0) != nullptr &&
                      (std::min<int64_t>(bk.nc, N) + t.nr - 1) / t.nr >= t.mr;
    if (!lazy) pack_a_panels(t, bk, a, m0, rp, Mpad, K, 0, m_panels, ap);
    run_columns(t, bk, rp, Mpad, 0, N, K, ap, b, crow, accumulate, bias, lazy ? &a : nullptr, m0);
    return;
  }
  // Tall A: each thread takes an equal share of the rows and runs them as a GEMM of its own (packs its
  // A rows and, again, each B block): no barrier, and its A panels stay in its own caches. Packing B
  // once per thread costs ~3 / rows-per-thread of the time. Against split-N (which waits for both
  // halves of A to be packed), in alternating calls: sgemm 512^3 +7-12%, 1024^3 +1-3%, 2048^3 the same.
  // (A share has the same blocking as the whole: both are taller than kFusedMaxRows, and K blocks
  // depend on K alone, so results keep their bits.)
  if (Mr >= kOwnRowsPerThread * nt) {
    std::vector<int64_t> bounds((size_t)nt + 1);
    speed_shares(nt, Mr, 4, bounds.data());
#pragma omp parallel num_threads(nt)
    {
      const int tid = omp_get_thread_num();
      const int64_t r0 = bounds[tid], r1 = bounds[tid + 1];
      run_timed(tid, (double)(r1 - r0) * (double)N * (double)K, [&] {
        gemm_rows(t, 1, m0 + r0, r1 - r0, N, K, a, b, C, accumulate, bias == nullptr ? nullptr : bias + r0);
      });
    }
    return;
  }
  float* ap = tl_packed_a.get(Mpad * K);  // packed by the team, shared
  // Split-N (each thread its own column range, no barriers after packing A) unless N is too narrow
  // to share and M is tall; split-M shares each packed B block between the threads.
  const bool split_n = n_panels >= 4 * nt || m_panels < 2 * nt || bk.fused;
  float* shared_b = split_n ? nullptr : tl_shared_b.get(round_up(std::min<int64_t>(bk.nc, N), t.nr) *
                                                        std::min<int64_t>(bk.kc, K));
  std::vector<int64_t> col_bounds((size_t)nt + 1);  // split-N: B panels per thread, by speed
  if (split_n) speed_shares(nt, n_panels, 1, col_bounds.data());
#pragma omp parallel num_threads(nt)
  {
    const int tid = omp_get_thread_num();
    pack_a_panels(t, bk, a, m0, rp, Mpad, K, m_panels * tid / nt, m_panels * (tid + 1) / nt, ap);
#pragma omp barrier
    if (split_n) {
      const int64_t q0 = col_bounds[tid], q1 = col_bounds[tid + 1];
      if (q1 > q0) {
        const int64_t j0 = q0 * t.nr, j1 = std::min<int64_t>(N, q1 * t.nr);
        run_timed(tid, (double)Mr * (double)(j1 - j0) * (double)K,
                  [&] { run_columns(t, bk, rp, Mpad, j0, j1, K, ap, b, crow, accumulate, bias); });
      }
    } else {
      const int64_t p0 = m_panels * tid / nt, p1 = m_panels * (tid + 1) / nt;
      for (int64_t jc = 0; jc < N; jc += bk.nc) {
        const int64_t nc = std::min<int64_t>(bk.nc, N - jc);
        const int64_t panels = (nc + t.nr - 1) / t.nr;
        const int64_t q0 = panels * tid / nt, q1 = panels * (tid + 1) / nt;
        for (int64_t pc = 0; pc < K; pc += bk.kc) {
          const int64_t kc = std::min<int64_t>(bk.kc, K - pc);
          if (q1 > q0) {
            const int64_t j0 = q0 * t.nr;
            b.pack(pc, jc + j0, kc, std::min<int64_t>(nc, q1 * t.nr) - j0, shared_b + j0 * kc);
          }
#pragma omp barrier
          if (p1 > p0) {
            macro_kernel(t, rp, p0, p1, nc, kc, ap + pc * Mpad, shared_b, crow.at(0, jc), accumulate || pc > 0,
                         pc == 0 ? bias : nullptr);
          }
#pragma omp barrier
        }
      }
    }
  }
}

}  // namespace

int gemm_threads(int64_t M, int64_t N, int64_t K, int max_threads) {
  // ~4M multiply-adds (about 20 us on one core) per thread before a fork/join pays.
  const double fmas = (double)M * (double)N * (double)K;
  int nt = (int)std::min<double>(max_threads, fmas / (double)(1 << 22));
  return std::max(1, nt);
}

namespace {
void gemm_out(int64_t M, int64_t N, int64_t K, const APacker& a, const BPacker& b, const COut& C, bool accumulate,
              int threads, const float* row_bias) {
  const IsaTable& t = conv_isa();
  int nt = std::max(1, threads);
  if (nt > 1 && omp_in_parallel()) nt = 1;  // never nest
  const int64_t rows = std::max<int64_t>(t.mr, kMaxPackedA / K / t.mr * t.mr);
  for (int64_t m0 = 0; m0 < M; m0 += rows) {
    gemm_rows(t, nt, m0, std::min<int64_t>(rows, M - m0), N, K, a, b, C, accumulate,
              row_bias == nullptr ? nullptr : row_bias + m0);
  }
}
}  // namespace

void gemm(int64_t M, int64_t N, int64_t K, const APacker& a, const BPacker& b, float* C, int64_t ldc,
          bool accumulate, int threads, const float* row_bias) {
  if (M <= 0 || N <= 0) return;
  if (accumulate) row_bias = nullptr;  // documented: the bias only replaces the zero start
  if (K <= 0) {
    if (!accumulate) {
      for (int64_t i = 0; i < M; ++i) {
        if (row_bias != nullptr) {
          std::fill(C + i * ldc, C + i * ldc + N, row_bias[i]);
        } else {
          std::memset(C + i * ldc, 0, N * sizeof(float));
        }
      }
    }
    return;
  }
  gemm_out(M, N, K, a, b, COut{C, ldc, nullptr, 0, 0}, accumulate, threads, row_bias);
}

void gemm_to_sink(int64_t M, int64_t N, int64_t K, const APacker& a, const BPacker& b, const TileSink& sink,
                  int threads, const float* row_bias) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // C is the start alone: handed over in rows
    std::vector<float> row((size_t)N);
    for (int64_t i = 0; i < M; ++i) {
      std::fill(row.begin(), row.end(), row_bias != nullptr ? row_bias[i] : 0.0f);
      sink.put(i, 1, 0, N, row.data(), N);
    }
    return;
  }
  gemm_out(M, N, K, a, b, COut{nullptr, 0, &sink, 0, 0}, false, threads, row_bias);
}

}  // namespace conv

void sgemm_f32(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
               const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  const bool product = K > 0 && alpha != 0.0f;
  // beta == 0 never reads C (so NaN there does not propagate), as BLAS and torch.addmm specify
  if (beta != 1.0f && (beta != 0.0f || !product)) {
    for (int64_t i = 0; i < M; ++i) {
      float* row = C + i * ldc;
      if (beta == 0.0f) {
        std::memset(row, 0, N * sizeof(float));
      } else {
        for (int64_t j = 0; j < N; ++j) row[j] *= beta;
      }
    }
  }
  if (!product) return;
  conv::DensePackA pa(A, lda, trans_a, alpha);
  conv::DensePackB pb(B, ldb, trans_b);
  conv::gemm(M, N, K, pa, pb, C, ldc, /*accumulate=*/beta != 0.0f,
             conv::gemm_threads(M, N, K, omp_get_max_threads()));
}

const char* conv_kernel_name() { return conv::conv_isa().name; }

void conv_set_thread_speed(int tid, float speed) {
  if (tid >= 0 && tid < conv::kSpeedSlots) conv::g_speed[tid].store(speed, std::memory_order_relaxed);
}

bool conv_force_isa(int level) {
  const int have = (int)detail::simd();
  if (level > have) return false;
  const conv::IsaTable* t = level < 0 ? conv::detected_isa() : level == 2 ? &conv::conv_isa_avx512()
                            : level == 1 ? &conv::conv_isa_avx2() : &conv::conv_isa_scalar();
  conv::g_isa.store(t, std::memory_order_release);
  return true;
}

}  // namespace cpu
}  // namespace detseg
