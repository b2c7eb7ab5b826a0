package io.detseg.backend.cuda;

import io.detseg.backend.LossKernels;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;

/**
 * Detection and segmentation losses as CUDA kernels (kernels/loss_*.cu); launch shapes in
 * docs/kernels/losses.md. Every reduction is deterministic: grids depend on the problem size only,
 * blocks write partial sums and one block folds them (ds_loss_finalize_f32), so results are bitwise
 * reproducible. Bad class targets are reported by the kernels through a device int64 (integer
 * atomicMin, order-independent) that is read back after the launch.
 */
final class CudaLossKernels implements LossKernels {
  private static final int BLOCK = 256;
  private static final int MAX_REDUCE_GRID = 1024;
  private static final int MAX_ELEMENTWISE_GRID = 4096;
  private static final String[] PW_NAMES = {"bce", "bce_logits", "focal", "balanced_bce", "smooth_l1", "l1", "mse"};

  private final CudaBackend backend;

  CudaLossKernels(CudaBackend backend) {
    this.backend = backend;
  }

  // ---- helpers --------------------------------------------------------------------------------

  static long addr(Tensor t) {
    return t == null ? 0L : t.address();
  }

  /** Grid of the reducing kernels: one thread per item, at most 1024 blocks (a function of the size only). */
  static int reduceGrid(long items) {
    return (int) Math.max(1, Math.min((items + BLOCK - 1) / BLOCK, MAX_REDUCE_GRID));
  }

  static int elementwiseGrid(long n) {
    return (int) Math.max(1, Math.min((n + 4L * BLOCK - 1) / (4L * BLOCK), MAX_ELEMENTWISE_GRID));
  }

  /** Temporary device allocations of one call, freed together (also when a launch throws). */
  final class Allocs implements AutoCloseable {
    private final java.util.ArrayList<Long> held = new java.util.ArrayList<>();

    long alloc(long bytes) {
      long a = backend.allocate(bytes);
      held.add(a);
      return a;
    }

    /** A device int64 holding "no bad position" (0x7f7f...). */
    long badFlag() {
      long bad = alloc(8);
      backend.fillBytes(bad, (byte) 0x7f, 8);
      return bad;
    }

    @Override
    public void close() {
      for (long a : held) {
        backend.free(a);
      }
      held.clear();
    }
  }

  /** Reads a bad-position flag back: the smallest bad position, or -1. */
  long readBadFlag(long bad) {
    try (Tensor host = Tensor.empty(Device.CPU, DType.INT32, 2)) {
      backend.copyToHost(bad, host.address(), 8);
      int[] v = host.toIntArray();
      long value = ((long) v[1] << 32) | (v[0] & 0xffffffffL);
      return value == 0x7f7f7f7f7f7f7f7fL ? -1 : value;
    }
  }

  /** Folds 2 * grid partials into out[0] (and the denominator into denomOut if not 0). */
  void finalize(long partials, int grid, int reduction, float fixedDenom, long out, long denomOut) {
    backend.launch("ds_loss_finalize_f32", Dim3.of(1), Dim3.of(BLOCK), 0, new KernelArgs().pointer(partials)
        .i32(grid).i32(reduction).f32(fixedDenom).pointer(out).pointer(denomOut));
  }

  // ---- softmax losses ------------------------------------------------------------------------------

  private static float oneMinusEps(SoftmaxLoss spec) {
    return 1.0f - spec.labelSmoothing();
  }

  private static float epsOverC(SoftmaxLoss spec, long c) {
    return spec.mode() == SoftmaxLoss.FOCAL ? 0.0f : spec.labelSmoothing() / (float) c;
  }

  @Override
  public long softmaxLoss(SoftmaxLoss spec, Tensor input, Tensor target, Tensor weight, long n, long c, long s,
      int reduction, Tensor out, Tensor logProb) {
    boolean rows = s == 1;
    int grid = rows ? rowsGrid(n) : reduceGrid(n * s);
    try (Allocs tmp = new Allocs()) {
      long bad = tmp.badFlag();
      long partials = reduction == NONE ? 0 : tmp.alloc(8L * grid);
      KernelArgs args = new KernelArgs().pointer(input.address()).pointer(target.address()).pointer(addr(weight))
          .i64(n).i32((int) c);
      if (!rows) {
        args.i64(s);
      }
      args.i32(spec.ignoreIndex()).i32(spec.mode()).f32(oneMinusEps(spec)).f32(epsOverC(spec, c)).f32(spec.alpha())
          .f32(spec.gamma()).i32(reduction).pointer(reduction == NONE ? out.address() : 0).pointer(partials)
          .pointer(addr(logProb)).pointer(bad);
      backend.launch(rows ? "ds_loss_softmax_fwd_rows_f32" : "ds_loss_softmax_fwd_spatial_f32", Dim3.of(grid),
          Dim3.of(BLOCK), 0, args);
      if (reduction != NONE) {
        finalize(partials, grid, reduction, 0.0f, out.address(), 0);
      }
      return readBadFlag(bad);
    }
  }

  /** Rows kernels: a warp per row, 8 rows per block of 256. */
  private static int rowsGrid(long n) {
    return (int) Math.max(1, Math.min((n + 7) / 8, MAX_REDUCE_GRID));
  }

  /**
   * The mean's denominator on the device (sum of w[t], or the count of used targets) in a 4-byte
   * allocation of tmp; records bad targets in {@code bad}.
   */
  private long targetDenominator(Allocs tmp, Tensor target, Tensor weight, long count, long c, int ignoreIndex,
      boolean countOnly, long bad) {
    int grid = reduceGrid(count);
    long partials = tmp.alloc(8L * grid);
    long denom = tmp.alloc(4);
    long scratch = tmp.alloc(4);
    backend.launch("ds_loss_target_weight_partial_f32", Dim3.of(grid), Dim3.of(BLOCK), 0, new KernelArgs()
        .pointer(target.address()).pointer(addr(weight)).i64(count).i32((int) c).i32(ignoreIndex)
        .i32(countOnly ? 1 : 0).pointer(partials).pointer(bad));
    finalize(partials, grid, SUM, 0.0f, denom, scratch);
    return denom;
  }

  @Override
  public long softmaxLossBackward(SoftmaxLoss spec, Tensor input, Tensor target, Tensor weight, long n, long c,
      long s, int reduction, Tensor gradOutput, Tensor gradInput) {
    boolean rows = s == 1;
    try (Allocs tmp = new Allocs()) {
      long bad = tmp.badFlag();
      long denom = reduction != MEAN ? 0
          : targetDenominator(tmp, target, weight, n * s, c, spec.ignoreIndex(), spec.mode() == SoftmaxLoss.FOCAL, bad);
      int grid = rows ? rowsGrid(n) : reduceGrid(n * s);
      KernelArgs args = new KernelArgs().pointer(input.address()).pointer(target.address()).pointer(addr(weight))
          .i64(n).i32((int) c);
      if (!rows) {
        args.i64(s);
      }
      args.i32(spec.ignoreIndex()).i32(spec.mode()).f32(oneMinusEps(spec)).f32(epsOverC(spec, c)).f32(spec.alpha())
          .f32(spec.gamma()).pointer(gradOutput.address()).i32(reduction == NONE ? 1 : 0).pointer(denom)
          .pointer(gradInput.address()).pointer(bad);
      backend.launch(rows ? "ds_loss_softmax_bwd_rows_f32" : "ds_loss_softmax_bwd_spatial_f32", Dim3.of(grid),
          Dim3.of(BLOCK), 0, args);
      return readBadFlag(bad);
    }
  }

  // ---- NLL -----------------------------------------------------------------------------------------

  @Override
  public long nllLoss(Tensor input, Tensor target, Tensor weight, long n, long c, long s, int ignoreIndex,
      int reduction, Tensor out) {
    int grid = reduceGrid(n * s);
    try (Allocs tmp = new Allocs()) {
      long bad = tmp.badFlag();
      long partials = reduction == NONE ? 0 : tmp.alloc(8L * grid);
      backend.launch("ds_loss_nll_fwd_f32", Dim3.of(grid), Dim3.of(BLOCK), 0, new KernelArgs()
          .pointer(input.address()).pointer(target.address()).pointer(addr(weight)).i64(n).i32((int) c).i64(s)
          .i32(ignoreIndex).i32(reduction).pointer(reduction == NONE ? out.address() : 0).pointer(partials)
          .pointer(bad));
      if (reduction != NONE) {
        finalize(partials, grid, reduction, 0.0f, out.address(), 0);
      }
      return readBadFlag(bad);
    }
  }

  @Override
  public long nllLossBackward(Tensor target, Tensor weight, long n, long c, long s, int ignoreIndex, int reduction,
      Tensor gradOutput, Tensor gradInput) {
    try (Allocs tmp = new Allocs()) {
      long bad = tmp.badFlag();
      long denom = reduction != MEAN ? 0 : targetDenominator(tmp, target, weight, n * s, c, ignoreIndex, false, bad);
      backend.launch("ds_loss_nll_bwd_f32", Dim3.of(elementwiseGrid(n * c * s)), Dim3.of(BLOCK), 0,
          new KernelArgs().pointer(target.address()).pointer(addr(weight)).i64(n).i32((int) c).i64(s)
              .i32(ignoreIndex).pointer(gradOutput.address()).i32(reduction == NONE ? 1 : 0).pointer(denom)
              .pointer(gradInput.address()).pointer(bad));
      return readBadFlag(bad);
    }
  }

  // ---- pointwise losses ----------------------------------------------------------------------------

  private static KernelArgs pointwiseArgs(Pointwise p) {
    Broadcast w = p.weight();
    Broadcast pw = p.posWeight();
    return new KernelArgs().pointer(p.x().address()).pointer(addr(p.t()))
        .pointer(w == null ? 0 : w.w().address()).i64(w == null ? 1 : w.inner()).i64(w == null ? 1 : w.mid())
        .pointer(pw == null ? 0 : pw.w().address()).i64(pw == null ? 1 : pw.inner()).i64(pw == null ? 1 : pw.mid())
        .f32(p.a()).f32(p.b()).i64(p.n());
  }

  private static float divisor(int reduction, long n) {
    return reduction == MEAN ? (float) n : 1.0f;
  }

  @Override
  public long pointwiseLoss(Pointwise p, int reduction, Tensor out) {
    int grid = reduceGrid(p.n());
    boolean checks = p.kind() == Pointwise.BCE;
    try (Allocs tmp = new Allocs()) {
      long bad = checks ? tmp.badFlag() : 0;
      long partials = reduction == NONE ? 0 : tmp.alloc(8L * grid);
      backend.launch("ds_loss_pw_fwd_" + PW_NAMES[p.kind()] + "_f32", Dim3.of(grid), Dim3.of(BLOCK), 0,
          pointwiseArgs(p).i32(reduction).pointer(reduction == NONE ? out.address() : 0).pointer(partials)
              .pointer(bad));
      if (reduction != NONE) {
        finalize(partials, grid, reduction, (float) p.n(), out.address(), 0);
      }
      return checks ? readBadFlag(bad) : -1;
    }
  }

  @Override
  public void pointwiseLossBackward(Pointwise p, int reduction, Tensor gradOutput, Tensor gradInput) {
    backend.launch("ds_loss_pw_bwd_" + PW_NAMES[p.kind()] + "_f32", Dim3.of(reduceGrid(p.n())), Dim3.of(BLOCK), 0,
        pointwiseArgs(p).pointer(gradOutput.address()).i32(reduction == NONE ? 1 : 0)
            .f32(divisor(reduction, p.n())).pointer(gradInput.address()));
  }

  @Override
  public long pointwiseLossFused(Pointwise p, int reduction, Tensor out, Tensor gradInput) {
    int grid = reduceGrid(p.n());
    boolean checks = p.kind() == Pointwise.BCE;
    try (Allocs tmp = new Allocs()) {
      long bad = checks ? tmp.badFlag() : 0;
      long partials = reduction == NONE ? 0 : tmp.alloc(8L * grid);
      backend.launch("ds_loss_pw_fused_" + PW_NAMES[p.kind()] + "_f32", Dim3.of(grid), Dim3.of(BLOCK), 0,
          pointwiseArgs(p).i32(reduction).f32(divisor(reduction, p.n()))
              .pointer(reduction == NONE ? out.address() : 0).pointer(partials).pointer(gradInput.address())
              .pointer(bad));
      if (reduction != NONE) {
        finalize(partials, grid, reduction, (float) p.n(), out.address(), 0);
      }
      return checks ? readBadFlag(bad) : -1;
    }
  }

  // ---- R-CNN box-regression L2 -------------------------------------------------------------------------

  @Override
  public void rowsHalfSquared(Tensor p, Tensor t, long n, long k, Tensor reg, Tensor out) {
    backend.launch("ds_loss_rows_half_sq_fwd_f32", Dim3.of((int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK,
        MAX_ELEMENTWISE_GRID))), Dim3.of(BLOCK), 0, new KernelArgs().pointer(p.address()).pointer(t.address()).i64(n)
        .i32((int) k).pointer(reg.address()).pointer(out.address()));
  }

  @Override
  public void rowsHalfSquaredBackward(Tensor p, Tensor t, long n, long k, Tensor gradOutput, boolean gradElementwise,
      float divisor, Tensor gradInput) {
    backend.launch("ds_loss_rows_half_sq_bwd_f32", Dim3.of(elementwiseGrid(n * k)), Dim3.of(BLOCK), 0,
        new KernelArgs().pointer(p.address()).pointer(t.address()).i64(n).i32((int) k).pointer(gradOutput.address())
            .i32(gradElementwise ? 1 : 0).f32(divisor).pointer(gradInput.address()));
  }

  // ---- region losses -------------------------------------------------------------------------------

  /** Stats grid: G chunks per class, G * C <= ~1024 blocks, G fixed by the size. */
  private static int regionChunks(long positions, long c) {
    long cap = Math.max(1, MAX_REDUCE_GRID / c);
    return (int) Math.max(1, Math.min((positions + BLOCK - 1) / BLOCK, cap));
  }

  /** Launches lse (if needed) and stats; returns the partials' chunk count. */
  private int regionStats(Allocs tmp, Region r, Tensor x, Tensor tf, Tensor ti, long n, long c, long s, long lse,
      long partials, int chunks, long bad) {
    long positions = n * s;
    if (lse != 0) {
      backend.launch("ds_loss_region_lse_f32", Dim3.of(reduceGrid(positions)), Dim3.of(BLOCK), 0,
          new KernelArgs().pointer(x.address()).i64(n).i32((int) c).i64(s).pointer(lse));
    }
    backend.launch("ds_loss_region_stats_f32", Dim3.of(chunks, (int) c), Dim3.of(BLOCK), 0, new KernelArgs()
        .pointer(x.address()).pointer(lse).pointer(addr(tf)).pointer(addr(ti)).i64(n).i32((int) c).i64(s)
        .i32(r.mode()).i32(r.fromLogits() ? 1 : 0).i32(r.hasIgnore() ? 1 : 0).i32(r.ignoreIndex()).pointer(partials)
        .pointer(bad));
    return chunks;
  }

  private static boolean needsLse(Region r) {
    return r.mode() == Region.MULTICLASS && r.fromLogits();
  }

  @Override
  public long regionLoss(Region r, Tensor x, Tensor floatTarget, Tensor intTarget, long n, long c, long s,
      int reduction, Tensor out) {
    try (Allocs tmp = new Allocs()) {
      long bad = tmp.badFlag();
      int chunks = regionChunks(n * s, c);
      long lse = needsLse(r) ? tmp.alloc(4L * n * s) : 0;
      long partials = tmp.alloc(12L * c * chunks);
      regionStats(tmp, r, x, floatTarget, intTarget, n, c, s, lse, partials, chunks, bad);
      backend.launch("ds_loss_region_finalize_f32", Dim3.of(1), Dim3.of(BLOCK), 0, new KernelArgs().pointer(partials)
          .i32(chunks).i32((int) c).i32(r.kind()).f32(r.smooth()).f32(r.eps()).i32(r.logLoss() ? 1 : 0)
          .i32(reduction).pointer(out.address()).pointer(0).pointer(0));
      return readBadFlag(bad);
    }
  }

  @Override
  public long regionLossBackward(Region r, Tensor x, Tensor floatTarget, Tensor intTarget, long n, long c, long s,
      int reduction, Tensor gradOutput, Tensor gradInput) {
    try (Allocs tmp = new Allocs()) {
      long bad = tmp.badFlag();
      int chunks = regionChunks(n * s, c);
      long lse = needsLse(r) ? tmp.alloc(4L * n * s) : 0;
      long partials = tmp.alloc(12L * c * chunks);
      long coef = tmp.alloc(8L * c);
      regionStats(tmp, r, x, floatTarget, intTarget, n, c, s, lse, partials, chunks, bad);
      backend.launch("ds_loss_region_finalize_f32", Dim3.of(1), Dim3.of(BLOCK), 0, new KernelArgs().pointer(partials)
          .i32(chunks).i32((int) c).i32(r.kind()).f32(r.smooth()).f32(r.eps()).i32(r.logLoss() ? 1 : 0)
          .i32(reduction).pointer(0).pointer(gradOutput.address()).pointer(coef));
      backend.launch("ds_loss_region_bwd_f32", Dim3.of(reduceGrid(n * s)), Dim3.of(BLOCK), 0, new KernelArgs()
          .pointer(x.address()).pointer(lse).pointer(addr(floatTarget)).pointer(addr(intTarget)).i64(n).i32((int) c)
          .i64(s).i32(r.mode()).i32(r.fromLogits() ? 1 : 0).i32(r.hasIgnore() ? 1 : 0).i32(r.ignoreIndex())
          .pointer(coef).pointer(gradInput.address()));
      return readBadFlag(bad);
    }
  }

  // ---- detection building blocks ---------------------------------------------------------------------

  @Override
  public long gatherByLabel(Tensor src, Tensor labels, long r, long c, long k, Tensor dst) {
    try (Allocs tmp = new Allocs()) {
      long bad = tmp.badFlag();
      backend.launch("ds_loss_gather_by_label_f32", Dim3.of(elementwiseGrid(r * k)), Dim3.of(BLOCK), 0,
          new KernelArgs().pointer(src.address()).pointer(labels.address()).i64(r).i32((int) c).i64(k)
              .pointer(dst.address()).pointer(bad));
      return readBadFlag(bad);
    }
  }

  @Override
  public void scatterByLabel(Tensor src, Tensor labels, long r, long c, long k, Tensor dst) {
    backend.launch("ds_loss_scatter_by_label_f32", Dim3.of(elementwiseGrid(r * c * k)), Dim3.of(BLOCK), 0,
        new KernelArgs().pointer(src.address()).pointer(labels.address()).i64(r).i32((int) c).i64(k)
            .pointer(dst.address()));
  }

  @Override
  public void labelMasks(Tensor labels, long r, int mode, Tensor target, Tensor weight) {
    backend.launch("ds_loss_label_masks_f32", Dim3.of(elementwiseGrid(r)), Dim3.of(BLOCK), 0, new KernelArgs()
        .pointer(labels.address()).i64(r).i32(mode).pointer(addr(target)).pointer(weight.address()));
  }

  @Override
  public void hardNegativeMining(Tensor loss, Tensor labels, long n, long a, int ratio, Tensor used) {
    backend.launch("ds_loss_hard_negative_mining_f32", Dim3.of((int) Math.max(1, Math.min(n, 65535))),
        Dim3.of(BLOCK), 0, new KernelArgs().pointer(loss.address()).pointer(labels.address()).i64(n).i64(a)
            .i32(ratio).pointer(used.address()));
  }

  @Override
  public void yoloLoss(Yolo y, Tensor pred, Tensor target, long n, Tensor outImg) {
    backend.launch("ds_loss_yolo_fwd_f32", Dim3.of((int) Math.max(1, Math.min(n, MAX_ELEMENTWISE_GRID))), Dim3.of(64),
        0, new KernelArgs().pointer(pred.address()).pointer(target.address()).i64(n).i32(y.grid()).i32(y.boxes())
            .i32(y.classes()).f32(y.lambdaCoord()).f32(y.lambdaNoobj()).i32(y.iouTarget() ? 1 : 0)
            .pointer(outImg.address()));
  }

  @Override
  public void yoloLossBackward(Yolo y, Tensor pred, Tensor target, long n, Tensor gradOutput, boolean gradElementwise,
      float divisor, Tensor gradInput) {
    long cells = n * y.grid() * y.grid();
    backend.launch("ds_loss_yolo_bwd_f32", Dim3.of((int) Math.max(1, Math.min((cells + BLOCK - 1) / BLOCK,
        MAX_ELEMENTWISE_GRID))), Dim3.of(BLOCK), 0, new KernelArgs().pointer(pred.address()).pointer(target.address())
        .i64(n).i32(y.grid()).i32(y.boxes()).i32(y.classes()).f32(y.lambdaCoord()).f32(y.lambdaNoobj())
        .i32(y.iouTarget() ? 1 : 0).pointer(gradOutput.address()).i32(gradElementwise ? 1 : 0).f32(divisor)
        .pointer(gradInput.address()));
  }
}
