package io.detseg.models.faceapi;

import io.detseg.data.Images;
import io.detseg.ops.Resize;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;
import io.detseg.nativelib.NativeMemory;
import java.awt.image.BufferedImage;

/**
 * face-api's input pipeline: the RGB image padded with zeros at the bottom or right to a square of
 * side S = max(W, H), then resized to inputSize² with TensorFlow's legacy bilinear rule
 * (align_corners false, half_pixel_centers false: source = out · S / inputSize), as float32 NCHW.
 */
final class SquareInput {
  final int width;
  final int height;
  final int inputSize;
  /** face-api's "reshaped dimensions": round(W · inputSize / max(W, H)) and the same for H. */
  final int reshapedWidth;
  final int reshapedHeight;

  SquareInput(int width, int height, int inputSize) {
    this.width = width;
    this.height = height;
    this.inputSize = inputSize;
    double scale = inputSize / (double) Math.max(width, height);
    this.reshapedWidth = (int) Math.round(width * scale);
    this.reshapedHeight = (int) Math.round(height * scale);
  }

  /** [1, 3, inputSize, inputSize] float32 on the device, values 0..255 (before normalization). */
  Tensor resized(BufferedImage image, Device device) {
    int s = Math.max(width, height);
    try (Tensor square = padded(image, s); Tensor onDevice = device == Device.CPU ? null : square.to(device)) {
      Tensor src = onDevice == null ? square : onDevice;
      if (s == inputSize) {
        return src.to(device);
      }
      Resize.Spec spec = Resize.onnxSpec("resize", 1, 3, s, s, null, new long[] {1, 3, inputSize, inputSize},
          "linear", "asymmetric", null, -0.75f, false);
      return Resize.resize(src, spec);
    }
  }

  /** The image as float32 [1, 3, S, S] on the CPU, zero below and right of it. */
  private Tensor padded(BufferedImage image, int s) {
    byte[] rgb = Images.rgbBytes(image);
    Tensor t = Tensor.zeros(Device.CPU, DType.FLOAT32, 1, 3, s, s);
    long plane = (long) s * s;
    float[] row = new float[width];
    for (int c = 0; c < 3; c++) {
      for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
          row[x] = rgb[3 * (y * width + x) + c] & 0xff;
        }
        NativeMemory.fromFloats(row, 0, t.address() + 4L * (c * plane + (long) y * s), width);
      }
    }
    return t;
  }
}
