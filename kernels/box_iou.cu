// Pairwise IoU of two sets of xyxy boxes: out[i * m + j] = IoU(boxes1[i], boxes2[j]), with
// torchvision.ops.box_iou semantics (formula in detseg/box_math.cuh, shared with the CPU backend).
// Contract: docs/KERNEL_CONTRACTS.md.
//
// A block owns a tile of 32 boxes2 columns (staged in shared memory together with their areas, so
// each box2 is read from global memory and its area computed once per block, not once per row) and
// walks rows of boxes1; consecutive threadIdx.x take consecutive columns, so a warp stores 128
// contiguous bytes of a row. Both dimensions grid-stride (the column tile loop is block-uniform, which
// keeps the barriers convergent), so any grid is correct, including a grid.y capped at 65535.
#include "detseg/box_device.cuh"
#include "detseg/box_math.cuh"
#include "detseg/kernel_api.cuh"

struct ds_iou_pair {
  __device__ __forceinline__ float operator()(const DsBox& a, float area_a, float x1, float y1, float x2, float y2,
                                              float area_b) const {
    return ds_box_iou(a.x1, a.y1, a.x2, a.y2, area_a, x1, y1, x2, y2, area_b);
  }
};

// Bound: memory on the n*m float stores (each output is ~12 flops and one IEEE division, inputs come
// from shared memory and broadcast loads). Block (32, 8): a warp writes one 128-byte row segment,
// 8 rows share a tile; grid (ceil(m/32), ceil(n/8)) gives one output per thread.
extern "C" __global__ void ds_box_iou_f32(const float* __restrict__ boxes1, int n, const float* __restrict__ boxes2,
                                          int m, float* __restrict__ out) {
  ds_boxes_pairwise(boxes1, n, boxes2, m, out, ds_iou_pair());
}
DS_EXPORT_KERNEL(ds_box_iou_f32)
