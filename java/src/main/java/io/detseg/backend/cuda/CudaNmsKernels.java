package io.detseg.backend.cuda;

import io.detseg.backend.NmsKernels;
import io.detseg.nativelib.NativeMemory;
import io.detseg.tensor.DType;
import io.detseg.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Non-maximum suppression as CUDA kernels (kernels/nms.cu, kernels/nms_soft.cu); launch shapes and
 * contracts in docs/kernels/nms.md.
 *
 * <p>Greedy NMS runs as one device pipeline per group of segments (a segment is one independent NMS
 * problem: the whole input for nms and batched_nms, one (batch, class) pair for ONNX): sort keys,
 * bitonic sort, gather, 64x64 bitmask tiles, a one-block-per-segment walk. Nothing is copied to the
 * host between stages; the host reads the final count (4 bytes) to size the output, which is then
 * copied device to device.
 */
final class CudaNmsKernels implements NmsKernels {
  /** Keys per bitonic chunk; must equal DS_NMS_SORT_CHUNK in kernels/nms.cu. */
  static final int SORT_CHUNK = 2048;
  private static final int SORT_THREADS = 512;
  private static final int STREAM_BLOCK = 256;
  private static final int MAX_STREAM_GRID = 4096;
  private static final int WALK_THREADS = 256;
  /** Column tiles per ds_nms_mask_f32 block; must equal DS_NMS_GROUP in kernels/nms.cu. */
  private static final int MASK_GROUP = 4;
  private static final int SOFT_THREADS = 256;
  /** Static shared memory of ds_nms_walk besides the removed bitset (diag 512 + rows 256 + state 16). */
  private static final int WALK_STATIC_SHARED = 784;
  private static final int SHARED_LIMIT = 48 * 1024;
  /** The most boxes one segment can have: the walk keeps ceil(n / 64) words of removed bits in shared memory. */
  static final long MAX_SEGMENT_BOXES = (long) ((SHARED_LIMIT - WALK_STATIC_SHARED) / 8) / 64 * 64 * 64;
  /** Bitmask bytes one pipeline run may use; segments beyond it run in further groups. */
  static final long DEFAULT_MASK_BUDGET = 256L << 20;
  private static volatile long maskBudget = DEFAULT_MASK_BUDGET;

  static final int FORMAT_XYXY = 0;
  static final int FORMAT_ONNX_CORNERS = 1;
  static final int FORMAT_ONNX_CENTER = 2;
  static final int RULE_TORCHVISION = 0;
  static final int RULE_ONNX = 1;

  private final CudaBackend backend;

  CudaNmsKernels(CudaBackend backend) {
    this.backend = backend;
  }

  @Override
  public Tensor nms(Tensor boxes, Tensor scores, Tensor idxs, float iouThreshold, boolean useScoreThreshold,
      float scoreThreshold, long maxOutput) {
    long n = boxes.size(0);
    checkSegment(idxs == null ? "nms" : "batched_nms", n);
    long maxKeep = maxOutput < 0 ? n : Math.min(maxOutput, n);
    try (Buffers buf = new Buffers()) {
      long keep = buf.alloc(4 * n);
      long count = buf.alloc(4);
      runGroup(boxes.address(), scores.address(), idxs == null ? 0 : idxs.address(), n, 1, 1, 0,
          FORMAT_XYXY, RULE_TORCHVISION, iouThreshold, useScoreThreshold, scoreThreshold, maxKeep, keep, count);
      int k = readInt(count);
      return copyOut(keep, DType.INT32, k, k);
    }
  }

  @Override
  public Tensor onnxNonMaxSuppression(Tensor boxes, Tensor scores, int centerPointBox, long maxPerClass,
      float iouThreshold, boolean useScoreThreshold, float scoreThreshold) {
    long batches = boxes.size(0);
    long n = boxes.size(1);
    long classes = scores.size(1);
    long segments = batches * classes;
    checkSegment("onnx_non_max_suppression", n);
    long maxKeep = Math.min(maxPerClass, n);
    long perSegmentMask = n * words(n) * 8;
    long group = Math.max(1, Math.min(segments, maskBudget / Math.max(perSegmentMask, 1)));
    try (Buffers buf = new Buffers()) {
      long keep = buf.alloc(4 * segments * n);
      long counts = buf.alloc(4 * segments);
      int format = centerPointBox == 1 ? FORMAT_ONNX_CENTER : FORMAT_ONNX_CORNERS;
      for (long s0 = 0; s0 < segments; s0 += group) {
        long g = Math.min(group, segments - s0);
        runGroup(boxes.address(), scores.address() + 4 * s0 * n, 0, n, g, classes, s0, format, RULE_ONNX,
            iouThreshold, useScoreThreshold, scoreThreshold, maxKeep, keep + 4 * s0 * n, counts + 4 * s0);
      }
      long triples = buf.alloc(12 * segments * maxKeep);
      long total = buf.alloc(4);
      backend.launch("ds_nms_onnx_triples", Dim3.of(1), Dim3.of(WALK_THREADS), 0, new KernelArgs().pointer(keep)
          .pointer(counts).i64(n).i64(segments).i64(classes).pointer(triples).pointer(total));
      int k = readInt(total);
      return copyOut(triples, DType.INT32, 3L * k, k, 3);
    }
  }

  @Override
  public Tensor[] softNms(Tensor boxes, Tensor scores, float sigma, float iouThreshold, float scoreThreshold,
      int method) {
    long n = boxes.size(0);
    try (Buffers buf = new Buffers()) {
      long work = buf.alloc(4 * n);
      long keep = buf.alloc(4 * n);
      long kept = buf.alloc(4 * n);
      long count = buf.alloc(4);
      backend.launch("ds_nms_soft_f32", Dim3.of(1), Dim3.of(SOFT_THREADS), 0, new KernelArgs()
          .pointer(boxes.address()).pointer(scores.address()).i64(n).f32(sigma).f32(iouThreshold)
          .f32(scoreThreshold).i32(method).pointer(work).pointer(keep).pointer(kept).pointer(count));
      int k = readInt(count);
      Tensor outKeep = copyOut(keep, DType.INT32, k, k);
      try {
        return new Tensor[] {outKeep, copyOut(kept, DType.FLOAT32, k, k)};
      } catch (RuntimeException e) {
        outKeep.close();
        throw e;
      }
    }
  }

  // ---- the greedy pipeline ----------------------------------------------------------------------

  /**
   * Runs segments [segBase, segBase + segments) of n boxes each: scores of the first of them at
   * {@code scores}, boxes of absolute segment s in batch s / classes of {@code boxes}. Writes, for the
   * group's j-th segment, its kept indices at keep + 4 * j * n and its count at counts + 4 * j.
   */
  private void runGroup(long boxes, long scores, long idxs, long n, long segments, long classes,
      long segBase, int format, int rule, float iouThreshold, boolean useScoreThreshold, float scoreThreshold,
      long maxKeep, long keep, long counts) {
    try (Buffers buf = new Buffers()) {
      int log2p = 64 - Long.numberOfLeadingZeros(Math.max(n, 1) - 1);
      long p = 1L << log2p;
      long total = roundUp(segments * p, SORT_CHUNK);
      long words = words(n);
      long keys = buf.alloc(8 * total);
      long sortedBoxes = buf.alloc(16 * segments * n);
      long sortedIdx = buf.alloc(4 * segments * n);
      long sortedCls = idxs == 0 ? 0 : buf.alloc(4 * segments * n);
      long segValid = buf.alloc(4 * segments);

      backend.launch("ds_nms_keys_f32", Dim3.of(streamGrid(total)), Dim3.of(STREAM_BLOCK), 0, new KernelArgs()
          .pointer(scores).i64(n).i64(segments).i32(log2p).i32(useScoreThreshold ? 1 : 0).f32(scoreThreshold)
          .pointer(keys).i64(total));
      sort(keys, total, p);
      backend.launch("ds_nms_gather_f32", Dim3.of(streamGrid(segments * n)), Dim3.of(STREAM_BLOCK), 0,
          new KernelArgs().pointer(keys).pointer(boxes).pointer(idxs).i64(n).i64(segments).i32(log2p)
              .i64(segBase).i64(classes).i32(format).pointer(sortedBoxes).pointer(sortedIdx).pointer(sortedCls)
              .pointer(segValid));
      // The keys are done; the bitmask (the big buffer) is allocated only now, so the simulator's
      // per-launch snapshots of live memory stay small for the sort.
      buf.free(keys);
      long mask = buf.alloc(8 * segments * n * words);
      Dim3 maskGrid = new Dim3((int) ((words + MASK_GROUP - 1) / MASK_GROUP), (int) words,
          (int) Math.min(segments, 65535));
      backend.launch("ds_nms_mask_f32", maskGrid, Dim3.of(64), 0, new KernelArgs().pointer(sortedBoxes)
          .pointer(sortedCls).pointer(segValid).i64(n).i64(words).i64(segments).i32(rule).f32(iouThreshold)
          .pointer(mask));
      backend.launch("ds_nms_walk", Dim3.of((int) segments), Dim3.of(WALK_THREADS), (int) (8 * words),
          new KernelArgs().pointer(mask).pointer(sortedIdx).pointer(segValid).i64(n).i64(words).i64(maxKeep)
              .pointer(keep).pointer(counts));
    }
  }

  /** Bitonic sort of total keys in segments of p (both powers of two or total a multiple of 2048). */
  private void sort(long keys, long total, long p) {
    int chunks = (int) (total / SORT_CHUNK);
    backend.launch("ds_nms_sort_block_u64", Dim3.of(chunks), Dim3.of(SORT_THREADS), 0,
        new KernelArgs().pointer(keys).i64(p));
    for (long k = 2L * SORT_CHUNK; k <= p; k <<= 1) {
      for (long j = k >> 1; j >= SORT_CHUNK; j >>= 1) {
        backend.launch("ds_nms_sort_merge_global_u64", Dim3.of(streamGrid(total / 2)), Dim3.of(STREAM_BLOCK), 0,
            new KernelArgs().pointer(keys).i64(total).i64(p).i64(k).i64(j));
      }
      backend.launch("ds_nms_sort_merge_block_u64", Dim3.of(chunks), Dim3.of(SORT_THREADS), 0,
          new KernelArgs().pointer(keys).i64(p).i64(k));
    }
  }

  // ---- helpers ------------------------------------------------------------------------------------

  /** Tests shrink the bitmask budget so that ONNX segments run in several groups. */
  static void setMaskBudgetForTests(long bytes) {
    maskBudget = bytes;
  }

  private static void checkSegment(String op, long n) {
    if (n > MAX_SEGMENT_BOXES) {
      throw new IllegalArgumentException(op + ": argument 'boxes': expected at most " + MAX_SEGMENT_BOXES
          + " boxes per NMS problem on CUDA (the greedy walk keeps one bit per box in shared memory) but got " + n);
    }
  }

  static long words(long n) {
    return (n + 63) / 64;
  }

  private static long roundUp(long v, long m) {
    return (v + m - 1) / m * m;
  }

  /** 1-D grid-stride launch: one element per thread up to 4096 blocks, then the kernel loops. */
  private static int streamGrid(long elements) {
    return (int) Math.max(1, Math.min((elements + STREAM_BLOCK - 1) / STREAM_BLOCK, MAX_STREAM_GRID));
  }

  private int readInt(long deviceAddress) {
    long host = NativeMemory.allocate(4);
    try {
      backend.copyToHost(deviceAddress, host, 4);
      int[] v = new int[1];
      NativeMemory.toInts(host, v, 0, 1);
      return v[0];
    } finally {
      NativeMemory.free(host);
    }
  }

  private Tensor copyOut(long src, DType dtype, long elements, long... shape) {
    Tensor out = Tensor.empty(backend.device(), dtype, shape);
    if (elements > 0) {
      backend.copyWithin(src, out.address(), elements * dtype.byteSize());
    }
    return out;
  }

  /** Device scratch freed together. */
  private final class Buffers implements AutoCloseable {
    private final List<Long> addresses = new ArrayList<>();

    long alloc(long bytes) {
      long a = backend.allocate(Math.max(bytes, 1));
      addresses.add(a);
      return a;
    }

    void free(long address) {
      addresses.remove(Long.valueOf(address));
      backend.free(address);
    }

    @Override
    public void close() {
      for (int i = addresses.size() - 1; i >= 0; i--) {
        backend.free(addresses.get(i));
      }
    }
  }
}
