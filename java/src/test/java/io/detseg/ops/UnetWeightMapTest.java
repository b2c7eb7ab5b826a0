package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** U-Net weight maps: hand-checked cases and a randomized comparison with brute-force distances. */
class UnetWeightMapTest {
  @Test
  void twoPixelsOnALine() {
    // labels 1 0 0 0 0 0 2 (one row). Balanced weights: 7 pixels, 5 background, 2 foreground:
    // w_bg = 7 / (2 * 5) = 0.7, w_fg = 7 / (2 * 2) = 1.75.
    // Pixel x (1..5): d1 = min(x, 6 - x), d2 = max(x, 6 - x), so d1 + d2 = 6 everywhere between:
    // border = 10 * exp(-36 / (2 * 25)) = 10 * exp(-0.72) = 4.8675226.
    try (Tensor l = Tensor.of(new int[] {1, 0, 0, 0, 0, 0, 2}, 1, 7)) {
      float[] w = UnetWeightMap.weightMap(l, 10f, 5f).toFloatArray();
      double border = 10 * Math.exp(-0.72);
      assertEquals(1.75f, w[0], 1e-6f);
      assertEquals(1.75f, w[6], 1e-6f);
      for (int x = 1; x <= 5; x++) {
        assertEquals(0.7 + border, w[x], 1e-5, "pixel " + x);
      }
    }
  }

  @Test
  void touchingCellsAndExplicitClassWeights() {
    // 3 x 4:  1 1 0 2
    //         1 1 0 2
    //         0 0 0 0
    // Class weights (1, 1) given. Background pixel (0, 2): d1 = 1 (to cell 1 at (0,1) and to cell 2 at
    // (0,3)), d2 = 1: 1 + 10 exp(-4 / 50). Pixel (2, 0): to cell 1 (1,0) d = 1; to cell 2 (1,3):
    // sqrt(1 + 9) = 3.1623: 1 + 10 exp(-(4.1623)^2 / 50). Pixel (2, 3): cell 2 at (1,3) d = 1; cell 1 at
    // (1,1): sqrt(1 + 4) = 2.2361: 1 + 10 exp(-(3.2361)^2 / 50).
    int[] lab = {1, 1, 0, 2, 1, 1, 0, 2, 0, 0, 0, 0};
    try (Tensor l = Tensor.of(lab, 3, 4)) {
      float[] w = UnetWeightMap.weightMap(l, 10f, 5f, new float[] {1f, 1f}).toFloatArray();
      assertEquals(1 + 10 * Math.exp(-4.0 / 50), w[2], 1e-5);
      assertEquals(1 + 10 * Math.exp(-Math.pow(1 + Math.sqrt(10), 2) / 50), w[8], 1e-5);
      assertEquals(1 + 10 * Math.exp(-Math.pow(1 + Math.sqrt(5), 2) / 50), w[11], 1e-5);
      assertEquals(1f, w[0], 0f, "foreground: w_c only");
    }
  }

  @Test
  void fewerThanTwoInstancesHaveNoBorderTerm() {
    try (Scope s = Scope.open()) {
      // 8 pixels, 2 foreground: w_bg = 8 / 12, w_fg = 8 / 4
      float[] w = UnetWeightMap.weightMap(Tensor.of(new int[] {0, 3, 3, 0, 0, 0, 0, 0}, 2, 4), 10f, 5f).toFloatArray();
      assertArrayEquals(new float[] {8f / 12, 2, 2, 8f / 12, 8f / 12, 8f / 12, 8f / 12, 8f / 12}, w, 1e-6f);
      float[] empty = UnetWeightMap.weightMap(Tensor.of(new int[4], 2, 2), 10f, 5f).toFloatArray();
      assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, empty, 0f, "all background: 4 / (2 * 4)");
    }
  }

  @Test
  void randomImagesMatchBruteForceDistances() {
    Random rnd = new Random(5);
    int n = 2;
    int h = 23;
    int w = 31;
    int[] lab = new int[n * h * w];
    for (int img = 0; img < n; img++) {
      for (int k = 1; k <= 6; k++) {  // rectangles with sparse ids; later ones overwrite
        int y0 = rnd.nextInt(h - 4);
        int x0 = rnd.nextInt(w - 4);
        int hh = 1 + rnd.nextInt(5);
        int ww = 1 + rnd.nextInt(6);
        for (int y = y0; y < Math.min(h, y0 + hh); y++) {
          for (int x = x0; x < Math.min(w, x0 + ww); x++) {
            lab[img * h * w + y * w + x] = 10 * k + img;
          }
        }
      }
    }
    try (Tensor l = Tensor.of(lab, n, h, w)) {
      float[] got = UnetWeightMap.weightMap(l, 10f, 5f).toFloatArray();
      for (int img = 0; img < n; img++) {
        double[] expected = bruteForce(lab, img * h * w, h, w, 10, 5);
        for (int i = 0; i < h * w; i++) {
          assertEquals(expected[i], got[img * h * w + i], 1e-4 * Math.max(1, expected[i]), "image " + img + " pixel " + i);
        }
      }
    }
  }

  /** The definition, directly: balanced w_c, and for each background pixel the two smallest instance distances. */
  private static double[] bruteForce(int[] lab, int off, int h, int w, double w0, double sigma) {
    int fg = 0;
    java.util.TreeSet<Integer> ids = new java.util.TreeSet<>();
    for (int i = 0; i < h * w; i++) {
      if (lab[off + i] > 0) {
        fg++;
        ids.add(lab[off + i]);
      }
    }
    int bg = h * w - fg;
    double[] out = new double[h * w];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int i = y * w + x;
        if (lab[off + i] > 0) {
          out[i] = h * w / (2.0 * fg);
          continue;
        }
        out[i] = h * w / (2.0 * bg);
        if (ids.size() < 2) {
          continue;
        }
        double d1 = Double.MAX_VALUE;
        double d2 = Double.MAX_VALUE;
        for (int id : ids) {
          double best = Double.MAX_VALUE;
          for (int yy = 0; yy < h; yy++) {
            for (int xx = 0; xx < w; xx++) {
              if (lab[off + yy * w + xx] == id) {
                best = Math.min(best, Math.hypot(yy - y, xx - x));
              }
            }
          }
          if (best < d1) {
            d2 = d1;
            d1 = best;
          } else if (best < d2) {
            d2 = best;
          }
        }
        out[i] += w0 * Math.exp(-(d1 + d2) * (d1 + d2) / (2 * sigma * sigma));
      }
    }
    return out;
  }

  @Test
  void badArguments() {
    Devices.assumeUsable(Device.CUDA_SIM);
    try (Scope s = Scope.open()) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> UnetWeightMap.weightMap(Tensor.of(Device.CUDA_SIM, new int[4], 2, 2), 10f, 5f));
      assertTrue(e.getMessage().contains("expected device cpu"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> UnetWeightMap.weightMap(Tensor.of(new float[4], 2, 2), 10f, 5f));
      assertTrue(e.getMessage().contains("argument 'labels': expected dtype int32"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> UnetWeightMap.weightMap(Tensor.of(new int[4], 4), 10f, 5f));
      assertTrue(e.getMessage().contains("expected shape [H, W] or [N, H, W]"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> UnetWeightMap.weightMap(Tensor.of(new int[4], 2, 2), 10f, 0f));
      assertTrue(e.getMessage().contains("'sigma': expected a value > 0"), e.getMessage());
    }
  }
}
