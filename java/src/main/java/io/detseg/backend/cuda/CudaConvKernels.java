package io.detseg.backend.cuda;

import io.detseg.backend.ConvGeometry;
import io.detseg.backend.ConvKernels;
import io.detseg.tensor.Tensor;

/**
 * Convolution, transposed convolution, SGEMM and linear layers, forward and backward as CUDA kernels
 * (kernels/conv_gemm.cu: the 64 x 64 double-buffered implicit-GEMM tile engine; kernels/conv_misc.cu:
 * depthwise, reductions). Launch shapes are chosen here; docs/kernels/conv.md lists them.
 */
final class CudaConvKernels implements ConvKernels {
  private static final int TILE = 64;
  private static final int GEMM_THREADS = 256;
  private static final int MAX_GRID_YZ = 65535;
  private static final int MAX_ELEMENTWISE_GRID = 4096;
  /** Depthwise tiles (kernels/conv_misc.cu): 32 x 8 outputs per block. */
  private static final int DW_TILE_W = 32;
  private static final int DW_TILE_H = 8;
  /** Dynamic shared memory the depthwise stencil may use; larger (very dilated) kernels go through the GEMM. */
  private static final long DW_MAX_SHARED = 32 * 1024;
  /** Blocks the split weight gradient aims for (enough to fill a large GPU twice). */
  private static final long WGRAD_TARGET_BLOCKS = 256;
  /** Fewest output points a weight-gradient split reduces. */
  private static final long WGRAD_MIN_SPLIT = 1024;

  private final CudaBackend backend;

  CudaConvKernels(CudaBackend backend) {
    this.backend = backend;
  }

  @Override
  public void sgemm(boolean transA, boolean transB, long m, long n, long k, float alpha, Tensor a, long lda, Tensor b,
      long ldb, float beta, Tensor c, long ldc) {
    backend.launch("ds_conv_sgemm_f32", Dim3.of(gridX(ceil(n, TILE)), gridYZ(ceil(m, TILE))), Dim3.of(GEMM_THREADS), 0,
        new KernelArgs().i32(transA ? 1 : 0).i32(transB ? 1 : 0).i64(m).i64(n).i64(k).f32(alpha).pointer(a.address())
            .i64(lda).pointer(b.address()).i64(ldb).f32(beta).pointer(c.address()).i64(ldc));
  }

  @Override
  public void fillRows(Tensor bias, long rows, Tensor out) {
    long cols = bias.numel();
    elementwise("ds_conv_fill_rows_f32", rows * cols,
        new KernelArgs().pointer(bias.address()).i64(rows).i64(cols).pointer(out.address()));
  }

  @Override
  public void sumRows(Tensor x, long rows, long cols, Tensor out) {
    backend.launch("ds_conv_sum_rows_f32", Dim3.of(gridX(ceil(cols, DW_TILE_W))), Dim3.of(DW_TILE_W, DW_TILE_H), 0,
        new KernelArgs().pointer(x.address()).i64(rows).i64(cols).pointer(out.address()));
  }

  @Override
  public void conv2dForward(ConvGeometry g, Tensor input, Tensor weight, Tensor bias, Tensor output) {
    checkInts(g);
    long biasAddress = bias == null ? 0 : bias.address();
    if (g.depthwise() && dwFits(g, false, g.hOut())) {
      depthwise(g, 0, input, weight, biasAddress, output, g.n() * g.cOut(), g.hOut(), g.wOut());
      return;
    }
    checkGroups(g, g.groups());
    backend.launch("ds_conv_fwd_f32",
        new Dim3(gridX(ceil(g.n() * g.hOut() * g.wOut(), TILE)), gridYZ(ceil(g.cOutPerGroup(), TILE)), (int) g.groups()),
        Dim3.of(GEMM_THREADS), 0, geometry(g).pointer(input.address()).pointer(weight.address()).pointer(biasAddress)
            .pointer(output.address()));
  }

  @Override
  public void conv2dBackwardData(ConvGeometry g, Tensor gradOutput, Tensor weight, Tensor gradInput) {
    checkInts(g);
    if (g.depthwise() && g.strideH() == 1 && g.strideW() == 1 && dwFits(g, true, g.h())) {
      depthwise(g, 1, gradOutput, weight, 0, gradInput, g.n() * g.cIn(), g.h(), g.w());
      return;
    }
    // one z per (group, stride phase): every input point is written by exactly one thread
    long phases = g.strideH() * g.strideW();
    checkGroups(g, g.groups() * phases);
    long phasePoints = g.n() * ceil(g.h(), g.strideH()) * ceil(g.w(), g.strideW());
    backend.launch("ds_conv_bwd_data_f32",
        new Dim3(gridX(ceil(phasePoints, TILE)), gridYZ(ceil(g.cInPerGroup(), TILE)), (int) (g.groups() * phases)),
        Dim3.of(GEMM_THREADS), 0,
        geometry(g).pointer(gradOutput.address()).pointer(weight.address()).pointer(gradInput.address()));
  }

  @Override
  public void conv2dBackwardWeight(ConvGeometry g, Tensor input, Tensor gradOutput, Tensor gradWeight) {
    checkInts(g);
    if (g.depthwise()) {
      backend.launch("ds_conv_dw_wgrad_f32", Dim3.of(gridX(g.kh() * g.kw()), gridYZ(g.cOut())), Dim3.of(256), 0,
          geometry(g).pointer(input.address()).pointer(gradOutput.address()).pointer(gradWeight.address()));
      return;
    }
    long k = g.cInPerGroup() * g.kh() * g.kw();
    long reduction = g.n() * g.hOut() * g.wOut();
    long tiles = ceil(k, TILE) * ceil(g.cOutPerGroup(), TILE) * g.groups();
    // Split the long pixel reduction so the grid fills the GPU; the count depends on shapes only, so
    // the summation order (split slices added in order) is fixed.
    long splits = Math.max(1, Math.min(ceil(WGRAD_TARGET_BLOCKS, tiles), reduction / WGRAD_MIN_SPLIT));
    splits = Math.max(1, Math.min(splits, MAX_GRID_YZ / g.groups()));
    long splitLen = ceil(ceil(reduction, splits), 16) * 16;
    splits = ceil(reduction, splitLen);
    checkGroups(g, g.groups() * splits);
    long count = g.cOut() * k;
    long parts = splits > 1 ? backend.allocate(4L * splits * count) : 0;
    try {
      backend.launch("ds_conv_bwd_weight_f32",
          new Dim3(gridX(ceil(k, TILE)), gridYZ(ceil(g.cOutPerGroup(), TILE)), (int) (g.groups() * splits)),
          Dim3.of(GEMM_THREADS), 0, geometry(g).pointer(input.address()).pointer(gradOutput.address())
              .i32((int) splits).i64(splitLen).pointer(splits > 1 ? parts : gradWeight.address()));
      if (splits > 1) {
        elementwise("ds_conv_sum_splits_f32", count,
            new KernelArgs().pointer(parts).i32((int) splits).i64(count).pointer(gradWeight.address()));
      }
    } finally {
      if (parts != 0) {
        backend.free(parts);
      }
    }
  }

  @Override
  public void addChannelBias(Tensor out, long n, long c, long hw, Tensor bias) {
    elementwise("ds_conv_add_channel_bias_f32", n * c * hw,
        new KernelArgs().pointer(out.address()).i64(n).i64(c).i64(hw).pointer(bias.address()));
  }

  @Override
  public void conv2dBackwardBias(Tensor gradOutput, long n, long c, long hw, Tensor gradBias) {
    backend.launch("ds_conv_bias_grad_f32", Dim3.of(gridYZ(c)), Dim3.of(256), 0,
        new KernelArgs().pointer(gradOutput.address()).i64(n).i64(c).i64(hw).pointer(gradBias.address()));
  }

  // ---- launch helpers ----------------------------------------------------------------------------------

  /** mode 0: forward planes (n*cOut); mode 1: stride-1 data gradient planes (n*cIn). */
  private void depthwise(ConvGeometry g, int mode, Tensor src, Tensor weight, long bias, Tensor dst, long planes,
      long outH, long outW) {
    backend.launch("ds_conv_dw_f32",
        new Dim3(gridX(ceil(outW, DW_TILE_W)), gridYZ(ceil(outH, DW_TILE_H)), gridYZ(planes)),
        Dim3.of(DW_TILE_W, DW_TILE_H), (int) dwShared(g, mode == 1),
        geometry(g).i32(mode).pointer(src.address()).pointer(weight.address()).pointer(bias).pointer(dst.address()));
  }

  /** The depthwise stencil handles it: its tile fits the shared budget and the rows fit grid.y. */
  private static boolean dwFits(ConvGeometry g, boolean dataGradient, long outH) {
    return dwShared(g, dataGradient) <= DW_MAX_SHARED && ceil(outH, DW_TILE_H) <= MAX_GRID_YZ;
  }

  /** Dynamic shared bytes of the depthwise stencil: its source tile plus one plane's taps. */
  private static long dwShared(ConvGeometry g, boolean dataGradient) {
    long sy = dataGradient ? 1 : g.strideH(), sx = dataGradient ? 1 : g.strideW();
    long tileH = (DW_TILE_H - 1) * sy + (g.kh() - 1) * g.dilationH() + 1;
    long tileW = (DW_TILE_W - 1) * sx + (g.kw() - 1) * g.dilationW() + 1;
    return 4 * (tileH * tileW + g.kh() * g.kw());
  }

  private static KernelArgs geometry(ConvGeometry g) {
    KernelArgs a = new KernelArgs();
    for (long v : g.toArray()) {
      a.i64(v);
    }
    return a;
  }

  /** The conv kernels keep per-dimension sizes and the GEMM's K in 32-bit registers. */
  private static void checkInts(ConvGeometry g) {
    long k = Math.max(g.cInPerGroup(), g.cOutPerGroup()) * g.kh() * g.kw();
    long[] v = {g.h(), g.w(), g.hOut(), g.wOut(), k};
    for (long x : v) {
      if (x > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("conv2d on CUDA: expected spatial sizes and channels/group * kh * kw of "
            + "at most " + Integer.MAX_VALUE + " but got " + x + " (" + g + ")");
      }
    }
  }

  private static void checkGroups(ConvGeometry g, long z) {
    if (z > MAX_GRID_YZ) {
      throw new IllegalArgumentException("conv2d on CUDA: expected groups (times stride phases or weight-gradient "
          + "splits) of at most " + MAX_GRID_YZ + " but got " + z + " for groups = " + g.groups());
    }
  }

  /** 1-D grid-stride, block 256, at most 4096 blocks. */
  private void elementwise(String kernel, long n, KernelArgs args) {
    int grid = (int) Math.max(1, Math.min(ceil(n, 256), MAX_ELEMENTWISE_GRID));
    backend.launch(kernel, Dim3.of(grid), Dim3.of(256), 0, args);
  }

  private static long ceil(long a, long b) {
    return (a + b - 1) / b;
  }

  private static int gridX(long blocks) {
    if (blocks > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("conv on CUDA: " + blocks + " blocks along x is more than a grid holds");
    }
    return (int) Math.max(1, blocks);
  }

  /** y and z are capped at 65535; the kernels grid-stride over the rest. */
  private static int gridYZ(long blocks) {
    return (int) Math.max(1, Math.min(blocks, MAX_GRID_YZ));
  }
}
