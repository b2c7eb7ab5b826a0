// Internal to the CPU conv family: 3x3 stride-1 correlations by Winograd's F(2x2, 3x3), and 2x2 ones
// (the stride phases of 4x4 stride-2 transposed convolutions) by F(3x3, 2x2).
//
// Each 2x2 block of outputs ("tile") is computed from the 4x4 input points under it with 16 products
// per (output channel, input channel) instead of 36: Y = A^T [ (G g G^T) .* (B^T d B) ] A. Summed over
// input channels, the 16 element-wise products become 16 independent GEMMs
//   M[xi] (c_out x tiles) = U[xi] (c_out x c_in) * V[xi] (c_in x tiles),  xi < 16,
// run on the SGEMM micro-kernel: 2.25x fewer multiply-adds than the direct convolution, at the price
// of three transforms (weights once per call; inputs and outputs per tile block, additions only).
// With dilation d the tile's points are d apart (outputs y0 and y0 + d): tile bases are the rows y with
// y mod 2d < d, so every output belongs to exactly one tile.
//
// F(3x3, 2x2) has the same 4x4 input transform (its B^T's last row negated, compensated in G) and
// 16 products for 9 outputs instead of 36: the same 2.25x.
//
// Accuracy: the transforms only add and halve, so results differ from the direct sum by a few ulps
// of the operands' magnitudes (checked against the PyTorch goldens and the direct path in tests).
// DETSEG_CONV_WINOGRAD=off (or conv_set_winograd) keeps every convolution on the direct GEMM paths.
#pragma once

#include <cstdint>

namespace detseg {
namespace cpu {
namespace conv {

// Result [n, c_out, h_out, w_out] point (oy, ox) = bias + sum over i, ky, kx of
// weight(o, i, ky, kx) * source[n, i, oy - pad_h + ky*dil_h, ox - pad_w + kx*dil_w] (0 outside),
// within each of `groups` channel groups; ky, kx < r. Tiles are m x m outputs from 4 x 4 inputs:
// m = 2 is F(2x2, 3x3) (r = 3), m = 3 is F(3x3, 2x2) (r = 2; the phases of a stride-2 transposed
// convolution with a 4x4 kernel). Result point (oy, ox) is stored in its channel's plane (out_plane
// floats apart, rows out_pitch apart) at row out_y0 + out_sy*oy, column out_x0 + out_sx*ox: the stride
// phases of a data gradient write straight into their interleaved places.
struct WinoConv {
  int64_t n, groups;
  int64_t c_in, h, w;
  int64_t c_out, h_out, w_out;
  int64_t pad_h, pad_w;  // may be negative (a data gradient with padding beyond the kernel)
  int64_t dil_h, dil_w;
  int m;
  int64_t out_pitch, out_plane, out_sy, out_sx, out_y0, out_x0;
};

// The plain case: m = 2, results stored densely as [n, c_out, h_out, w_out].
inline WinoConv wino_dense(int64_t n, int64_t groups, int64_t c_in, int64_t h, int64_t w, int64_t c_out,
                           int64_t h_out, int64_t w_out, int64_t pad_h, int64_t pad_w, int64_t dil_h, int64_t dil_w) {
  return WinoConv{n, groups, c_in, h, w, c_out, h_out, w_out, pad_h, pad_w, dil_h, dil_w, 2,
                  w_out, h_out * w_out, 1, 1, 0, 0};
}

// weight(group gr, group-local output o, group-local input i, ky, kx) (ky, kx < r) =
// base[gr*sg + o*so + i*si + t0 + ky*sky + kx*skx], each (gr, o, i) holding its kernel's k2 taps in
// consecutive floats (t0 + ky*sky + kx*skx in [0, k2)); negative tap strides express a flipped kernel.
struct WinoWeights {
  const float* base;
  int64_t sg, so, si;
  int64_t k2, t0, sky, skx;
};

// Whether the Winograd path may run this shape (index ranges fit its 32-bit lane offsets), and
// whether it should by default (enough channels for the GEMMs to outweigh the transforms).
bool winograd_fits(const WinoConv& c);
bool winograd_pays(const WinoConv& c);
bool winograd_weight_grad_pays(const WinoConv& c);

// 0: never, 1: when it pays (the default), 2: whenever it fits (tests). DETSEG_CONV_WINOGRAD=off|auto|always
// sets the start value.
int winograd_mode();
void set_winograd_mode(int mode);


void winograd_conv(const WinoConv& c, const float* src, const WinoWeights& wt, const float* bias, float* dst);

// Several convolutions of one source that differ only in their taps, padding and result placement (the
// stride phases of a data gradient or transposed convolution): cs[k] (same n, groups, channels, source
// size, m; undilated) with weights wts[k], results into dsts[k] with cs[k]'s placement. Tiles are
// based at the same source points for all phases, so each 4x4 source tile is transformed once and U
// holds phases x c_out outputs, built in one pass: one Winograd convolution with the phases' outputs
// side by side, each phase storing its results shifted by its own padding.
bool winograd_phases_fit(const WinoConv* cs, int phases);
bool winograd_phases_pay(const WinoConv* cs, int phases);
void winograd_conv_phases(const WinoConv* cs, const WinoWeights* wts, int phases, const float* src, const float* bias,
                          float* const* dsts);

// Where a source is read: point (row iy, column ix) of a channel at off + iy * pitch + ix * step from
// the channel's start, channels plane floats apart. A dense [h, w] source is {0, w, 1, h * w}; a
// stride phase of a WinoSplit copy is WinoSplit::source.
struct WinoSource {
  int64_t off, pitch, step, plane;
};

// A source of h x w planes read as its stride phases (sh x sw), each copied apart first:
// [channel][phase ry * sw + rx][row][column], every phase in a ceil(h / sh) x ceil(w / sw) block, so a
// phase reads like a stride-1 image, which the input transform loads a vector at a time (through the
// strided view it gathered every point). The Winograd runs copy a few channels at a time right
// before transforming them (split_source), so the copy is read back from L1/L2.
struct WinoSplit {
  int64_t h, w, sh, sw;
  int64_t phase_w() const { return (w + sw - 1) / sw; }
  int64_t phase_plane() const { return (h + sh - 1) / sh * phase_w(); }
  // phase (ry, rx) of the copy as a WinoSource
  WinoSource source(int64_t ry, int64_t rx) const {
    return WinoSource{(ry * sw + rx) * phase_plane(), phase_w(), 1, sh * sw * phase_plane()};
  }
};

// The dual of winograd_conv_phases: several convolutions of different sources (the input phases of a
// strided convolution whose kernel holds 2 taps per phase and axis: 4x4 stride 2, 6x6 stride 3) into
// one result, y = bias + sum over k of conv(cs[k], source k of x, wts[k]). cs[k] differ in their
// source size and padding only (dilation 1 within the phase; results, channels, m the same), so the
// phases' tiles coincide in y and one Winograd run sums them, its GEMMs' K holding every phase's
// input channels. srcs[k] are split.source(...) of x's phases; x holds the planes as they are.
bool winograd_in_phases_fit(const WinoConv* cs, const WinoSource* srcs, int phases);
bool winograd_in_phases_pay(const WinoConv* cs, int phases);
void winograd_conv_in_phases(const WinoConv* cs, const WinoSource* srcs, const WinoSplit& split,
                             const WinoWeights* wts, int phases, const float* x, const float* bias, float* y);

// Where the weight gradient of input phase k goes: tap (ta, tb) of (group gr, output o, input i) at
// base[gr*sg + o*so + i*si + t0 + ta*sky + tb*skx] (WinoWeights' mapping, written).
struct WinoGradTaps {
  float* base;
  int64_t sg, so, si, t0, sky, skx;
};

// The weight gradient of winograd_conv_in_phases (F(3x3, 2x2) only): per block of result tiles the
// input transforms of every phase and the adjoint output transform of dy feed 16 GEMMs
// dU[xi] += dM[xi] V[xi]^T (dU: c_out x phases*c_in), then each phase's 2x2 taps = G^T dU G, written
// through taps[k].
bool winograd_weight_grad_in_phases_pay(const WinoConv* cs, int phases);
void winograd_weight_grad_in_phases(const WinoConv* cs, const WinoSource* srcs, const WinoSplit& split,
                                    const WinoGradTaps* taps, int phases, const float* x, const float* dy);

// Both at once, for a transposed convolution's backward: y = winograd_conv_in_phases(x) (no bias) and
// the taps of winograd_weight_grad_in_phases(x, dy), the input transforms of x computed once (the
// forward keeps its blocks' V for the weight gradient's products). Where both pay.
void winograd_conv_in_phases_with_weight_grad(const WinoConv* cs, const WinoSource* srcs, const WinoSplit& split,
                                              const WinoWeights* wts, const WinoGradTaps* taps, int phases,
                                              const float* x, float* y, const float* dy);

// The weight gradient of the F(2x2, 3x3) forward with geometry c (m = 2, dense results): dweight
// [c_out][c_in / groups][3][3] = sum over images of dy (*) src, written. Per block of tiles the input
// transform V and the output gradient's adjoint transform dM = A dY A^T feed 16 GEMMs
// dU[xi] += dM[xi] V[xi]^T (K = tiles), then dW = G^T dU G.
void winograd_weight_grad(const WinoConv& c, const float* src, const float* dy, float* dweight);

}  // namespace conv
}  // namespace cpu
}  // namespace detseg
