// The CPU SGEMM driver (conv_gemm.h) and the run-time choice of the conv family's kernels.
#include "conv_gemm.h"

#include <omp.h>
#include <sys/mman.h>
#include <xmmintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "conv_ops.h"
#include "cpu_simd.h"

namespace detseg {
namespace cpu {
namespace conv {

const IsaTable& conv_isa() {
  static const IsaTable* table = [] {
    switch (detail::simd()) {
      case detail::Simd::Avx512: return &conv_isa_avx512();
      case detail::Simd::Avx2: return &conv_isa_avx2();
      default: return &conv_isa_scalar();
    }
  }();
  return *table;
}

namespace {

// A 64-byte aligned float buffer that only grows; one per thread for packed blocks, so repeated
// GEMMs (one per image and group) do not fault in fresh pages every call.
struct Buffer {
  float* p = nullptr;
  size_t cap = 0;
  ~Buffer() { std::free(p); }
  float* get(size_t n) {
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
};

thread_local Buffer tl_packed_a;  // the calling thread's prepacked A, shared with its team
thread_local Buffer tl_shared_b;  // the calling thread's B block in split-M mode, shared with its team
thread_local Buffer tl_pack_b;    // each thread's own B block in split-N mode and serial runs

inline int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// Rows of A packed at once: the whole of op(A) up to 32 MiB, so it is packed once per GEMM however
// many column blocks of B there are.
constexpr int64_t kMaxPackedA = int64_t(1) << 23;

// C block [mc x nc] from packed A (mc rows) and B (nc columns) over kc. The A micro-panel stays in
// L1 while the B panels of the block (L2 resident) stream past it.
void macro_kernel(const IsaTable& t, int64_t mc, int64_t nc, int64_t kc, const float* ap, const float* bp, float* c,
                  int64_t ldc, bool accumulate) {
  const int mr = t.mr, nr = t.nr;
  alignas(64) float tile[32 * 64];
  const int64_t n_jr = (nc + nr - 1) / nr;
  // The next A micro-panel (mr x kc floats) is prefetched into L2 in slices while the current one
  // works through the B panels: it comes from L3 or memory, and waiting for it on the first call of
  // each panel cost ~8% at 1024^3.
  const int64_t panel_lines = (int64_t)mr * kc / 16;
  const int64_t lines_per_call = (panel_lines + n_jr - 1) / n_jr;
  for (int64_t ir = 0; ir < mc; ir += mr) {
    const int64_t nrows = std::min<int64_t>(mr, mc - ir);
    const float* a = ap + ir * kc;
    const float* next_a = ir + mr < mc ? a + (int64_t)mr * kc : nullptr;
    for (int64_t jr = 0, call = 0; jr < nc; jr += nr, ++call) {
      if (next_a != nullptr) {
        const int64_t l0 = call * lines_per_call, l1 = std::min(panel_lines, l0 + lines_per_call);
        for (int64_t l = l0; l < l1; ++l) _mm_prefetch(reinterpret_cast<const char*>(next_a + 16 * l), _MM_HINT_T1);
      }
      const int64_t ncols = std::min<int64_t>(nr, nc - jr);
      const float* b = bp + jr * kc;
      float* cc = c + ir * ldc + jr;
      if (nrows == mr && ncols == nr) {
        t.ukernel(kc, a, b, cc, ldc, accumulate);
        continue;
      }
      if (accumulate) {
        for (int64_t i = 0; i < nrows; ++i) std::memcpy(tile + i * nr, cc + i * ldc, ncols * sizeof(float));
      }
      t.ukernel(kc, a, b, tile, nr, accumulate);
      for (int64_t i = 0; i < nrows; ++i) std::memcpy(cc + i * ldc, tile + i * nr, ncols * sizeof(float));
    }
  }
}

// Packs panels [p0, p1) of rows [m0, m0 + Mr) of op(A), every K block, into ap: block pc starts at
// ap + pc * Mpad, panel p of it at + p * mr * kc.
void pack_a_panels(const IsaTable& t, const APacker& a, int64_t m0, int64_t Mr, int64_t Mpad, int64_t K, int64_t p0,
                   int64_t p1, float* ap) {
  if (p1 <= p0) return;
  const int64_t r0 = p0 * t.mr, r1 = std::min<int64_t>(Mr, p1 * t.mr);
  for (int64_t pc = 0; pc < K; pc += t.kc) {
    const int64_t kc = std::min<int64_t>(t.kc, K - pc);
    a.pack(m0 + r0, pc, r1 - r0, kc, ap + pc * Mpad + r0 * kc);
  }
}

// Columns [n0, n1) against all Mr prepacked rows, on this thread.
void run_columns(const IsaTable& t, int64_t Mr, int64_t Mpad, int64_t n0, int64_t n1, int64_t K, const float* ap,
                 const BPacker& b, float* C, int64_t ldc, bool accumulate) {
  float* bp = tl_pack_b.get(round_up(std::min<int64_t>(t.nc, n1 - n0), t.nr) * std::min<int64_t>(t.kc, K));
  for (int64_t jc = n0; jc < n1; jc += t.nc) {
    const int64_t nc = std::min<int64_t>(t.nc, n1 - jc);
    for (int64_t pc = 0; pc < K; pc += t.kc) {
      const int64_t kc = std::min<int64_t>(t.kc, K - pc);
      b.pack(pc, jc, kc, nc, bp);
      macro_kernel(t, Mr, nc, kc, ap + pc * Mpad, bp, C + jc, ldc, accumulate || pc > 0);
    }
  }
}

// Rows [m0, m0 + Mr) of C with nt threads.
void gemm_rows(const IsaTable& t, int nt, int64_t m0, int64_t Mr, int64_t N, int64_t K, const APacker& a,
               const BPacker& b, float* C, int64_t ldc, bool accumulate) {
  const int64_t Mpad = round_up(Mr, t.mr);
  const int64_t m_panels = Mpad / t.mr;
  const int64_t n_panels = (N + t.nr - 1) / t.nr;
  float* ap = tl_packed_a.get(Mpad * K);
  float* crow = C + m0 * ldc;
  if (nt == 1) {
    pack_a_panels(t, a, m0, Mr, Mpad, K, 0, m_panels, ap);
    run_columns(t, Mr, Mpad, 0, N, K, ap, b, crow, ldc, accumulate);
    return;
  }
  // Split-N (each thread its own column range, no barriers after packing A) unless N is too narrow
  // to share and M is tall; split-M shares each packed B block between the threads.
  const bool split_n = n_panels >= 4 * nt || m_panels < 2 * nt;
  float* shared_b = split_n ? nullptr : tl_shared_b.get(round_up(std::min<int64_t>(t.nc, N), t.nr) *
                                                        std::min<int64_t>(t.kc, K));
#pragma omp parallel num_threads(nt)
  {
    const int tid = omp_get_thread_num();
    pack_a_panels(t, a, m0, Mr, Mpad, K, m_panels * tid / nt, m_panels * (tid + 1) / nt, ap);
#pragma omp barrier
    if (split_n) {
      const int64_t q0 = n_panels * tid / nt, q1 = n_panels * (tid + 1) / nt;
      if (q1 > q0) {
        run_columns(t, Mr, Mpad, q0 * t.nr, std::min<int64_t>(N, q1 * t.nr), K, ap, b, crow, ldc, accumulate);
      }
    } else {
      const int64_t r0 = std::min<int64_t>(Mr, (m_panels * tid / nt) * t.mr);
      const int64_t r1 = std::min<int64_t>(Mr, (m_panels * (tid + 1) / nt) * t.mr);
      for (int64_t jc = 0; jc < N; jc += t.nc) {
        const int64_t nc = std::min<int64_t>(t.nc, N - jc);
        const int64_t panels = (nc + t.nr - 1) / t.nr;
        const int64_t q0 = panels * tid / nt, q1 = panels * (tid + 1) / nt;
        for (int64_t pc = 0; pc < K; pc += t.kc) {
          const int64_t kc = std::min<int64_t>(t.kc, K - pc);
          if (q1 > q0) {
            const int64_t j0 = q0 * t.nr;
            b.pack(pc, jc + j0, kc, std::min<int64_t>(nc, q1 * t.nr) - j0, shared_b + j0 * kc);
          }
#pragma omp barrier
          if (r1 > r0) {
            macro_kernel(t, r1 - r0, nc, kc, ap + pc * Mpad + r0 * kc, shared_b, crow + r0 * ldc + jc, ldc,
                         accumulate || pc > 0);
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

void gemm(int64_t M, int64_t N, int64_t K, const APacker& a, const BPacker& b, float* C, int64_t ldc,
          bool accumulate, int threads) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) {
      for (int64_t i = 0; i < M; ++i) std::memset(C + i * ldc, 0, N * sizeof(float));
    }
    return;
  }
  const IsaTable& t = conv_isa();
  int nt = std::max(1, threads);
  if (nt > 1 && omp_in_parallel()) nt = 1;  // never nest
  const int64_t rows = std::max<int64_t>(t.mr, kMaxPackedA / K / t.mr * t.mr);
  for (int64_t m0 = 0; m0 < M; m0 += rows) {
    gemm_rows(t, nt, m0, std::min<int64_t>(rows, M - m0), N, K, a, b, C, ldc, accumulate);
  }
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

}  // namespace cpu
}  // namespace detseg
