package io.detseg.backend.cuda;

import io.detseg.backend.BoxKernels;
import io.detseg.nativelib.NativeMemory;
import io.detseg.tensor.DType;
import io.detseg.tensor.Tensor;

/**
 * Box ops, anchors, box coding, matching and sampling as CUDA kernels (kernels/boxes_*.cu). Launch
 * shapes are chosen here; each kernel's comment names its bound and why its shape is what it is.
 * Contracts: docs/kernels/boxes.md.
 */
final class CudaBoxKernels implements BoxKernels {
  private static final int BLOCK = 256;
  private static final int MAX_GRID_1D = 4096;
  private static final int MAX_GRID_Y = 65535;
  /** Boxes a remove_small_boxes block owns at least; at most 1024 blocks (the scan is one warp). */
  private static final long SMALL_CHUNK_MIN = 2048;
  /** YOLO tile: 32 cells, fewer when 32 * K floats would pass 48 KiB of shared memory. */
  private static final int YOLO_SHARED_FLOATS = 12288;

  private final CudaBackend backend;

  CudaBoxKernels(CudaBackend backend) {
    this.backend = backend;
  }

  @Override
  public void boxArea(Tensor boxes, Tensor out) {
    long n = boxes.size(0);
    launch1d("ds_boxes_area_f32", n, 0, new KernelArgs().pointer(boxes.address()).i64(n).pointer(out.address()));
  }

  @Override
  public void boxAreaBackward(Tensor grad, Tensor boxes, Tensor out) {
    long n = boxes.size(0);
    launch1d("ds_boxes_area_backward_f32", n, 0, new KernelArgs().pointer(grad.address()).pointer(boxes.address())
        .i64(n).pointer(out.address()));
  }

  @Override
  public void generalizedBoxIou(Tensor boxes1, Tensor boxes2, Tensor out) {
    int n = (int) boxes1.size(0);
    int m = (int) boxes2.size(0);
    // One thread per output along m (coalesced stores); y capped at 65535 and grid-strided.
    Dim3 grid = Dim3.of((int) Math.min((m + 31L) / 32, MAX_GRID_Y), (int) Math.min((n + 7L) / 8, MAX_GRID_Y));
    backend.launch("ds_boxes_giou_f32", grid, Dim3.of(32, 8), 0, new KernelArgs().pointer(boxes1.address()).i32(n)
        .pointer(boxes2.address()).i32(m).pointer(out.address()));
  }

  @Override
  public void generalizedBoxIouBackward(Tensor grad, Tensor boxes1, Tensor boxes2, Tensor grad1, Tensor grad2) {
    int n = (int) boxes1.size(0);
    int m = (int) boxes2.size(0);
    if (n == 0 || m == 0) { // no pairs: zero gradients
      backend.fillBytes(grad1.address(), (byte) 0, grad1.byteSize());
      backend.fillBytes(grad2.address(), (byte) 0, grad2.byteSize());
      return;
    }
    KernelArgs args = new KernelArgs().pointer(grad.address()).pointer(boxes1.address()).i32(n)
        .pointer(boxes2.address()).i32(m);
    // A warp per boxes1 row, 8 rows per block.
    backend.launch("ds_boxes_giou_backward_rows_f32", Dim3.of((int) Math.min((n + 7L) / 8, MAX_GRID_Y)),
        Dim3.of(32, 8), 0, copyOf(args).pointer(grad1.address()));
    // 32 boxes2 columns per block, 8 row slices.
    backend.launch("ds_boxes_giou_backward_cols_f32", Dim3.of((int) Math.min((m + 31L) / 32, MAX_GRID_Y)),
        Dim3.of(32, 8), 0, copyOf(args).pointer(grad2.address()));
  }

  @Override
  public void clipBoxes(Tensor boxes, float height, float width, Tensor out) {
    long count = boxes.numel();
    launch1d("ds_boxes_clip_f32", count, 0, new KernelArgs().pointer(boxes.address()).i64(count).f32(height)
        .f32(width).pointer(out.address()));
  }

  @Override
  public void clipBoxesBackward(Tensor grad, Tensor boxes, float height, float width, Tensor out) {
    long count = boxes.numel();
    launch1d("ds_boxes_clip_backward_f32", count, 0, new KernelArgs().pointer(grad.address())
        .pointer(boxes.address()).i64(count).f32(height).f32(width).pointer(out.address()));
  }

  @Override
  public void boxConvert(Tensor boxes, int inFmt, int outFmt, Tensor out) {
    convert(boxes, inFmt, outFmt, 0, out);
  }

  @Override
  public void boxConvertBackward(Tensor grad, int inFmt, int outFmt, Tensor out) {
    convert(grad, inFmt, outFmt, 1, out);
  }

  private void convert(Tensor in, int inFmt, int outFmt, int backward, Tensor out) {
    long n = in.numel() / 4;
    launch1d("ds_boxes_convert_f32", n, 0, new KernelArgs().pointer(in.address()).i64(n).i32(inFmt).i32(outFmt)
        .i32(backward).pointer(out.address()));
  }

  @Override
  public Tensor removeSmallBoxes(Tensor boxes, float minSize) {
    long n = boxes.size(0);
    if (n == 0) {
      return Tensor.empty(backend.device(), DType.INT32, 0);
    }
    int g = (int) Math.max(1, Math.min(1024, (n + SMALL_CHUNK_MIN - 1) / SMALL_CHUNK_MIN));
    long chunk = (n + g - 1) / g;
    long scratch = backend.allocate(4L * (2L * g + 1));
    long counts = scratch;
    long offsets = scratch + 4L * g;
    long total = scratch + 8L * g;
    try {
      backend.launch("ds_boxes_small_count_i32", Dim3.of(g), Dim3.of(BLOCK), 0, new KernelArgs()
          .pointer(boxes.address()).i64(n).f32(minSize).i64(chunk).pointer(counts));
      backend.launch("ds_boxes_scan_counts_i32", Dim3.of(1), Dim3.of(32), 0, new KernelArgs().pointer(counts).i32(g)
          .pointer(offsets).pointer(total));
      int k = readInt(total);
      Tensor out = Tensor.empty(backend.device(), DType.INT32, k);
      if (k > 0) {
        backend.launch("ds_boxes_small_scatter_i32", Dim3.of(g), Dim3.of(BLOCK), 0, new KernelArgs()
            .pointer(boxes.address()).i64(n).f32(minSize).i64(chunk).pointer(offsets).pointer(out.address()));
      }
      return out;
    } finally {
      backend.free(scratch);
    }
  }

  @Override
  public void anchorGrid(float[] sizes, float[] ratios, long gridH, long gridW, long strideH, long strideW, Tensor out,
      long firstBox) {
    long total = gridH * gridW * sizes.length * ratios.length;
    if (total == 0) {
      return;
    }
    try (Tensor s = Tensor.of(backend.device(), sizes, sizes.length);
        Tensor r = Tensor.of(backend.device(), ratios, ratios.length)) {
      launch1d("ds_boxes_anchor_grid_f32", total, 16 * sizes.length * ratios.length, new KernelArgs()
          .pointer(s.address()).i32(sizes.length).pointer(r.address()).i32(ratios.length).i64(gridH).i64(gridW)
          .i32((int) strideH).i32((int) strideW).pointer(out.address() + 16 * firstBox));
    }
  }

  @Override
  public void ssdDefaultBoxes(float[] wh, long gridH, long gridW, float xf, float yf, float imageW, float imageH,
      Tensor out, long firstBox) {
    long total = gridH * gridW * (wh.length / 2);
    if (total == 0) {
      return;
    }
    try (Tensor p = Tensor.of(backend.device(), wh, wh.length)) {
      launch1d("ds_boxes_ssd_default_f32", total, 0, new KernelArgs().pointer(p.address()).i32(wh.length / 2)
          .i64(gridH).i64(gridW).f32(xf).f32(yf).f32(imageW).f32(imageH).pointer(out.address() + 16 * firstBox));
    }
  }

  @Override
  public void yoloDecode(Tensor input, float[] anchors, float imageH, float imageW, Tensor out) {
    int a = anchors.length / 2;
    long planes = input.size(0) * a;
    int k = (int) (input.size(1) / a);
    long gridH = input.size(2);
    long gridW = input.size(3);
    long hw = gridH * gridW;
    if (planes == 0 || hw == 0 || k == 0) {
      return;
    }
    int tile = Math.max(1, Math.min(32, YOLO_SHARED_FLOATS / k));
    Dim3 grid = Dim3.of((int) Math.min((hw + tile - 1) / tile, MAX_GRID_Y), (int) Math.min(planes, MAX_GRID_Y));
    try (Tensor t = Tensor.of(backend.device(), anchors, anchors.length)) {
      backend.launch("ds_boxes_yolo_decode_f32", grid, Dim3.of(BLOCK), 4 * tile * k, new KernelArgs()
          .pointer(input.address()).i64(planes).i32(a).i32(k).i64(gridH).i64(gridW).i32(tile).pointer(t.address())
          .f32(imageH).f32(imageW).pointer(out.address()));
    }
  }

  @Override
  public void encodeBoxes(Tensor reference, Tensor proposals, float[] weights, Tensor out) {
    long n = reference.size(0);
    launch1d("ds_boxes_encode_f32", n, 0, new KernelArgs().pointer(reference.address()).pointer(proposals.address())
        .i64(n).f32(weights[0]).f32(weights[1]).f32(weights[2]).f32(weights[3]).pointer(out.address()));
  }

  @Override
  public void decodeBoxes(Tensor relCodes, Tensor boxes, float[] weights, float clip, Tensor out) {
    long n = boxes.size(0);
    long k = relCodes.size(1) / 4;
    launch1d("ds_boxes_decode_f32", n * k, 0, new KernelArgs().pointer(relCodes.address()).pointer(boxes.address())
        .i64(n).i64(k).f32(weights[0]).f32(weights[1]).f32(weights[2]).f32(weights[3]).f32(clip)
        .pointer(out.address()));
  }

  @Override
  public void encodeBoxesSsd(Tensor reference, Tensor defaults, float v0, float v1, Tensor out) {
    long n = reference.size(0);
    launch1d("ds_boxes_encode_ssd_f32", n, 0, new KernelArgs().pointer(reference.address())
        .pointer(defaults.address()).i64(n).f32(v0).f32(v1).pointer(out.address()));
  }

  @Override
  public void decodeBoxesSsd(Tensor relCodes, Tensor boxes, float v0, float v1, Tensor out) {
    long n = boxes.size(0);
    long k = relCodes.size(1) / 4;
    launch1d("ds_boxes_decode_ssd_f32", n * k, 0, new KernelArgs().pointer(relCodes.address())
        .pointer(boxes.address()).i64(n).i64(k).f32(v0).f32(v1).pointer(out.address()));
  }

  @Override
  public void matchBoxes(Tensor quality, float high, float low, int mode, Tensor out) {
    int m = (int) quality.size(0);
    long n = quality.size(1);
    if (n == 0) {
      return;
    }
    long rows = 0;
    if (mode != MATCH_PLAIN && m > 0) {
      rows = backend.allocate(8L * m);
    }
    try {
      long rowmax = rows;
      long rowarg = rows == 0 ? 0 : rows + 4L * m;
      if (rows != 0) {
        // A block per gt row.
        backend.launch("ds_boxes_match_rows_f32", Dim3.of(Math.min(m, MAX_GRID_Y)), Dim3.of(BLOCK), 0,
            new KernelArgs().pointer(quality.address()).i32(m).i64(n).pointer(rowmax).pointer(rowarg));
      }
      // 32 prediction columns per block, 8 gt row slices.
      backend.launch("ds_boxes_match_cols_f32", Dim3.of((int) Math.min((n + 31) / 32, MAX_GRID_Y)), Dim3.of(32, 8), 0,
          new KernelArgs().pointer(quality.address()).i32(m).i64(n).pointer(rowmax).pointer(rowarg).f32(high)
              .f32(low).i32(mode).pointer(out.address()));
    } finally {
      if (rows != 0) {
        backend.free(rows);
      }
    }
  }

  @Override
  public void samplePosNeg(Tensor labels, long batchSize, long maxPositive, long seed, Tensor posMask,
      Tensor negMask) {
    long n = labels.size(labels.dim() - 1);
    long rows = n == 0 ? 0 : labels.numel() / n;
    if (rows == 0) {
      return;
    }
    // A block per row (image).
    backend.launch("ds_boxes_sample_pos_neg_i32", Dim3.of((int) Math.min(rows, MAX_GRID_Y)), Dim3.of(BLOCK), 0,
        new KernelArgs().pointer(labels.address()).i64(rows).i64(n).i64(batchSize).i64(maxPositive).i64(seed)
            .pointer(posMask.address()).pointer(negMask.address()));
  }

  @Override
  public void hardNegativeMining(Tensor loss, Tensor labels, float negPosRatio, Tensor mask, Tensor negMask) {
    long n = loss.size(loss.dim() - 1);
    long rows = n == 0 ? 0 : loss.numel() / n;
    if (rows == 0) {
      return;
    }
    backend.launch("ds_boxes_hard_negative_f32", Dim3.of((int) Math.min(rows, MAX_GRID_Y)), Dim3.of(BLOCK), 0,
        new KernelArgs().pointer(loss.address()).pointer(labels.address()).i64(rows).i64(n).f32(negPosRatio)
            .pointer(mask.address()).pointer(negMask.address()));
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** 1-D grid-stride: one item per thread, block 256, at most 4096 blocks (huge inputs loop). */
  private void launch1d(String kernel, long items, int sharedBytes, KernelArgs args) {
    if (items == 0) {
      return;
    }
    int grid = (int) Math.max(1, Math.min((items + BLOCK - 1) / BLOCK, MAX_GRID_1D));
    backend.launch(kernel, Dim3.of(grid), Dim3.of(BLOCK), sharedBytes, args);
  }

  private static KernelArgs copyOf(KernelArgs a) {
    KernelArgs c = new KernelArgs();
    for (int i = 0; i < a.count(); i++) {
      switch (a.kind(i)) {
        case POINTER -> c.pointer(a.bits(i));
        case I32 -> c.i32((int) a.bits(i));
        case I64 -> c.i64(a.bits(i));
        case F32 -> c.f32(Float.intBitsToFloat((int) a.bits(i)));
        default -> throw new AssertionError(a.kind(i));
      }
    }
    return c;
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
}
