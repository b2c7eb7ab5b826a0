// The CPU backend of the loss family: forward and backward of every loss, called from
// native/jni/jni_loss.cpp. Same semantics as the CUDA kernels (kernels/loss_*.cu); the per-element
// formulas both use live in kernels/include/detseg/loss_math.cuh. Contracts: docs/kernels/losses.md.
//
// Conventions:
//   * reduction: DS_LOSS_NONE (0), DS_LOSS_MEAN (1), DS_LOSS_SUM (2). With none, `out` has one value per
//     element (or position); otherwise out[0] is the reduced loss.
//   * grad_out has one value per output element when grad_elementwise, else one value (0-d).
//   * Class-index targets: int32; a target outside [0, C) that is not ignore_index is never used to
//     index memory; functions taking targets return the smallest such position, or -1.
//   * Results never depend on the thread count or the SIMD variant: work is cut into units by size
//     alone, each unit's sum is kept (in double), and unit sums are added in unit order.
#pragma once

#include <cstdint>

namespace detseg {
namespace cpu {

// ---- softmax classification losses over x [n, c, s] (s = 1 for [n, c]) ------------------------------
enum SoftmaxLossMode : int { kSoftmaxCe = 0, kSoftmaxFocal = 1 };

struct SoftmaxLossArgs {
  const float* x;
  const int32_t* target;  // [n, s]
  const float* weight;    // [c] or null
  int64_t n, c, s;
  int32_t ignore_index;
  int mode;               // SoftmaxLossMode
  float label_smoothing;  // cross-entropy only
  float alpha, gamma;     // focal only
};

// Forward: out as the reduction says; log_prob (optional, [n, c, s]) receives log_softmax(x, 1).
// Mean divides by sum of w[t] over used positions (cross-entropy) or their count (focal).
int64_t softmax_loss_fwd_f32(const SoftmaxLossArgs& a, int reduction, float* out, float* log_prob);
// Backward: grad_in [n, c, s].
int64_t softmax_loss_bwd_f32(const SoftmaxLossArgs& a, int reduction, const float* grad_out, int grad_elementwise,
                             float* grad_in);

// NLL on log-probabilities x [n, c, s] (torch.nn.functional.nll_loss).
int64_t nll_loss_fwd_f32(const float* x, const int32_t* target, const float* weight, int64_t n, int64_t c,
                         int64_t s, int32_t ignore_index, int reduction, float* out);
int64_t nll_loss_bwd_f32(const int32_t* target, const float* weight, int64_t n, int64_t c, int64_t s,
                         int32_t ignore_index, int reduction, const float* grad_out, int grad_elementwise,
                         float* grad_in);

// ---- pointwise losses -------------------------------------------------------------------------------
enum PointwiseKind : int {
  kPwBce = 0,          // binary_cross_entropy on probabilities
  kPwBceLogits = 1,    // binary_cross_entropy_with_logits (pos weight: tensor or scalar a)
  kPwFocal = 2,        // sigmoid focal (alpha = a, gamma = b)
  kPwBalancedBce = 3,  // class-balanced BCE on logits (beta = a)
  kPwSmoothL1 = 4,     // beta = a
  kPwL1 = 5,
  kPwMse = 6,          // a * (x - t)^2
};

// A weight broadcast over x as w[(i / inner) % mid] (see docs/kernels/losses.md); null means 1.
struct Broadcast {
  const float* w;
  int64_t inner, mid;
};

struct PointwiseArgs {
  int kind;
  const float* x;
  const float* t;  // null means all zeros
  Broadcast weight, pos_weight;
  float a, b;
  int64_t n;
};

// Forward: out[n] (none) or out[0]. Mean divides by n.
void pointwise_loss_fwd_f32(const PointwiseArgs& p, int reduction, float* out);
// Backward: grad_in[n].
void pointwise_loss_bwd_f32(const PointwiseArgs& p, int reduction, const float* grad_out, int grad_elementwise,
                            float* grad_in);
// Forward and backward in one pass (unit upstream gradient): out as the forward, grad_in[n] = d out / d x
// (for none: of each element's own loss).
void pointwise_loss_fused_f32(const PointwiseArgs& p, int reduction, float* out, float* grad_in);
// Number of i with x[i] outside [0, 1] (NaN not counted); the first such index in *first (or -1).
int64_t count_outside_unit_f32(const float* x, int64_t n, int64_t* first);

// ---- region losses (Dice, Jaccard) --------------------------------------------------------------------
enum RegionMode : int { kRegionBinary = 0, kRegionMulticlass = 1, kRegionMultilabel = 2 };

struct RegionArgs {
  const float* x;      // [n, c, s]
  const float* tf;     // binary / multilabel targets (flat index as x)
  const int32_t* ti;   // multiclass targets [n, s]
  int64_t n, c, s;
  int mode, from_logits, has_ignore;
  int32_t ignore_index;
  int kind;            // DS_LOSS_DICE / DS_LOSS_JACCARD
  float smooth, eps;
  int log_loss;
};

// Forward: out[c] (none) or out[0]. Returns the smallest bad multiclass target position, or -1.
int64_t region_loss_fwd_f32(const RegionArgs& a, int reduction, float* out);
// Backward: grad_in [n, c, s] for the upstream gradient go ([c] for none, else one value).
int64_t region_loss_bwd_f32(const RegionArgs& a, int reduction, const float* go, float* grad_in);

// ---- U-Net weight maps -------------------------------------------------------------------------------
// labels [n, h, w] (0 background, > 0 instance ids): out = w_c + w0 exp(-(d1 + d2)^2 / (2 sigma^2)) on
// background pixels with at least two instances in the image (d1, d2: Euclidean distances to the
// nearest and second-nearest instance), w_c alone elsewhere. wc_bg < 0 selects the balanced class
// weights N / (2 N_class) of each image. Exact distance transforms (Felzenszwalb & Huttenlocher).
void unet_weight_map_f32(const int32_t* labels, int64_t n, int64_t h, int64_t w, float w0, float sigma, float wc_bg,
                         float wc_fg, float* out);

// ---- detection building blocks (kernels/loss_detection.cu) ------------------------------------------
// dst [r, k] = src[i, labels[i], :] of src [r, c, k]; returns the first row whose label is outside [0, c).
int64_t gather_by_label_f32(const float* src, const int32_t* labels, int64_t r, int64_t c, int64_t k, float* dst);
// dst [r, c, k] = src[i, :] at l == labels[i], else 0.
void scatter_by_label_f32(const float* src, const int32_t* labels, int64_t r, int64_t c, int64_t k, float* dst);
// mode 0: weight = [label >= 1]; mode 1: target = [label == 1], weight = [label >= 0].
void label_masks_f32(const int32_t* labels, int64_t r, int mode, float* target, float* weight);
// SSD hard negative mining over loss, labels [n, a]: used = positives and the min(ratio * positives,
// negatives) negatives of largest loss (ds_loss_hnm_key order, ties to the lower index).
void hard_negative_mining_f32(const float* loss, const int32_t* labels, int64_t n, int64_t a, int ratio, float* used);
// YOLOv1 (ds_loss_yolo_cell): per-image losses out_img [n]; backward grad_in [n, S, S, 5B + C].
void yolo_loss_fwd_f32(const float* pred, const float* tgt, int64_t n, int grid, int nb, int nc, float lambda_coord,
                       float lambda_noobj, int iou_target, float* out_img);
void yolo_loss_bwd_f32(const float* pred, const float* tgt, int64_t n, int grid, int nb, int nc, float lambda_coord,
                       float lambda_noobj, int iou_target, const float* grad_out, int grad_elementwise, float divisor,
                       float* grad_in);

// ---- R-CNN's box-regression L2 ----------------------------------------------------------------------
// out[i] = 0.5 sum_k (p[i, k] - t[i, k])^2 + reg for i < n (p, t: [n, k]).
void rows_half_sq_fwd_f32(const float* p, const float* t, int64_t n, int64_t k, float reg, float* out);
// grad_in[i, k] = (p - t)[i, k] * grad_out[i or 0] / divisor.
void rows_half_sq_bwd_f32(const float* p, const float* t, int64_t n, int64_t k, const float* grad_out,
                          int grad_elementwise, float divisor, float* grad_in);

}  // namespace cpu
}  // namespace detseg
