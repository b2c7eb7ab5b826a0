package io.detseg.ops;

import java.util.Arrays;

/**
 * The hyper-parameters of a 2-D (transposed) convolution: stride, padding as (top, left, bottom,
 * right), dilation, groups, and for the transposed one output_padding. Built from PyTorch-style
 * arguments (an int or a pair per spatial dimension, padding also "same" / "valid") or ONNX-style
 * pads; the arrays are copied and validated where they are used (io.detseg.ops.Conv).
 */
public final class ConvParams {
  final int[] stride;
  final int[] pads; // top, left, bottom, right
  final int[] dilation;
  final int groups;
  final int[] outputPadding;
  /** "same" (PyTorch): the pads are derived from the kernel when the geometry is built. */
  final boolean same;

  private ConvParams(int[] stride, int[] pads, int[] dilation, int groups, int[] outputPadding, boolean same) {
    this.stride = stride;
    this.pads = pads;
    this.dilation = dilation;
    this.groups = groups;
    this.outputPadding = outputPadding;
    this.same = same;
  }

  /** PyTorch's defaults: stride 1, padding 0, dilation 1, groups 1, output_padding 0. */
  public static ConvParams defaults() {
    return new ConvParams(new int[] {1, 1}, new int[4], new int[] {1, 1}, 1, new int[2], false);
  }

  /**
   * PyTorch's conv2d arguments: stride, padding and dilation each given as one value (both
   * dimensions) or two (height, width).
   */
  public static ConvParams of(String op, int[] stride, int[] padding, int[] dilation, int groups) {
    int[] p = pair(op, "padding", padding);
    return new ConvParams(pair(op, "stride", stride), new int[] {p[0], p[1], p[0], p[1]}, pair(op, "dilation", dilation),
        groups, new int[2], false);
  }

  /** conv2d with padding given as a string: "same", "valid", or one or two integers ("1", "2,3"). */
  public static ConvParams of(String op, int[] stride, String padding, int[] dilation, int groups) {
    String p = padding == null ? "" : padding.trim().toLowerCase(java.util.Locale.ROOT);
    if (p.equals("same")) {
      return new ConvParams(pair(op, "stride", stride), new int[4], pair(op, "dilation", dilation), groups,
          new int[2], true);
    }
    if (p.equals("valid")) {
      return of(op, stride, new int[] {0}, dilation, groups);
    }
    return of(op, stride, parseInts(op, "padding", padding, "'same', 'valid' or one or two integers"), dilation,
        groups);
  }

  /** PyTorch's conv_transpose2d arguments (its order: stride, padding, output_padding, groups, dilation). */
  public static ConvParams transposed(String op, int[] stride, int[] padding, int[] outputPadding, int groups,
      int[] dilation) {
    int[] p = pair(op, "padding", padding);
    return new ConvParams(pair(op, "stride", stride), new int[] {p[0], p[1], p[0], p[1]}, pair(op, "dilation", dilation),
        groups, pair(op, "output_padding", outputPadding), false);
  }

  /** Explicit per-side paddings (top, left, bottom, right), as ONNX's pads for 2-D give them after reordering. */
  public static ConvParams padded(String op, int[] stride, int[] padsTopLeftBottomRight, int[] dilation, int groups,
      int[] outputPadding) {
    if (padsTopLeftBottomRight == null || padsTopLeftBottomRight.length != 4) {
      throw new IllegalArgumentException(op + ": argument 'pads': expected 4 values (top, left, bottom, right) but got "
          + (padsTopLeftBottomRight == null ? "null" : Arrays.toString(padsTopLeftBottomRight)));
    }
    return new ConvParams(pair(op, "stride", stride), padsTopLeftBottomRight.clone(), pair(op, "dilation", dilation),
        groups, outputPadding == null ? new int[2] : pair(op, "output_padding", outputPadding), false);
  }

  public int[] stride() {
    return stride.clone();
  }

  public int[] pads() {
    return pads.clone();
  }

  public int[] dilation() {
    return dilation.clone();
  }

  public int groups() {
    return groups;
  }

  public int[] outputPadding() {
    return outputPadding.clone();
  }

  public boolean same() {
    return same;
  }

  @Override
  public String toString() {
    return "stride=" + Arrays.toString(stride) + ", pads(t,l,b,r)=" + (same ? "same" : Arrays.toString(pads))
        + ", dilation=" + Arrays.toString(dilation) + ", groups=" + groups + ", output_padding="
        + Arrays.toString(outputPadding);
  }

  /** One value for both dimensions or one per dimension, as PyTorch's _pair. */
  static int[] pair(String op, String arg, int[] v) {
    if (v == null || v.length < 1 || v.length > 2) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected one or two integers but got "
          + (v == null ? "null" : Arrays.toString(v)));
    }
    return v.length == 1 ? new int[] {v[0], v[0]} : v.clone();
  }

  static int[] parseInts(String op, String arg, String text, String expected) {
    try {
      return Arrays.stream(text.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected " + expected + " but got '" + text
          + "'");
    }
  }
}
