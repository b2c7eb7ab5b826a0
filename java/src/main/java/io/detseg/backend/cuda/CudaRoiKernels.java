package io.detseg.backend.cuda;

import io.detseg.backend.RoiKernels;
import io.detseg.nativelib.NativeMemory;
import io.detseg.tensor.Tensor;

/**
 * RoIPool and RoIAlign, forward and backward, single and multi-level as CUDA kernels
 * (kernels/roi_align.cu, roi_pool.cu, roi_common.cu; contracts and launch shapes in docs/kernels/roi.md).
 */
final class CudaRoiKernels implements RoiKernels {
  private static final int BLOCK = 256;
  /** Grid-stride kernels: more blocks than any GPU keeps resident; larger problems loop. */
  private static final int MAX_GRID = 65535;
  /** Tile edge of the gather kernels (DS_ROI_TILE in roi_common.cu). */
  private static final int TILE = 16;
  /** Channels per gather block (DS_ROI_ALIGN_CC / DS_ROI_POOL_CC). */
  private static final int CHANNELS_PER_BLOCK = 8;
  /** "No bad element": the value memsetD8(0x7f) leaves in a long long. */
  private static final long NONE = 0x7f7f7f7f7f7f7f7fL;

  private final CudaBackend backend;

  CudaRoiKernels(CudaBackend backend) {
    this.backend = backend;
  }

  private static long addr(Tensor t) {
    return t == null ? 0L : t.address();
  }

  private static Dim3 grid1d(long n) {
    return Dim3.of((int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, MAX_GRID)));
  }

  /** The RoI arguments every kernel takes: boxes, row stride, batch indices (or null). */
  private static KernelArgs rois(KernelArgs a, Tensor boxes, Tensor batchIndices) {
    return a.pointer(boxes.address()).i64(boxes.size(1)).pointer(addr(batchIndices));
  }

  @Override
  public void roiAlignForward(Tensor input, Tensor boxes, Tensor batchIndices, Tensor levels, int level, int pooledH,
      int pooledW, float spatialScale, int samplingRatio, boolean aligned, Tensor output) {
    long total = output.numel();
    KernelArgs a = new KernelArgs().pointer(input.address()).i32((int) input.size(0)).i32((int) input.size(1))
        .i32((int) input.size(2)).i32((int) input.size(3));
    rois(a, boxes, batchIndices).pointer(addr(levels)).i32(level).i64(boxes.size(0)).i32(pooledH).i32(pooledW)
        .f32(spatialScale).i32(samplingRatio).i32(aligned ? 1 : 0).pointer(output.address());
    backend.launch("ds_roi_align_forward_f32", grid1d(total), Dim3.of(BLOCK), 0, a);
  }

  @Override
  public void roiAlignBackward(Tensor gradOutput, Tensor boxes, Tensor batchIndices, Tensor levels, int level,
      int pooledH, int pooledW, float spatialScale, int samplingRatio, boolean aligned, boolean deterministic,
      Tensor gradInput) {
    int n = (int) gradInput.size(0);
    int c = (int) gradInput.size(1);
    int h = (int) gradInput.size(2);
    int w = (int) gradInput.size(3);
    long k = boxes.size(0);
    if (!deterministic) {
      backend.fillBytes(gradInput.address(), (byte) 0, gradInput.byteSize());
      KernelArgs a = new KernelArgs().pointer(gradOutput.address()).i32(n).i32(c).i32(h).i32(w);
      rois(a, boxes, batchIndices).pointer(addr(levels)).i32(level).i64(k).i32(pooledH).i32(pooledW)
          .f32(spatialScale).i32(samplingRatio).i32(aligned ? 1 : 0).pointer(gradInput.address());
      backend.launch("ds_roi_align_backward_atomic_f32", grid1d(gradOutput.numel()), Dim3.of(BLOCK), 0, a);
      return;
    }
    gather(gradInput, k, footprints -> {
      KernelArgs a = rois(new KernelArgs(), boxes, batchIndices).pointer(addr(levels)).i32(level).i64(k).i32(n)
          .i32(h).i32(w).i32(pooledH).i32(pooledW).f32(spatialScale).i32(samplingRatio).i32(aligned ? 1 : 0)
          .pointer(footprints);
      backend.launch("ds_roi_align_footprint_f32", grid1d(k), Dim3.of(BLOCK), 0, a);
    }, (offsets, list, tilesX, tilesPerImage) -> {
      KernelArgs a = new KernelArgs().pointer(gradOutput.address()).i32(n).i32(c).i32(h).i32(w);
      rois(a, boxes, batchIndices).i32(pooledH).i32(pooledW).f32(spatialScale).i32(samplingRatio)
          .i32(aligned ? 1 : 0).pointer(offsets).pointer(list).i32(tilesX).i32(tilesPerImage)
          .pointer(gradInput.address());
      return a;
    }, "ds_roi_align_backward_gather_f32");
  }

  @Override
  public void roiPoolForward(Tensor input, Tensor boxes, Tensor batchIndices, int pooledH, int pooledW,
      float spatialScale, Tensor output, Tensor argmax) {
    KernelArgs a = new KernelArgs().pointer(input.address()).i32((int) input.size(0)).i32((int) input.size(1))
        .i32((int) input.size(2)).i32((int) input.size(3));
    rois(a, boxes, batchIndices).i64(boxes.size(0)).i32(pooledH).i32(pooledW).f32(spatialScale)
        .pointer(output.address()).pointer(argmax.address());
    backend.launch("ds_roi_pool_forward_f32", grid1d(output.numel()), Dim3.of(BLOCK), 0, a);
  }

  @Override
  public void roiPoolBackward(Tensor gradOutput, Tensor boxes, Tensor batchIndices, Tensor argmax, float spatialScale,
      boolean deterministic, Tensor gradInput) {
    int n = (int) gradInput.size(0);
    int c = (int) gradInput.size(1);
    int h = (int) gradInput.size(2);
    int w = (int) gradInput.size(3);
    int pooledH = (int) gradOutput.size(2);
    int pooledW = (int) gradOutput.size(3);
    long k = boxes.size(0);
    if (!deterministic) {
      backend.fillBytes(gradInput.address(), (byte) 0, gradInput.byteSize());
      KernelArgs a = new KernelArgs().pointer(gradOutput.address()).pointer(argmax.address()).i32(n).i32(c).i32(h)
          .i32(w);
      rois(a, boxes, batchIndices).i64(k).i32(pooledH).i32(pooledW).pointer(gradInput.address());
      backend.launch("ds_roi_pool_backward_atomic_f32", grid1d(gradOutput.numel()), Dim3.of(BLOCK), 0, a);
      return;
    }
    gather(gradInput, k, footprints -> {
      KernelArgs a = rois(new KernelArgs(), boxes, batchIndices).i64(k).i32(n).i32(h).i32(w).i32(pooledH)
          .i32(pooledW).f32(spatialScale).pointer(footprints);
      backend.launch("ds_roi_pool_footprint_f32", grid1d(k), Dim3.of(BLOCK), 0, a);
    }, (offsets, list, tilesX, tilesPerImage) -> {
      KernelArgs a = new KernelArgs().pointer(gradOutput.address()).pointer(argmax.address()).i32(n).i32(c).i32(h)
          .i32(w);
      rois(a, boxes, batchIndices).i32(pooledH).i32(pooledW).f32(spatialScale).pointer(offsets).pointer(list)
          .i32(tilesX).i32(tilesPerImage).pointer(gradInput.address());
      return a;
    }, "ds_roi_pool_backward_gather_f32");
  }

  @Override
  public void fpnLevels(Tensor boxes, Tensor batchIndices, int kMin, int kMax, float canonicalScale,
      float canonicalLevel, float eps, Tensor levels) {
    long k = boxes.size(0);
    KernelArgs a = rois(new KernelArgs(), boxes, batchIndices).i64(k).i32(kMin).i32(kMax).f32(canonicalScale)
        .f32(canonicalLevel).f32(eps).pointer(levels.address());
    backend.launch("ds_roi_fpn_levels_f32", grid1d(k), Dim3.of(BLOCK), 0, a);
  }

  @Override
  public long firstInvalidBatchIndex(Tensor boxes, int numImages) {
    long k = boxes.size(0);
    return firstBad(result -> backend.launch("ds_roi_check_batch_f32", grid1d(k), Dim3.of(BLOCK), 0,
        new KernelArgs().pointer(boxes.address()).i64(k).i64(boxes.size(1)).i32(numImages).pointer(result)));
  }

  @Override
  public long firstOutOfRange(Tensor values, int lo, int hi) {
    long n = values.numel();
    return firstBad(result -> backend.launch("ds_roi_check_range_i32", grid1d(n), Dim3.of(BLOCK), 0,
        new KernelArgs().pointer(values.address()).i64(n).i32(lo).i32(hi).pointer(result)));
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private interface Launch {
    void run(long deviceAddress);
  }

  private interface GatherArgs {
    KernelArgs build(long offsets, long list, int tilesX, int tilesPerImage);
  }

  /** Runs a check kernel that atomicMin's the first bad index into a device long; -1 when none. */
  private long firstBad(Launch check) {
    long result = backend.allocate(8);
    long host = NativeMemory.allocate(8);
    try {
      backend.fillBytes(result, (byte) 0x7f, 8);
      check.run(result);
      backend.copyToHost(result, host, 8);
      long[] v = readLongs(host, 1);
      return v[0] == NONE ? -1 : v[0];
    } finally {
      NativeMemory.free(host);
      backend.free(result);
    }
  }

  private static long[] readLongs(long host, int count) {
    int[] ints = new int[2 * count];
    NativeMemory.toInts(host, ints, 0, ints.length);
    long[] out = new long[count];
    for (int i = 0; i < count; i++) {
      out[i] = (ints[2 * i] & 0xffffffffL) | ((long) ints[2 * i + 1] << 32);
    }
    return out;
  }

  /**
   * The deterministic backward pipeline: per-RoI footprints, per-tile RoI lists (count, exclusive scan,
   * fill; see roi_common.cu), then the gather kernel, which writes every element of gradInput.
   */
  private void gather(Tensor gradInput, long k, Launch footprintKernel, GatherArgs gatherArgs, String gatherKernel) {
    int n = (int) gradInput.size(0);
    int c = (int) gradInput.size(1);
    int h = (int) gradInput.size(2);
    int w = (int) gradInput.size(3);
    int tilesX = (w + TILE - 1) / TILE;
    int tilesPerImage = tilesX * ((h + TILE - 1) / TILE);
    long numTiles = (long) n * tilesPerImage;
    if (gradInput.numel() == 0) {
      return;
    }
    long footprints = backend.allocate(Math.max(1, 20 * k));
    long counts = backend.allocate(4 * numTiles);
    long offsets = backend.allocate(8 * (numTiles + 1));
    long host = NativeMemory.allocate(8);
    long list = 0;
    try {
      if (k > 0) {
        footprintKernel.run(footprints);
      }
      Dim3 listGrid = Dim3.of((int) ((numTiles + 7) / 8));  // a warp per tile, 8 per block
      backend.launch("ds_roi_tile_lists", listGrid, Dim3.of(BLOCK), 0, new KernelArgs().pointer(footprints).i64(k)
          .i32(h).i32(w).i32(tilesX).i32(tilesPerImage).i64(numTiles).pointer(counts).pointer(0).pointer(0));
      backend.launch("ds_roi_tile_scan", Dim3.of(1), Dim3.of(1024), 0,
          new KernelArgs().pointer(counts).i64(numTiles).pointer(offsets));
      backend.copyToHost(offsets + 8 * numTiles, host, 8);
      long total = readLongs(host, 1)[0];
      list = backend.allocate(Math.max(4, 4 * total));
      if (total > 0) {
        backend.launch("ds_roi_tile_lists", listGrid, Dim3.of(BLOCK), 0, new KernelArgs().pointer(footprints).i64(k)
            .i32(h).i32(w).i32(tilesX).i32(tilesPerImage).i64(numTiles).pointer(counts).pointer(offsets)
            .pointer(list));
      }
      int chunks = (int) Math.min((c + CHANNELS_PER_BLOCK - 1) / CHANNELS_PER_BLOCK, MAX_GRID);
      backend.launch(gatherKernel, Dim3.of((int) numTiles, chunks), Dim3.of(TILE, TILE), 0,
          gatherArgs.build(offsets, list, tilesX, tilesPerImage));
    } finally {
      if (list != 0) {
        backend.free(list);
      }
      NativeMemory.free(host);
      backend.free(offsets);
      backend.free(counts);
      backend.free(footprints);
    }
  }
}
