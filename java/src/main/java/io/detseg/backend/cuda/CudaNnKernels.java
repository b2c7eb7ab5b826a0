package io.detseg.backend.cuda;

import io.detseg.backend.NnKernels;
import io.detseg.tensor.DType;
import io.detseg.tensor.Tensor;

/**
 * Pooling, unpooling, upsampling/resize, batch norm, activations, concat/split and padding, forward and
 * backward as CUDA kernels (kernels/nn_pool.cu, nn_resize.cu, nn_norm.cu, nn_act.cu, nn_pad.cu); launch
 * shapes in docs/kernels/nn.md.
 */
final class CudaNnKernels implements NnKernels {
  private static final int BLOCK = 256;
  private static final int MAX_GRID_YZ = 65535;
  private static final int MAX_GRID_X = 65535;
  private static final int MAX_ELEMENTWISE_GRID = 4096;
  /** Shared-memory budget of the tiled pooling kernel (keeps several blocks resident per SM). */
  private static final int POOL_TILE_BYTES = 24 * 1024;

  private final CudaBackend backend;

  CudaNnKernels(CudaBackend backend) {
    this.backend = backend;
  }

  private static long addr(Tensor t) {
    return t == null ? 0L : t.address();
  }

  private static int cdiv(long a, long b) {
    return (int) Math.min(Integer.MAX_VALUE, (a + b - 1) / b);
  }

  /** Block 256 over a plane of perPlane elements (grid x, grid-stride) and planes in grid y. */
  private static Dim3 planeGrid(long planes, long perPlane) {
    return Dim3.of(Math.max(1, Math.min(cdiv(perPlane, BLOCK), MAX_GRID_X)),
        (int) Math.max(1, Math.min(planes, MAX_GRID_YZ)));
  }

  private void launchPlanes(String kernel, long planes, long perPlane, KernelArgs args) {
    backend.launch(kernel, planeGrid(planes, perPlane), Dim3.of(BLOCK), 0, args);
  }

  // ---- pooling --------------------------------------------------------------------------------------

  private KernelArgs poolArgs(Tensor x, Tensor y, Tensor indices, Pool2d g, boolean avg, boolean cip, int dov) {
    return new KernelArgs().pointer(x.address()).pointer(y.address()).pointer(addr(indices)).i64(g.planes())
        .i32(g.h()).i32(g.w()).i32(g.outH()).i32(g.outW()).i32(g.kernelH()).i32(g.kernelW()).i32(g.strideH())
        .i32(g.strideW()).i32(g.padTop()).i32(g.padLeft()).i32(g.limH()).i32(g.limW()).i32(g.dilationH())
        .i32(g.dilationW()).i32(avg ? 1 : 0).i32(cip ? 1 : 0).i32(dov);
  }

  private void poolForward(Tensor x, Tensor y, Tensor indices, Pool2d g, boolean avg, boolean cip, int dov) {
    long tileH = 7L * g.strideH() + (long) (g.kernelH() - 1) * g.dilationH() + 1;
    long tileW = 31L * g.strideW() + (long) (g.kernelW() - 1) * g.dilationW() + 1;
    long extH = (long) (g.kernelH() - 1) * g.dilationH() + 1;
    long extW = (long) (g.kernelW() - 1) * g.dilationW() + 1;
    boolean overlap = extH > g.strideH() || extW > g.strideW();
    long tileBytes = 4L * tileH * tileW;
    long gridY = (g.outH() + 7L) / 8;
    if (overlap && tileBytes <= POOL_TILE_BYTES && gridY <= MAX_GRID_YZ) {
      // One 32 x 8 output tile per block, its input footprint staged in shared memory.
      Dim3 grid = new Dim3(cdiv(g.outW(), 32), (int) gridY, (int) Math.min(g.planes(), MAX_GRID_YZ));
      backend.launch("ds_nn_pool2d_fwd_tiled_f32", grid, Dim3.of(32, 8), (int) tileBytes,
          poolArgs(x, y, indices, g, avg, cip, dov).i32((int) tileH).i32((int) tileW));
    } else {
      launchPlanes("ds_nn_pool2d_fwd_f32", g.planes(), (long) g.outH() * g.outW(),
          poolArgs(x, y, indices, g, avg, cip, dov));
    }
  }

  @Override
  public void maxPool2d(Tensor x, Tensor y, Tensor indices, Pool2d g) {
    poolForward(x, y, indices, g, false, false, 0);
  }

  @Override
  public void avgPool2d(Tensor x, Tensor y, Pool2d g, boolean countIncludePad, int divisorOverride) {
    poolForward(x, y, null, g, true, countIncludePad, divisorOverride);
  }

  @Override
  public void maxPool2dBackward(Tensor grad, Tensor indices, Tensor gradInput, Pool2d g) {
    int extH = (g.kernelH() - 1) * g.dilationH() + 1;
    int extW = (g.kernelW() - 1) * g.dilationW() + 1;
    launchPlanes("ds_nn_maxpool2d_bwd_f32", g.planes(), (long) g.h() * g.w(),
        new KernelArgs().pointer(grad.address()).pointer(indices.address()).pointer(gradInput.address())
            .i64(g.planes()).i32(g.h()).i32(g.w()).i32(g.outH()).i32(g.outW()).i32(extH).i32(extW)
            .i32(g.strideH()).i32(g.strideW()).i32(g.padTop()).i32(g.padLeft()).i32(0));
  }

  @Override
  public void avgPool2dBackward(Tensor grad, Tensor gradInput, Pool2d g, boolean countIncludePad,
      int divisorOverride) {
    launchPlanes("ds_nn_avgpool2d_bwd_f32", g.planes(), (long) g.h() * g.w(),
        new KernelArgs().pointer(grad.address()).pointer(gradInput.address()).i64(g.planes()).i32(g.h()).i32(g.w())
            .i32(g.outH()).i32(g.outW()).i32(g.kernelH()).i32(g.kernelW()).i32(g.strideH()).i32(g.strideW())
            .i32(g.padTop()).i32(g.padLeft()).i32(g.limH()).i32(g.limW()).i32(countIncludePad ? 1 : 0)
            .i32(divisorOverride).i32(0));
  }

  private void globalPool(Tensor x, Tensor y, Tensor indices, long planes, int hw, boolean avg) {
    // One warp per plane, 8 planes per block of 256.
    int grid = (int) Math.max(1, Math.min((planes + 7) / 8, MAX_GRID_YZ));
    backend.launch("ds_nn_global_pool2d_fwd_f32", Dim3.of(grid), Dim3.of(BLOCK), 0,
        new KernelArgs().pointer(x.address()).pointer(y.address()).pointer(addr(indices)).i64(planes).i32(hw)
            .i32(avg ? 1 : 0));
  }

  private void globalPoolBackward(Tensor grad, Tensor indices, Tensor gradInput, long planes, int hw, boolean avg) {
    launchPlanes("ds_nn_global_pool2d_bwd_f32", planes, hw, new KernelArgs().pointer(grad.address())
        .pointer(addr(indices)).pointer(gradInput.address()).i64(planes).i32(hw).i32(avg ? 1 : 0));
  }

  @Override
  public void adaptiveAvgPool2d(Tensor x, Tensor y, long planes, int h, int w, int outH, int outW) {
    if (outH == 1 && outW == 1) {
      globalPool(x, y, null, planes, h * w, true);
      return;
    }
    launchPlanes("ds_nn_adaptive_pool2d_fwd_f32", planes, (long) outH * outW, new KernelArgs().pointer(x.address())
        .pointer(y.address()).pointer(0).i64(planes).i32(h).i32(w).i32(outH).i32(outW).i32(1));
  }

  @Override
  public void adaptiveMaxPool2d(Tensor x, Tensor y, Tensor indices, long planes, int h, int w, int outH, int outW) {
    if (outH == 1 && outW == 1) {
      globalPool(x, y, indices, planes, h * w, false);
      return;
    }
    launchPlanes("ds_nn_adaptive_pool2d_fwd_f32", planes, (long) outH * outW, new KernelArgs().pointer(x.address())
        .pointer(y.address()).pointer(indices.address()).i64(planes).i32(h).i32(w).i32(outH).i32(outW).i32(0));
  }

  @Override
  public void adaptiveAvgPool2dBackward(Tensor grad, Tensor gradInput, long planes, int h, int w, int outH,
      int outW) {
    if (outH == 1 && outW == 1) {
      globalPoolBackward(grad, null, gradInput, planes, h * w, true);
      return;
    }
    launchPlanes("ds_nn_avgpool2d_bwd_f32", planes, (long) h * w,
        new KernelArgs().pointer(grad.address()).pointer(gradInput.address()).i64(planes).i32(h).i32(w).i32(outH)
            .i32(outW).i32(1).i32(1).i32(1).i32(1).i32(0).i32(0).i32(h).i32(w).i32(0).i32(0).i32(1));
  }

  @Override
  public void adaptiveMaxPool2dBackward(Tensor grad, Tensor indices, Tensor gradInput, long planes, int h, int w,
      int outH, int outW) {
    if (outH == 1 && outW == 1) {
      globalPoolBackward(grad, indices, gradInput, planes, h * w, false);
      return;
    }
    launchPlanes("ds_nn_maxpool2d_bwd_f32", planes, (long) h * w,
        new KernelArgs().pointer(grad.address()).pointer(indices.address()).pointer(gradInput.address()).i64(planes)
            .i32(h).i32(w).i32(outH).i32(outW).i32(1).i32(1).i32(1).i32(1).i32(0).i32(0).i32(1));
  }

  @Override
  public boolean maxUnpool2d(Tensor x, Tensor indices, Tensor y, long planes, int inHw, int outHw) {
    long ownerBytes = 4L * planes * outHw;
    long owner = backend.allocate(Math.max(ownerBytes, 4));
    try (Tensor err = Tensor.zeros(y.device(), DType.INT32, 1)) {
      backend.fillBytes(owner, (byte) 0xFF, ownerBytes); // -1: no input writes this output
      launchPlanes("ds_nn_max_unpool2d_owner_i32", planes, inHw, new KernelArgs().pointer(indices.address())
          .pointer(owner).pointer(err.address()).i64(planes).i32(inHw).i32(outHw));
      launchPlanes("ds_nn_max_unpool2d_fwd_f32", planes, outHw, new KernelArgs().pointer(x.address()).pointer(owner)
          .pointer(y.address()).i64(planes).i32(inHw).i32(outHw));
      return err.toIntArray()[0] == 0;
    } finally {
      backend.free(owner);
    }
  }

  @Override
  public boolean maxUnpool2dBackward(Tensor grad, Tensor indices, Tensor gradInput, long planes, int inHw,
      int outHw) {
    try (Tensor err = Tensor.zeros(gradInput.device(), DType.INT32, 1)) {
      launchPlanes("ds_nn_max_unpool2d_bwd_f32", planes, inHw, new KernelArgs().pointer(grad.address())
          .pointer(indices.address()).pointer(gradInput.address()).pointer(err.address()).i64(planes).i32(inHw)
          .i32(outHw));
      return err.toIntArray()[0] == 0;
    }
  }

  @Override
  public void indexLayout(Tensor in, Tensor out, long planes, int perPlane, int h, int w, int mode) {
    launchPlanes("ds_nn_index_layout_i32", planes, perPlane, new KernelArgs().pointer(in.address())
        .pointer(out.address()).i64(planes).i32(perPlane).i32(h).i32(w).i32(mode));
  }

  // ---- resize ---------------------------------------------------------------------------------------

  private static KernelArgs modeArgs(KernelArgs a, Resize2d r) {
    return a.i32(r.mode()).i32(r.coord()).i32(r.nearest()).f32(r.cubicA()).i32(r.excludeOutside() ? 1 : 0);
  }

  @Override
  public void resize(Tensor x, Tensor y, Resize2d r) {
    launchPlanes("ds_nn_resize_fwd_f32", r.planes(), (long) r.outH() * r.outW(), modeArgs(new KernelArgs()
        .pointer(x.address()).pointer(y.address()).i64(r.planes()).i32(r.inH()).i32(r.inW()).i32(r.outH())
        .i32(r.outW()).f32(r.scaleH()).f32(r.scaleW()), r));
  }

  @Override
  public void resizeBackward(Tensor grad, Tensor gradInput, Resize2d r) {
    long rangesW = backend.allocate(8L * r.inW());
    long rangesH = backend.allocate(8L * r.inH());
    long tmp = backend.allocate(Math.max(4L, 4L * r.planes() * r.outH() * r.inW()));
    try {
      backend.launch("ds_nn_resize_ranges_i32", Dim3.of(cdiv(r.inW(), BLOCK)), Dim3.of(BLOCK), 0,
          modeArgs(new KernelArgs().pointer(rangesW).i32(r.inW()).i32(r.outW()).f32(r.scaleW()), r));
      backend.launch("ds_nn_resize_ranges_i32", Dim3.of(cdiv(r.inH(), BLOCK)), Dim3.of(BLOCK), 0,
          modeArgs(new KernelArgs().pointer(rangesH).i32(r.inH()).i32(r.outH()).f32(r.scaleH()), r));
      launchPlanes("ds_nn_resize_bwd_w_f32", r.planes(), (long) r.outH() * r.inW(), modeArgs(new KernelArgs()
          .pointer(grad.address()).pointer(tmp).pointer(rangesW).i64(r.planes()).i32(r.outH()).i32(r.inW())
          .i32(r.outW()).f32(r.scaleW()), r));
      launchPlanes("ds_nn_resize_bwd_h_f32", r.planes(), (long) r.inH() * r.inW(), modeArgs(new KernelArgs()
          .pointer(tmp).pointer(gradInput.address()).pointer(rangesH).i64(r.planes()).i32(r.inH()).i32(r.inW())
          .i32(r.outH()).f32(r.scaleH()), r));
    } finally {
      backend.free(tmp);
      backend.free(rangesH);
      backend.free(rangesW);
    }
  }

  @Override
  public void bedOfNails(Tensor x, Tensor y, long planes, int h, int w, int strideH, int strideW) {
    launchPlanes("ds_nn_bed_of_nails_fwd_f32", planes, (long) h * strideH * w * strideW, new KernelArgs()
        .pointer(x.address()).pointer(y.address()).i64(planes).i32(h).i32(w).i32(strideH).i32(strideW));
  }

  @Override
  public void bedOfNailsBackward(Tensor grad, Tensor gradInput, long planes, int h, int w, int strideH,
      int strideW) {
    launchPlanes("ds_nn_bed_of_nails_bwd_f32", planes, (long) h * w, new KernelArgs().pointer(grad.address())
        .pointer(gradInput.address()).i64(planes).i32(h).i32(w).i32(strideH).i32(strideW));
  }

  // ---- batch norm -----------------------------------------------------------------------------------

  /** Blocks per channel for the partial reductions: ~8 elements per thread, at most 1024 partials. */
  private static int blocksPerChannel(long m) {
    return (int) Math.max(1, Math.min((m + 8L * BLOCK - 1) / (8L * BLOCK), 1024));
  }

  private static int channelWarpGrid(int c) {
    return Math.max(1, Math.min((c + 7) / 8, MAX_GRID_YZ));
  }

  private void applyPlanes(String kernel, long planes, long s, KernelArgs args) {
    backend.launch(kernel, planeGrid(planes, s), Dim3.of(BLOCK), 0, args);
  }

  @Override
  public void batchNorm(Tensor x, Tensor y, long n, int c, long s, Tensor weight, Tensor bias, Tensor runningMean,
      Tensor runningVar, boolean training, float momentum, float eps, boolean unbiased, Tensor saveMean,
      Tensor saveInvstd) {
    long coef = backend.allocate(8L * c);
    long partials = 0;
    try {
      if (training) {
        long m = n * s;
        int b = blocksPerChannel(m);
        partials = backend.allocate(8L * c * b);
        backend.launch("ds_nn_bn_stats_partial_f32", Dim3.of(b, Math.min(c, MAX_GRID_YZ)), Dim3.of(BLOCK), 0,
            new KernelArgs().pointer(x.address()).i64(n).i32(c).i64(s).pointer(partials));
        backend.launch("ds_nn_bn_stats_final_f32", Dim3.of(channelWarpGrid(c)), Dim3.of(BLOCK), 0,
            new KernelArgs().pointer(partials).i32(b).i32(c).pointer(x.address()).i64(s).i64(m).f32(momentum)
                .f32(eps).i32(unbiased ? 1 : 0).pointer(addr(runningMean)).pointer(addr(runningVar)).pointer(addr(weight))
                .pointer(addr(bias)).pointer(saveMean.address()).pointer(saveInvstd.address()).pointer(coef));
      } else {
        backend.launch("ds_nn_bn_eval_coef_f32", Dim3.of(cdiv(c, BLOCK)), Dim3.of(BLOCK), 0,
            new KernelArgs().pointer(runningMean.address()).pointer(runningVar.address()).pointer(addr(weight))
                .pointer(addr(bias)).i32(c).f32(eps).pointer(saveMean.address()).pointer(saveInvstd.address())
                .pointer(coef));
      }
      applyPlanes("ds_nn_bn_apply_f32", n * c, s, new KernelArgs().pointer(x.address()).pointer(y.address())
          .pointer(coef).i64(n * c).i32(c).i64(s));
    } finally {
      if (partials != 0) {
        backend.free(partials);
      }
      backend.free(coef);
    }
  }

  @Override
  public void batchNormBackward(Tensor grad, Tensor x, long n, int c, long s, Tensor weight, Tensor runningMean,
      Tensor runningVar, Tensor saveMean, Tensor saveInvstd, boolean training, float eps, Tensor gradInput,
      Tensor gradWeight, Tensor gradBias) {
    long m = n * s;
    int b = blocksPerChannel(m);
    long partials = backend.allocate(8L * c * b);
    long coef = backend.allocate(16L * c);
    long stats = training ? 0 : backend.allocate(8L * c);
    try {
      long mean = training ? saveMean.address() : stats;
      long invstd = training ? saveInvstd.address() : stats + 4L * c;
      if (!training) {
        backend.launch("ds_nn_bn_eval_coef_f32", Dim3.of(cdiv(c, BLOCK)), Dim3.of(BLOCK), 0,
            new KernelArgs().pointer(runningMean.address()).pointer(runningVar.address()).pointer(0).pointer(0)
                .i32(c).f32(eps).pointer(mean).pointer(invstd).pointer(0));
      }
      backend.launch("ds_nn_bn_bwd_partial_f32", Dim3.of(b, Math.min(c, MAX_GRID_YZ)), Dim3.of(BLOCK), 0,
          new KernelArgs().pointer(grad.address()).pointer(x.address()).pointer(mean).i64(n).i32(c).i64(s)
              .pointer(partials));
      backend.launch("ds_nn_bn_bwd_final_f32", Dim3.of(channelWarpGrid(c)), Dim3.of(BLOCK), 0,
          new KernelArgs().pointer(partials).i32(b).i32(c).i64(m).pointer(mean).pointer(invstd)
              .pointer(addr(weight)).i32(training ? 1 : 0).pointer(gradWeight.address()).pointer(gradBias.address())
              .pointer(coef));
      applyPlanes("ds_nn_bn_bwd_apply_f32", n * c, s, new KernelArgs().pointer(grad.address()).pointer(x.address())
          .pointer(coef).pointer(gradInput.address()).i64(n * c).i32(c).i64(s).i32(training ? 1 : 0));
    } finally {
      if (stats != 0) {
        backend.free(stats);
      }
      backend.free(coef);
      backend.free(partials);
    }
  }

  // ---- activations ----------------------------------------------------------------------------------

  private static Dim3 elementwiseGrid(long n) {
    return Dim3.of((int) Math.max(1, Math.min((n + 4L * BLOCK - 1) / (4L * BLOCK), MAX_ELEMENTWISE_GRID)));
  }

  @Override
  public void activation(Tensor x, Tensor y, int op, float slope) {
    backend.launch("ds_nn_act_fwd_f32", elementwiseGrid(y.numel()), Dim3.of(BLOCK), 0,
        new KernelArgs().pointer(x.address()).pointer(y.address()).i64(y.numel()).i32(op).f32(slope));
  }

  @Override
  public void activationBackward(Tensor grad, Tensor v, Tensor gradInput, int op, float slope) {
    backend.launch("ds_nn_act_bwd_f32", elementwiseGrid(gradInput.numel()), Dim3.of(BLOCK), 0,
        new KernelArgs().pointer(grad.address()).pointer(v.address()).pointer(gradInput.address())
            .i64(gradInput.numel()).i32(op).f32(slope));
  }

  // ---- padding, copies ------------------------------------------------------------------------------

  @Override
  public void pad2d(Tensor x, Tensor y, long planes, int h, int w, int outH, int outW, int padTop, int padLeft,
      int mode, int valueBits) {
    launchPlanes("ds_nn_pad_fwd_b32", planes, (long) outH * outW, new KernelArgs().pointer(x.address())
        .pointer(y.address()).i64(planes).i32(h).i32(w).i32(outH).i32(outW).i32(padTop).i32(padLeft).i32(mode)
        .i32(valueBits));
  }

  @Override
  public void pad2dBackward(Tensor grad, Tensor gradInput, long planes, int h, int w, int outH, int outW, int padTop,
      int padLeft, int mode) {
    launchPlanes("ds_nn_pad_bwd_f32", planes, (long) h * w, new KernelArgs().pointer(grad.address())
        .pointer(gradInput.address()).i64(planes).i32(h).i32(w).i32(outH).i32(outW).i32(padTop).i32(padLeft)
        .i32(mode));
  }

  @Override
  public void copy2d(Tensor src, long srcOffset, long srcStride, Tensor dst, long dstOffset, long dstStride, long rows,
      long cols) {
    Dim3 grid = Dim3.of((int) Math.max(1, Math.min((cols + 4L * BLOCK - 1) / (4L * BLOCK), MAX_GRID_X)),
        (int) Math.max(1, Math.min(rows, MAX_GRID_YZ)));
    backend.launch("ds_nn_copy2d_f32", grid, Dim3.of(BLOCK), 0, new KernelArgs()
        .pointer(src.address() + 4 * srcOffset).i64(srcStride).pointer(dst.address() + 4 * dstOffset).i64(dstStride)
        .i64(rows).i64(cols));
  }
}
