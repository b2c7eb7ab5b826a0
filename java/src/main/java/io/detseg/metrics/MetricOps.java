package io.detseg.metrics;

import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Tensor adapters of the metrics for `detseg op` (CPU tensors): detections as rows (image, category,
 * score, x1, y1, x2, y2), ground truth as rows (image, category, x1, y1, x2, y2, flags) with flags bit 0 =
 * crowd (COCO) and bit 1 = difficult (VOC).
 */
public final class MetricOps {
  private MetricOps() {}

  static void cpu(String op, String arg, Tensor t, DType dtype) {
    if (t == null || t.dtype() != dtype || t.device() != Device.CPU) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected a " + dtype.label()
          + " tensor on the cpu but got " + t);
    }
  }

  public static List<DetectionMetrics.Detection> detections(String op, Tensor t) {
    cpu(op, "detections", t, DType.FLOAT32);
    if (t.dim() != 2 || t.size(1) != 7) {
      throw new IllegalArgumentException(op + ": argument 'detections': expected shape [D, 7] (image, category,"
          + " score, x1, y1, x2, y2) but got " + Shapes.format(t.shape()));
    }
    float[] v = t.toFloatArray();
    List<DetectionMetrics.Detection> out = new ArrayList<>();
    for (int i = 0; i < t.size(0); i++) {
      out.add(new DetectionMetrics.Detection((int) v[7 * i], (int) v[7 * i + 1], v[7 * i + 2], v[7 * i + 3],
          v[7 * i + 4], v[7 * i + 5], v[7 * i + 6]));
    }
    return out;
  }

  public static List<DetectionMetrics.GroundTruth> groundTruth(String op, Tensor t) {
    cpu(op, "ground_truth", t, DType.FLOAT32);
    if (t.dim() != 2 || t.size(1) != 7) {
      throw new IllegalArgumentException(op + ": argument 'ground_truth': expected shape [G, 7] (image, category,"
          + " x1, y1, x2, y2, flags) but got " + Shapes.format(t.shape()));
    }
    float[] v = t.toFloatArray();
    List<DetectionMetrics.GroundTruth> out = new ArrayList<>();
    for (int i = 0; i < t.size(0); i++) {
      int flags = (int) v[7 * i + 6];
      out.add(new DetectionMetrics.GroundTruth((int) v[7 * i], (int) v[7 * i + 1], v[7 * i + 2], v[7 * i + 3],
          v[7 * i + 4], v[7 * i + 5], (flags & 1) != 0, (flags & 2) != 0, Double.NaN, null));
    }
    return out;
  }

  /** Pairwise IoU of binary masks a [N, H, W] and b [M, H, W] (uint8) -> float [N, M] (via RLE). */
  public static Tensor maskIou(Tensor a, Tensor b) {
    String op = "mask_iou";
    cpu(op, "masks1", a, DType.UINT8);
    cpu(op, "masks2", b, DType.UINT8);
    if (a.dim() != 3 || b.dim() != 3 || a.size(1) != b.size(1) || a.size(2) != b.size(2)) {
      throw new IllegalArgumentException(op + ": expected masks1 [N, H, W] and masks2 [M, H, W] of the same H, W but"
          + " got " + Shapes.format(a.shape()) + " and " + Shapes.format(b.shape()));
    }
    int h = (int) a.size(1);
    int w = (int) a.size(2);
    MaskRle[] ra = rles(a, h, w);
    MaskRle[] rb = rles(b, h, w);
    float[] out = new float[ra.length * rb.length];
    for (int i = 0; i < ra.length; i++) {
      for (int j = 0; j < rb.length; j++) {
        out[i * rb.length + j] = (float) ra[i].iou(rb[j], false);
      }
    }
    return Tensor.of(out, ra.length, rb.length);
  }

  private static MaskRle[] rles(Tensor m, int h, int w) {
    byte[] all = m.toByteArray();
    MaskRle[] r = new MaskRle[(int) m.size(0)];
    for (int i = 0; i < r.length; i++) {
      byte[] one = new byte[h * w];
      System.arraycopy(all, i * h * w, one, 0, h * w);
      r[i] = MaskRle.encode(one, h, w);
    }
    return r;
  }
}
