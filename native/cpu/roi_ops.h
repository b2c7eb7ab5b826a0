// The CPU backend's RoI ops: RoIAlign and RoIPool forward and backward (torchvision 0.14 semantics),
// the FPN level mapper, and the checks the Java side runs before them. Formulas come from
// kernels/include/detseg/roi_math.cuh, shared with the CUDA kernels.
//
// Layouts: feature maps are contiguous NCHW float32; outputs [K, C, PH, PW]. RoIs are either
// torchvision's [K, 5] rows (batch index as float, x1, y1, x2, y2; batch_indices == nullptr, stride 5)
// or ONNX's [K, 4] rows with an int32 batch index per RoI (stride 4). When `levels` is set, only the
// RoIs with levels[k] == level are processed (multi-scale RoIAlign runs one pass per level); outputs of
// the other RoIs are left untouched. Backward functions write every element of grad_input (zeros where
// nothing lands) and are deterministic: threads own whole (image, channel) planes, and every pixel
// sums its contributions in torchvision's CPU order (RoI, bin row, bin column, sample row, sample
// column), so gradients equal torchvision's bit for bit and never depend on the thread count.
#pragma once

#include <cstdint>

namespace detseg {
namespace cpu {

struct RoiSet {
  const float* boxes;        // [K, stride] floats
  int64_t stride;            // 5 (batch index in column 0) or 4 (coordinates only)
  const int* batch_indices;  // [K] or nullptr
  int64_t num_rois;
  const int* levels;         // [K] level of each RoI, or nullptr for all
  int level;
};

struct FeatureShape {
  int64_t n, c, h, w;
};

void roi_align_forward_f32(const float* input, FeatureShape shape, RoiSet rois, int pooled_h, int pooled_w,
                           float spatial_scale, int sampling_ratio, bool aligned, float* output);

void roi_align_backward_f32(const float* grad_output, RoiSet rois, FeatureShape shape, int pooled_h, int pooled_w,
                            float spatial_scale, int sampling_ratio, bool aligned, float* grad_input);

// argmax: index h * W + w inside the (image, channel) plane of the maximum, -1 for an empty bin.
void roi_pool_forward_f32(const float* input, FeatureShape shape, RoiSet rois, int pooled_h, int pooled_w,
                          float spatial_scale, float* output, int* argmax);

// argmax entries outside [0, H*W) contribute nothing (the Java side rejects any outside [-1, H*W)).
void roi_pool_backward_f32(const float* grad_output, const int* argmax, RoiSet rois, FeatureShape shape,
                           int pooled_h, int pooled_w, float* grad_input);

// levels[k] = LevelMapper's level of RoI k minus k_min, or -1 (NaN level: no level pools it).
void roi_fpn_levels_f32(RoiSet rois, int k_min, int k_max, float canonical_scale, float canonical_level, float eps,
                        int* levels);

// First row whose float batch index (column 0 of [K, stride]) truncates outside [0, n), or -1.
int64_t roi_first_bad_batch_f32(const float* boxes, int64_t num_rois, int64_t stride, int n);

// First i with v[i] outside [lo, hi), or -1.
int64_t roi_first_out_of_range_i32(const int* v, int64_t count, int lo, int hi);

}  // namespace cpu
}  // namespace detseg
