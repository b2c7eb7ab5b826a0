// Kernels the RoI ops share (contracts in docs/kernels/roi.md):
//   - validation of device-resident indices (batch indices, argmax) before any kernel trusts them;
//   - the FPN level of each RoI (torchvision's LevelMapper) for multi-scale RoIAlign;
//   - per-tile RoI lists for the deterministic (gather) backward kernels: the feature map is cut into
//     16x16-pixel tiles; each tile lists, in ascending RoI order, the RoIs whose footprint (the pixels
//     their samples or bins can touch, computed per RoI by roi_align.cu / roi_pool.cu) overlaps it.
//     Counting, an exclusive scan and filling are integer-only and order-preserving, so the lists are
//     identical on every run.
#include "detseg/kernel_api.cuh"
#include "detseg/roi_math.cuh"

#define DS_ROI_TILE 16  // tile edge in pixels (a 16x16 block of the gather kernels)

// Bound: memory (one 4-byte read per RoI, strided by the row length). 1-D grid-stride, block 256. The
// first bad row is an integer atomicMin, whose result does not depend on the order of the updates.
extern "C" __global__ void ds_roi_check_batch_f32(const float* __restrict__ boxes, long long num_rois,
                                                  long long stride, int num_images, long long* __restrict__ first_bad) {
  for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; k < num_rois;
       k += (long long)gridDim.x * blockDim.x) {
    if (!ds_roi_batch_ok(__ldg(boxes + k * stride), num_images)) atomicMin(first_bad, k);
  }
}
DS_EXPORT_KERNEL(ds_roi_check_batch_f32)

// Bound: memory (coalesced int reads). 1-D grid-stride, block 256; integer atomicMin as above.
extern "C" __global__ void ds_roi_check_range_i32(const int* __restrict__ values, long long n, int lo, int hi,
                                                  long long* __restrict__ first_bad) {
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
    const int v = __ldg(values + i);
    if (v < lo || v >= hi) atomicMin(first_bad, i);
  }
}
DS_EXPORT_KERNEL(ds_roi_check_range_i32)

// Bound: memory/latency (a few flops and one log2 per RoI). 1-D grid-stride, block 256.
extern "C" __global__ void ds_roi_fpn_levels_f32(const float* __restrict__ boxes, long long box_stride,
                                                 const int* __restrict__ batch_indices, long long num_rois, int k_min,
                                                 int k_max, float canonical_scale, float canonical_level, float eps,
                                                 int* __restrict__ levels) {
  for (long long k = blockIdx.x * (long long)blockDim.x + threadIdx.x; k < num_rois;
       k += (long long)gridDim.x * blockDim.x) {
    const DsRoiBox b = ds_roi_load(boxes, box_stride, batch_indices, k, 1);
    levels[k] = ds_roi_fpn_level(b, k_min, k_max, canonical_scale, canonical_level, eps);
  }
}
DS_EXPORT_KERNEL(ds_roi_fpn_levels_f32)

// Footprints are 5 ints per RoI: image, first row, last row, first column, last column (inclusive);
// image -1 when the RoI touches nothing.
__device__ __forceinline__ bool ds_roi_tile_hit(const int* __restrict__ fp, long long r, int b, int ty0, int ty1,
                                                int tx0, int tx1) {
  const int* f = fp + r * 5;
  return __ldg(f) == b && __ldg(f + 1) <= ty1 && __ldg(f + 2) >= ty0 && __ldg(f + 3) <= tx1 && __ldg(f + 4) >= tx0;
}

// One warp per tile walks the RoIs 32 at a time: a ballot marks the lanes whose RoI overlaps the tile,
// and popc of the lower lanes gives each hit its slot, so hits are written in ascending RoI order.
// With list == nullptr the warp only counts (counts[tile]); otherwise it fills list from offsets[tile].
// Bound: memory/latency (K footprint reads per tile, served from L2). Block 256 = 8 tiles; grid
// ceil(tiles / 8). A warp whose tile is past the end exits as a whole, before any warp op.
extern "C" __global__ void ds_roi_tile_lists(const int* __restrict__ footprints, long long num_rois, int height,
                                             int width, int tiles_x, int tiles_per_image, long long num_tiles,
                                             int* __restrict__ counts, const long long* __restrict__ offsets,
                                             int* __restrict__ list) {
  const int lane = threadIdx.x & 31;
  const long long tile = (blockIdx.x * (long long)blockDim.x + threadIdx.x) >> 5;
  if (tile >= num_tiles) return;
  const int b = (int)(tile / tiles_per_image);
  const int t = (int)(tile % tiles_per_image);
  const int ty0 = (t / tiles_x) * DS_ROI_TILE;
  const int tx0 = (t % tiles_x) * DS_ROI_TILE;
  const int ty1 = min(ty0 + DS_ROI_TILE, height) - 1;
  const int tx1 = min(tx0 + DS_ROI_TILE, width) - 1;
  long long pos = list != nullptr ? offsets[tile] : 0;
  for (long long base = 0; base < num_rois; base += 32) {
    const long long r = base + lane;
    const bool hit = r < num_rois && ds_roi_tile_hit(footprints, r, b, ty0, ty1, tx0, tx1);
    const unsigned mask = __ballot_sync(0xffffffffu, hit);
    if (hit && list != nullptr) list[pos + __popc(mask & ((1u << lane) - 1u))] = (int)r;
    pos += __popc(mask);
  }
  if (list == nullptr && lane == 0) counts[tile] = (int)pos;
}
DS_EXPORT_KERNEL(ds_roi_tile_lists)

// Exclusive scan of the tile counts: offsets[i] = counts[0] + ... + counts[i-1], offsets[n] = total.
// One block walks the array in chunks of blockDim: warp scans with __shfl_up_sync, a scan of the warp
// totals by warp 0, plus the running carry. Integer sums in a fixed order: reproducible.
// Bound: latency (a few thousand ints); one block of 1024 so the walk takes few chunks.
extern "C" __global__ void ds_roi_tile_scan(const int* __restrict__ counts, long long n, long long* __restrict__ offsets) {
  DS_SHARED(long long, s_warp, 32);
  DS_SHARED(long long, s_carry, 1);
  const int lane = threadIdx.x & 31;
  const int warp = threadIdx.x >> 5;
  const int nwarps = (int)(blockDim.x >> 5);
  if (threadIdx.x == 0) s_carry[0] = 0;
  __syncthreads();
  for (long long base = 0; base < n; base += blockDim.x) {
    const long long i = base + threadIdx.x;
    const long long own = i < n ? (long long)counts[i] : 0;
    long long v = own;
    for (int d = 1; d < 32; d <<= 1) {
      const long long u = __shfl_up_sync(0xffffffffu, v, d);
      if (lane >= d) v += u;
    }
    if (lane == 31) s_warp[warp] = v;
    __syncthreads();
    if (warp == 0) {
      long long w = lane < nwarps ? s_warp[lane] : 0;
      for (int d = 1; d < 32; d <<= 1) {
        const long long u = __shfl_up_sync(0xffffffffu, w, d);
        if (lane >= d) w += u;
      }
      if (lane < nwarps) s_warp[lane] = w;
    }
    __syncthreads();
    const long long before = s_carry[0] + (warp > 0 ? s_warp[warp - 1] : 0);
    if (i < n) offsets[i] = before + v - own;
    __syncthreads();  // every thread has read s_carry and s_warp
    if (threadIdx.x == blockDim.x - 1) s_carry[0] = before + v;
    __syncthreads();
  }
  if (threadIdx.x == 0) offsets[n] = s_carry[0];
}
DS_EXPORT_KERNEL(ds_roi_tile_scan)
