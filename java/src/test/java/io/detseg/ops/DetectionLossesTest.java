package io.detseg.ops;

import static io.detseg.ops.LossTesting.assertClose;
import static io.detseg.ops.LossTesting.gaussian;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.Devices;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The composite detector losses against torchvision 0.14 (fastrcnn_loss; RPN, Mask R-CNN and SSD loss
 * formulas as torchvision writes them; YOLOv1 as defined in docs/kernels/losses.md, composed in torch),
 * finite-difference checks of their backwards, and SSD's hard negative mining against a straightforward
 * selection written here.
 */
class DetectionLossesTest {
  static Stream<Device> devices() {
    return Devices.all();
  }

  private static Tensor g(Device d, String c, String name) {
    return LossTesting.golden(d, c, name);
  }

  private static final float BETA_TV = 1f / 9;

  @ParameterizedTest
  @MethodSource("devices")
  void fastRcnnMatchesTorchvision(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      String c = "fastrcnn";
      DetectionLosses.Pair l = DetectionLosses.fastRcnnLoss(g(d, c, "class_logits"), g(d, c, "box_regression"),
          g(d, c, "labels"), g(d, c, "regression_targets"), BETA_TV);
      assertClose(g(d, c, "loss_classifier"), l.first(), 2e-6, 2e-6, "loss_classifier");
      assertClose(g(d, c, "loss_box_reg"), l.second(), 2e-6, 2e-6, "loss_box_reg");
      DetectionLosses.Pair gr = DetectionLosses.fastRcnnLossBackward(g(d, c, "grad_classifier"), g(d, c, "grad_box"),
          g(d, c, "class_logits"), g(d, c, "box_regression"), g(d, c, "labels"), g(d, c, "regression_targets"),
          BETA_TV);
      assertClose(g(d, c, "grad_class_logits"), gr.first(), 2e-6, 2e-6, "grad class_logits");
      assertClose(g(d, c, "grad_box_regression"), gr.second(), 2e-6, 2e-6, "grad box_regression");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void rpnMatchesTorchvisionFormula(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      String c = "rpn";
      DetectionLosses.Pair l = DetectionLosses.rpnLoss(g(d, c, "objectness"), g(d, c, "pred_bbox_deltas"),
          g(d, c, "labels"), g(d, c, "regression_targets"), BETA_TV, 1f, 0f);
      assertClose(g(d, c, "loss_objectness"), l.first(), 2e-6, 2e-6, "loss_objectness");
      assertClose(g(d, c, "loss_rpn_box_reg"), l.second(), 2e-6, 2e-6, "loss_rpn_box_reg");
      DetectionLosses.Pair gr = DetectionLosses.rpnLossBackward(g(d, c, "grad_objectness_out"),
          g(d, c, "grad_box_out"), g(d, c, "objectness"), g(d, c, "pred_bbox_deltas"), g(d, c, "labels"),
          g(d, c, "regression_targets"), BETA_TV, 1f, 0f);
      assertClose(g(d, c, "grad_objectness"), gr.first(), 2e-6, 2e-6, "grad objectness");
      assertClose(g(d, c, "grad_pred_bbox_deltas"), gr.second(), 2e-6, 2e-6, "grad deltas");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void maskRcnnMatchesTorchvisionFormula(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      String c = "maskrcnn";
      Tensor loss = DetectionLosses.maskRcnnLoss(g(d, c, "mask_logits"), g(d, c, "labels"), g(d, c, "mask_targets"));
      assertClose(g(d, c, "loss"), loss, 2e-6, 2e-6, "mask loss");
      Tensor grad = DetectionLosses.maskRcnnLossBackward(g(d, c, "grad_out"), g(d, c, "mask_logits"),
          g(d, c, "labels"), g(d, c, "mask_targets"));
      assertClose(g(d, c, "grad_mask_logits"), grad, 2e-6, 1e-7, "grad mask_logits");
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void ssdMatchesTorchvisionFormula(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      String c = "ssd";
      Tensor logits = g(d, c, "cls_logits");
      Tensor labels = g(d, c, "labels");
      DetectionLosses.Pair l = DetectionLosses.ssdLoss(logits, g(d, c, "bbox_regression"), labels,
          g(d, c, "bbox_targets"), 3, 1f);
      assertClose(g(d, c, "loss_bbox"), l.first(), 2e-6, 2e-6, "bbox_regression loss");
      assertClose(g(d, c, "loss_cls"), l.second(), 2e-6, 2e-6, "classification loss");
      DetectionLosses.Pair gr = DetectionLosses.ssdLossBackward(g(d, c, "grad_bbox_out"), g(d, c, "grad_cls_out"),
          logits, g(d, c, "bbox_regression"), labels, g(d, c, "bbox_targets"), 3, 1f);
      assertClose(g(d, c, "grad_cls_logits"), gr.first(), 2e-6, 2e-6, "grad cls_logits");
      assertClose(g(d, c, "grad_bbox_regression"), gr.second(), 2e-6, 2e-6, "grad bbox_regression");
      // the mined set is torchvision's
      try (Tensor lab = labels.reshape(logits.size(0) * logits.size(1))) {
        Tensor ce = Losses.crossEntropy(logits.reshape(lab.size(0), logits.size(2)), lab, null, -1, Reduction.NONE, 0f);
        Tensor used = DetectionLosses.hardNegativeMining(ce.reshape(logits.size(0), logits.size(1)), labels, 3);
        assertArrayEquals(g(d, c, "used").toFloatArray(), used.toFloatArray());
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void yoloV1MatchesTheDefinitionComposedInTorch(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      String c = "yolov1";
      for (Reduction r : Reduction.values()) {
        Tensor out = DetectionLosses.yoloV1Loss(g(d, c, "input"), g(d, c, "target"), 2, 5f, 0.5f, true, r);
        assertClose(g(d, c, "out_" + r.label()), out, 2e-6, 2e-6, "yolov1 " + r.label());
        Tensor grad = DetectionLosses.yoloV1LossBackward(g(d, c, "go_" + r.label()), g(d, c, "input"),
            g(d, c, "target"), 2, 5f, 0.5f, true, r);
        assertClose(g(d, c, "grad_" + r.label()), grad, 2e-6, 2e-6, "yolov1 grad " + r.label());
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void finiteDifferences(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(21);
    float h = 1e-2f;
    float tol = 3e-3f;
    try (Scope s = Scope.open()) {
      // Fast R-CNN box term: d loss_box_reg / d box_regression (|d| > beta + h everywhere or well inside)
      Tensor labels = Tensor.of(d, new int[] {0, 2, 1, 2}, 4);
      Tensor logits = Tensor.of(d, gaussian(rnd, 12, 1), 4, 3);
      float[] targets = gaussian(rnd, 16, 0.2);
      Tensor rt = Tensor.of(d, targets, 4, 4);
      float[] box = new float[48];
      for (int i = 0; i < 48; i++) {
        box[i] = targets[(i / 12) * 4 + i % 4] + (i % 2 == 0 ? 0.6f : -0.03f);
      }
      GradCheck.check("fastrcnn box", d, box, new long[] {4, 12},
          b -> DetectionLosses.fastRcnnLoss(logits, b, labels, rt, 0.1f).second(),
          (go, b) -> DetectionLosses.fastRcnnLossBackward(Tensor.scalar(d, 0f), go, logits, b, labels, rt, 0.1f)
              .second(), h, tol);
      Tensor box0 = Tensor.of(d, box, 4, 12);
      GradCheck.check("fastrcnn cls", d, gaussian(rnd, 12, 1), new long[] {4, 3},
          x -> DetectionLosses.fastRcnnLoss(x, box0, labels, rt, 0.1f).first(),
          (go, x) -> DetectionLosses.fastRcnnLossBackward(go, Tensor.scalar(d, 0f), x, box0, labels, rt, 0.1f)
              .first(), h, tol);
      // RPN objectness (paper normalization for the box term)
      Tensor rl = Tensor.of(d, new int[] {1, 0, -1, 0, 1, -1}, 6);
      Tensor deltas = Tensor.of(d, gaussian(rnd, 24, 1), 6, 4);
      Tensor rtg = Tensor.of(d, gaussian(rnd, 24, 1), 6, 4);
      GradCheck.check("rpn objectness", d, gaussian(rnd, 6, 2), new long[] {6},
          o -> DetectionLosses.rpnLoss(o, deltas, rl, rtg, 1f / 9, 10f, 2400f).first(),
          (go, o) -> DetectionLosses.rpnLossBackward(go, Tensor.scalar(d, 0f), o, deltas, rl, rtg, 1f / 9, 10f, 2400f)
              .first(), h, tol);
      // Mask R-CNN
      Tensor ml = Tensor.of(d, new int[] {2, 0, 1}, 3);
      Tensor mt = Tensor.of(d, LossTesting.binary(rnd, 3 * 4, 0.5), 3, 2, 2);
      GradCheck.check("maskrcnn", d, gaussian(rnd, 3 * 3 * 4, 2), new long[] {3, 3, 2, 2},
          x -> DetectionLosses.maskRcnnLoss(x, ml, mt),
          (go, x) -> DetectionLosses.maskRcnnLossBackward(go, x, ml, mt), h, tol);
      // SSD: per-anchor cross-entropies well apart (so +-h never changes the mined set), |d| clear of beta
      int[] sl = {1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0};
      Tensor slab = Tensor.of(d, sl, 2, 6);
      float[] cls = new float[2 * 6 * 3];
      for (int i = 0; i < 12; i++) {
        cls[3 * i] = 0.5f * i;  // the background logit grows with the anchor index: distinct losses
        cls[3 * i + 1] = -0.3f * (i % 5);
        cls[3 * i + 2] = 0.2f;
      }
      float[] sb = gaussian(rnd, 48, 1);
      float[] st = new float[48];
      for (int i = 0; i < 48; i++) {
        st[i] = sb[i] + (i % 2 == 0 ? 1.7f : -0.4f);
      }
      Tensor sbt = Tensor.of(d, sb, 2, 6, 4);
      Tensor stt = Tensor.of(d, st, 2, 6, 4);
      Tensor clsT = Tensor.of(d, cls, 2, 6, 3);
      GradCheck.check("ssd classification", d, cls.clone(), new long[] {2, 6, 3},
          x -> DetectionLosses.ssdLoss(x, sbt, slab, stt, 3, 1f).second(),
          (go, x) -> DetectionLosses.ssdLossBackward(Tensor.scalar(d, 0f), go, x, sbt, slab, stt, 3, 1f).first(),
          1e-3f, tol);
      GradCheck.check("ssd bbox_regression", d, sb.clone(), new long[] {2, 6, 4},
          b -> DetectionLosses.ssdLoss(clsT, b, slab, stt, 3, 1f).first(),
          (go, b) -> DetectionLosses.ssdLossBackward(go, Tensor.scalar(d, 0f), clsT, b, slab, stt, 3, 1f).second(),
          h, tol);
      GradCheck.check("rpn box", d, gaussian(rnd, 24, 1), new long[] {6, 4},
          b -> DetectionLosses.rpnLoss(Tensor.of(d, new float[6], 6), b, rl, rtg, 1f / 9, 10f, 2400f).second(),
          (go, b) -> DetectionLosses.rpnLossBackward(Tensor.scalar(d, 0f), go, Tensor.of(d, new float[6], 6), b, rl,
              rtg, 1f / 9, 10f, 2400f).second(), h, tol);
      // YOLOv1: predictions away from w, h = 0 and from IoU ties
      long[] ys = {1, 2, 2, 5 * 2 + 2};
      float[] tgt = new float[2 * 2 * 7];
      float[] t0 = {0.3f, 0.6f, 0.4f, 0.3f, 1f, 0f, 1f};
      System.arraycopy(t0, 0, tgt, 0, 7);
      float[] t3 = {0.7f, 0.2f, 0.2f, 0.5f, 1f, 1f, 0f};
      System.arraycopy(t3, 0, tgt, 21, 7);
      Tensor yt = Tensor.of(d, tgt, 1, 2, 2, 7);
      float[] pv = LossTesting.uniform(rnd, 48, 0.2, 0.8);
      for (Reduction r : Reduction.values()) {
        GradCheck.check("yolov1 " + r.label(), d, pv.clone(), ys,
            p -> DetectionLosses.yoloV1Loss(p, yt, 2, 5f, 0.5f, false, r),
            (go, p) -> DetectionLosses.yoloV1LossBackward(go, p, yt, 2, 5f, 0.5f, false, r), 1e-3f, 5e-3f);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void hardNegativeMiningHandChecked(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      // One positive (anchor 1), ratio 3: the three negatives of largest loss are anchors 4 (0.9), then the
      // tie 0.5 at anchors 0 and 5 (the lower index first: 0, 5), then 3 (0.4) is left out... k = 3 so
      // {4, 0, 5}. Anchor 2 is ignored (-1) even with the largest loss; NaN (anchor 6) ranks above all.
      float[] loss = {0.5f, 0.1f, 5f, 0.4f, 0.9f, 0.5f, 0.2f};
      int[] lab = {0, 1, -1, 0, 0, 0, 0};
      assertArrayEquals(new float[] {1, 1, 0, 0, 1, 1, 0},
          DetectionLosses.hardNegativeMining(Tensor.of(d, loss, 1, 7), Tensor.of(d, lab, 1, 7), 3).toFloatArray());
      loss[6] = Float.NaN;
      assertArrayEquals(new float[] {1, 1, 0, 0, 1, 0, 1},
          DetectionLosses.hardNegativeMining(Tensor.of(d, loss, 1, 7), Tensor.of(d, lab, 1, 7), 3).toFloatArray());
      // no positives: nothing mined; more wanted than exist: all negatives
      assertArrayEquals(new float[] {0, 0, 0},
          DetectionLosses.hardNegativeMining(Tensor.of(d, new float[3], 1, 3), Tensor.of(d, new int[3], 1, 3), 3)
              .toFloatArray());
      assertArrayEquals(new float[] {1, 1, 1},
          DetectionLosses.hardNegativeMining(Tensor.of(d, new float[] {1, 2, 3}, 1, 3),
              Tensor.of(d, new int[] {0, 4, 0}, 1, 3), 3).toFloatArray());
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void hardNegativeMiningMatchesASortOnRandomData(Device d) {
    Devices.assumeUsable(d);
    Random rnd = new Random(22);
    int n = 3;
    int a = 2000;
    float[] loss = new float[n * a];
    int[] lab = new int[n * a];
    for (int i = 0; i < n * a; i++) {
      loss[i] = rnd.nextInt(50) / 7f;  // many ties
      lab[i] = rnd.nextDouble() < 0.05 ? 1 + rnd.nextInt(3) : (rnd.nextDouble() < 0.02 ? -1 : 0);
    }
    try (Scope s = Scope.open()) {
      float[] got = DetectionLosses.hardNegativeMining(Tensor.of(d, loss, n, a), Tensor.of(d, lab, n, a), 3)
          .toFloatArray();
      for (int img = 0; img < n; img++) {
        List<Integer> neg = new ArrayList<>();
        int pos = 0;
        for (int i = 0; i < a; i++) {
          if (lab[img * a + i] > 0) {
            pos++;
          } else if (lab[img * a + i] == 0) {
            neg.add(i);
          }
        }
        final int off = img * a;
        neg.sort(Comparator.<Integer>comparingDouble(i -> -loss[off + i]).thenComparingInt(i -> i));
        int k = Math.min(3 * pos, neg.size());
        float[] expected = new float[a];
        for (int i = 0; i < a; i++) {
          expected[i] = lab[off + i] > 0 ? 1 : 0;
        }
        for (int j = 0; j < k; j++) {
          expected[neg.get(j)] = 1;
        }
        float[] row = new float[a];
        System.arraycopy(got, off, row, 0, a);
        assertArrayEquals(expected, row, "image " + img);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("devices")
  void badArguments(Device d) {
    Devices.assumeUsable(d);
    try (Scope s = Scope.open()) {
      Tensor logits = Tensor.of(d, new float[8], 2, 4);
      Tensor box = Tensor.of(d, new float[32], 2, 16);
      Tensor t = Tensor.of(d, new float[8], 2, 4);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> DetectionLosses.fastRcnnLoss(logits, Tensor.of(d, new float[8], 2, 4), Tensor.of(d, new int[2], 2), t,
              BETA_TV));
      assertTrue(e.getMessage().contains("fastrcnn_loss: argument 'box_regression': expected shape [2, 16]"),
          e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> DetectionLosses.fastRcnnLoss(logits, box,
          Tensor.of(d, new int[] {0, 7}, 2), t, BETA_TV));
      assertTrue(e.getMessage().contains("got 7"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> DetectionLosses.maskRcnnLoss(Tensor.of(d, new float[8],
          2, 1, 2, 2), Tensor.of(d, new int[] {0, 1}, 2), Tensor.of(d, new float[8], 2, 2, 2)));
      assertTrue(e.getMessage().contains("maskrcnn_loss: argument 'labels'") && e.getMessage().contains("got 1"),
          e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> DetectionLosses.yoloV1Loss(Tensor.of(d, new float[24],
          1, 2, 2, 6), Tensor.of(d, new float[24], 1, 2, 2, 6), 2, 5f, 0.5f, true, Reduction.SUM));
      assertTrue(e.getMessage().contains("expected shape [N, S, S, 5*2 + C]"), e.getMessage());
      // empty batches
      assertEquals(0f, DetectionLosses.maskRcnnLoss(Tensor.of(d, new float[0], 0, 3, 2, 2), Tensor.of(d, new int[0], 0),
          Tensor.of(d, new float[0], 0, 2, 2)).item());
    }
  }
}
