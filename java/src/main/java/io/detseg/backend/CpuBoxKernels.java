package io.detseg.backend;

import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;

/** Box ops, anchors, box coding, matching and sampling on the CPU: native/cpu/boxes_*.cpp via {@link CpuBoxesNative}. */
final class CpuBoxKernels implements BoxKernels {
  @Override
  public void boxArea(Tensor boxes, Tensor out) {
    CpuBoxesNative.boxArea(boxes.address(), boxes.size(0), out.address());
  }

  @Override
  public void boxAreaBackward(Tensor grad, Tensor boxes, Tensor out) {
    CpuBoxesNative.boxAreaBackward(grad.address(), boxes.address(), boxes.size(0), out.address());
  }

  @Override
  public void generalizedBoxIou(Tensor boxes1, Tensor boxes2, Tensor out) {
    CpuBoxesNative.generalizedBoxIou(boxes1.address(), boxes1.size(0), boxes2.address(), boxes2.size(0),
        out.address());
  }

  @Override
  public void generalizedBoxIouBackward(Tensor grad, Tensor boxes1, Tensor boxes2, Tensor grad1, Tensor grad2) {
    CpuBoxesNative.generalizedBoxIouBackward(grad.address(), boxes1.address(), boxes1.size(0), boxes2.address(),
        boxes2.size(0), grad1.address(), grad2.address());
  }

  @Override
  public void clipBoxes(Tensor boxes, float height, float width, Tensor out) {
    CpuBoxesNative.clipBoxes(boxes.address(), boxes.numel(), height, width, out.address());
  }

  @Override
  public void clipBoxesBackward(Tensor grad, Tensor boxes, float height, float width, Tensor out) {
    CpuBoxesNative.clipBoxesBackward(grad.address(), boxes.address(), boxes.numel(), height, width, out.address());
  }

  @Override
  public void boxConvert(Tensor boxes, int inFmt, int outFmt, Tensor out) {
    CpuBoxesNative.boxConvert(boxes.address(), boxes.numel() / 4, inFmt, outFmt, out.address());
  }

  @Override
  public void boxConvertBackward(Tensor grad, int inFmt, int outFmt, Tensor out) {
    CpuBoxesNative.boxConvertBackward(grad.address(), grad.numel() / 4, inFmt, outFmt, out.address());
  }

  @Override
  public Tensor removeSmallBoxes(Tensor boxes, float minSize) {
    long n = boxes.size(0);
    try (Tensor all = Tensor.empty(Device.CPU, DType.INT32, n)) {
      long k = CpuBoxesNative.removeSmallBoxes(boxes.address(), n, minSize, all.address());
      Tensor out = Tensor.empty(Device.CPU, DType.INT32, k);
      if (k > 0) {
        copy(all, out, 4 * k);
      }
      return out;
    }
  }

  @Override
  public void anchorGrid(float[] sizes, float[] ratios, long gridH, long gridW, long strideH, long strideW, Tensor out,
      long firstBox) {
    try (Tensor s = Tensor.of(sizes); Tensor r = Tensor.of(ratios)) {
      CpuBoxesNative.anchorGrid(s.address(), sizes.length, r.address(), ratios.length, gridH, gridW, strideH, strideW,
          out.address() + 16 * firstBox);
    }
  }

  @Override
  public void ssdDefaultBoxes(float[] wh, long gridH, long gridW, float xf, float yf, float imageW, float imageH,
      Tensor out, long firstBox) {
    try (Tensor p = Tensor.of(wh)) {
      CpuBoxesNative.ssdDefaultBoxes(p.address(), wh.length / 2, gridH, gridW, xf, yf, imageW, imageH,
          out.address() + 16 * firstBox);
    }
  }

  @Override
  public void yoloDecode(Tensor input, float[] anchors, float imageH, float imageW, Tensor out) {
    long a = anchors.length / 2;
    try (Tensor t = Tensor.of(anchors)) {
      CpuBoxesNative.yoloDecode(input.address(), input.size(0), a, input.size(1) / a, input.size(2), input.size(3),
          t.address(), imageH, imageW, out.address());
    }
  }

  @Override
  public void encodeBoxes(Tensor reference, Tensor proposals, float[] weights, Tensor out) {
    try (Tensor w = Tensor.of(weights)) {
      CpuBoxesNative.encodeBoxes(reference.address(), proposals.address(), reference.size(0), w.address(),
          out.address());
    }
  }

  @Override
  public void decodeBoxes(Tensor relCodes, Tensor boxes, float[] weights, float clip, Tensor out) {
    try (Tensor w = Tensor.of(weights)) {
      CpuBoxesNative.decodeBoxes(relCodes.address(), boxes.address(), boxes.size(0), relCodes.size(1) / 4,
          w.address(), clip, out.address());
    }
  }

  @Override
  public void encodeBoxesSsd(Tensor reference, Tensor defaults, float v0, float v1, Tensor out) {
    CpuBoxesNative.encodeBoxesSsd(reference.address(), defaults.address(), reference.size(0), v0, v1, out.address());
  }

  @Override
  public void decodeBoxesSsd(Tensor relCodes, Tensor boxes, float v0, float v1, Tensor out) {
    CpuBoxesNative.decodeBoxesSsd(relCodes.address(), boxes.address(), boxes.size(0), relCodes.size(1) / 4, v0, v1,
        out.address());
  }

  @Override
  public void matchBoxes(Tensor quality, float high, float low, int mode, Tensor out) {
    CpuBoxesNative.matchBoxes(quality.address(), quality.size(0), quality.size(1), high, low, mode, out.address());
  }

  @Override
  public void samplePosNeg(Tensor labels, long batchSize, long maxPositive, long seed, Tensor posMask,
      Tensor negMask) {
    long n = labels.size(labels.dim() - 1);
    long rows = n == 0 ? 0 : labels.numel() / n;
    CpuBoxesNative.samplePosNeg(labels.address(), rows, n, batchSize, maxPositive, seed, posMask.address(),
        negMask.address());
  }

  @Override
  public void hardNegativeMining(Tensor loss, Tensor labels, float negPosRatio, Tensor mask, Tensor negMask) {
    long n = loss.size(loss.dim() - 1);
    long rows = n == 0 ? 0 : loss.numel() / n;
    CpuBoxesNative.hardNegativeMining(loss.address(), labels.address(), rows, n, negPosRatio, mask.address(),
        negMask.address());
  }

  private static void copy(Tensor from, Tensor to, long bytes) {
    to.backend().copyWithin(from.address(), to.address(), bytes);
  }
}
