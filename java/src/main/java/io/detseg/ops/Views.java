package io.detseg.ops;

import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;

/**
 * Layout ops that make a strided view contiguous: permute (torch.permute) and narrow
 * (torch.narrow). Both return new contiguous tensors on the input's device, any dtype.
 */
public final class Views {
  static final int MAX_DIMS = 8;

  private Views() {}

  /** torch.permute(input, dims): output dimension i is input dimension dims[i]. */
  public static Tensor permute(Tensor input, int... dims) {
    Checks.open("permute", "input", input);
    int nd = input.dim();
    if (dims.length != nd) {
      throw new IllegalArgumentException("permute: argument 'dims': expected " + nd + " dimensions (the rank of "
          + "'input') but got " + Arrays.toString(dims));
    }
    if (nd > MAX_DIMS) {
      throw new IllegalArgumentException("permute: argument 'input': expected at most " + MAX_DIMS
          + " dimensions but got " + nd);
    }
    boolean[] seen = new boolean[nd];
    long[] strides = contiguousStrides(input.shape());
    long[] outShape = new long[nd];
    long[] outStrides = new long[nd];
    for (int i = 0; i < nd; i++) {
      int d = dims[i] < 0 ? dims[i] + nd : dims[i];
      if (d < 0 || d >= nd || seen[d]) {
        throw new IllegalArgumentException("permute: argument 'dims': expected a permutation of 0.." + (nd - 1)
            + " but got " + Arrays.toString(dims));
      }
      seen[d] = true;
      outShape[i] = input.size(d);
      outStrides[i] = strides[d];
    }
    return gather(input, 0, outShape, outStrides);
  }

  /** The inverse permutation, for permute's backward. */
  public static int[] inverse(int[] dims) {
    int[] inv = new int[dims.length];
    for (int i = 0; i < dims.length; i++) {
      inv[dims[i] < 0 ? dims[i] + dims.length : dims[i]] = i;
    }
    return inv;
  }

  /** torch.narrow(input, dim, start, length): elements start..start+length-1 along dim. */
  public static Tensor narrow(Tensor input, int dim, long start, long length) {
    Checks.open("narrow", "input", input);
    int nd = input.dim();
    int d = dim < 0 ? dim + nd : dim;
    if (d < 0 || d >= nd) {
      throw new IllegalArgumentException("narrow: argument 'dim': expected -" + nd + ".." + (nd - 1) + " but got " + dim);
    }
    if (nd > MAX_DIMS) {
      throw new IllegalArgumentException("narrow: argument 'input': expected at most " + MAX_DIMS
          + " dimensions but got " + nd);
    }
    long size = input.size(d);
    long s = start < 0 ? start + size : start;
    if (s < 0 || length < 0 || s + length > size) {
      throw new IllegalArgumentException("narrow: arguments 'start', 'length': expected a range inside 0.." + size
          + " of dimension " + d + " but got start " + start + ", length " + length);
    }
    long[] shape = input.shape();
    long[] strides = contiguousStrides(shape);
    shape[d] = length;
    return gather(input, s * strides[d], shape, strides);
  }

  private static Tensor gather(Tensor input, long offset, long[] shape, long[] strides) {
    Tensor out = Tensor.empty(input.device(), input.dtype(), shape);
    if (out.numel() > 0) {
      input.backend().basic().stridedCopy(input, offset, shape, strides, out);
    }
    return out;
  }

  static long[] contiguousStrides(long[] shape) {
    long[] s = new long[shape.length];
    long acc = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      s[i] = acc;
      acc = Math.multiplyExact(acc, Math.max(shape[i], 1));
    }
    Shapes.numel(shape);
    return s;
  }
}
