// Greedy NMS fully on the device: nms, batched_nms and ONNX NonMaxSuppression share one pipeline.
// Contract (arguments, launch shapes, semantics): docs/kernels/nms.md. Rules: detseg/nms_math.cuh.
//
//   ds_nms_keys_f32             score -> 64-bit sort key (desc score key << 32 | index), one slot per
//                               (segment, position) of segments padded to a power of two p
//   ds_nms_sort_block_u64       bitonic sort of 2048-key chunks in shared memory
//   ds_nms_sort_merge_global_u64  one bitonic merge step with a distance >= 2048 (global memory)
//   ds_nms_sort_merge_block_u64   the remaining steps of a merge stage (distances < 2048) in shared memory
//   ds_nms_gather_f32           sorted boxes (xyxy float4), original indices, classes; valid count per
//                               segment (the position of the last candidate key)
//   ds_nms_mask_f32             the suppression bitmask in 64x64 tiles (upper triangle), 4 tiles a block
//   ds_nms_walk                 one block per segment walks the bitmask in order with the removed
//                               bitset in shared memory and writes the kept indices and their count
//   ds_nms_onnx_triples         prefix sum of the per-segment counts, (batch, class, box) triples
// Nothing comes back to the host between stages; the caller reads the final count.
//
// A segment is one independent NMS problem: the whole input for nms / batched_nms, one (batch,
// class) pair for ONNX. Sort keys are unique (the index is in the low bits), so the unstable bitonic
// network still yields exactly the stable order torchvision's CPU kernel uses.
#include "detseg/kernel_api.cuh"
#include "detseg/nms_math.cuh"

#define DS_NMS_SORT_CHUNK 2048  // keys per shared-memory sort chunk (16 KiB)
#define DS_NMS_TILE 64          // rows and columns of one mask tile (one 64-bit word per row)

// ---- file-local helpers (prefix ds_nms_) -------------------------------------------------------------

__device__ __forceinline__ void ds_nms_cmpx(unsigned long long* __restrict__ k, long long i, long long l, bool asc) {
  const unsigned long long a = k[i], b = k[l];
  if ((a > b) == asc) {
    k[i] = b;
    k[l] = a;
  }
}

// The lower index of compare-exchange pair t at distance j (j a power of two): t with a 0 bit inserted
// at j's position, i.e. 2 * j * (t / j) + t % j without the 64-bit divisions.
__device__ __forceinline__ long long ds_nms_pair_lo(long long t, long long j) {
  return ((t & ~(j - 1)) << 1) | (t & (j - 1));
}

// Ascending unless this pair belongs to the descending half of a bitonic stage; a stage as long as a
// whole segment (k >= p) sorts ascending, so every segment ends ascending on its own.
__device__ __forceinline__ bool ds_nms_ascending(long long i, long long k, long long p) {
  return k >= p || (i & k) == 0;
}

__device__ __forceinline__ float4 ds_nms_load_box(const float* __restrict__ boxes, long long k, bool aligned) {
  if (aligned) return __ldg(reinterpret_cast<const float4*>(boxes) + k);
  const float* p = boxes + 4 * k;
  return make_float4(__ldg(p), __ldg(p + 1), __ldg(p + 2), __ldg(p + 3));
}

// ---- keys ---------------------------------------------------------------------------------------------
// Bound: memory (4 bytes read, 8 written per slot). 1-D grid-stride, block 256: plain streaming.
// Slot e = (s << log2p) + r: segment s, position r; scores of segment s are scores[s * n + r].
extern "C" __global__ void ds_nms_keys_f32(const float* __restrict__ scores, long long n, long long segments,
                                           int log2p, int use_score_threshold, float score_threshold,
                                           unsigned long long* __restrict__ keys, long long total) {
  const long long p = 1ll << log2p;
  for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total;
       e += (long long)gridDim.x * blockDim.x) {
    const long long s = e >> log2p, r = e & (p - 1);
    unsigned long long key = DS_NMS_KEY_NONE;
    if (s < segments && r < n) {
      const float v = __ldg(scores + s * n + r);
      if (ds_nms_is_candidate(v, use_score_threshold, score_threshold)) key = ds_nms_sort_key(v, (unsigned int)r);
    }
    keys[e] = key;
  }
}
DS_EXPORT_KERNEL(ds_nms_keys_f32)

// ---- bitonic sort -------------------------------------------------------------------------------------
// Bound: latency of the 66 barrier-separated compare-exchange rounds (data stays in shared memory).
// Block 512 (a thread owns 2 of the 1024 pairs per round), grid = total / 2048 chunks.
extern "C" __global__ void ds_nms_sort_block_u64(unsigned long long* __restrict__ keys, long long p) {
  DS_SHARED(unsigned long long, s_k, DS_NMS_SORT_CHUNK);
  const long long base = (long long)blockIdx.x * DS_NMS_SORT_CHUNK;
  for (int t = threadIdx.x; t < DS_NMS_SORT_CHUNK; t += blockDim.x) s_k[t] = keys[base + t];
  __syncthreads();
  const long long kmax = p < DS_NMS_SORT_CHUNK ? p : DS_NMS_SORT_CHUNK;
  for (long long k = 2; k <= kmax; k <<= 1) {
    for (long long j = k >> 1; j > 0; j >>= 1) {
      for (int t = threadIdx.x; t < DS_NMS_SORT_CHUNK / 2; t += blockDim.x) {
        const long long i = ds_nms_pair_lo(t, j);
        ds_nms_cmpx(s_k, i, i + j, ds_nms_ascending(base + i, k, p));
      }
      __syncthreads();
    }
  }
  for (int t = threadIdx.x; t < DS_NMS_SORT_CHUNK; t += blockDim.x) keys[base + t] = s_k[t];
}
DS_EXPORT_KERNEL(ds_nms_sort_block_u64)

// Bound: memory (16 bytes read and at most 16 written per pair, no reuse at distances >= 2048).
// 1-D grid-stride over the total / 2 pairs, block 256.
extern "C" __global__ void ds_nms_sort_merge_global_u64(unsigned long long* __restrict__ keys, long long total,
                                                        long long p, long long k, long long j) {
  const long long pairs = total >> 1;
  for (long long t = (long long)blockIdx.x * blockDim.x + threadIdx.x; t < pairs;
       t += (long long)gridDim.x * blockDim.x) {
    const long long i = ds_nms_pair_lo(t, j);
    ds_nms_cmpx(keys, i, i + j, ds_nms_ascending(i, k, p));
  }
}
DS_EXPORT_KERNEL(ds_nms_sort_merge_global_u64)

// Bound: latency of 11 barrier-separated rounds in shared memory. Block 512, grid = total / 2048: the
// distances 1024 .. 1 of stage k stay inside one chunk.
extern "C" __global__ void ds_nms_sort_merge_block_u64(unsigned long long* __restrict__ keys, long long p,
                                                       long long k) {
  DS_SHARED(unsigned long long, s_k, DS_NMS_SORT_CHUNK);
  const long long base = (long long)blockIdx.x * DS_NMS_SORT_CHUNK;
  for (int t = threadIdx.x; t < DS_NMS_SORT_CHUNK; t += blockDim.x) s_k[t] = keys[base + t];
  __syncthreads();
  for (long long j = DS_NMS_SORT_CHUNK / 2; j > 0; j >>= 1) {
    for (int t = threadIdx.x; t < DS_NMS_SORT_CHUNK / 2; t += blockDim.x) {
      const long long i = ds_nms_pair_lo(t, j);
      ds_nms_cmpx(s_k, i, i + j, ds_nms_ascending(base + i, k, p));
    }
    __syncthreads();
  }
  for (int t = threadIdx.x; t < DS_NMS_SORT_CHUNK; t += blockDim.x) keys[base + t] = s_k[t];
}
DS_EXPORT_KERNEL(ds_nms_sort_merge_block_u64)

// ---- gather -------------------------------------------------------------------------------------------
// Bound: memory (one random 16-byte box read, ~28 bytes written per candidate). 1-D grid-stride over
// segments * n, block 256. format: 0 xyxy, 1 ONNX corners [y1, x1, y2, x2], 2 ONNX center boxes.
// Boxes of segment s are those of batch (seg_base + s) / classes (boxes [batches, n, 4]; seg_base is
// the absolute index of this launch's first segment when the segments run in groups).
extern "C" __global__ void ds_nms_gather_f32(const unsigned long long* __restrict__ keys,
                                             const float* __restrict__ boxes, const int* __restrict__ idxs,
                                             long long n, long long segments, int log2p, long long seg_base,
                                             long long classes, int format, float4* __restrict__ sorted_boxes,
                                             int* __restrict__ sorted_idx, int* __restrict__ sorted_cls,
                                             int* __restrict__ seg_valid) {
  const bool aligned = (reinterpret_cast<unsigned long long>(boxes) & 15ull) == 0;
  const long long count = segments * n;
  for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < count;
       e += (long long)gridDim.x * blockDim.x) {
    const long long s = e / n, r = e - s * n;
    const unsigned long long* seg_keys = keys + (s << log2p);
    const unsigned long long key = seg_keys[r];
    if (key == DS_NMS_KEY_NONE) {
      if (r == 0) seg_valid[s] = 0;
      continue;
    }
    const int i = (int)(key & 0xFFFFFFFFull);
    const float4 v = ds_nms_load_box(boxes, ((seg_base + s) / classes) * n + i, aligned);
    float4 b = v;
    if (format != 0) {
      const DsBox c = ds_nms_onnx_box(v.x, v.y, v.z, v.w, format == 2);
      b = make_float4(c.x1, c.y1, c.x2, c.y2);
    }
    sorted_boxes[e] = b;
    sorted_idx[e] = i;
    if (sorted_cls != nullptr) sorted_cls[e] = __ldg(idxs + i);
    if (r + 1 == n || seg_keys[r + 1] == DS_NMS_KEY_NONE) seg_valid[s] = (int)(r + 1);
  }
}
DS_EXPORT_KERNEL(ds_nms_gather_f32)

// ---- suppression bitmask ------------------------------------------------------------------------------
// Bound: compute (up to 256 overlap tests per thread; the IoU and its IEEE division only for boxes whose
// extents overlap, since the others cannot pass a threshold >= 0). Block 64: thread t owns row
// rb * 64 + t and writes its 64-bit words for DS_NMS_GROUP = 4 consecutive column tiles, staged together
// in shared memory so a block pays one barrier pair for 256 columns. Grid (ceil(words / 4), words,
// min(segments, 65535)); only tiles with cb >= rb work (the walk never reads the lower triangle) and z
// grid-strides over segments. Bit c of word (row, cb) is set when the row box suppresses column
// cb * 64 + c (a later candidate of the same class).
#define DS_NMS_GROUP 4
extern "C" __global__ void ds_nms_mask_f32(const float4* __restrict__ sorted_boxes, const int* __restrict__ sorted_cls,
                                           const int* __restrict__ seg_valid, long long n, long long words,
                                           long long segments, int rule, float iou_threshold,
                                           unsigned long long* __restrict__ mask) {
  DS_SHARED(float, s_x1, DS_NMS_GROUP * DS_NMS_TILE);
  DS_SHARED(float, s_y1, DS_NMS_GROUP * DS_NMS_TILE);
  DS_SHARED(float, s_x2, DS_NMS_GROUP * DS_NMS_TILE);
  DS_SHARED(float, s_y2, DS_NMS_GROUP * DS_NMS_TILE);
  DS_SHARED(float, s_area, DS_NMS_GROUP * DS_NMS_TILE);
  DS_SHARED(int, s_cls, DS_NMS_GROUP * DS_NMS_TILE);
  const long long rb = blockIdx.y;
  const long long cb0 = (long long)blockIdx.x * DS_NMS_GROUP;
  const int t = threadIdx.x;
  // Skipping pairs whose extents do not overlap is exact unless a negative threshold makes IoU 0 suppress.
  const bool filter = rule == DS_NMS_RULE_ONNX || !(iou_threshold < 0.0f);
  for (long long s = blockIdx.z; s < segments; s += gridDim.z) {
    const long long m = __ldg(seg_valid + s);
    const long long used = ds_nms_words(m);
    const long long cb_first = cb0 > rb ? cb0 : rb;
    const long long cb_end = (cb0 + DS_NMS_GROUP) < used ? (cb0 + DS_NMS_GROUP) : used;
    const bool active = cb_first < cb_end;  // block-uniform; implies rb < used, i.e. rb * 64 < m
    const long long seg0 = s * n;
    const long long col0 = cb_first * DS_NMS_TILE;
    const long long col_end = active ? ((cb_end * DS_NMS_TILE) < m ? cb_end * DS_NMS_TILE : m) : col0;
    for (long long c = t; c < col_end - col0; c += DS_NMS_TILE) {
      const float4 b = sorted_boxes[seg0 + col0 + c];
      s_x1[c] = b.x;
      s_y1[c] = b.y;
      s_x2[c] = b.z;
      s_y2[c] = b.w;
      s_area[c] = ds_box_area(b.x, b.y, b.z, b.w);
      s_cls[c] = sorted_cls != nullptr ? sorted_cls[seg0 + col0 + c] : 0;
    }
    __syncthreads();
    const long long row = rb * DS_NMS_TILE + t;
    if (active && row < m) {
      const float4 a = sorted_boxes[seg0 + row];
      const float area_a = ds_box_area(a.x, a.y, a.z, a.w);
      const int cls_a = sorted_cls != nullptr ? sorted_cls[seg0 + row] : 0;
      for (long long cb = cb_first; cb < cb_end; ++cb) {
        const int base = (int)((cb - cb_first) * DS_NMS_TILE);
        const long long left = m - cb * DS_NMS_TILE;
        const int ncol = left < DS_NMS_TILE ? (int)left : DS_NMS_TILE;
        unsigned long long bits = 0;
        for (int c = cb == rb ? t + 1 : 0; c < ncol; ++c) {
          const int k = base + c;
          if (filter && !ds_nms_extents_overlap(a.x, a.y, a.z, a.w, s_x1[k], s_y1[k], s_x2[k], s_y2[k])) continue;
          const bool hit =
              rule == DS_NMS_RULE_ONNX
                  ? ds_nms_onnx_suppresses(a.x, a.y, a.z, a.w, area_a, s_x1[k], s_y1[k], s_x2[k], s_y2[k],
                                           s_area[k], iou_threshold)
                  : ds_nms_suppresses(a.x, a.y, a.z, a.w, area_a, s_x1[k], s_y1[k], s_x2[k], s_y2[k], s_area[k],
                                      iou_threshold);
          if (hit && s_cls[k] == cls_a) bits |= 1ull << c;
        }
        mask[(seg0 + row) * words + cb] = bits;
      }
    }
    __syncthreads();  // the next segment overwrites the tiles
  }
}
DS_EXPORT_KERNEL(ds_nms_mask_f32)

// ---- the greedy walk ----------------------------------------------------------------------------------
// Bound: latency (the walk is sequential). Per 64 candidates: the 64 diagonal words are staged in shared
// memory, thread 0 decides the 64 rows with register bit operations, then all threads OR the kept rows'
// words into the removed bitset (coalesced: consecutive threads, consecutive words). One block per
// segment (segments are independent), 256 threads. Dynamic shared memory: words * 8 bytes (removed).
// Writes keep[s * n + q] (original index of the q-th kept box of segment s) and keep_count[s].
extern "C" __global__ void ds_nms_walk(const unsigned long long* __restrict__ mask, const int* __restrict__ sorted_idx,
                                       const int* __restrict__ seg_valid, long long n, long long words,
                                       long long max_keep, int* __restrict__ keep, int* __restrict__ keep_count) {
  DS_SHARED_DYNAMIC(unsigned long long, s_removed);
  DS_SHARED(unsigned long long, s_diag, DS_NMS_TILE);
  DS_SHARED(int, s_rows, DS_NMS_TILE);
  DS_SHARED(long long, s_state, 2);  // [0] rows kept in this word, [1] kept so far
  const long long s = blockIdx.x;
  const int t = threadIdx.x;
  const long long m = __ldg(seg_valid + s);
  const long long used = ds_nms_words(m);
  const long long seg0 = s * n;
  const unsigned long long* __restrict__ seg_mask = mask + seg0 * words;
  for (long long w = t; w < used; w += blockDim.x) s_removed[w] = 0;
  if (t == 0) s_state[1] = 0;
  __syncthreads();
  for (long long r = 0; r < used; ++r) {
    const long long row0 = r * DS_NMS_TILE;
    const int rows = (int)((m - row0) < DS_NMS_TILE ? (m - row0) : DS_NMS_TILE);
    if (t < rows) s_diag[t] = seg_mask[(row0 + t) * words + r];
    __syncthreads();
    if (t == 0) {
      unsigned long long removed = s_removed[r];
      long long total = s_state[1];
      int nk = 0;
      for (int b = 0; b < rows && total < max_keep; ++b) {
        if ((removed >> b) & 1ull) continue;
        removed |= s_diag[b];
        s_rows[nk++] = b;
        keep[seg0 + total] = sorted_idx[seg0 + row0 + b];
        ++total;
      }
      s_state[0] = nk;
      s_state[1] = total;
    }
    __syncthreads();
    const int nk = (int)s_state[0];
    const long long total = s_state[1];
    for (long long w = r + 1 + t; w < used; w += blockDim.x) {
      unsigned long long acc = s_removed[w];
      for (int q = 0; q < nk; ++q) acc |= seg_mask[(row0 + s_rows[q]) * words + w];
      s_removed[w] = acc;
    }
    __syncthreads();
    if (total >= max_keep) break;  // block-uniform: every thread read the same s_state[1]
  }
  if (t == 0) keep_count[s] = (int)s_state[1];
}
DS_EXPORT_KERNEL(ds_nms_walk)

// ---- ONNX output --------------------------------------------------------------------------------------
// Bound: memory (12 bytes written per selected box); the scan over the segment counts is a warp-shuffle
// scan plus one shared-memory pass over the 8 warp totals per 256 segments. One block of 256 threads:
// the counts are few (batches * classes) and one block keeps the order without a second pass.
extern "C" __global__ void ds_nms_onnx_triples(const int* __restrict__ keep, const int* __restrict__ keep_count,
                                               long long n, long long segments, long long classes,
                                               int* __restrict__ triples, int* __restrict__ total) {
  DS_SHARED(long long, s_warp, 32);
  const int t = threadIdx.x, lane = t & 31, warp = t >> 5;
  const int nwarps = (blockDim.x + 31) >> 5;
  long long base = 0;
  for (long long s0 = 0; s0 < segments; s0 += blockDim.x) {
    const long long s = s0 + t;
    const long long c = s < segments ? keep_count[s] : 0;
    long long v = c;  // inclusive scan within the warp
    for (int off = 1; off < 32; off <<= 1) {
      const long long u = __shfl_up_sync(0xffffffffu, v, off);
      if (lane >= off) v += u;
    }
    if (lane == 31) s_warp[warp] = v;
    __syncthreads();
    if (warp == 0) {
      long long w = lane < nwarps ? s_warp[lane] : 0;
      for (int off = 1; off < 32; off <<= 1) {
        const long long u = __shfl_up_sync(0xffffffffu, w, off);
        if (lane >= off) w += u;
      }
      if (lane < nwarps) s_warp[lane] = w;
    }
    __syncthreads();
    const long long start = base + v - c + (warp > 0 ? s_warp[warp - 1] : 0);
    for (long long q = 0; q < c; ++q) {
      int* out = triples + 3 * (start + q);
      out[0] = (int)(s / classes);
      out[1] = (int)(s % classes);
      out[2] = keep[s * n + q];
    }
    base += s_warp[nwarps - 1];
    __syncthreads();  // s_warp is rewritten by the next chunk
  }
  if (t == 0) *total = (int)base;
}
DS_EXPORT_KERNEL(ds_nms_onnx_triples)
