package io.detseg.ops;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Finite-difference checks of the RoI backwards (GradCheck), on every backend and in both CUDA modes. */
class RoiGradCheckTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  private static final long[] SHAPE = {2, 3, 7, 8};

  // Boxes partly outside, degenerate, on either image, spanning bins of different sizes.
  private static final float[] BOXES = {
      0, 1.2f, 0.7f, 12.5f, 10.1f,
      1, -2.5f, 3.1f, 6.2f, 16.3f,
      0, 9.3f, 2.2f, 18.8f, 7.7f,
      1, 4.0f, 4.0f, 4.4f, 5.9f,
      0, 14.1f, 12.6f, 11.0f, 9.0f};

  private static float[] gaussian(int n, long seed) {
    Random rnd = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return v;
  }

  /** roi_align is linear in its input, so central differences are exact up to float rounding. */
  @ParameterizedTest
  @MethodSource("devices")
  void roiAlign(Device d) {
    Devices.assumeUsable(d);
    for (boolean aligned : new boolean[] {false, true}) {
      for (int sampling : new int[] {2, 0}) {
        for (boolean deterministic : d == Device.CPU ? new boolean[] {true} : new boolean[] {true, false}) {
          if (!deterministic && d == Device.CUDA_SIM) {
            continue;  // atomic mode needs a single simulator schedule: RoiAlignTest covers it
          }
          try (Scope s = Scope.open(); Tensor boxes = Tensor.of(d, BOXES, 5, 5)) {
            GradCheck.check("roi_align aligned=" + aligned + " sampling=" + sampling, d,
                gaussian((int) (2 * 3 * 7 * 8), 31), SHAPE,
                x -> Roi.roiAlign(x, boxes, new int[] {3, 2}, 0.5f, sampling, aligned),
                (g, x) -> Roi.roiAlignBackward(g, boxes, x.shape(), 0.5f, sampling, aligned, deterministic),
                1e-2f, 2e-3f);
          }
        }
      }
    }
  }

  /**
   * roi_pool is piecewise linear: the derivative jumps where the argmax of a bin changes. The input is
   * a permutation of values 0.1 apart and the step is 0.01, so no perturbation changes any argmax.
   */
  @ParameterizedTest
  @MethodSource("devices")
  void roiPool(Device d) {
    Devices.assumeUsable(d);
    int n = 2 * 3 * 7 * 8;
    List<Float> values = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      values.add(0.1f * i - 10f);
    }
    Collections.shuffle(values, new Random(32));
    float[] x0 = new float[n];
    for (int i = 0; i < n; i++) {
      x0[i] = values.get(i);
    }
    try (Scope s = Scope.open(); Tensor boxes = Tensor.of(d, BOXES, 5, 5)) {
      GradCheck.check("roi_pool", d, x0, SHAPE,
          x -> Roi.roiPool(x, boxes, new int[] {3, 2}, 0.5f).output(),
          (g, x) -> Roi.roiPoolBackward(g, boxes, Roi.roiPool(x, boxes, new int[] {3, 2}, 0.5f).argmax(), x.shape(),
              0.5f, true),
          1e-2f, 2e-3f);
    }
  }

  /** Multi-scale RoIAlign with respect to the finest level (RoIs spread over two levels). */
  @ParameterizedTest
  @MethodSource("devices")
  void multiScaleRoiAlign(Device d) {
    Devices.assumeUsable(d);
    float[] boxes = {0, 1, 1, 6, 5, 0, 2, 3, 30, 28, 0, 10, 4, 13, 7, 0, 0, 0, 26, 26};
    float[] coarse = gaussian(2 * 4 * 4, 34);
    try (Scope s = Scope.open(); Tensor b = Tensor.of(d, boxes, 4, 5); Tensor c = Tensor.of(d, coarse, 1, 2, 4, 4)) {
      float[] scales = {0.25f, 0.125f};
      GradCheck.check("multi_scale_roi_align", d, gaussian(2 * 8 * 8, 33), new long[] {1, 2, 8, 8},
          x -> Roi.multiScaleRoiAlignWithScales(List.of(x, c), b, new int[] {2, 2}, scales, 2, 16, 4, false),
          (g, x) -> Roi.multiScaleRoiAlignBackward(g, List.of(x, c), b, scales, 2, 16, 4, false, true).get(0),
          1e-2f, 2e-3f);
    }
  }
}
