package io.detseg.ops;

import io.detseg.backend.NnKernels;
import io.detseg.tensor.DType;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * Upsampling and resizing of [N, C, H, W] float32 tensors, with backwards:
 * <ul>
 *   <li>{@link #interpolate}: torch.nn.functional.interpolate (PyTorch 1.13) with mode 'nearest',
 *       'nearest-exact', 'bilinear' or 'bicubic' (A = -0.75, border clamped), align_corners,
 *       scale_factor or size, recompute_scale_factor;</li>
 *   <li>{@link #resize}: ONNX Resize (opset 11-13): mode nearest / linear / cubic,
 *       coordinate_transformation_mode half_pixel, pytorch_half_pixel, align_corners or asymmetric,
 *       nearest_mode, cubic_coeff_a, exclude_outside, with ONNX's reference arithmetic (coordinates
 *       divided by the forward scale in double; align_corners with the unfloored length in * scale)
 *       (tf_half_pixel_for_nn and tf_crop_and_resize are rejected);</li>
 *   <li>{@link #bedOfNails}: zero insertion, the input at every (sH, sW)-th output position.</li>
 * </ul>
 * Interpolation taps are defined once, in kernels/include/detseg/nn_resize_math.cuh, for both backends.
 */
public final class Resize {
  private Resize() {}

  /** A resolved resize: output size and the per-axis parameters the kernels take. */
  public record Spec(int outH, int outW, float scaleH, float scaleW, int mode, int coord, int nearest, float cubicA,
      boolean excludeOutside) {
    NnKernels.Resize2d geometry(long planes, long inH, long inW) {
      return new NnKernels.Resize2d(planes, (int) inH, (int) inW, outH, outW, scaleH, scaleW, mode, coord, nearest,
          cubicA, excludeOutside);
    }
  }

  // ---- PyTorch: F.interpolate -------------------------------------------------------------------------

  /**
   * The spec of torch.nn.functional.interpolate(input, size, scale_factor, mode, align_corners,
   * recompute_scale_factor) for a 4-D input of h x w. size and scaleFactor: null, one value or two;
   * exactly one must be given. alignCorners / recomputeScaleFactor: null means None.
   */
  public static Spec interpolateSpec(String op, long h, long w, long[] size, double[] scaleFactor, String mode,
      Boolean alignCorners, Boolean recomputeScaleFactor) {
    String m = mode == null ? "nearest" : mode;
    boolean linear = m.equals("bilinear") || m.equals("bicubic");
    if (!linear && !m.equals("nearest") && !m.equals("nearest-exact")) {
      throw NnChecks.error(op, "mode", "'nearest', 'nearest-exact', 'bilinear' or 'bicubic' for a 4-D input", "'" + m
          + "'");
    }
    if (!linear && alignCorners != null) {
      throw NnChecks.error(op, "align_corners", "None: align_corners can only be set with the interpolating modes "
          + "(bilinear, bicubic)", alignCorners.toString());
    }
    boolean align = alignCorners != null && alignCorners;
    boolean haveSize = size != null && size.length > 0;
    boolean haveScale = scaleFactor != null && scaleFactor.length > 0;
    if (haveSize == haveScale) {
      throw NnChecks.error(op, "size/scale_factor", "exactly one of size and scale_factor",
          haveSize ? "both" : "neither");
    }
    long[] in = {h, w};
    long[] out = new long[2];
    double[] scales = null;
    if (haveSize) {
      if (size.length != 1 && size.length != 2) {
        throw NnChecks.error(op, "size", "one or two values (2 spatial dimensions)", Arrays.toString(size));
      }
      out[0] = size[0];
      out[1] = size[size.length - 1];
      if (Boolean.TRUE.equals(recomputeScaleFactor)) {
        throw NnChecks.error(op, "recompute_scale_factor", "None or False with an explicit size (it is not meaningful)",
            "True");
      }
    } else {
      if (scaleFactor.length != 1 && scaleFactor.length != 2) {
        throw NnChecks.error(op, "scale_factor", "one or two values (2 spatial dimensions)",
            Arrays.toString(scaleFactor));
      }
      scales = new double[] {scaleFactor[0], scaleFactor[scaleFactor.length - 1]};
      for (int a = 0; a < 2; a++) {
        if (!(scales[a] > 0) || Double.isInfinite(scales[a])) {
          throw NnChecks.error(op, "scale_factor", "positive finite values", Arrays.toString(scaleFactor));
        }
        out[a] = (long) Math.floor((double) in[a] * scales[a]);
      }
      if (Boolean.TRUE.equals(recomputeScaleFactor)) {
        scales = null;  // the kernels then use in / out, as PyTorch does
      }
    }
    checkSizes(op, h, w, out[0], out[1]);
    float[] sc = new float[2];
    for (int a = 0; a < 2; a++) {
      if (linear && align) {
        sc[a] = out[a] > 1 ? (float) (in[a] - 1) / (float) (out[a] - 1) : 0f;
      } else {
        sc[a] = scales != null ? (float) (1.0 / scales[a]) : (float) in[a] / (float) out[a];
      }
    }
    int kmode = m.equals("bilinear") ? NnKernels.MODE_LINEAR
        : m.equals("bicubic") ? NnKernels.MODE_CUBIC : NnKernels.MODE_NEAREST;
    int coord = align ? NnKernels.COORD_ALIGN_CORNERS : NnKernels.COORD_HALF_PIXEL;
    int nearest = m.equals("nearest-exact") ? NnKernels.NEAREST_TORCH_EXACT : NnKernels.NEAREST_TORCH;
    return new Spec((int) out[0], (int) out[1], sc[0], sc[1], kmode, coord, nearest, -0.75f, false);
  }

  /** torch.nn.functional.interpolate for a 4-D [N, C, H, W] input (see {@link #interpolateSpec}). */
  public static Tensor interpolate(Tensor input, long[] size, double[] scaleFactor, String mode, Boolean alignCorners,
      Boolean recomputeScaleFactor) {
    NnChecks.image4("interpolate", "input", input);
    Spec spec = interpolateSpec("interpolate", input.size(2), input.size(3), size, scaleFactor, mode, alignCorners,
        recomputeScaleFactor);
    return resize(input, spec);
  }

  public static Tensor interpolateBackward(Tensor gradOutput, Tensor input, long[] size, double[] scaleFactor,
      String mode, Boolean alignCorners, Boolean recomputeScaleFactor) {
    NnChecks.image4("interpolate_backward", "input", input);
    Spec spec = interpolateSpec("interpolate_backward", input.size(2), input.size(3), size, scaleFactor, mode,
        alignCorners, recomputeScaleFactor);
    return resizeBackward(gradOutput, input, spec);
  }

  // ---- ONNX: Resize -----------------------------------------------------------------------------------

  /**
   * The spec of ONNX Resize for a 4-D input of h x w: scales (4 values, N and C must be 1) or sizes (4
   * values, N and C unchanged), exactly one given.
   */
  public static Spec onnxSpec(String op, long n, long c, long h, long w, float[] scales, long[] sizes, String mode,
      String coordinateTransformationMode, String nearestMode, float cubicCoeffA, boolean excludeOutside) {
    String m = mode == null ? "nearest" : mode.toLowerCase(Locale.ROOT);
    int kmode;
    switch (m) {
      case "nearest":
        kmode = NnKernels.MODE_NEAREST;
        break;
      case "linear":
        kmode = NnKernels.MODE_LINEAR;
        break;
      case "cubic":
        kmode = NnKernels.MODE_CUBIC;
        break;
      default:
        throw NnChecks.error(op, "mode", "nearest, linear or cubic", "'" + mode + "'");
    }
    String ct = coordinateTransformationMode == null ? "half_pixel" : coordinateTransformationMode;
    int coord;
    switch (ct) {
      case "half_pixel":
        coord = NnKernels.COORD_ONNX_HALF_PIXEL;
        break;
      case "pytorch_half_pixel":
        coord = NnKernels.COORD_ONNX_PYTORCH_HALF_PIXEL;
        break;
      case "align_corners":
        coord = NnKernels.COORD_ONNX_ALIGN_CORNERS;
        break;
      case "asymmetric":
        coord = NnKernels.COORD_ONNX_ASYMMETRIC;
        break;
      default:
        throw NnChecks.error(op, "coordinate_transformation_mode",
            "half_pixel, pytorch_half_pixel, align_corners or asymmetric (tf_half_pixel_for_nn and tf_crop_and_resize "
                + "are not supported)", "'" + ct + "'");
    }
    String nm = nearestMode == null ? "round_prefer_floor" : nearestMode;
    int nearest;
    switch (nm) {
      case "round_prefer_floor":
        nearest = NnKernels.NEAREST_ROUND_PREFER_FLOOR;
        break;
      case "round_prefer_ceil":
        nearest = NnKernels.NEAREST_ROUND_PREFER_CEIL;
        break;
      case "floor":
        nearest = NnKernels.NEAREST_FLOOR;
        break;
      case "ceil":
        nearest = NnKernels.NEAREST_CEIL;
        break;
      default:
        throw NnChecks.error(op, "nearest_mode", "round_prefer_floor, round_prefer_ceil, floor or ceil", "'" + nm + "'");
    }
    boolean haveScales = scales != null && scales.length > 0;
    boolean haveSizes = sizes != null && sizes.length > 0;
    if (haveScales == haveSizes) {
      throw NnChecks.error(op, "scales/sizes", "exactly one of scales and sizes", haveScales ? "both" : "neither");
    }
    long[] in = {h, w};
    long[] out = new long[2];
    float[] sc = new float[2];
    if (haveScales) {
      if (scales.length != 4 || scales[0] != 1f || scales[1] != 1f) {
        throw NnChecks.error(op, "scales", "4 values with scales[0] = scales[1] = 1 (only H and W are resized)",
            Arrays.toString(scales));
      }
      for (int a = 0; a < 2; a++) {
        float s = scales[a + 2];
        if (!(s > 0) || Float.isInfinite(s)) {
          throw NnChecks.error(op, "scales", "positive finite values", Arrays.toString(scales));
        }
        out[a] = (long) Math.floor((double) in[a] * s);
        sc[a] = s;
      }
    } else {
      if (sizes.length != 4 || sizes[0] != n || sizes[1] != c) {
        throw NnChecks.error(op, "sizes", "4 values [" + n + ", " + c + ", H, W] (only H and W are resized)",
            Arrays.toString(sizes));
      }
      out[0] = sizes[2];
      out[1] = sizes[3];
      checkSizes(op, h, w, out[0], out[1]);
      sc[0] = (float) ((double) out[0] / h);
      sc[1] = (float) ((double) out[1] / w);
    }
    checkSizes(op, h, w, out[0], out[1]);
    // The kernels take ONNX's forward scale (COORD_ONNX_*: coordinates divided by it in double).
    return new Spec((int) out[0], (int) out[1], sc[0], sc[1], kmode, coord, nearest, cubicCoeffA, excludeOutside);
  }

  private static void checkSizes(String op, long h, long w, long oh, long ow) {
    if (oh < 1 || ow < 1) {
      throw NnChecks.error(op, "size", "output sizes greater than 0 (input " + h + " x " + w + ")", oh + " x " + ow);
    }
    NnChecks.planeFits(op, "output size", oh, ow);
  }

  // ---- the op ---------------------------------------------------------------------------------------

  /** Resizes the last two dimensions of a 4-D input as the spec says. */
  public static Tensor resize(Tensor input, Spec spec) {
    String op = "resize";
    NnChecks.image4(op, "input", input);
    NnChecks.planeFits(op, "input", input.size(2), input.size(3));
    if (input.size(2) == 0 || input.size(3) == 0) {
      throw NnChecks.error(op, "input", "non-empty H and W", Shapes.format(input.shape()));
    }
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, input.size(0), input.size(1), spec.outH(), spec.outW());
    if (out.numel() > 0) {
      input.backend().nn().resize(input, out, spec.geometry(input.size(0) * input.size(1), input.size(2),
          input.size(3)));
    }
    return out;
  }

  public static Tensor resizeBackward(Tensor gradOutput, Tensor input, Spec spec) {
    String op = "resize_backward";
    NnChecks.image4(op, "input", input);
    NnChecks.planeFits(op, "input", input.size(2), input.size(3));
    Checks.dtype(op, "grad_output", gradOutput, DType.FLOAT32);
    Checks.sameDevice(op, "grad_output", gradOutput, "input", input);
    NnChecks.shape(op, "grad_output", gradOutput, input.size(0), input.size(1), spec.outH(), spec.outW());
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (gi.numel() > 0) {
      input.backend().nn().resizeBackward(gradOutput, gi, spec.geometry(input.size(0) * input.size(1), input.size(2),
          input.size(3)));
    }
    return gi;
  }

  // ---- bed of nails -----------------------------------------------------------------------------------

  /**
   * "Bed of nails" upsampling: output [N, C, H * sH, W * sW] with output[.., y * sH, x * sW] =
   * input[.., y, x] and zeros elsewhere. scaleFactor: one int or two, each >= 1.
   */
  public static Tensor bedOfNails(Tensor input, int[] scaleFactor) {
    String op = "upsample_bed_of_nails";
    NnChecks.image4(op, "input", input);
    int[] s = NnChecks.pair(op, "scale_factor", scaleFactor, 1);
    long oh = input.size(2) * s[0];
    long ow = input.size(3) * s[1];
    NnChecks.planeFits(op, "output", oh, ow);
    Tensor out = Tensor.empty(input.device(), DType.FLOAT32, input.size(0), input.size(1), oh, ow);
    if (out.numel() > 0) {
      input.backend().nn().bedOfNails(input, out, input.size(0) * input.size(1), (int) input.size(2),
          (int) input.size(3), s[0], s[1]);
    }
    return out;
  }

  public static Tensor bedOfNailsBackward(Tensor gradOutput, Tensor input, int[] scaleFactor) {
    String op = "upsample_bed_of_nails_backward";
    NnChecks.image4(op, "input", input);
    int[] s = NnChecks.pair(op, "scale_factor", scaleFactor, 1);
    Checks.dtype(op, "grad_output", gradOutput, DType.FLOAT32);
    Checks.sameDevice(op, "grad_output", gradOutput, "input", input);
    long oh = input.size(2) * s[0];
    long ow = input.size(3) * s[1];
    NnChecks.planeFits(op, "output", oh, ow);
    NnChecks.shape(op, "grad_output", gradOutput, input.size(0), input.size(1), oh, ow);
    Tensor gi = Tensor.empty(input.device(), DType.FLOAT32, input.shape());
    if (gi.numel() > 0) {
      input.backend().nn().bedOfNailsBackward(gradOutput, gi, input.size(0) * input.size(1), (int) input.size(2),
          (int) input.size(3), s[0], s[1]);
    }
    return gi;
  }
}
