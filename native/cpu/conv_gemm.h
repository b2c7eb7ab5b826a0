// Internal to the CPU conv family: the blocked SGEMM driver every conv path runs on.
//
// C[M x N] (row-major, leading dimension ldc) = (accumulate ? C : 0) + op(A) * op(B), where op(A)
// and op(B) are only seen through packers that write packed blocks (layouts in conv_isa.h). Dense
// matrices use DensePackA/B; convolution passes implicit im2col packers (conv2d.cpp).
//
// op(A) is packed once, whole (up to 32 MiB of it; taller A runs in row chunks), into MR-row panels
// per K block. Then: jc over N by NC, pc over K by KC (pack a KC x NC block of B, L2 resident),
// and the macro-kernel: ir over MR-row A micro-panels (each kept in L1), jr over the NR-wide B
// panels streaming past it, one micro-kernel call each. Edge tiles go through a local MR x NR tile.
// Every C element sums its k terms in the same order whatever the thread count or split, so results
// are bitwise independent of threading.
//
// Threads: with at least 256 rows of A each, every thread runs an equal share of the rows as its own
// GEMM (own rows: packs its A rows and each B block itself; no barrier). Otherwise they pack A
// together, then either each takes a contiguous range of N (split-N: no more barriers; used when N
// is wide) or they pack each B block together and take contiguous ranges of M against the shared
// block (split-M; used when N is narrow and M tall).
#pragma once

#include <cstddef>
#include <cstdint>

#include "conv_isa.h"

namespace detseg {
namespace cpu {
namespace conv {

// A 64-byte aligned float buffer that only grows (2 MiB pages hinted from 256 KiB up); one per thread
// for packed blocks and transform scratch, so repeated calls do not fault in fresh pages every time.
struct GrowBuffer {
  float* p = nullptr;
  size_t cap = 0;
  GrowBuffer() = default;
  GrowBuffer(const GrowBuffer&) = delete;
  GrowBuffer& operator=(const GrowBuffer&) = delete;
  ~GrowBuffer();
  float* get(size_t n);  // at least n floats; the old contents are lost when it grows
};

struct APacker {
  virtual ~APacker() = default;
  // rows [i0, i0 + mc) x k [k0, k0 + kc) of op(A) into ceil(mc / MR) panels at dst
  virtual void pack(int64_t i0, int64_t k0, int64_t mc, int64_t kc, float* dst) const = 0;
  // Where row i of op(A) holds its k from k0 on contiguously (for prefetching it before it is
  // packed), or null where rows are not contiguous along k.
  virtual const float* row_run(int64_t /*i*/, int64_t /*k0*/) const { return nullptr; }
};

struct BPacker {
  virtual ~BPacker() = default;
  // k [k0, k0 + kc) x columns [j0, j0 + nc) of op(B) into ceil(nc / NR) panels at dst
  virtual void pack(int64_t k0, int64_t j0, int64_t kc, int64_t nc, float* dst) const = 0;
  // A full micro-panel (columns [j0, j0 + nr), k from k0 on, row k at + (k - k0) * nr) that already
  // lies in memory in packed form, or null. The fused order runs it in place instead of packing it.
  virtual const float* panel(int64_t /*k0*/, int64_t /*j0*/) const { return nullptr; }
};

struct DensePackA final : APacker {
  const float* a;
  int64_t lda;
  bool trans;
  float alpha;
  DensePackA(const float* a_, int64_t lda_, bool trans_, float alpha_ = 1.0f)
      : a(a_), lda(lda_), trans(trans_), alpha(alpha_) {}
  void pack(int64_t i0, int64_t k0, int64_t mc, int64_t kc, float* dst) const override {
    conv_isa().pack_a(a, lda, trans, alpha, i0, k0, mc, kc, dst);
  }
  const float* row_run(int64_t i, int64_t k0) const override { return trans ? nullptr : a + i * lda + k0; }
};

struct DensePackB final : BPacker {
  const float* b;
  int64_t ldb;
  bool trans;
  DensePackB(const float* b_, int64_t ldb_, bool trans_) : b(b_), ldb(ldb_), trans(trans_) {}
  void pack(int64_t k0, int64_t j0, int64_t kc, int64_t nc, float* dst) const override {
    conv_isa().pack_b(b, ldb, trans, k0, j0, kc, nc, dst);
  }
};

// Where a GEMM's result goes when it is not a row-major C: each finished micro-tile of C (rows
// [m0, m0 + rows), columns [n0, n0 + cols), row i at tile + i * ld, still in L1) is handed over
// once, complete. Lets a caller scatter C (a strided data gradient's phase interleave) while the
// product runs, its writes to memory overlapping the next tiles' multiply-adds, instead of a pass
// over a scratch C afterwards. put is called from every thread of the GEMM, for disjoint tiles.
struct TileSink {
  virtual ~TileSink() = default;
  virtual void put(int64_t m0, int64_t rows, int64_t n0, int64_t cols, const float* tile, int64_t ld) const = 0;
};

// The micro-panels of a block of A's rows (the GEMM driver's, and Winograd's U): mr rows each, except
// that a remainder of one or two rows is merged with the panel before it and the pair split in halves
// the edge1 kernel takes whole (M = 128 at 14 rows: 8 x 14 + 8 + 8 instead of 9 x 14 + 2, whose last
// tile ran the 4-row kernel for 2 rows through a local copy of C). Every panel keeps mr * kc floats in
// the packed block (rows past its height are zero) and every C element the same sum order, so the
// split moves no bits.
struct RowPanels {
  int64_t rows, mr, count, last;  // last: the first row of the last panel
  RowPanels(const IsaTable& t, int64_t m)
      : rows(m), mr(t.mr), count((m + t.mr - 1) / t.mr), last((count - 1) * t.mr) {
    const int64_t rem = rows - last, pair = t.mr + rem;
    if (count >= 2 && rem <= 2 && (pair + 1) / 2 <= t.edge1) last = (count - 2) * t.mr + (pair + 1) / 2;
  }
  // The kernel for a panel of `height` rows (the edge kernels read only their first rows of it).
  static IsaTable::Ukernel kernel_for(const IsaTable& t, int64_t height) {
    return height <= t.edge0 ? t.ukernel_edge0 : height <= t.edge1 ? t.ukernel_edge1 : t.ukernel;
  }
  // ... and the rows that kernel writes
  static int64_t kernel_rows(const IsaTable& t, int64_t height) {
    return height <= t.edge0 ? t.edge0 : height <= t.edge1 ? t.edge1 : t.mr;
  }
  int64_t row0(int64_t p) const { return p >= count ? rows : p == count - 1 ? last : p * mr; }
  int64_t height(int64_t p) const { return row0(p + 1) - row0(p); }
};

// Threads worth using for an M x N x K product (1 for small ones), at most max_threads.
int gemm_threads(int64_t M, int64_t N, int64_t K, int max_threads);

// The driver. threads <= 1 runs on the calling thread (callers parallelise over independent GEMMs
// then). Without accumulate, C starts from row_bias (one value per row, broadcast; a conv's bias) or
// from 0 when row_bias is null; with accumulate row_bias is ignored. K == 0 leaves C as it is when
// accumulating and sets it to that start otherwise.
void gemm(int64_t M, int64_t N, int64_t K, const APacker& a, const BPacker& b, float* C, int64_t ldc,
          bool accumulate, int threads, const float* row_bias = nullptr);

// The same product (from row_bias or 0, never accumulating) delivered tile by tile to sink. K runs
// as one block, so every tile is final when it is put; the tile's extra trip through L1 costs a few
// percent of a GEMM with a long K, so this is for products whose C would otherwise be rewritten.
void gemm_to_sink(int64_t M, int64_t N, int64_t K, const APacker& a, const BPacker& b, const TileSink& sink,
                  int threads, const float* row_bias = nullptr);

}  // namespace conv
}  // namespace cpu
}  // namespace detseg
