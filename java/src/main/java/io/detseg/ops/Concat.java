package io.detseg.ops;

import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * torch.cat and torch.split along any dimension (channels, dim = 1, for NCHW feature maps), with their
 * backwards (split of the gradient, and cat of the pieces' gradients). float32 or int32; split returns
 * copies (PyTorch returns views). Negative dims count from the end, as in PyTorch.
 */
public final class Concat {
  private Concat() {}

  private static int wrapDim(String op, int dim, int rank) {
    int r = Math.max(rank, 1);
    if (dim < -r || dim >= r) {
      throw NnChecks.error(op, "dim", "a dimension in [" + -r + ", " + (r - 1) + "]", Integer.toString(dim));
    }
    return dim < 0 ? dim + r : dim;
  }

  private static long outer(long[] shape, int dim) {
    long o = 1;
    for (int d = 0; d < dim; d++) {
      o *= shape[d];
    }
    return o;
  }

  private static long inner(long[] shape, int dim) {
    long o = 1;
    for (int d = dim + 1; d < shape.length; d++) {
      o *= shape[d];
    }
    return o;
  }

  /** torch.cat(tensors, dim): every tensor has the first's dtype, device and rank, and its sizes except along dim. */
  public static Tensor cat(List<Tensor> tensors, int dim) {
    String op = "cat";
    if (tensors == null || tensors.isEmpty()) {
      throw NnChecks.error(op, "tensors", "a non-empty list of tensors", tensors == null ? "null" : "an empty list");
    }
    Tensor first = tensors.get(0);
    Checks.open(op, "tensors[0]", first);
    if (first.dtype() != DType.FLOAT32 && first.dtype() != DType.INT32) {
      throw NnChecks.error(op, "tensors[0]", "dtype float32 or int32", first.dtype().label());
    }
    if (first.dim() == 0) {
      throw NnChecks.error(op, "tensors[0]", "a tensor with at least one dimension", "a 0-d tensor");
    }
    int d = wrapDim(op, dim, first.dim());
    long[] shape = first.shape();
    long total = 0;
    for (int i = 0; i < tensors.size(); i++) {
      Tensor t = tensors.get(i);
      String name = "tensors[" + i + "]";
      Checks.dtype(op, name, t, first.dtype());
      Checks.sameDevice(op, name, t, "tensors[0]", first);
      long[] s = t.shape();
      boolean ok = s.length == shape.length;
      for (int k = 0; ok && k < s.length; k++) {
        ok = k == d || s[k] == shape[k];
      }
      if (!ok) {
        long[] want = shape.clone();
        want[d] = -1;
        throw NnChecks.error(op, name, "shape " + Shapes.format(want).replace("-1", "*") + " (sizes must match except in "
            + "dimension " + d + ")", Shapes.format(s));
      }
      total += s[d];
    }
    shape[d] = total;
    Tensor out = Tensor.empty(first.device(), first.dtype(), shape);
    long rows = outer(shape, d);
    long in = inner(shape, d);
    long offset = 0;
    for (Tensor t : tensors) {
      long cols = t.size(d) * in;
      if (cols > 0 && rows > 0) {
        first.backend().nn().copy2d(t, 0, cols, out, offset, total * in, rows, cols);
      }
      offset += cols;
    }
    return out;
  }

  /** The section sizes of torch.split(tensor, split_size) along a dimension of length n. */
  public static long[] sections(long n, long splitSize) {
    if (splitSize < 1) {
      throw NnChecks.error("split", "split_size_or_sections", "a positive split size", Long.toString(splitSize));
    }
    int count = (int) Math.max(1, (n + splitSize - 1) / splitSize);
    long[] s = new long[count];
    for (int i = 0; i < count; i++) {
      s[i] = Math.min(splitSize, n - i * splitSize);
    }
    return s;
  }

  /** torch.split(tensor, split_size, dim): pieces of split_size (the last may be smaller). */
  public static List<Tensor> split(Tensor tensor, long splitSize, int dim) {
    Checks.open("split", "tensor", tensor);
    int d = wrapDim("split", dim, tensor.dim());
    return splitSections(tensor, sections(tensor.size(d), splitSize), d);
  }

  /** torch.split(tensor, sections, dim) with a list of section sizes that sum to the dimension's length. */
  public static List<Tensor> splitSections(Tensor tensor, long[] sections, int dim) {
    String op = "split";
    Checks.open(op, "tensor", tensor);
    if (tensor.dtype() != DType.FLOAT32 && tensor.dtype() != DType.INT32) {
      throw NnChecks.error(op, "tensor", "dtype float32 or int32", tensor.dtype().label());
    }
    if (tensor.dim() == 0) {
      throw NnChecks.error(op, "tensor", "a tensor with at least one dimension", "a 0-d tensor");
    }
    int d = wrapDim(op, dim, tensor.dim());
    long sum = 0;
    for (long s : sections) {
      if (s < 0) {
        throw NnChecks.error(op, "split_size_or_sections", "non-negative sizes", Arrays.toString(sections));
      }
      sum += s;
    }
    if (sections.length == 0 || sum != tensor.size(d)) {
      throw NnChecks.error(op, "split_size_or_sections", "sizes summing to " + tensor.size(d) + " (dimension " + d
          + " of " + Shapes.format(tensor.shape()) + ")", Arrays.toString(sections));
    }
    long[] shape = tensor.shape();
    long rows = outer(shape, d);
    long in = inner(shape, d);
    List<Tensor> out = new ArrayList<>();
    long offset = 0;
    for (long s : sections) {
      long[] ps = shape.clone();
      ps[d] = s;
      Tensor piece = Tensor.empty(tensor.device(), tensor.dtype(), ps);
      long cols = s * in;
      if (cols > 0 && rows > 0) {
        tensor.backend().nn().copy2d(tensor, offset, shape[d] * in, piece, 0, cols, rows, cols);
      }
      offset += cols;
      out.add(piece);
    }
    return out;
  }

  /** Gradient of cat: grad_output split into the inputs' sizes along dim. */
  public static List<Tensor> catBackward(Tensor gradOutput, long[] sizes, int dim) {
    return splitSections(gradOutput, sizes, dim);
  }

  /**
   * Gradient of split: the pieces' gradients concatenated along dim; a null gradient counts as zeros of
   * its piece's shape (pieceShapes).
   */
  public static Tensor splitBackward(List<Tensor> gradOutputs, List<long[]> pieceShapes, int dim) {
    String op = "split_backward";
    if (gradOutputs == null || pieceShapes == null || gradOutputs.size() != pieceShapes.size()
        || gradOutputs.isEmpty()) {
      throw NnChecks.error(op, "grad_outputs", "one gradient (or null) per piece",
          (gradOutputs == null ? 0 : gradOutputs.size()) + " for " + (pieceShapes == null ? 0 : pieceShapes.size())
              + " pieces");
    }
    Tensor ref = null;
    for (Tensor g : gradOutputs) {
      if (g != null) {
        ref = g;
        break;
      }
    }
    if (ref == null) {
      throw NnChecks.error(op, "grad_outputs", "at least one gradient", "only nulls");
    }
    List<Tensor> filled = new ArrayList<>();
    List<Tensor> made = new ArrayList<>();
    try {
      for (int i = 0; i < gradOutputs.size(); i++) {
        Tensor g = gradOutputs.get(i);
        if (g == null) {
          g = Tensor.zeros(ref.device(), ref.dtype(), pieceShapes.get(i));
          made.add(g);
        } else if (!Arrays.equals(g.shape(), pieceShapes.get(i))) {
          throw NnChecks.error(op, "grad_outputs[" + i + "]", "shape " + Shapes.format(pieceShapes.get(i)),
              Shapes.format(g.shape()));
        }
        filled.add(g);
      }
      return cat(filled, dim);
    } finally {
      made.forEach(Tensor::close);
    }
  }
}
