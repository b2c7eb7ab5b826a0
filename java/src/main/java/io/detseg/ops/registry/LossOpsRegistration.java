package io.detseg.ops.registry;

import io.detseg.metrics.DetectionMetrics;
import io.detseg.metrics.MetricOps;
import io.detseg.metrics.SegmentationMetrics;
import io.detseg.ops.DetectionLosses;
import io.detseg.ops.Losses;
import io.detseg.ops.Reduction;
import io.detseg.ops.RegionLosses;
import io.detseg.ops.UnetWeightMap;
import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * Registers the loss op family with `detseg op`. Names, inputs and parameters follow PyTorch's
 * functional API; since every registered input is required on the command line, losses whose PyTorch
 * form has optional weights are registered twice: NAME (no weights) and NAME_weighted (with them).
 */
final class LossOpsRegistration {
  private LossOpsRegistration() {}

  private static final ParamSpec REDUCTION_MEAN = new ParamSpec("reduction", ParamSpec.Type.STRING, "mean",
      "'none' | 'mean' | 'sum'");
  private static final ParamSpec IGNORE_INDEX = new ParamSpec("ignore_index", ParamSpec.Type.INT, "-100",
      "target value that contributes nothing (nor to the mean's denominator)");

  static Reduction reduction(String op, Params p) {
    return Reduction.parse(op, p.getString("reduction"));
  }

  static void registerAll() {
    registerClassification();
    registerPointwise();
    registerRegression();
    registerRegion();
    registerUnet();
    registerDetection();
    registerMetrics();
  }

  private static void registerClassification() {
    ParamSpec smoothing = new ParamSpec("label_smoothing", ParamSpec.Type.FLOAT, "0.0",
        "in [0, 1]: the target becomes (1 - eps) one_hot + eps / C");
    for (boolean weighted : new boolean[] {false, true}) {
      String name = weighted ? "cross_entropy_weighted" : "cross_entropy";
      List<String> inputs = weighted ? List.of("input", "target", "weight") : List.of("input", "target");
      OpRegistry.register(new OpSpec(name,
          "torch.nn.functional.cross_entropy: logits input [N,C,d...] (or [C]), int32 target [N,d...]"
              + (weighted ? ", class weight [C]" : ""),
          inputs, List.of("input"), List.of(IGNORE_INDEX, REDUCTION_MEAN, smoothing), List.of("output"),
          (in, p) -> Map.of("output", Losses.crossEntropy(in.get("input"), in.get("target"), in.get("weight"),
              p.getInt("ignore_index"), reduction(name, p), p.getFloat("label_smoothing"))),
          (in, p, out, g) -> Map.of("input", Losses.crossEntropyBackward(g.get("output"), in.get("input"),
              in.get("target"), in.get("weight"), p.getInt("ignore_index"), reduction(name, p),
              p.getFloat("label_smoothing")))));
      String nll = weighted ? "nll_loss_weighted" : "nll_loss";
      OpRegistry.register(new OpSpec(nll,
          "torch.nn.functional.nll_loss: log-probabilities input [N,C,d...] (or [C]), int32 target [N,d...]"
              + (weighted ? ", class weight [C]" : "") + " (ONNX NegativeLogLikelihoodLoss)",
          inputs, List.of("input"), List.of(IGNORE_INDEX, REDUCTION_MEAN), List.of("output"),
          (in, p) -> Map.of("output", Losses.nllLoss(in.get("input"), in.get("target"), in.get("weight"),
              p.getInt("ignore_index"), reduction(nll, p))),
          (in, p, out, g) -> Map.of("input", Losses.nllLossBackward(g.get("output"), in.get("input"),
              in.get("target"), in.get("weight"), p.getInt("ignore_index"), reduction(nll, p)))));
      String sce = weighted ? "softmax_cross_entropy_loss_weighted" : "softmax_cross_entropy_loss";
      List<String> sceInputs = weighted ? List.of("scores", "labels", "weights") : List.of("scores", "labels");
      OpRegistry.register(new OpSpec(sce,
          "ONNX SoftmaxCrossEntropyLoss: scores [N,C,d...], int32 labels [N,d...]"
              + (weighted ? ", weights [C]" : "") + " -> loss and log_prob (= log_softmax(scores, 1))",
          sceInputs, List.of(), List.of(new ParamSpec("ignore_index", ParamSpec.Type.STRING, "none",
              "an int, or none (ONNX: attribute absent)"), REDUCTION_MEAN), List.of("output", "log_prob"),
          (in, p) -> {
            String ii = p.getString("ignore_index");
            int ignore = ii.equalsIgnoreCase("none") ? Losses.NO_IGNORE_INDEX : parseInt(sce, "ignore_index", ii);
            Losses.LossAndLogProb r = Losses.softmaxCrossEntropyLoss(in.get("scores"), in.get("labels"),
                in.get("weights"), ignore, reduction(sce, p));
            return Map.of("output", r.loss(), "log_prob", r.logProb());
          }, null));
      String focal = weighted ? "softmax_focal_loss_weighted" : "softmax_focal_loss";
      List<ParamSpec> focalParams = List.of(new ParamSpec("alpha", ParamSpec.Type.FLOAT, "1.0", "scale of every term"),
          new ParamSpec("gamma", ParamSpec.Type.FLOAT, "2.0", "focusing exponent (>= 0; 0 is cross-entropy)"),
          IGNORE_INDEX, REDUCTION_MEAN);
      OpRegistry.register(new OpSpec(focal,
          "softmax (multi-class) focal loss -alpha w[t] (1-p_t)^gamma log p_t over logits [N,C,d...], int32 target"
              + (weighted ? ", class weight [C]" : "") + "; mean over non-ignored positions",
          inputs, List.of("input"), focalParams, List.of("output"),
          (in, p) -> Map.of("output", Losses.softmaxFocalLoss(in.get("input"), in.get("target"), in.get("weight"),
              p.getFloat("alpha"), p.getFloat("gamma"), p.getInt("ignore_index"), reduction(focal, p))),
          (in, p, out, g) -> Map.of("input", Losses.softmaxFocalLossBackward(g.get("output"), in.get("input"),
              in.get("target"), in.get("weight"), p.getFloat("alpha"), p.getFloat("gamma"),
              p.getInt("ignore_index"), reduction(focal, p)))));
    }
  }

  private static void registerPointwise() {
    for (boolean weighted : new boolean[] {false, true}) {
      String bce = weighted ? "binary_cross_entropy_weighted" : "binary_cross_entropy";
      OpRegistry.register(new OpSpec(bce,
          "torch.nn.functional.binary_cross_entropy on probabilities input, float target (same shape)"
              + (weighted ? ", weight broadcast over input" : ""),
          weighted ? List.of("input", "target", "weight") : List.of("input", "target"), List.of("input"),
          List.of(REDUCTION_MEAN), List.of("output"),
          (in, p) -> Map.of("output", Losses.binaryCrossEntropy(in.get("input"), in.get("target"), in.get("weight"),
              reduction(bce, p))),
          (in, p, out, g) -> Map.of("input", Losses.binaryCrossEntropyBackward(g.get("output"), in.get("input"),
              in.get("target"), in.get("weight"), reduction(bce, p)))));
      String bcel = weighted ? "binary_cross_entropy_with_logits_weighted" : "binary_cross_entropy_with_logits";
      OpRegistry.register(new OpSpec(bcel,
          "torch.nn.functional.binary_cross_entropy_with_logits: logits input, float target (same shape)"
              + (weighted ? ", weight and pos_weight broadcast over input" : ""),
          weighted ? List.of("input", "target", "weight", "pos_weight") : List.of("input", "target"),
          List.of("input"), List.of(REDUCTION_MEAN), List.of("output"),
          (in, p) -> Map.of("output", Losses.binaryCrossEntropyWithLogits(in.get("input"), in.get("target"),
              in.get("weight"), in.get("pos_weight"), reduction(bcel, p))),
          (in, p, out, g) -> Map.of("input", Losses.binaryCrossEntropyWithLogitsBackward(g.get("output"),
              in.get("input"), in.get("target"), in.get("weight"), in.get("pos_weight"), reduction(bcel, p)))));
    }
    ParamSpec beta = new ParamSpec("beta", ParamSpec.Type.FLOAT, "1.0", "weight of the positive term");
    OpRegistry.register(new OpSpec("weighted_cross_entropy",
        "weighted cross-entropy on logits: -[beta t log sigmoid(x) + (1-t) log(1-sigmoid(x))]",
        List.of("input", "target"), List.of("input"), List.of(beta, REDUCTION_MEAN), List.of("output"),
        (in, p) -> Map.of("output", Losses.weightedCrossEntropy(in.get("input"), in.get("target"),
            p.getFloat("beta"), reduction("weighted_cross_entropy", p))),
        (in, p, out, g) -> Map.of("input", Losses.weightedCrossEntropyBackward(g.get("output"), in.get("input"),
            in.get("target"), p.getFloat("beta"), reduction("weighted_cross_entropy", p)))));
    ParamSpec bbeta = new ParamSpec("beta", ParamSpec.Type.FLOAT, "NaN",
        "in [0, 1]; NaN = HED's choice, the fraction of negatives 1 - mean(target)");
    OpRegistry.register(new OpSpec("balanced_cross_entropy",
        "balanced cross-entropy on logits: -[beta t log sigmoid(x) + (1-beta)(1-t) log(1-sigmoid(x))]",
        List.of("input", "target"), List.of("input"), List.of(bbeta, REDUCTION_MEAN), List.of("output"),
        (in, p) -> Map.of("output", Losses.balancedCrossEntropy(in.get("input"), in.get("target"),
            p.getFloat("beta"), reduction("balanced_cross_entropy", p))),
        (in, p, out, g) -> Map.of("input", Losses.balancedCrossEntropyBackward(g.get("output"), in.get("input"),
            in.get("target"), p.getFloat("beta"), reduction("balanced_cross_entropy", p)))));
    List<ParamSpec> focal = List.of(
        new ParamSpec("alpha", ParamSpec.Type.FLOAT, "0.25", "weight of positives (negatives 1-alpha); < 0: none"),
        new ParamSpec("gamma", ParamSpec.Type.FLOAT, "2.0", "focusing exponent (>= 0)"),
        new ParamSpec("reduction", ParamSpec.Type.STRING, "none", "'none' | 'mean' | 'sum'"));
    OpRegistry.register(new OpSpec("sigmoid_focal_loss",
        "torchvision.ops.sigmoid_focal_loss: logits inputs, float targets (same shape)",
        List.of("inputs", "targets"), List.of("inputs"), focal, List.of("output"),
        (in, p) -> Map.of("output", Losses.sigmoidFocalLoss(in.get("inputs"), in.get("targets"), p.getFloat("alpha"),
            p.getFloat("gamma"), reduction("sigmoid_focal_loss", p))),
        (in, p, out, g) -> Map.of("inputs", Losses.sigmoidFocalLossBackward(g.get("output"), in.get("inputs"),
            in.get("targets"), p.getFloat("alpha"), p.getFloat("gamma"), reduction("sigmoid_focal_loss", p)))));
    OpRegistry.register(new OpSpec("sigmoid_focal_loss_fused",
        "sigmoid_focal_loss and d output / d inputs (unit upstream gradient) from one fused kernel",
        List.of("inputs", "targets"), List.of(), focal, List.of("output", "grad_inputs"),
        (in, p) -> {
          Losses.LossAndGrad r = Losses.sigmoidFocalLossWithGrad(in.get("inputs"), in.get("targets"),
              p.getFloat("alpha"), p.getFloat("gamma"), reduction("sigmoid_focal_loss_fused", p));
          return Map.of("output", r.loss(), "grad_inputs", r.gradInput());
        }, null));
    OpRegistry.register(new OpSpec("binary_cross_entropy_with_logits_fused",
        "binary_cross_entropy_with_logits and d output / d input (unit upstream gradient) from one fused kernel",
        List.of("input", "target"), List.of(), List.of(REDUCTION_MEAN), List.of("output", "grad_input"),
        (in, p) -> {
          Losses.LossAndGrad r = Losses.binaryCrossEntropyWithLogitsWithGrad(in.get("input"), in.get("target"), null,
              null, reduction("binary_cross_entropy_with_logits_fused", p));
          return Map.of("output", r.loss(), "grad_input", r.gradInput());
        }, null));
    ParamSpec sbeta = new ParamSpec("beta", ParamSpec.Type.FLOAT, "1.0", "quadratic below beta (0: L1)");
    OpRegistry.register(new OpSpec("smooth_l1_loss", "torch.nn.functional.smooth_l1_loss (same-shape input, target)",
        List.of("input", "target"), List.of("input"), List.of(REDUCTION_MEAN, sbeta), List.of("output"),
        (in, p) -> Map.of("output", Losses.smoothL1Loss(in.get("input"), in.get("target"),
            reduction("smooth_l1_loss", p), p.getFloat("beta"))),
        (in, p, out, g) -> Map.of("input", Losses.smoothL1LossBackward(g.get("output"), in.get("input"),
            in.get("target"), reduction("smooth_l1_loss", p), p.getFloat("beta")))));
    OpRegistry.register(new OpSpec("l1_loss", "torch.nn.functional.l1_loss (same-shape input, target)",
        List.of("input", "target"), List.of("input"), List.of(REDUCTION_MEAN), List.of("output"),
        (in, p) -> Map.of("output", Losses.l1Loss(in.get("input"), in.get("target"), reduction("l1_loss", p))),
        (in, p, out, g) -> Map.of("input", Losses.l1LossBackward(g.get("output"), in.get("input"), in.get("target"),
            reduction("l1_loss", p)))));
    OpRegistry.register(new OpSpec("mse_loss", "torch.nn.functional.mse_loss (same-shape input, target)",
        List.of("input", "target"), List.of("input"), List.of(REDUCTION_MEAN), List.of("output"),
        (in, p) -> Map.of("output", Losses.mseLoss(in.get("input"), in.get("target"), reduction("mse_loss", p))),
        (in, p, out, g) -> Map.of("input", Losses.mseLossBackward(g.get("output"), in.get("input"),
            in.get("target"), reduction("mse_loss", p)))));
  }

  static void registerRegression() {
    OpRegistry.register(new OpSpec("rcnn_box_regression_loss",
        "R-CNN box regressor objective: 0.5 sum (target - input)^2 + lambda ||weight||^2 (input, target [N,K];"
            + " weight = the regressor's parameters, any shape); none: per row with lambda ||w||^2 / N",
        List.of("input", "target", "weight"), List.of("input", "weight"),
        List.of(new ParamSpec("lambda", ParamSpec.Type.FLOAT, "1000.0", "ridge coefficient (R-CNN: 1000)"),
            new ParamSpec("reduction", ParamSpec.Type.STRING, "sum", "'none' | 'mean' | 'sum'")),
        List.of("output"),
        (in, p) -> Map.of("output", Losses.rcnnBoxRegressionLoss(in.get("input"), in.get("target"), in.get("weight"),
            p.getFloat("lambda"), reduction("rcnn_box_regression_loss", p))),
        (in, p, out, g) -> {
          Losses.InputAndWeightGrads r = Losses.rcnnBoxRegressionLossBackward(g.get("output"), in.get("input"),
              in.get("target"), in.get("weight"), p.getFloat("lambda"), reduction("rcnn_box_regression_loss", p));
          return Map.of("input", r.gradInput(), "weight", r.gradWeight());
        }));
  }

  static void registerRegion() {
    List<ParamSpec> common = List.of(
        new ParamSpec("mode", ParamSpec.Type.STRING, null, "'binary' | 'multiclass' | 'multilabel'"),
        new ParamSpec("from_logits", ParamSpec.Type.BOOL, "true", "apply sigmoid (softmax for multiclass) first"),
        new ParamSpec("smooth", ParamSpec.Type.FLOAT, "0.0", "added to numerator and denominator"),
        new ParamSpec("eps", ParamSpec.Type.FLOAT, "1e-7", "lower bound of the denominator"),
        new ParamSpec("log_loss", ParamSpec.Type.BOOL, "false", "-log(score) instead of 1 - score"),
        new ParamSpec("ignore_index", ParamSpec.Type.STRING, "none", "an int target value to ignore, or none"),
        REDUCTION_MEAN);
    for (boolean jaccard : new boolean[] {false, true}) {
      String name = jaccard ? "jaccard_loss" : "dice_loss";
      OpRegistry.register(new OpSpec(name, (jaccard ? "Jaccard (soft IoU)" : "Dice")
          + " loss, segmentation_models_pytorch semantics: input [N,C,d...]; target int32 [N,d...] (multiclass) or"
          + " float (binary/multilabel); none = per-class losses [C]",
          List.of("input", "target"), List.of("input"), common, List.of("output"),
          (in, p) -> Map.of("output", jaccard
              ? RegionLosses.jaccardLoss(in.get("input"), in.get("target"), mode(name, p), options(name, p),
                  reduction(name, p))
              : RegionLosses.diceLoss(in.get("input"), in.get("target"), mode(name, p), options(name, p),
                  reduction(name, p))),
          (in, p, out, g) -> Map.of("input", jaccard
              ? RegionLosses.jaccardLossBackward(g.get("output"), in.get("input"), in.get("target"), mode(name, p),
                  options(name, p), reduction(name, p))
              : RegionLosses.diceLossBackward(g.get("output"), in.get("input"), in.get("target"), mode(name, p),
                  options(name, p), reduction(name, p)))));
    }
    List<ParamSpec> compound = new java.util.ArrayList<>(common);
    compound.add(new ParamSpec("region", ParamSpec.Type.STRING, "dice", "'dice' | 'jaccard'"));
    compound.add(new ParamSpec("beta", ParamSpec.Type.FLOAT, "0.5", "weight of the region term, in [0, 1]"));
    String cn = "compound_loss";
    OpRegistry.register(new OpSpec(cn, "beta * region + (1 - beta) * distribution on logits (dice/jaccard +"
        + " cross_entropy for multiclass, + binary_cross_entropy_with_logits otherwise); reduction mean or sum",
        List.of("input", "target"), List.of("input"), compound, List.of("output"),
        (in, p) -> Map.of("output", RegionLosses.compoundLoss(in.get("input"), in.get("target"), mode(cn, p),
            jaccardRegion(cn, p), p.getFloat("beta"), options(cn, p), reduction(cn, p))),
        (in, p, out, g) -> Map.of("input", RegionLosses.compoundLossBackward(g.get("output"), in.get("input"),
            in.get("target"), mode(cn, p), jaccardRegion(cn, p), p.getFloat("beta"), options(cn, p),
            reduction(cn, p)))));
  }

  private static RegionLosses.Mode mode(String op, Params p) {
    return RegionLosses.Mode.parse(op, p.getString("mode"));
  }

  private static RegionLosses.Options options(String op, Params p) {
    String ii = p.getString("ignore_index");
    Integer ignore = ii.equalsIgnoreCase("none") ? null : parseInt(op, "ignore_index", ii);
    return new RegionLosses.Options(p.getBool("from_logits"), p.getFloat("smooth"), p.getFloat("eps"),
        p.getBool("log_loss"), ignore);
  }

  private static boolean jaccardRegion(String op, Params p) {
    String r = p.getString("region").trim();
    if (!r.equalsIgnoreCase("dice") && !r.equalsIgnoreCase("jaccard")) {
      throw new IllegalArgumentException(op + ": parameter 'region': expected 'dice' or 'jaccard' but got '" + r + "'");
    }
    return r.equalsIgnoreCase("jaccard");
  }

  static void registerUnet() {
    OpRegistry.register(new OpSpec("unet_weight_map",
        "U-Net pixel weights from int32 instance labels [H,W] or [N,H,W] (0 = background): w_c + w0 exp(-(d1+d2)^2"
            + " / (2 sigma^2)) on background pixels; CPU only",
        List.of("labels"), List.of(),
        List.of(new ParamSpec("w0", ParamSpec.Type.FLOAT, "10.0", "border weight"),
            new ParamSpec("sigma", ParamSpec.Type.FLOAT, "5.0", "border width in pixels"),
            new ParamSpec("class_weights", ParamSpec.Type.STRING, "balanced",
                "'balanced' (N / (2 N_class) per image) or 'background,foreground'")),
        List.of("output"),
        (in, p) -> {
          String cw = p.getString("class_weights").trim();
          float[] weights = null;
          if (!cw.equalsIgnoreCase("balanced")) {
            String[] parts = cw.split(",");
            try {
              weights = new float[parts.length];
              for (int i = 0; i < parts.length; i++) {
                weights[i] = Float.parseFloat(parts[i].trim());
              }
            } catch (NumberFormatException e) {
              throw new IllegalArgumentException("unet_weight_map: parameter 'class_weights': expected 'balanced' or"
                  + " two numbers but got '" + cw + "'");
            }
          }
          return Map.of("output", UnetWeightMap.weightMap(in.get("labels"), p.getFloat("w0"), p.getFloat("sigma"),
              weights));
        }, null));
  }

  static void registerDetection() {
    ParamSpec tvBeta = new ParamSpec("beta", ParamSpec.Type.FLOAT, "0.1111111", "smooth L1 beta (torchvision: 1/9)");
    OpRegistry.register(new OpSpec("fastrcnn_loss",
        "torchvision fastrcnn_loss: class_logits [R,C], box_regression [R,4C], int32 labels [R], regression_targets"
            + " [R,4] -> loss_classifier, loss_box_reg",
        List.of("class_logits", "box_regression", "labels", "regression_targets"),
        List.of("class_logits", "box_regression"), List.of(tvBeta), List.of("loss_classifier", "loss_box_reg"),
        (in, p) -> {
          DetectionLosses.Pair r = DetectionLosses.fastRcnnLoss(in.get("class_logits"), in.get("box_regression"),
              in.get("labels"), in.get("regression_targets"), p.getFloat("beta"));
          return Map.of("loss_classifier", r.first(), "loss_box_reg", r.second());
        },
        (in, p, out, g) -> {
          DetectionLosses.Pair r = DetectionLosses.fastRcnnLossBackward(g.get("loss_classifier"),
              g.get("loss_box_reg"), in.get("class_logits"), in.get("box_regression"), in.get("labels"),
              in.get("regression_targets"), p.getFloat("beta"));
          return Map.of("class_logits", r.first(), "box_regression", r.second());
        }));
    List<ParamSpec> rpn = List.of(tvBeta,
        new ParamSpec("lambda", ParamSpec.Type.FLOAT, "1.0", "weight of the box term (paper: 10)"),
        new ParamSpec("box_normalizer", ParamSpec.Type.FLOAT, "0.0",
            "N_box; 0 = number of sampled anchors (torchvision); paper: ~2400"));
    OpRegistry.register(new OpSpec("rpn_loss",
        "RPN loss: objectness [A] logits, pred_bbox_deltas [A,4], int32 labels [A] (1 pos, 0 neg, -1 unsampled),"
            + " regression_targets [A,4] -> loss_objectness, loss_rpn_box_reg",
        List.of("objectness", "pred_bbox_deltas", "labels", "regression_targets"),
        List.of("objectness", "pred_bbox_deltas"), rpn, List.of("loss_objectness", "loss_rpn_box_reg"),
        (in, p) -> {
          DetectionLosses.Pair r = DetectionLosses.rpnLoss(in.get("objectness"), in.get("pred_bbox_deltas"),
              in.get("labels"), in.get("regression_targets"), p.getFloat("beta"), p.getFloat("lambda"),
              p.getFloat("box_normalizer"));
          return Map.of("loss_objectness", r.first(), "loss_rpn_box_reg", r.second());
        },
        (in, p, out, g) -> {
          DetectionLosses.Pair r = DetectionLosses.rpnLossBackward(g.get("loss_objectness"),
              g.get("loss_rpn_box_reg"), in.get("objectness"), in.get("pred_bbox_deltas"), in.get("labels"),
              in.get("regression_targets"), p.getFloat("beta"), p.getFloat("lambda"), p.getFloat("box_normalizer"));
          return Map.of("objectness", r.first(), "pred_bbox_deltas", r.second());
        }));
    OpRegistry.register(new OpSpec("maskrcnn_loss",
        "Mask R-CNN mask loss: mask_logits [R,C,M,M], int32 labels [R], projected mask_targets [R,M,M] -> mean BCE"
            + " with logits on each RoI's ground-truth class",
        List.of("mask_logits", "labels", "mask_targets"), List.of("mask_logits"), List.of(), List.of("output"),
        (in, p) -> Map.of("output", DetectionLosses.maskRcnnLoss(in.get("mask_logits"), in.get("labels"),
            in.get("mask_targets"))),
        (in, p, out, g) -> Map.of("mask_logits", DetectionLosses.maskRcnnLossBackward(g.get("output"),
            in.get("mask_logits"), in.get("labels"), in.get("mask_targets")))));
    List<ParamSpec> ssd = List.of(new ParamSpec("neg_pos_ratio", ParamSpec.Type.INT, "3", "negatives per positive"),
        new ParamSpec("beta", ParamSpec.Type.FLOAT, "1.0", "smooth L1 beta"));
    OpRegistry.register(new OpSpec("ssd_loss",
        "SSD loss with hard negative mining: cls_logits [N,A,C], bbox_regression [N,A,4], int32 labels [N,A]"
            + " (0 bg, -1 ignored), bbox_targets [N,A,4] -> bbox_regression, classification (both / N_pos)",
        List.of("cls_logits", "bbox_regression", "labels", "bbox_targets"), List.of("cls_logits", "bbox_regression"),
        ssd, List.of("loss_bbox_regression", "loss_classification"),
        (in, p) -> {
          DetectionLosses.Pair r = DetectionLosses.ssdLoss(in.get("cls_logits"), in.get("bbox_regression"),
              in.get("labels"), in.get("bbox_targets"), p.getInt("neg_pos_ratio"), p.getFloat("beta"));
          return Map.of("loss_bbox_regression", r.first(), "loss_classification", r.second());
        },
        (in, p, out, g) -> {
          DetectionLosses.Pair r = DetectionLosses.ssdLossBackward(g.get("loss_bbox_regression"),
              g.get("loss_classification"), in.get("cls_logits"), in.get("bbox_regression"), in.get("labels"),
              in.get("bbox_targets"), p.getInt("neg_pos_ratio"), p.getFloat("beta"));
          return Map.of("cls_logits", r.first(), "bbox_regression", r.second());
        }));
    OpRegistry.register(new OpSpec("ssd_hard_negative_mining",
        "SSD hard negative mining: loss [N,A], int32 labels [N,A] -> float mask of positives and the top"
            + " neg_pos_ratio * positives negatives by loss (ties to the lower index)",
        List.of("loss", "labels"), List.of(), List.of(ssd.get(0)), List.of("output"),
        (in, p) -> Map.of("output", DetectionLosses.hardNegativeMining(in.get("loss"), in.get("labels"),
            p.getInt("neg_pos_ratio"))), null));
    List<ParamSpec> yolo = List.of(new ParamSpec("boxes", ParamSpec.Type.INT, "2", "B, boxes per cell"),
        new ParamSpec("lambda_coord", ParamSpec.Type.FLOAT, "5.0", "weight of the coordinate terms"),
        new ParamSpec("lambda_noobj", ParamSpec.Type.FLOAT, "0.5", "weight of the no-object confidence terms"),
        new ParamSpec("iou_target", ParamSpec.Type.BOOL, "true", "confidence target = IoU (else 1)"),
        new ParamSpec("reduction", ParamSpec.Type.STRING, "sum", "'none' (per image) | 'mean' (over images) | 'sum'"));
    OpRegistry.register(new OpSpec("yolov1_loss",
        "YOLOv1 loss: predictions [N,S,S,5B+C] (B x (x,y,w,h,conf), C classes), targets [N,S,S,5+C]"
            + " (x,y,w,h,obj, classes)",
        List.of("predictions", "targets"), List.of("predictions"), yolo, List.of("output"),
        (in, p) -> Map.of("output", DetectionLosses.yoloV1Loss(in.get("predictions"), in.get("targets"),
            p.getInt("boxes"), p.getFloat("lambda_coord"), p.getFloat("lambda_noobj"), p.getBool("iou_target"),
            reduction("yolov1_loss", p))),
        (in, p, out, g) -> Map.of("predictions", DetectionLosses.yoloV1LossBackward(g.get("output"),
            in.get("predictions"), in.get("targets"), p.getInt("boxes"), p.getFloat("lambda_coord"),
            p.getFloat("lambda_noobj"), p.getBool("iou_target"), reduction("yolov1_loss", p)))));
  }

  static void registerMetrics() {
    OpRegistry.register(new OpSpec("segmentation_metrics",
        "confusion matrix [C,C] (rows target, int32), per-class iou and dice [C], pixel_accuracy, miou, dice_macro,"
            + " dice_micro from int32 prediction and target class maps (cpu)",
        List.of("prediction", "target"), List.of(),
        List.of(new ParamSpec("num_classes", ParamSpec.Type.INT, null, "number of classes"),
            new ParamSpec("ignore_index", ParamSpec.Type.STRING, "none", "target value to skip, or none")),
        List.of("confusion_matrix", "iou", "dice", "pixel_accuracy", "miou", "dice_macro", "dice_micro"),
        (in, p) -> {
          String ii = p.getString("ignore_index");
          Integer ignore = ii.equalsIgnoreCase("none") ? null : parseInt("segmentation_metrics", "ignore_index", ii);
          SegmentationMetrics m = SegmentationMetrics.create(p.getInt("num_classes"))
              .update(in.get("prediction"), in.get("target"), ignore);
          long[][] cm = m.confusionMatrix();
          int c = cm.length;
          int[] flat = new int[c * c];
          for (int i = 0; i < c; i++) {
            for (int j = 0; j < c; j++) {
              if (cm[i][j] > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("segmentation_metrics: a count exceeds int32");
              }
              flat[i * c + j] = (int) cm[i][j];
            }
          }
          return Map.of("confusion_matrix", Tensor.of(flat, c, c), "iou", floats(m.iou()), "dice", floats(m.dice()),
              "pixel_accuracy", Tensor.scalar(Device.CPU, (float) m.pixelAccuracy()),
              "miou", Tensor.scalar(Device.CPU, (float) m.meanIou()),
              "dice_macro", Tensor.scalar(Device.CPU, (float) m.diceMacro()),
              "dice_micro", Tensor.scalar(Device.CPU, (float) m.diceMicro()));
        }, null));
    OpRegistry.register(new OpSpec("mask_iou", "IoU of every pair of uint8 binary masks masks1 [N,H,W], masks2 [M,H,W]"
        + " -> [N,M] (via COCO RLE; cpu)", List.of("masks1", "masks2"), List.of(), List.of(), List.of("output"),
        (in, p) -> Map.of("output", MetricOps.maskIou(in.get("masks1"), in.get("masks2"))), null));
    OpRegistry.register(new OpSpec("coco_eval",
        "COCO box AP: detections [D,7] (image, category, score, x1,y1,x2,y2), ground_truth [G,7] (image, category,"
            + " x1,y1,x2,y2, flags: 1 = crowd) -> stats [12] (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs,"
            + " ARm, ARl)", List.of("detections", "ground_truth"), List.of(), List.of(), List.of("stats"),
        (in, p) -> Map.of("stats", floats(DetectionMetrics.cocoEvaluate(
            MetricOps.detections("coco_eval", in.get("detections")),
            MetricOps.groundTruth("coco_eval", in.get("ground_truth")),
            DetectionMetrics.CocoParams.standard(false)).stats())), null));
    OpRegistry.register(new OpSpec("voc_eval",
        "PASCAL VOC mAP: detections [D,7], ground_truth [G,7] (flags: 2 = difficult) -> map (0-d)",
        List.of("detections", "ground_truth"), List.of(),
        List.of(new ParamSpec("iou_threshold", ParamSpec.Type.FLOAT, "0.5", "IoU above which a detection matches"),
            new ParamSpec("use_07_metric", ParamSpec.Type.BOOL, "false", "VOC2007 11-point AP (else all-point)")),
        List.of("map"),
        (in, p) -> Map.of("map", Tensor.scalar(Device.CPU, (float) DetectionMetrics.vocMeanAp(
            MetricOps.detections("voc_eval", in.get("detections")),
            MetricOps.groundTruth("voc_eval", in.get("ground_truth")), p.getFloat("iou_threshold"),
            p.getBool("use_07_metric"), true))), null));
  }

  private static Tensor floats(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return Tensor.of(f, f.length);
  }

  static int parseInt(String op, String param, String text) {
    try {
      return Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(op + ": parameter '" + param + "': expected int but got '" + text + "'");
    }
  }
}
