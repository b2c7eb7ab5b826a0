package io.detseg.backend;

import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;

/** Non-maximum suppression: greedy, batched, soft, ONNX NonMaxSuppression on the CPU (native/cpu/nms*.cpp). */
final class CpuNmsKernels implements NmsKernels {
  @Override
  public Tensor nms(Tensor boxes, Tensor scores, Tensor idxs, float iouThreshold, boolean useScoreThreshold,
      float scoreThreshold, long maxOutput) {
    long n = boxes.size(0);
    try (Tensor keep = Tensor.empty(Device.CPU, DType.INT32, n)) {
      long k = CpuNmsNative.nms(boxes.address(), scores.address(), idxs == null ? 0 : idxs.address(), n,
          iouThreshold, useScoreThreshold, scoreThreshold, maxOutput, keep.address());
      return prefix(keep, k, k);
    }
  }

  @Override
  public Tensor onnxNonMaxSuppression(Tensor boxes, Tensor scores, int centerPointBox, long maxPerClass,
      float iouThreshold, boolean useScoreThreshold, float scoreThreshold) {
    long batches = boxes.size(0);
    long n = boxes.size(1);
    long classes = scores.size(1);
    long room = batches * classes * Math.min(n, maxPerClass);
    try (Tensor triples = Tensor.empty(Device.CPU, DType.INT32, room, 3)) {
      long k = CpuNmsNative.onnxNms(boxes.address(), scores.address(), batches, classes, n, centerPointBox,
          maxPerClass, iouThreshold, useScoreThreshold, scoreThreshold, triples.address());
      return prefix(triples, 3 * k, k, 3);
    }
  }

  @Override
  public Tensor[] softNms(Tensor boxes, Tensor scores, float sigma, float iouThreshold, float scoreThreshold,
      int method) {
    long n = boxes.size(0);
    try (Tensor keep = Tensor.empty(Device.CPU, DType.INT32, n);
        Tensor kept = Tensor.empty(Device.CPU, DType.FLOAT32, n)) {
      long k = CpuNmsNative.softNms(boxes.address(), scores.address(), n, sigma, iouThreshold, scoreThreshold,
          method, keep.address(), kept.address());
      Tensor outKeep = prefix(keep, k, k);
      try {
        return new Tensor[] {outKeep, prefix(kept, k, k)};
      } catch (RuntimeException e) {
        outKeep.close();
        throw e;
      }
    }
  }

  /** A new tensor of the given shape holding the first {@code elements} elements of src. */
  private static Tensor prefix(Tensor src, long elements, long... shape) {
    Tensor out = Tensor.empty(Device.CPU, src.dtype(), shape);
    if (elements > 0) {
      src.backend().copyWithin(src.address(), out.address(), elements * src.dtype().byteSize());
    }
    return out;
  }
}
