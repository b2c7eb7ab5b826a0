package io.detseg.ops;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad RoI calls fail in Java with a message naming the op, the argument, what was expected and what
 * came; batch indices and argmax values live on the device and are checked there, on every backend.
 */
class RoiBadInputTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  @ParameterizedTest
  @MethodSource("devices")
  void badShapesSizesAndIndices(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(d, new float[2 * 3 * 5 * 6], 2, 3, 5, 6);
      Tensor ok = Tensor.of(d, new float[] {1, 0, 0, 4, 4}, 1, 5);
      Tensor four = Tensor.of(d, new float[] {0, 0, 4, 4}, 1, 4);
      int[] size = {2, 2};
      expect(() -> Roi.roiAlign(x, four, size, 1f, 2, false), "roi_align: argument 'boxes': expected shape [K, 5]",
          "got [1, 4]");
      expect(() -> Roi.roiAlign(x, Tensor.of(d, new float[5], 5), size, 1f, 2, false), "'boxes'", "got [5]");
      expect(() -> Roi.roiPool(x, four, size, 1f), "roi_pool: argument 'boxes': expected shape [K, 5]");
      expect(() -> Roi.roiAlign(Tensor.of(d, new float[30], 5, 6), ok, size, 1f, 2, false),
          "roi_align: argument 'input': expected a 4-D tensor", "got [5, 6]");
      expect(() -> Roi.roiAlign(x, Tensor.of(d, new int[5], 1, 5), size, 1f, 2, false),
          "argument 'boxes': expected dtype float32 but got int32");
      // batch indices: column 0 truncates into [0, N) or the call fails, naming the row and the value
      expect(() -> Roi.roiAlign(x, Tensor.of(d, new float[] {0, 0, 0, 1, 1, 2, 0, 0, 4, 4}, 2, 5), size, 1f, 2, false),
          "roi_align: argument 'boxes': expected batch indices (column 0) in [0, 2)", "row 1 has 2.0");
      expect(() -> Roi.roiAlign(x, Tensor.of(d, new float[] {-1, 0, 0, 4, 4}, 1, 5), size, 1f, 2, false),
          "row 0 has -1.0");
      expect(() -> Roi.roiPool(x, Tensor.of(d, new float[] {Float.NaN, 0, 0, 4, 4}, 1, 5), size, 1f),
          "roi_pool: argument 'boxes': expected batch indices", "row 0 has NaN");
      expect(() -> Roi.roiAlignBackward(Tensor.of(d, new float[12], 1, 3, 2, 2),
          Tensor.of(d, new float[] {7, 0, 0, 4, 4}, 1, 5), x.shape(), 1f, 2, false, true),
          "roi_align_backward: argument 'boxes': expected batch indices", "row 0 has 7.0");
      // -0.5 truncates to 0, as torchvision's C cast does: accepted
      Roi.roiAlign(x, Tensor.of(d, new float[] {-0.5f, 0, 0, 4, 4}, 1, 5), size, 1f, 2, false).close();
      // negative or missing sizes
      expect(() -> Roi.roiAlign(x, ok, new int[] {-1, 2}, 1f, 2, false),
          "roi_align: argument 'output_size': expected positive sizes but got [-1, 2]");
      expect(() -> Roi.roiPool(x, ok, new int[] {0}, 1f), "roi_pool: argument 'output_size'");
      expect(() -> Roi.roiAlign(x, ok, new int[] {1, 2, 3}, 1f, 2, false), "expected one int or two");
      expect(() -> Roi.roiAlignBackward(Tensor.of(d, new float[12], 1, 3, 2, 2), ok, new long[] {2, 3, -5, 6}, 1f, 2,
          false, true), "roi_align_backward: argument 'input_shape': expected non-negative sizes");
      expect(() -> Roi.roiAlignBackward(Tensor.of(d, new float[8], 1, 2, 2, 2), ok, x.shape(), 1f, 2, false, true),
          "roi_align_backward: argument 'grad_output': expected shape [K, 3, PH, PW]");
      expect(() -> Roi.roiAlignBackward(Tensor.of(d, new float[24], 2, 3, 2, 2), ok, x.shape(), 1f, 2, false, true),
          "argument 'boxes': expected 2 rows");
      expect(() -> Roi.roiAlign(x, ok, size, Float.NaN, 2, false), "argument 'spatial_scale': expected a finite");
      // argmax values outside [-1, H*W)
      Tensor g = Tensor.of(d, new float[12], 1, 3, 2, 2);
      expect(() -> Roi.roiPoolBackward(g, ok, Tensor.of(d, new int[] {0, 1, 2, 30, -1, 0, 0, 0, 0, 0, 0, 0}, 1, 3, 2, 2),
          x.shape(), 1f, true), "roi_pool_backward: argument 'argmax': expected values in [-1, 30)",
          "element 3 is 30");
      expect(() -> Roi.roiPoolBackward(g, ok, Tensor.of(d, new int[] {0, 1, 2, 3, -2, 0, 0, 0, 0, 0, 0, 0}, 1, 3, 2, 2),
          x.shape(), 1f, false), "element 4 is -2");
      expect(() -> Roi.roiPoolBackward(g, ok, Tensor.of(d, new float[12], 1, 3, 2, 2), x.shape(), 1f, true),
          "argument 'argmax': expected dtype int32");
      // multi-scale: scales must be consecutive powers of two, features agree
      List<Tensor> feats = List.of(x, Tensor.of(d, new float[2 * 3 * 3 * 3], 2, 3, 3, 3));
      expect(() -> Roi.multiScaleRoiAlignWithScales(feats, ok, size, new float[] {0.25f, 0.25f}, 2, 224, 4, false),
          "multi_scale_roi_align: argument 'scales': expected each level to halve");
      expect(() -> Roi.multiScaleRoiAlignWithScales(feats, ok, size, new float[] {0.3f, 0.15f}, 2, 224, 4, false),
          "expected powers of two");
      expect(() -> Roi.multiScaleRoiAlignWithScales(feats, ok, size, new float[] {0.25f}, 2, 224, 4, false),
          "expected 2 scales");
      expect(() -> Roi.multiScaleRoiAlign(List.of(x, Tensor.of(d, new float[4 * 9], 1, 4, 3, 3)), ok, size, 2,
          new int[] {20, 24}, 224, 4, false), "argument 'features[1]': expected N=2 and C=3");
      expect(() -> Roi.multiScaleRoiAlign(List.of(), ok, size, 2, new int[] {20, 24}, 224, 4, false),
          "expected at least one feature map");
      expect(() -> Roi.multiScaleRoiAlign(feats, ok, size, 2, new int[] {20}, 224, 4, false),
          "argument 'image_size': expected two positive ints");
      // ONNX: batch_indices live on the device too
      expect(() -> Roi.onnxRoiAlign(x, four, Tensor.of(d, new int[] {2}, 1), "avg", 2, 2, 0, 1f, "half_pixel"),
          "onnx_roi_align: argument 'batch_indices': expected values in [0, 2)", "element 0 is 2");
      expect(() -> Roi.onnxRoiAlign(x, four, Tensor.of(d, new int[] {0, 0}, 2), "avg", 2, 2, 0, 1f, "half_pixel"),
          "argument 'batch_indices': expected shape [1]");
      expect(() -> Roi.onnxRoiAlign(x, four, Tensor.of(d, new int[] {0}, 1), "max", 2, 2, 0, 1f, "half_pixel"),
          "attribute 'mode': expected 'avg' (mode 'max' is not implemented)");
      expect(() -> Roi.onnxRoiAlign(x, four, Tensor.of(d, new int[] {0}, 1), "avg", 2, 2, 0, 1f, "asymmetric"),
          "attribute 'coordinate_transformation_mode'");
      expect(() -> Roi.onnxRoiAlign(x, ok, Tensor.of(d, new int[] {0}, 1), "avg", 2, 2, 0, 1f, "half_pixel"),
          "argument 'rois': expected shape [N, 4]");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void mismatchedDevices(Device d) {
    Devices.assumeUsable(d);
    Device other = d == Device.CPU ? Device.CUDA_SIM : Device.CPU;
    Devices.assumeUsable(other);
    try (Scope s = Scope.open()) {
      Tensor x = Tensor.of(d, new float[2 * 3 * 5 * 6], 2, 3, 5, 6);
      Tensor boxes = Tensor.of(other, new float[] {1, 0, 0, 4, 4}, 1, 5);
      expect(() -> Roi.roiAlign(x, boxes, new int[] {2, 2}, 1f, 2, false),
          "roi_align: argument 'boxes': expected device " + d, "got " + other);
      expect(() -> Roi.roiPool(x, boxes, new int[] {2, 2}, 1f), "roi_pool: argument 'boxes': expected device");
      Tensor g = Tensor.of(d, new float[12], 1, 3, 2, 2);
      expect(() -> Roi.roiAlignBackward(g, boxes, x.shape(), 1f, 2, false, true),
          "roi_align_backward: argument 'boxes': expected device");
      Tensor argmax = Tensor.zeros(other, DType.INT32, 1, 3, 2, 2);
      expect(() -> Roi.roiPoolBackward(g, Tensor.of(d, new float[] {1, 0, 0, 4, 4}, 1, 5), argmax, x.shape(), 1f, true),
          "roi_pool_backward: argument 'argmax': expected device");
      expect(() -> Roi.multiScaleRoiAlignWithScales(List.of(x, Tensor.of(other, new float[2 * 3 * 9], 2, 3, 3, 3)),
          Tensor.of(d, new float[] {1, 0, 0, 4, 4}, 1, 5), new int[] {2, 2}, new float[] {0.25f, 0.125f}, 2, 224, 4,
          false), "argument 'features[1]': expected device");
      expect(() -> Roi.onnxRoiAlign(x, Tensor.of(d, new float[] {0, 0, 4, 4}, 1, 4), Tensor.of(other, new int[] {0}, 1),
          "avg", 2, 2, 0, 1f, "half_pixel"), "argument 'batch_indices': expected device");
    }
  }

  private static void expect(Executable call, String... fragments) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    for (String f : fragments) {
      assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
    }
  }
}
