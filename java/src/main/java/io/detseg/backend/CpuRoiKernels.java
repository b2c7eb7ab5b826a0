package io.detseg.backend;

import io.detseg.tensor.Tensor;

/** RoIPool and RoIAlign, forward and backward, single and multi-level on the CPU (native/cpu/roi_*.cpp). */
final class CpuRoiKernels implements RoiKernels {
  private static long addr(Tensor t) {
    return t == null ? 0L : t.address();
  }

  @Override
  public void roiAlignForward(Tensor input, Tensor boxes, Tensor batchIndices, Tensor levels, int level, int pooledH,
      int pooledW, float spatialScale, int samplingRatio, boolean aligned, Tensor output) {
    CpuRoiNative.roiAlignForward(input.address(), input.size(0), input.size(1), input.size(2), input.size(3),
        boxes.address(), boxes.size(1), addr(batchIndices), boxes.size(0), addr(levels), level, pooledH, pooledW,
        spatialScale, samplingRatio, aligned, output.address());
  }

  @Override
  public void roiAlignBackward(Tensor gradOutput, Tensor boxes, Tensor batchIndices, Tensor levels, int level,
      int pooledH, int pooledW, float spatialScale, int samplingRatio, boolean aligned, boolean deterministic,
      Tensor gradInput) {
    CpuRoiNative.roiAlignBackward(gradOutput.address(), boxes.address(), boxes.size(1), addr(batchIndices),
        boxes.size(0), addr(levels), level, gradInput.size(0), gradInput.size(1), gradInput.size(2),
        gradInput.size(3), pooledH, pooledW, spatialScale, samplingRatio, aligned, gradInput.address());
  }

  @Override
  public void roiPoolForward(Tensor input, Tensor boxes, Tensor batchIndices, int pooledH, int pooledW,
      float spatialScale, Tensor output, Tensor argmax) {
    CpuRoiNative.roiPoolForward(input.address(), input.size(0), input.size(1), input.size(2), input.size(3),
        boxes.address(), boxes.size(1), addr(batchIndices), boxes.size(0), pooledH, pooledW, spatialScale,
        output.address(), argmax.address());
  }

  @Override
  public void roiPoolBackward(Tensor gradOutput, Tensor boxes, Tensor batchIndices, Tensor argmax,
      float spatialScale, boolean deterministic, Tensor gradInput) {
    CpuRoiNative.roiPoolBackward(gradOutput.address(), argmax.address(), boxes.address(), boxes.size(1),
        addr(batchIndices), boxes.size(0), gradInput.size(0), gradInput.size(1), gradInput.size(2),
        gradInput.size(3), (int) gradOutput.size(2), (int) gradOutput.size(3), gradInput.address());
  }

  @Override
  public void fpnLevels(Tensor boxes, Tensor batchIndices, int kMin, int kMax, float canonicalScale,
      float canonicalLevel, float eps, Tensor levels) {
    CpuRoiNative.fpnLevels(boxes.address(), boxes.size(1), addr(batchIndices), boxes.size(0), kMin, kMax,
        canonicalScale, canonicalLevel, eps, levels.address());
  }

  @Override
  public long firstInvalidBatchIndex(Tensor boxes, int numImages) {
    return CpuRoiNative.firstBadBatch(boxes.address(), boxes.size(0), boxes.size(1), numImages);
  }

  @Override
  public long firstOutOfRange(Tensor values, int lo, int hi) {
    return CpuRoiNative.firstOutOfRange(values.address(), values.numel(), lo, hi);
  }
}
