// Internal to the CPU conv family: the per-instruction-set pieces of SGEMM and convolution.
//
// conv_isa_impl.inc is compiled three times (conv_isa_scalar.cpp, conv_isa_avx2.cpp,
// conv_isa_avx512.cpp), each under its own `#pragma GCC target`, into a table of function pointers;
// conv_isa() returns the table for this CPU (cpu_simd.h's detection, DETSEG_CPU_SIMD can lower it).
// Everything in those files has internal linkage except the table getter, so no inline function
// compiled for AVX-512 can be picked by the linker for a caller on another CPU.
//
// Packed operand layouts (the GEMM driver in conv_gemm.cpp allocates, the packers fill):
//  * A block (mc x kc of op(A)): ceil(mc / MR) panels, panel p = rows [p*MR, p*MR + MR) stored as kc
//    groups of MR floats (k-major); rows past mc are zero.
//  * B block (kc x nc of op(B)): ceil(nc / NR) panels, panel q = columns [q*NR, q*NR + NR) stored as
//    kc groups of NR floats; columns past nc are zero.
// Panels are 64-byte aligned (MR*kc and NR*kc floats are multiples of 16 for the kc values used).
#pragma once

#include <cstdint>

namespace detseg {
namespace cpu {
namespace conv {

// A strided, shifted view used as an implicit im2col matrix.
//   rows r = chan * ntaps + tap (chan in [0, channels), tap in [0, ntaps))
//   cols j = oy * grid_w + ox (a grid of grid_h x grid_w points)
//   value(r, j) = src[chan * plane + iy * src_w + ix] with iy = oy * sy + tap_dy[tap],
//                 ix = ox * sx + tap_dx[tap], and 0 when (iy, ix) is outside src_h x src_w.
// The forward convolution's im2col is this with taps (ky*dh - ph, kx*dw - pw) and strides (sh, sw);
// the data gradient uses it with stride 1 and the taps of one phase (conv2d.cpp).
struct ShiftView {
  const float* src;
  int64_t channels;
  int64_t plane;  // floats between channels of src
  int64_t src_h, src_w;
  int64_t grid_h, grid_w;
  int64_t sy, sx;
  int ntaps;
  const int64_t* tap_dy;
  const int64_t* tap_dx;
};

// A channels-last source seen as the transposed im2col of a weight gradient:
//   rows k = grid points (oy, ox) of a grid_w-wide grid, columns j = tap * channels + c,
//   value = src[(iy * src_w + ix) * channels + c] with iy = oy * sy + tap_dy[tap],
//   ix = ox * sx + tap_dx[tap], 0 outside src_h x src_w.
struct TapView {
  const float* src;
  int64_t channels;
  int64_t src_h, src_w;
  int64_t grid_w;
  int64_t sy, sx;
  int ntaps;
  const int64_t* tap_dy;
  const int64_t* tap_dx;
};

// Depthwise geometry of one (input plane, output plane) pair.
struct DwGeom {
  int64_t H, W, Ho, Wo;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
};

// One block of Winograd F(2x2, 3x3) or F(3x3, 2x2) tiles (conv_winograd.cpp plans them, the ISA
// kernels run them). Tile t has 4x4 input points at in_off[t] + i*in_dy + j*in_dx (i, j < 4) of a
// channel plane, point (i, j) read when bit i and bit 4 + j of in_bits[t] are set (0 otherwise:
// padding), and m x m output points at out_off[t] + a*out_dy + b*out_dx, written when bit m*a + b of
// out_bits[t] is set. The
// block is `panels` panels of NR tiles; lanes past the real tiles have both bit sets 0.
// A group of `lanes` tiles (IsaTable::lanes) is regular when it is up to three pieces (lanes
// [0, end[0]), [end[0], end[1]), [end[1], lanes); an end = lanes: no further piece), each piece
// consecutive tiles of one tile row with their points in consecutive columns (tile columns m apart),
// all pieces' rows alike wide: in_col[k] is then the column of piece k's first tile's first input
// point within its row, out_col[k] the same for outputs, in_w / out_w the row widths (points outside
// are padding / not written); else in_col[0] is INT32_MIN (out_col[0] INT32_MIN: outputs not
// regular). Three pieces: a row of fewer tiles than lanes (F(3x3, 2x2) at 32 columns: 11 a row).
// Regular groups are read and written with masked row loads and stores instead of gathers and
// scatters (m = 3: AVX-512 only; other widths gather).
struct WinoGroup {
  int32_t end[2];
  int32_t in_col[3], out_col[3];
  int32_t in_w, out_w;
};

struct WinoBlock {
  const int32_t* in_off;
  const int32_t* in_bits;
  const int32_t* out_off;
  const int32_t* out_bits;
  const WinoGroup* groups;  // lane group t / lanes of the block's tiles
  int32_t in_dy, in_dx, out_dy, out_dx;
  int m;
  int64_t panels;
};

struct IsaTable {
  const char* name;
  int mr, nr;              // micro-tile
  int64_t kc, nc;          // cache blocking: K block (<= KC of the table) and N block (multiple of nr)
  // C[mr x nr] (ldc) = (accumulate ? C : bias or 0) + A_panel * B_panel over kc; bias: null or one value
  // per row (used only without accumulate).
  using Ukernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate,
                           const float* bias);
  Ukernel ukernel;
  // The same, also prefetching pf_lines cache lines from pf into L2 spread over its k loop (one per 16
  // k steps, at most (kc - 2) / 16 + 1; the rest are the caller's).
  void (*ukernel_prefetch)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate,
                           const float* bias, const float* pf, int64_t pf_lines);
  // The same for only the first edge0 (edge1) rows of an A panel: the last panel when M % mr is small.
  int edge0;
  Ukernel ukernel_edge0;
  int edge1;
  Ukernel ukernel_edge1;
  // Dense row-major matrices: op(A)[i][k] = trans ? A[k*lda + i] : A[i*lda + k], scaled by alpha.
  void (*pack_a)(const float* A, int64_t lda, bool trans, float alpha, int64_t i0, int64_t k0, int64_t mc,
                 int64_t kc, float* dst);
  void (*pack_b)(const float* B, int64_t ldb, bool trans, int64_t k0, int64_t j0, int64_t kc, int64_t nc,
                 float* dst);
  // B = the ShiftView matrix (rows k, cols j), and B = its transpose (rows j = grid points, cols k).
  void (*pack_b_shift)(const ShiftView& v, int64_t k0, int64_t j0, int64_t kc, int64_t nc, float* dst);
  void (*pack_b_shift_t)(const ShiftView& v, int64_t k0, int64_t j0, int64_t kc, int64_t nc, float* dst);
  // B = the TapView matrix (rows = grid points).
  void (*pack_b_taps)(const TapView& v, int64_t k0, int64_t j0, int64_t kc, int64_t nc, float* dst);
  // B = the ShiftView's transposed im2col with columns tap-major: rows k = grid points, column
  // j = tap * channels + c (pack_b_taps' order, read from the NCHW source itself).
  void (*pack_b_taps_nchw)(const ShiftView& v, int64_t k0, int64_t j0, int64_t kc, int64_t nc, float* dst);
  // dst[c * ld_dst + r] = src[r * ld_src + c] for r < rows, c < cols.
  void (*transpose)(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst, int64_t ld_dst);
  // d[2u] = a[u], d[2u + 1] = b[u] for u < n.
  void (*zip2)(const float* a, const float* b, int64_t n, float* d);
  // even[u] = p[2u] for u < (n + 1) / 2, odd[u] = p[2u + 1] for u < n / 2 (zip2's inverse).
  void (*split2)(const float* p, int64_t n, float* even, float* odd);
  // split2 of p[0, 2n) into micro-panels: output u at + (u / nr) * panel_floats + u % nr of even / odd
  // (nr a multiple of the vector width); with lanes64 (2n a multiple of 64) p also added to its 64
  // float lanes the way sum_lanes64 adds them (lane j: p[j], p[j + 64], ... in order).
  void (*split2_panels)(const float* p, int64_t n, int64_t nr, int64_t panel_floats, float* even, float* odd,
                        float* lanes64);
  // The sum of p[0, n): 64 float lanes (lane j sums p[j], p[j + 64], ... in order) added in double in
  // lane order, the same bits at every ISA (channel sums: bias gradients); copy_to (or null) gets a copy.
  double (*sum_lanes64)(const float* p, int64_t n, float* copy_to);
  // d[f] = sum over t < terms of coef[t] * src[t][f], f < n (a Winograd A panel from kernel taps).
  void (*combine)(const float* const* src, const float* coef, int terms, int64_t n, float* d);
  // Depthwise forward of one plane: out[Ho x Wo] = bias + sum over taps of w[ky][kx] * x (zero pad).
  void (*dw_forward_plane)(const DwGeom& g, const float* x, const float* w, float bias, float* out);
  // Depthwise weight gradient of one plane pair, added in a fixed order: gw[ky][kx] += sum dy * x.
  void (*dw_weight_plane)(const DwGeom& g, const float* x, const float* dy, double* gw);
  // Winograd transforms of one tile block (conv_winograd.cpp has the layouts):
  // wino_input: (B^T d B)[xi] of tile q*NR + lane (lane < NR) of channel c < channels (plane floats
  // apart in x) to v[xi * xi_stride + q * qs + c * cs + lane] (the forward's B panels: qs = ldk*NR,
  // cs = NR; the weight gradient's rows of tiles: qs = NR, cs = tiles per row).
  void (*wino_input)(const WinoBlock& b, const float* x, int64_t plane, int64_t channels, int64_t xi_stride,
                     int64_t qs, int64_t cs, float* v);
  // wino_output: y[r][out point] = bias[r] + (A^T m A) for rows r < rows, row r of m at
  // m[xi * m_xi_stride + r * m_row_stride] (panels*NR tiles; the stride is a multiple of that when
  // the rows of several phases interleave), y's rows plane floats apart.
  void (*wino_output)(const WinoBlock& b, const float* m, int64_t m_xi_stride, int64_t m_row_stride, int64_t rows,
                      const float* bias, float* y, int64_t plane);
  // wino_output_grad: the adjoint of the output transform, (A dY A^T)[xi] of tile
  // q*NR + lane from the tile's m x m output points of channel c < channels (plane floats apart in dy,
  // points the tile does not write read as 0), to dm[xi * xi_stride + c * cs + q * NR + lane].
  void (*wino_output_grad)(const WinoBlock& b, const float* dy, int64_t plane, int64_t channels, int64_t xi_stride,
                           int64_t cs, float* dm);
  int lanes;  // floats per vector (NR is two vectors)
};

const IsaTable& conv_isa();

// The three tables (each file defines one); conv_isa() picks.
const IsaTable& conv_isa_scalar();
const IsaTable& conv_isa_avx2();
const IsaTable& conv_isa_avx512();

}  // namespace conv
}  // namespace cpu
}  // namespace detseg
