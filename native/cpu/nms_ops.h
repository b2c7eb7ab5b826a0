// The CPU backend's non-maximum suppression (docs/kernels/nms.md): greedy NMS with torchvision's
// semantics (optionally per class, with a score threshold and a cap), ONNX NonMaxSuppression and
// Soft-NMS. The rules (score order, candidates, suppression, Soft-NMS decay) are those of
// kernels/include/detseg/nms_math.cuh, shared with the CUDA kernels, so both backends select the
// same boxes in the same order.
//
// Arguments were validated in Java; sizes are element counts >= 0. Boxes are float32 [n, 4] (xyxy
// for nms/soft_nms, ONNX layouts for onnx_nms), scores float32. Output arrays have room for the
// largest possible result (n entries; for onnx_nms batches * classes * min(n, max_per_class)
// triples) and the functions return how many entries they wrote.
#pragma once

#include <cstdint>

namespace detseg {
namespace cpu {

// Greedy NMS: candidates (score not NaN, and score > score_threshold when use_score_threshold) are
// visited by decreasing score, ties by increasing index; a candidate is kept unless a kept box of
// the same class (idxs == nullptr: one class) has IoU > iou_threshold with it. Writes the kept
// original indices, in visiting order, to keep and returns their count (at most max_output when
// max_output >= 0; max_output < 0 means no cap).
int64_t nms_f32(const float* boxes, const float* scores, const int32_t* idxs, int64_t n, float iou_threshold,
                int use_score_threshold, float score_threshold, int64_t max_output, int32_t* keep);

// ONNX NonMaxSuppression: boxes [batches, n, 4], scores [batches, classes, n]. For every (batch,
// class), greedy NMS with ONNX Runtime's suppression rule over the boxes with score > score_threshold
// (all non-NaN scores when !use_score_threshold), at most max_per_class kept. Writes
// (batch, class, box) triples in batch, class, selection order; returns the number of triples.
int64_t onnx_nms_f32(const float* boxes, const float* scores, int64_t batches, int64_t classes, int64_t n,
                     int center_point_box, int64_t max_per_class, float iou_threshold, int use_score_threshold,
                     float score_threshold, int32_t* triples);

// Soft-NMS (method 0 linear, 1 gaussian; nms_math.cuh). Candidates start as the boxes with
// score >= score_threshold (NaN never); each step selects the candidate with the highest current
// score (ties: lowest index), outputs its index and current score, then decays the others and drops
// those below score_threshold. Returns the number selected.
int64_t soft_nms_f32(const float* boxes, const float* scores, int64_t n, float sigma, float iou_threshold,
                     float score_threshold, int method, int32_t* keep, float* kept_scores);

}  // namespace cpu
}  // namespace detseg
