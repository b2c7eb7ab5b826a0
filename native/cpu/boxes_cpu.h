// The box op family on the CPU (docs/kernels/boxes.md): box ops, anchors, box coding, matching and
// sampling. Same semantics as the CUDA kernels in kernels/boxes_*.cu; the float formulas both share
// live in kernels/include/detseg/box_*.cuh. Arguments were validated in Java; sizes are element or
// box counts (0 does nothing). Results never depend on the thread count or the SIMD variant.
#pragma once

#include <cstdint>

namespace detseg {
namespace cpu {

// ---- box ops (boxes_ops.cpp) -------------------------------------------------------------------
// out[i] = (x2 - x1) * (y2 - y1) of xyxy boxes [n, 4].
void box_area_f32(const float* boxes, int64_t n, float* out);
// grad_boxes[i] = g[i] * (-(y2 - y1), -(x2 - x1), y2 - y1, x2 - x1).
void box_area_backward_f32(const float* grad, const float* boxes, int64_t n, float* grad_boxes);
// out[i * m + j] = GIoU(boxes1[i], boxes2[j]) (torchvision.ops.generalized_box_iou).
void generalized_box_iou_f32(const float* boxes1, int64_t n, const float* boxes2, int64_t m, float* out);
// Gradients of sum(grad * giou) with respect to boxes1 [n, 4] and boxes2 [m, 4] (torch autograd's rules).
void generalized_box_iou_backward_f32(const float* grad, const float* boxes1, int64_t n, const float* boxes2,
                                      int64_t m, float* grad1, float* grad2);
// Clamp x coordinates (even positions of each 4) to [0, width] and y to [0, height]; count = boxes * 4.
void clip_boxes_f32(const float* boxes, int64_t count, float height, float width, float* out);
void clip_boxes_backward_f32(const float* grad, const float* boxes, int64_t count, float height, float width,
                             float* out);
// Box format conversion (0 xyxy, 1 xywh, 2 cxcywh) of n boxes, and its gradient.
void box_convert_f32(const float* boxes, int64_t n, int in_fmt, int out_fmt, float* out);
void box_convert_backward_f32(const float* grad, int64_t n, int in_fmt, int out_fmt, float* out);
// Writes the ascending indices of boxes with both sides >= min_size into out (room for n), returns
// how many.
int64_t remove_small_boxes_f32(const float* boxes, int64_t n, float min_size, int32_t* out);

// ---- anchors (boxes_anchors.cpp) ---------------------------------------------------------------
// One level of AnchorGenerator: for each cell (row-major) the nratios * nsizes anchors (ratio-major);
// out has grid_h * grid_w * nratios * nsizes boxes.
void anchor_grid_f32(const float* sizes, int nsizes, const float* ratios, int nratios, int64_t grid_h,
                     int64_t grid_w, int64_t stride_h, int64_t stride_w, float* out);
// One level of DefaultBoxGenerator: wh holds npairs (w, h) pairs (already clipped if asked); out has
// grid_h * grid_w * npairs boxes (cell-major), xyxy in pixels of an image_w x image_h image.
void ssd_default_boxes_f32(const float* wh, int npairs, int64_t grid_h, int64_t grid_w, float x_f, float y_f,
                           float image_w, float image_h, float* out);
// input [batch, A * K, H, W] (K = 5 + classes) -> out [batch, A * H * W, K] (x1, y1, x2, y2, obj, cls...).
void yolo_decode_f32(const float* input, int64_t batch, int64_t num_anchors, int64_t k, int64_t grid_h,
                     int64_t grid_w, const float* anchors, float image_h, float image_w, float* out);

// ---- box coding (boxes_coding.cpp) -------------------------------------------------------------
// torchvision encode_boxes: out [n, 4] from reference (gt) boxes and proposals, both [n, 4].
void encode_boxes_f32(const float* reference, const float* proposals, int64_t n, const float* weights,
                      float* out);
// torchvision BoxCoder.decode_single: rel_codes [n, 4 * k] against boxes [n, 4] -> out [n, 4 * k].
void decode_boxes_f32(const float* rel_codes, const float* boxes, int64_t n, int64_t k, const float* weights,
                      float clip, float* out);
// SSD variance form.
void encode_boxes_ssd_f32(const float* reference, const float* defaults, int64_t n, float v0, float v1,
                          float* out);
void decode_boxes_ssd_f32(const float* rel_codes, const float* boxes, int64_t n, int64_t k, float v0, float v1,
                          float* out);

// ---- matching and sampling (boxes_match.cpp) ---------------------------------------------------
// Matcher over quality [m, n] (gt x predictions) -> matches [n] int32. mode 0: torchvision Matcher;
// 1: with allow_low_quality_matches; 2: SSDMatcher (high == low == threshold, then each gt's best
// prediction is forced to it, the largest gt index winning a shared prediction). m == 0: all -1.
void match_boxes_f32(const float* quality, int64_t m, int64_t n, float high, float low, int mode, int32_t* out);
// Balanced sampler over rows x n labels: positives are >= 1, negatives == 0; per row
// num_pos = min(#pos, max_pos), num_neg = min(#neg, batch - num_pos); the chosen ones are those with
// the smallest keys of box_sampling.cuh. Masks are 0/1 bytes.
void sample_pos_neg_i32(const int32_t* labels, int64_t rows, int64_t n, int64_t batch, int64_t max_pos,
                        uint64_t seed, uint8_t* pos_mask, uint8_t* neg_mask);
// Hard negative mining over rows x n: positives label > 0, negatives label == 0; keeps
// k = min(#neg, ceil(ratio * #pos) in float32) negatives of largest loss (NaN first, ties by index).
// mask = positives | kept negatives, neg_mask = kept negatives.
void hard_negative_mining_f32(const float* loss, const int32_t* labels, int64_t rows, int64_t n, float ratio,
                              uint8_t* mask, uint8_t* neg_mask);

}  // namespace cpu
}  // namespace detseg
