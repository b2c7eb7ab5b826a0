// Box coding (docs/kernels/boxes.md): torchvision BoxCoder encode/decode and the SSD variance form.
// Formulas: detseg/box_coding.cuh, shared with the CPU backend.
#include "detseg/box_coding.cuh"
#include "detseg/box_device.cuh"
#include "detseg/kernel_api.cuh"

// Bound: memory (32 B in, 16 B out per box; ~20 flops, 4 divisions and 2 logs). Block 256, 1-D
// grid-stride, one box (float4 loads and store when aligned) per thread.
extern "C" __global__ void ds_boxes_encode_f32(const float* __restrict__ reference, const float* __restrict__ proposals,
                                               long long n, float wx, float wy, float ww, float wh,
                                               float* __restrict__ out) {
  const bool al = ds_boxes_aligned16(reference) && ds_boxes_aligned16(proposals) && ds_boxes_aligned16(out);
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    ds_boxes_store(out, i, ds_box_encode(ds_boxes_load(reference, i, al), ds_boxes_load(proposals, i, al), wx, wy, ww, wh),
                   al);
  }
}
DS_EXPORT_KERNEL(ds_boxes_encode_f32)

// rel_codes [n, 4k] against boxes [n, 4]: thread t decodes code t (box t / k). Bound: memory (16 B code
// and a cached 16 B reference box in, 16 B out; 2 exp). Block 256, 1-D grid-stride over n * k.
extern "C" __global__ void ds_boxes_decode_f32(const float* __restrict__ codes, const float* __restrict__ boxes,
                                               long long n, long long k, float wx, float wy, float ww, float wh,
                                               float clip, float* __restrict__ out) {
  const bool al = ds_boxes_aligned16(codes) && ds_boxes_aligned16(boxes) && ds_boxes_aligned16(out);
  const long long total = n * k;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (long long)gridDim.x * blockDim.x) {
    const DsBox r = ds_boxes_load(boxes, t / k, al);
    const DsBoxCenter c = ds_box_center(r.x1, r.y1, r.x2, r.y2);
    ds_boxes_store(out, t, ds_box_decode(ds_boxes_load(codes, t, al), c, wx, wy, ww, wh, clip), al);
  }
}
DS_EXPORT_KERNEL(ds_boxes_decode_f32)

// SSD variance form, encode. Bound and launch shape as ds_boxes_encode_f32.
extern "C" __global__ void ds_boxes_encode_ssd_f32(const float* __restrict__ reference,
                                                   const float* __restrict__ defaults, long long n, float v0, float v1,
                                                   float* __restrict__ out) {
  const bool al = ds_boxes_aligned16(reference) && ds_boxes_aligned16(defaults) && ds_boxes_aligned16(out);
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    ds_boxes_store(out, i, ds_box_encode_ssd(ds_boxes_load(reference, i, al), ds_boxes_load(defaults, i, al), v0, v1),
                   al);
  }
}
DS_EXPORT_KERNEL(ds_boxes_encode_ssd_f32)

// SSD variance form, decode. Bound and launch shape as ds_boxes_decode_f32.
extern "C" __global__ void ds_boxes_decode_ssd_f32(const float* __restrict__ codes, const float* __restrict__ boxes,
                                                   long long n, long long k, float v0, float v1,
                                                   float* __restrict__ out) {
  const bool al = ds_boxes_aligned16(codes) && ds_boxes_aligned16(boxes) && ds_boxes_aligned16(out);
  const long long total = n * k;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < total; t += (long long)gridDim.x * blockDim.x) {
    const DsBox r = ds_boxes_load(boxes, t / k, al);
    const DsBoxCenter c = ds_box_center(r.x1, r.y1, r.x2, r.y2);
    ds_boxes_store(out, t, ds_box_decode_ssd(ds_boxes_load(codes, t, al), c, v0, v1), al);
  }
}
DS_EXPORT_KERNEL(ds_boxes_decode_ssd_f32)
