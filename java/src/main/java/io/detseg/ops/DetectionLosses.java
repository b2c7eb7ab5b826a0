package io.detseg.ops;

import io.detseg.backend.LossKernels;
import io.detseg.backend.LossKernels.Broadcast;
import io.detseg.backend.LossKernels.Pointwise;
import io.detseg.tensor.DType;
import io.detseg.tensor.Device;
import io.detseg.tensor.Shapes;
import io.detseg.tensor.Tensor;

/**
 * Composite losses of classic detectors, forward and backward, on CPU and CUDA (contracts in
 * docs/kernels/losses.md): Fast R-CNN's multi-task loss and the RPN loss as torchvision's
 * fastrcnn_loss / RegionProposalNetwork.compute_loss compute them, Mask R-CNN's mask loss
 * (torchvision's maskrcnn_loss on already projected mask targets), SSD's loss with 3:1 hard negative
 * mining (torchvision's SSD.compute_loss, with the selection rule written out) and YOLOv1's loss.
 * They are built from the loss family's kernels (cross-entropy, BCE with logits, smooth L1) plus a few
 * of their own (select by label, label masks, hard negative mining, the YOLOv1 cell loss).
 */
public final class DetectionLosses {
  private DetectionLosses() {}

  /** Two loss terms, as the detectors return them (each a 0-d tensor). */
  public record Pair(Tensor first, Tensor second) implements AutoCloseable {
    @Override
    public void close() {
      first.close();
      second.close();
    }
  }

  // ---- Fast R-CNN -------------------------------------------------------------------------------------

  /**
   * torchvision.models.detection.roi_heads.fastrcnn_loss: class_logits [R, C], box_regression [R, 4C]
   * (per-class deltas), labels [R] int32 in [0, C) (0 = background), regression_targets [R, 4].
   * Returns (loss_classifier = cross_entropy(class_logits, labels), loss_box_reg = sum over rows with
   * label >= 1 of smooth_l1(box_regression[r, 4 label .. 4 label + 3] - regression_targets[r], beta) / R).
   * torchvision uses beta = 1/9; the Fast R-CNN paper's beta is 1.
   */
  public static Pair fastRcnnLoss(Tensor classLogits, Tensor boxRegression, Tensor labels, Tensor regressionTargets,
      float beta) {
    String op = "fastrcnn_loss";
    long[] rc = fastRcnnArgs(op, classLogits, boxRegression, labels, regressionTargets, beta);
    long r = rc[0];
    long c = rc[1];
    Device d = classLogits.device();
    Tensor cls = Losses.crossEntropy(classLogits, labels, null, Losses.NO_IGNORE_INDEX, Reduction.MEAN, 0.0f);
    if (r == 0) {
      return new Pair(cls, Tensor.scalar(d, Float.NaN));
    }
    try (Tensor sel = gather(op, boxRegression, labels, r, c, 4);
        Tensor pos = positives(labels, r);
        Tensor sum = Losses.pointwise(op, smoothL1(sel, regressionTargets, pos, beta), Reduction.SUM)) {
      return new Pair(cls, scale(sum, 1.0f / r));
    }
  }

  /** Gradients of (loss_classifier, loss_box_reg) with upstream gradients gradClassifier, gradBoxReg (0-d). */
  public static Pair fastRcnnLossBackward(Tensor gradClassifier, Tensor gradBoxReg, Tensor classLogits,
      Tensor boxRegression, Tensor labels, Tensor regressionTargets, float beta) {
    String op = "fastrcnn_loss_backward";
    long[] rc = fastRcnnArgs(op, classLogits, boxRegression, labels, regressionTargets, beta);
    long r = rc[0];
    long c = rc[1];
    scalarGrad(op, "grad_loss_classifier", gradClassifier, classLogits);
    scalarGrad(op, "grad_loss_box_reg", gradBoxReg, classLogits);
    Tensor gcls = Losses.crossEntropyBackward(gradClassifier, classLogits, labels, null, Losses.NO_IGNORE_INDEX,
        Reduction.MEAN, 0.0f);
    Tensor gbox = Tensor.zeros(boxRegression.device(), DType.FLOAT32, boxRegression.shape());
    if (r == 0) {
      return new Pair(gcls, gbox);
    }
    try (Tensor sel = gather(op, boxRegression, labels, r, c, 4);
        Tensor pos = positives(labels, r);
        Tensor g = scale(gradBoxReg, 1.0f / r);
        Tensor gsel = Losses.pointwiseBackward(op, g, smoothL1(sel, regressionTargets, pos, beta), Reduction.SUM)) {
      boxRegression.backend().loss().scatterByLabel(gsel, labels, r, c, 4, gbox);
    }
    return new Pair(gcls, gbox);
  }

  private static long[] fastRcnnArgs(String op, Tensor classLogits, Tensor boxRegression, Tensor labels,
      Tensor regressionTargets, float beta) {
    Checks.dtype(op, "class_logits", classLogits, DType.FLOAT32);
    Checks.dtype(op, "box_regression", boxRegression, DType.FLOAT32);
    Checks.dtype(op, "labels", labels, DType.INT32);
    Checks.dtype(op, "regression_targets", regressionTargets, DType.FLOAT32);
    for (Tensor t : new Tensor[] {boxRegression, labels, regressionTargets}) {
      Checks.sameDevice(op, t == labels ? "labels" : t == boxRegression ? "box_regression" : "regression_targets", t,
          "class_logits", classLogits);
    }
    if (classLogits.dim() != 2) {
      throw new IllegalArgumentException(op + ": argument 'class_logits': expected shape [R, C] but got "
          + Shapes.format(classLogits.shape()));
    }
    long r = classLogits.size(0);
    long c = classLogits.size(1);
    expectShape(op, "box_regression", boxRegression, r, 4 * c);
    expectShape(op, "labels", labels, r);
    expectShape(op, "regression_targets", regressionTargets, r, 4);
    smoothBeta(op, beta);
    return new long[] {r, c};
  }

  // ---- RPN ------------------------------------------------------------------------------------------------

  /**
   * torchvision's RegionProposalNetwork.compute_loss on one batch of sampled anchors: objectness [A]
   * logits, pred_bbox_deltas [A, 4], labels [A] int32 (1 = positive, 0 = negative, -1 = not sampled),
   * regression_targets [A, 4]. Returns (loss_objectness = sum over sampled of
   * bce_with_logits(objectness, label) / N_sampled, loss_rpn_box_reg = lambda * sum over positives of
   * smooth_l1(deltas - targets, beta) / N_box), N_box = boxNormalizer if > 0 else N_sampled (torchvision:
   * lambda 1, beta 1/9, N_box = N_sampled; the Faster R-CNN paper: lambda 10, N_box ~ 2400 anchor locations).
   */
  public static Pair rpnLoss(Tensor objectness, Tensor predBboxDeltas, Tensor labels, Tensor regressionTargets,
      float beta, float lambda, float boxNormalizer) {
    String op = "rpn_loss";
    long a = rpnArgs(op, objectness, predBboxDeltas, labels, regressionTargets, beta, lambda, boxNormalizer);
    Device d = objectness.device();
    try (Tensor t = Tensor.empty(d, DType.FLOAT32, a);
        Tensor w = Tensor.empty(d, DType.FLOAT32, a);
        Tensor pos = positives(labels, a)) {
      if (a > 0) {
        objectness.backend().loss().labelMasks(labels, a, 1, t, w);
      }
      float sampled = count(w);
      float nBox = boxNormalizer > 0 ? boxNormalizer : sampled;
      try (Tensor obj = Losses.pointwise(op, bceLogits(objectness, t, w), Reduction.SUM);
          Tensor box = Losses.pointwise(op, smoothL1(predBboxDeltas, regressionTargets, pos, beta), Reduction.SUM)) {
        return new Pair(scale(obj, 1.0f / sampled), scale(box, lambda / nBox));
      }
    }
  }

  /** Gradients of (loss_objectness, loss_rpn_box_reg) for objectness and pred_bbox_deltas. */
  public static Pair rpnLossBackward(Tensor gradObjectness, Tensor gradBoxReg, Tensor objectness,
      Tensor predBboxDeltas, Tensor labels, Tensor regressionTargets, float beta, float lambda, float boxNormalizer) {
    String op = "rpn_loss_backward";
    long a = rpnArgs(op, objectness, predBboxDeltas, labels, regressionTargets, beta, lambda, boxNormalizer);
    scalarGrad(op, "grad_loss_objectness", gradObjectness, objectness);
    scalarGrad(op, "grad_loss_rpn_box_reg", gradBoxReg, objectness);
    Device d = objectness.device();
    try (Tensor t = Tensor.empty(d, DType.FLOAT32, a);
        Tensor w = Tensor.empty(d, DType.FLOAT32, a);
        Tensor pos = positives(labels, a)) {
      if (a > 0) {
        objectness.backend().loss().labelMasks(labels, a, 1, t, w);
      }
      float sampled = count(w);
      float nBox = boxNormalizer > 0 ? boxNormalizer : sampled;
      try (Tensor go = scale(gradObjectness, 1.0f / sampled);
          Tensor gb = scale(gradBoxReg, lambda / nBox)) {
        return new Pair(Losses.pointwiseBackward(op, go, bceLogits(objectness, t, w), Reduction.SUM),
            Losses.pointwiseBackward(op, gb, smoothL1(predBboxDeltas, regressionTargets, pos, beta), Reduction.SUM));
      }
    }
  }

  private static long rpnArgs(String op, Tensor objectness, Tensor deltas, Tensor labels, Tensor targets, float beta,
      float lambda, float boxNormalizer) {
    Checks.dtype(op, "objectness", objectness, DType.FLOAT32);
    Checks.dtype(op, "pred_bbox_deltas", deltas, DType.FLOAT32);
    Checks.dtype(op, "labels", labels, DType.INT32);
    Checks.dtype(op, "regression_targets", targets, DType.FLOAT32);
    Checks.sameDevice(op, "pred_bbox_deltas", deltas, "objectness", objectness);
    Checks.sameDevice(op, "labels", labels, "objectness", objectness);
    Checks.sameDevice(op, "regression_targets", targets, "objectness", objectness);
    if (objectness.dim() != 1) {
      throw new IllegalArgumentException(op + ": argument 'objectness': expected shape [A] but got "
          + Shapes.format(objectness.shape()));
    }
    long a = objectness.size(0);
    expectShape(op, "pred_bbox_deltas", deltas, a, 4);
    expectShape(op, "labels", labels, a);
    expectShape(op, "regression_targets", targets, a, 4);
    smoothBeta(op, beta);
    LossArgs.finite(op, "lambda", lambda);
    LossArgs.finite(op, "box_normalizer", boxNormalizer);
    return a;
  }

  // ---- Mask R-CNN -----------------------------------------------------------------------------------------

  /**
   * torchvision's maskrcnn_loss after the target projection: mask_logits [R, C, M, M], labels [R] int32
   * (the class of each RoI's ground truth, in [0, C)), mask_targets [R, M, M] (the ground-truth masks
   * already cropped and resized to the RoIs, e.g. with roi_align): the mean over R*M*M of
   * bce_with_logits(mask_logits[r, labels[r]], mask_targets[r]); 0 when R == 0.
   */
  public static Tensor maskRcnnLoss(Tensor maskLogits, Tensor labels, Tensor maskTargets) {
    String op = "maskrcnn_loss";
    long[] rcm = maskArgs(op, maskLogits, labels, maskTargets);
    long r = rcm[0];
    if (r == 0 || rcm[2] == 0) {
      return Tensor.scalar(maskLogits.device(), 0.0f);
    }
    try (Tensor sel = gather(op, maskLogits, labels, r, rcm[1], rcm[2]);
        Tensor t = maskTargets.reshape(r, rcm[2])) {
      return Losses.pointwise(op, bceLogits(sel, t, null), Reduction.MEAN);
    }
  }

  public static Tensor maskRcnnLossBackward(Tensor gradOutput, Tensor maskLogits, Tensor labels, Tensor maskTargets) {
    String op = "maskrcnn_loss_backward";
    long[] rcm = maskArgs(op, maskLogits, labels, maskTargets);
    scalarGrad(op, "grad_output", gradOutput, maskLogits);
    long r = rcm[0];
    Tensor grad = Tensor.empty(maskLogits.device(), DType.FLOAT32, maskLogits.shape());
    if (r == 0 || rcm[2] == 0) {
      grad.backend().fillBytes(grad.address(), (byte) 0, grad.byteSize());
      return grad;
    }
    try (Tensor sel = gather(op, maskLogits, labels, r, rcm[1], rcm[2]);
        Tensor t = maskTargets.reshape(r, rcm[2]);
        Tensor g = Losses.pointwiseBackward(op, gradOutput, bceLogits(sel, t, null), Reduction.MEAN)) {
      maskLogits.backend().loss().scatterByLabel(g, labels, r, rcm[1], rcm[2], grad);
    }
    return grad;
  }

  private static long[] maskArgs(String op, Tensor maskLogits, Tensor labels, Tensor maskTargets) {
    Checks.dtype(op, "mask_logits", maskLogits, DType.FLOAT32);
    Checks.dtype(op, "labels", labels, DType.INT32);
    Checks.dtype(op, "mask_targets", maskTargets, DType.FLOAT32);
    Checks.sameDevice(op, "labels", labels, "mask_logits", maskLogits);
    Checks.sameDevice(op, "mask_targets", maskTargets, "mask_logits", maskLogits);
    if (maskLogits.dim() != 4) {
      throw new IllegalArgumentException(op + ": argument 'mask_logits': expected shape [R, C, M, M] but got "
          + Shapes.format(maskLogits.shape()));
    }
    long r = maskLogits.size(0);
    long c = maskLogits.size(1);
    expectShape(op, "labels", labels, r);
    expectShape(op, "mask_targets", maskTargets, r, maskLogits.size(2), maskLogits.size(3));
    Checks.atMostInt(op, "classes", c);
    return new long[] {r, c, maskLogits.size(2) * maskLogits.size(3)};
  }

  // ---- SSD ------------------------------------------------------------------------------------------------

  /**
   * SSD's loss (torchvision's SSD.compute_loss) on matched anchors: cls_logits [N, A, C], bbox_regression
   * [N, A, 4], labels [N, A] int32 (0 = background, >= 1 = matched class, -1 = ignored), bbox_targets
   * [N, A, 4] (encoded). Per image the negatives kept are the k = min(ratio * positives, negatives) of
   * largest cross-entropy (hard negative mining; ties to the lower anchor index). Returns
   * (bbox_regression = sum over positives of smooth_l1(beta) / N_pos, classification = sum of the
   * cross-entropy of positives and kept negatives / N_pos), N_pos = max(1, positives in the batch).
   */
  public static Pair ssdLoss(Tensor clsLogits, Tensor bboxRegression, Tensor labels, Tensor bboxTargets,
      int negPosRatio, float beta) {
    String op = "ssd_loss";
    long[] nac = ssdArgs(op, clsLogits, bboxRegression, labels, bboxTargets, negPosRatio, beta);
    long na = nac[0] * nac[1];
    Device d = clsLogits.device();
    if (na == 0) {
      return new Pair(Tensor.scalar(d, 0.0f), Tensor.scalar(d, 0.0f));
    }
    try (Tensor logits = clsLogits.reshape(na, nac[2]);
        Tensor lab = labels.reshape(na);
        Tensor ce = Losses.crossEntropy(logits, lab, null, -1, Reduction.NONE, 0.0f);
        Tensor used = mine(ce, labels, nac[0], nac[1], negPosRatio);
        Tensor usedFlat = used.reshape(na);
        Tensor weighted = Ops.mul(ce, usedFlat);
        Tensor clsSum = Ops.sum(weighted);
        Tensor pos = positives(lab, na);
        Tensor box = bboxRegression.reshape(na, 4);
        Tensor tgt = bboxTargets.reshape(na, 4);
        Tensor boxSum = Losses.pointwise(op, smoothL1(box, tgt, pos, beta), Reduction.SUM)) {
      float nPos = Math.max(1.0f, count(pos));
      return new Pair(scale(boxSum, 1.0f / nPos), scale(clsSum, 1.0f / nPos));
    }
  }

  /** Gradients (of cls_logits, of bbox_regression) for upstream gradients of (bbox_regression, classification). */
  public static Pair ssdLossBackward(Tensor gradBboxRegression, Tensor gradClassification, Tensor clsLogits,
      Tensor bboxRegression, Tensor labels, Tensor bboxTargets, int negPosRatio, float beta) {
    String op = "ssd_loss_backward";
    long[] nac = ssdArgs(op, clsLogits, bboxRegression, labels, bboxTargets, negPosRatio, beta);
    scalarGrad(op, "grad_bbox_regression", gradBboxRegression, clsLogits);
    scalarGrad(op, "grad_classification", gradClassification, clsLogits);
    long na = nac[0] * nac[1];
    Device d = clsLogits.device();
    if (na == 0) {
      return new Pair(Tensor.zeros(d, DType.FLOAT32, clsLogits.shape()),
          Tensor.zeros(d, DType.FLOAT32, bboxRegression.shape()));
    }
    try (Tensor logits = clsLogits.reshape(na, nac[2]);
        Tensor lab = labels.reshape(na);
        Tensor ce = Losses.crossEntropy(logits, lab, null, -1, Reduction.NONE, 0.0f);
        Tensor used = mine(ce, labels, nac[0], nac[1], negPosRatio);
        Tensor usedFlat = used.reshape(na);
        Tensor pos = positives(lab, na);
        Tensor box = bboxRegression.reshape(na, 4);
        Tensor tgt = bboxTargets.reshape(na, 4)) {
      float nPos = Math.max(1.0f, count(pos));
      try (Tensor gc = scale(gradClassification, 1.0f / nPos);
          Tensor gcFull = Ops.sumBackward(gc, usedFlat);
          Tensor perAnchor = Ops.mul(usedFlat, gcFull);
          Tensor gLogits = Losses.crossEntropyBackward(perAnchor, logits, lab, null, -1, Reduction.NONE, 0.0f);
          Tensor gb = scale(gradBboxRegression, 1.0f / nPos);
          Tensor gBox = Losses.pointwiseBackward(op, gb, smoothL1(box, tgt, pos, beta), Reduction.SUM)) {
        return new Pair(gLogits.reshape(clsLogits.shape()), gBox.reshape(bboxRegression.shape()));
      }
    }
  }

  /**
   * SSD's hard negative mining on its own: loss and labels [N, A]; returns a float mask [N, A], 1 for
   * positives (label > 0) and for the k = min(ratio * positives, negatives) negatives (label == 0) of
   * largest loss per image (ties to the lower index), 0 elsewhere (including label < 0).
   */
  public static Tensor hardNegativeMining(Tensor loss, Tensor labels, int negPosRatio) {
    String op = "hard_negative_mining";
    Checks.dtype(op, "loss", loss, DType.FLOAT32);
    Checks.dtype(op, "labels", labels, DType.INT32);
    Checks.sameDevice(op, "labels", labels, "loss", loss);
    if (loss.dim() != 2) {
      throw new IllegalArgumentException(op + ": argument 'loss': expected shape [N, A] but got "
          + Shapes.format(loss.shape()));
    }
    Checks.sameShape(op, "labels", labels, "loss", loss);
    if (negPosRatio < 0) {
      throw new IllegalArgumentException(op + ": argument 'neg_pos_ratio': expected a value >= 0 but got " + negPosRatio);
    }
    return mine(loss, labels, loss.size(0), loss.size(1), negPosRatio);
  }

  private static Tensor mine(Tensor loss, Tensor labels, long n, long a, int ratio) {
    Tensor used = Tensor.empty(loss.device(), DType.FLOAT32, n, a);
    if (n * a > 0) {
      loss.backend().loss().hardNegativeMining(loss, labels, n, a, ratio, used);
    }
    return used;
  }

  private static long[] ssdArgs(String op, Tensor clsLogits, Tensor bbox, Tensor labels, Tensor targets, int ratio,
      float beta) {
    Checks.dtype(op, "cls_logits", clsLogits, DType.FLOAT32);
    Checks.dtype(op, "bbox_regression", bbox, DType.FLOAT32);
    Checks.dtype(op, "labels", labels, DType.INT32);
    Checks.dtype(op, "bbox_targets", targets, DType.FLOAT32);
    Checks.sameDevice(op, "bbox_regression", bbox, "cls_logits", clsLogits);
    Checks.sameDevice(op, "labels", labels, "cls_logits", clsLogits);
    Checks.sameDevice(op, "bbox_targets", targets, "cls_logits", clsLogits);
    if (clsLogits.dim() != 3) {
      throw new IllegalArgumentException(op + ": argument 'cls_logits': expected shape [N, A, C] but got "
          + Shapes.format(clsLogits.shape()));
    }
    long n = clsLogits.size(0);
    long a = clsLogits.size(1);
    expectShape(op, "bbox_regression", bbox, n, a, 4);
    expectShape(op, "labels", labels, n, a);
    expectShape(op, "bbox_targets", targets, n, a, 4);
    if (ratio < 0) {
      throw new IllegalArgumentException(op + ": argument 'neg_pos_ratio': expected a value >= 0 but got " + ratio);
    }
    smoothBeta(op, beta);
    return new long[] {n, a, clsLogits.size(2)};
  }

  // ---- YOLOv1 -----------------------------------------------------------------------------------------------

  /**
   * YOLOv1's loss (Redmon et al. 2016, eq. 3): predictions [N, S, S, 5B + C] (per cell B boxes of
   * (x, y, w, h, confidence), then C class scores), targets [N, S, S, 5 + C] ((x, y, w, h, objectness,
   * class scores)); x, y relative to the cell, w, h to the image. The responsible predictor is the one of
   * highest IoU with the target box; its confidence target is that IoU (iouTarget) or 1. Reduction:
   * NONE = per image [N], SUM over the batch, MEAN = SUM / N. Full definition: docs/kernels/losses.md.
   */
  public static Tensor yoloV1Loss(Tensor predictions, Tensor targets, int boxes, float lambdaCoord, float lambdaNoobj,
      boolean iouTarget, Reduction reduction) {
    String op = "yolov1_loss";
    LossKernels.Yolo y = yoloArgs(op, predictions, targets, boxes, lambdaCoord, lambdaNoobj, iouTarget, reduction);
    long n = predictions.size(0);
    Device d = predictions.device();
    if (n == 0) {
      return LossArgs.emptyLoss(d, reduction, new long[] {0});
    }
    Tensor perImage = Tensor.empty(d, DType.FLOAT32, n);
    predictions.backend().loss().yoloLoss(y, predictions, targets, n, perImage);
    if (reduction == Reduction.NONE) {
      return perImage;
    }
    try (perImage; Tensor s = Ops.sum(perImage)) {
      return scale(s, reduction == Reduction.MEAN ? 1.0f / n : 1.0f);
    }
  }

  public static Tensor yoloV1LossBackward(Tensor gradOutput, Tensor predictions, Tensor targets, int boxes,
      float lambdaCoord, float lambdaNoobj, boolean iouTarget, Reduction reduction) {
    String op = "yolov1_loss_backward";
    LossKernels.Yolo y = yoloArgs(op, predictions, targets, boxes, lambdaCoord, lambdaNoobj, iouTarget, reduction);
    long n = predictions.size(0);
    LossArgs.gradOutput(op, gradOutput, reduction, new long[] {n}, predictions);
    Tensor grad = Tensor.empty(predictions.device(), DType.FLOAT32, predictions.shape());
    if (n > 0) {
      predictions.backend().loss().yoloLossBackward(y, predictions, targets, n, gradOutput,
          reduction == Reduction.NONE, reduction == Reduction.MEAN ? (float) n : 1.0f, grad);
    }
    return grad;
  }

  private static LossKernels.Yolo yoloArgs(String op, Tensor pred, Tensor tgt, int boxes, float lambdaCoord,
      float lambdaNoobj, boolean iouTarget, Reduction reduction) {
    LossArgs.reduction(op, reduction);
    Checks.dtype(op, "predictions", pred, DType.FLOAT32);
    Checks.dtype(op, "targets", tgt, DType.FLOAT32);
    Checks.sameDevice(op, "targets", tgt, "predictions", pred);
    if (boxes < 1) {
      throw new IllegalArgumentException(op + ": argument 'boxes': expected at least 1 box per cell but got " + boxes);
    }
    if (pred.dim() != 4 || pred.size(1) != pred.size(2) || pred.size(3) < 5L * boxes) {
      throw new IllegalArgumentException(op + ": argument 'predictions': expected shape [N, S, S, 5*" + boxes
          + " + C] but got " + Shapes.format(pred.shape()));
    }
    long classes = pred.size(3) - 5L * boxes;
    expectShape(op, "targets", tgt, pred.size(0), pred.size(1), pred.size(2), 5 + classes);
    LossArgs.finite(op, "lambda_coord", lambdaCoord);
    LossArgs.finite(op, "lambda_noobj", lambdaNoobj);
    Checks.atMostInt(op, "S", pred.size(1) * pred.size(1));
    return new LossKernels.Yolo((int) pred.size(1), boxes, (int) classes, lambdaCoord, lambdaNoobj, iouTarget);
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  private static void expectShape(String op, String arg, Tensor t, long... shape) {
    if (!java.util.Arrays.equals(t.shape(), shape)) {
      throw new IllegalArgumentException(op + ": argument '" + arg + "': expected shape " + Shapes.format(shape)
          + " but got " + Shapes.format(t.shape()));
    }
  }

  private static void smoothBeta(String op, float beta) {
    LossArgs.finite(op, "beta", beta);
    if (beta < 0) {
      throw new IllegalArgumentException(op + ": argument 'beta': expected a value >= 0 but got " + beta);
    }
  }

  private static void scalarGrad(String op, String arg, Tensor g, Tensor ref) {
    Checks.dtype(op, arg, g, DType.FLOAT32);
    Checks.sameDevice(op, arg, g, "input", ref);
    Checks.oneElement(op, arg, g);
  }

  /** src [r, c, k] (any shape with r * c * k elements) at each row's label, as [r, k]. */
  private static Tensor gather(String op, Tensor src, Tensor labels, long r, long c, long k) {
    Tensor dst = Tensor.empty(src.device(), DType.FLOAT32, r, k);
    long bad = src.backend().loss().gatherByLabel(src, labels, r, c, k, dst);
    if (bad >= 0) {
      LossArgs.badTarget(op, "labels", labels, bad, c, Losses.NO_IGNORE_INDEX, dst);
    }
    return dst;
  }

  /** [label >= 1] as a float [r, 1] tensor (broadcast over a row of 4 box values). */
  private static Tensor positives(Tensor labels, long r) {
    Tensor w = Tensor.empty(labels.device(), DType.FLOAT32, r, 1);
    if (r > 0) {
      labels.backend().loss().labelMasks(labels, r, 0, null, w);
    }
    return w;
  }

  private static Pointwise smoothL1(Tensor x, Tensor t, Tensor weight, float beta) {
    Broadcast w = weight == null ? null : new Broadcast(weight, x.numel() / Math.max(1, weight.numel()),
        Math.max(1, weight.numel()));
    return new Pointwise(Pointwise.SMOOTH_L1, x, t, w, null, beta, 0, x.numel());
  }

  private static Pointwise bceLogits(Tensor x, Tensor t, Tensor weight) {
    Broadcast w = weight == null ? null : new Broadcast(weight, 1, Math.max(1, weight.numel()));
    return new Pointwise(Pointwise.BCE_WITH_LOGITS, x, t, w, null, 0, 0, x.numel());
  }

  /** Sum of a 0/1 mask, on the host. */
  private static float count(Tensor mask) {
    if (mask.numel() == 0) {
      return 0.0f;
    }
    try (Tensor s = Ops.sum(mask)) {
      return s.item();
    }
  }

  /** A 0-d tensor times a host constant. */
  private static Tensor scale(Tensor t, float f) {
    try (Tensor k = Tensor.scalar(t.device(), f); Tensor t0 = t.reshape()) {
      return Ops.mul(t0, k);
    }
  }
}
