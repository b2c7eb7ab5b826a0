package io.detseg.backend.cuda;

import io.detseg.backend.BasicKernels;
import io.detseg.nativelib.NativeMemory;
import io.detseg.tensor.Tensor;

/** The first ops as CUDA kernels (kernels/elementwise.cu, reduce.cu, box_iou.cu); shapes in docs/KERNEL_CONTRACTS.md. */
final class CudaBasicKernels implements BasicKernels {
  private static final int BLOCK = 256;
  private static final int MAX_ELEMENTWISE_GRID = 4096;
  private static final int MAX_REDUCE_GRID = 1024;

  private final CudaBackend backend;

  CudaBasicKernels(CudaBackend backend) {
    this.backend = backend;
  }

  @Override
  public void add(Tensor a, Tensor b, Tensor out) {
    elementwise("ds_add_f32", out.numel(), new KernelArgs().pointer(a.address()).pointer(b.address())
        .pointer(out.address()).i64(out.numel()));
  }

  @Override
  public void mul(Tensor a, Tensor b, Tensor out) {
    elementwise("ds_mul_f32", out.numel(), new KernelArgs().pointer(a.address()).pointer(b.address())
        .pointer(out.address()).i64(out.numel()));
  }

  @Override
  public void relu(Tensor x, Tensor out) {
    elementwise("ds_relu_f32", out.numel(),
        new KernelArgs().pointer(x.address()).pointer(out.address()).i64(out.numel()));
  }

  @Override
  public void reluBackward(Tensor grad, Tensor x, Tensor out) {
    elementwise("ds_relu_backward_f32", out.numel(), new KernelArgs().pointer(grad.address())
        .pointer(x.address()).pointer(out.address()).i64(out.numel()));
  }

  @Override
  public void sum(Tensor x, Tensor out) {
    reduce("ds_reduce_sum_partial_f32", "ds_reduce_sum_final_f32", x, out);
  }

  @Override
  public void max(Tensor x, Tensor out) {
    reduce("ds_reduce_max_partial_f32", "ds_reduce_max_final_f32", x, out);
  }

  @Override
  public void maxBackward(Tensor grad, Tensor x, Tensor max, Tensor out) {
    long n = x.numel();
    int grid = reduceGrid(n);
    long partials = backend.allocate(4L * grid);
    long count = backend.allocate(4);
    try {
      backend.launch("ds_count_equal_partial_f32", Dim3.of(grid), Dim3.of(BLOCK), 0,
          new KernelArgs().pointer(x.address()).i64(n).pointer(max.address()).pointer(partials));
      backend.launch("ds_count_final_i32", Dim3.of(1), Dim3.of(BLOCK), 0,
          new KernelArgs().pointer(partials).i32(grid).pointer(count));
      elementwise("ds_max_backward_f32", n, new KernelArgs().pointer(grad.address()).pointer(x.address())
          .pointer(max.address()).pointer(count).pointer(out.address()).i64(n));
    } finally {
      backend.free(count);
      backend.free(partials);
    }
  }

  @Override
  public void broadcastScalar(Tensor value, Tensor out) {
    elementwise("ds_fill_from_device_f32", out.numel(),
        new KernelArgs().pointer(out.address()).pointer(value.address()).i64(out.numel()));
  }

  @Override
  public void boxIou(Tensor boxes1, Tensor boxes2, Tensor out) {
    int n = (int) boxes1.size(0);
    int m = (int) boxes2.size(0);
    Dim3 block = Dim3.of(32, 8);
    // One thread per output along m (coalesced stores); y is capped at CUDA's 65535 and grid-strides.
    Dim3 grid = Dim3.of((int) ((m + 31L) / 32), (int) Math.min((n + 7L) / 8, 65535));
    backend.launch("ds_box_iou_f32", grid, block, 0, new KernelArgs().pointer(boxes1.address()).i32(n)
        .pointer(boxes2.address()).i32(m).pointer(out.address()));
  }

  @Override
  public void stridedCopy(Tensor in, long inOffset, long[] shape, long[] strides, Tensor out) {
    int nd = shape.length;
    int elem = in.dtype().byteSize();
    long n = out.numel();
    // The shape and strides go to the device once per call (2·nd longs) through a host staging block.
    long bytes = 16L * Math.max(nd, 1);
    long host = NativeMemory.allocate(bytes);
    long desc = backend.allocate(bytes);
    try {
      java.nio.ByteBuffer b = NativeMemory.view(host, bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN);
      for (long s : shape) {
        b.putLong(s);
      }
      for (long s : strides) {
        b.putLong(s);
      }
      backend.copyFromHost(host, desc, bytes);
      int grid = (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, MAX_ELEMENTWISE_GRID));
      backend.launch(elem == 4 ? "ds_strided_copy_b4" : "ds_strided_copy_b1", Dim3.of(grid), Dim3.of(BLOCK), 0,
          new KernelArgs().pointer(in.address() + inOffset * elem).pointer(out.address()).i64(n).pointer(desc).i32(nd));
    } finally {
      backend.free(desc);
      NativeMemory.free(host);
    }
  }

  // ---- launch shapes --------------------------------------------------------------------------

  /**
   * 1-D grid-stride: a thread takes 4 elements (one float4) per step, so ceil(n/1024) blocks cover n;
   * capped at 4096 blocks (more than any GPU holds at once) so huge tensors loop instead.
   */
  private void elementwise(String kernel, long n, KernelArgs args) {
    int grid = (int) Math.min((n + 4L * BLOCK - 1) / (4L * BLOCK), MAX_ELEMENTWISE_GRID);
    backend.launch(kernel, Dim3.of(Math.max(grid, 1)), Dim3.of(BLOCK), 0, args);
  }

  private static int reduceGrid(long n) {
    return (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, MAX_REDUCE_GRID));
  }

  /** Two passes in a fixed order (per-block partials, then one block), so results are reproducible. */
  private void reduce(String partialKernel, String finalKernel, Tensor x, Tensor out) {
    long n = x.numel();
    int grid = reduceGrid(n);
    long partials = backend.allocate(4L * grid);
    try {
      backend.launch(partialKernel, Dim3.of(grid), Dim3.of(BLOCK), 0,
          new KernelArgs().pointer(x.address()).i64(n).pointer(partials));
      backend.launch(finalKernel, Dim3.of(1), Dim3.of(BLOCK), 0,
          new KernelArgs().pointer(partials).i32(grid).pointer(out.address()));
    } finally {
      backend.free(partials);
    }
  }
}
