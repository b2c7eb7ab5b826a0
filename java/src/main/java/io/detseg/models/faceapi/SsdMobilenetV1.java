package io.detseg.models.faceapi;

import io.detseg.data.Detection;
import io.detseg.data.TfjsWeights;
import io.detseg.ops.Activations;
import io.detseg.ops.BoxCoding;
import io.detseg.ops.Concat;
import io.detseg.ops.Nms;
import io.detseg.ops.Views;
import io.detseg.tensor.Device;
import io.detseg.tensor.Scope;
import io.detseg.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * face-api's SsdMobilenetv1 face detector (MODELS.md §2): MobileNetV1 backbone of depthwise-separable
 * blocks, eight extra layers, six box predictors over 5 118 stored anchors, variance decoding, sigmoid
 * face scores and greedy NMS at IoU 0.5 — all as detseg ops on the chosen device.
 */
public final class SsdMobilenetV1 implements FaceDetector {
  public static final String MANIFEST = "ssd_mobilenetv1_model-weights_manifest.json";
  static final int INPUT_SIZE = 512;
  static final double IOU_THRESHOLD = 0.5;
  static final int MAX_RESULTS = 100;
  private static final float BN_EPS = 0.0010000000474974513f;
  private static final int[] DEPTHWISE_STRIDE_2 = {2, 4, 6, 12};
  private static final int[] ANCHORS_PER_CELL = {3, 6, 6, 6, 6, 6};

  private final Device device;
  private final List<Tensor> owned = new ArrayList<>();
  private final Tensor[] pwWeight = new Tensor[14];
  private final Tensor[] pwBias = new Tensor[14];
  private final Tensor[][] dw = new Tensor[14][];
  private final Tensor[] extraWeight = new Tensor[8];
  private final Tensor[] extraBias = new Tensor[8];
  private final Tensor[] boxWeight = new Tensor[6];
  private final Tensor[] boxBias = new Tensor[6];
  private final Tensor[] classWeight = new Tensor[6];
  private final Tensor[] classBias = new Tensor[6];
  private final Tensor anchors;

  /** Loads the weights from the manifest in {@code weightsDir} onto {@code device}. */
  public SsdMobilenetV1(Path weightsDir, Device device) throws IOException {
    this.device = device;
    try (TfjsWeights w = TfjsWeights.load(weightsDir.resolve(MANIFEST))) {
      String mn = "MobilenetV1/Conv2d_";
      pwWeight[0] = own(TfLayers.convFilter(w.get(mn + "0_pointwise/weights"), device));
      pwBias[0] = own(w.get(mn + "0_pointwise/convolution_bn_offset").to(device));
      for (int i = 1; i <= 13; i++) {
        String d = mn + i + "_depthwise/";
        dw[i] = new Tensor[] {own(TfLayers.depthwiseFilter(w.get(d + "depthwise_weights"), device)),
            own(w.get(d + "BatchNorm/moving_mean").to(device)), own(w.get(d + "BatchNorm/moving_variance").to(device)),
            own(w.get(d + "BatchNorm/gamma").to(device)), own(w.get(d + "BatchNorm/beta").to(device))};
        pwWeight[i] = own(TfLayers.convFilter(w.get(mn + i + "_pointwise/weights"), device));
        pwBias[i] = own(w.get(mn + i + "_pointwise/convolution_bn_offset").to(device));
      }
      for (int i = 0; i < 8; i++) {
        String p = "Prediction/Conv2d_" + i + "_pointwise/";
        extraWeight[i] = own(TfLayers.convFilter(w.get(p + "weights"), device));
        extraBias[i] = own(w.get(p + "convolution_bn_offset").to(device));
      }
      for (int i = 0; i < 6; i++) {
        String p = "Prediction/BoxPredictor_" + i + "/";
        boxWeight[i] = own(TfLayers.convFilter(w.get(p + "BoxEncodingPredictor/weights"), device));
        boxBias[i] = own(w.get(p + "BoxEncodingPredictor/biases").to(device));
        classWeight[i] = own(TfLayers.convFilter(w.get(p + "ClassPredictor/weights"), device));
        classBias[i] = own(w.get(p + "ClassPredictor/biases").to(device));
      }
      try (Tensor a = w.get("Output/extra_dim").reshape(5118, 4)) {
        anchors = own(a.to(device));
      }
    } catch (IOException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private Tensor own(Tensor t) {
    owned.add(t);
    return t;
  }

  @Override
  public String name() {
    return "face-ssd";
  }

  @Override
  public double defaultMinScore() {
    return 0.5;
  }

  /** The network input: padded, resized to 512² and scaled to [-1, 1] (x / 127.5 − 1). */
  Tensor preprocess(BufferedImage image, SquareInput geometry) {
    try (Tensor resized = geometry.resized(image, device)) {
      return TfLayers.channelAffine(resized, new float[3], 1 / 127.5f, -1f);
    }
  }

  /** Raw predictor outputs: box encodings [1, 5118, 4] (ty, tx, th, tw) and class logits [1, 5118, 3]. */
  record Outputs(Tensor boxEncodings, Tensor classLogits) implements AutoCloseable {
    @Override
    public void close() {
      boxEncodings.close();
      classLogits.close();
    }
  }

  Outputs forward(Tensor input) {
    return forward(input, (name, t) -> { });
  }

  /** The forward pass, showing each layer's output (NCHW) to {@code layers} under face-api's layer names. */
  Outputs forward(Tensor input, BiConsumer<String, Tensor> layers) {
    try (Scope s = Scope.open()) {
      Tensor x = TfLayers.relu6(TfLayers.convSame(input, pwWeight[0], pwBias[0], 2, 1));
      layers.accept("mobilenetv1/conv_0", x);
      Tensor conv11 = null;
      for (int i = 1; i <= 13; i++) {
        int stride = contains(DEPTHWISE_STRIDE_2, i) ? 2 : 1;
        Tensor d = TfLayers.convSame(x, dw[i][0], null, stride, (int) x.size(1));
        d = TfLayers.relu6(TfLayers.batchNorm(d, dw[i][1], dw[i][2], dw[i][3], dw[i][4], BN_EPS));
        layers.accept("mobilenetv1/conv_" + i + "/depthwise_conv", d);
        x = TfLayers.relu6(TfLayers.convSame(d, pwWeight[i], pwBias[i], 1, 1));
        layers.accept("mobilenetv1/conv_" + i + "/pointwise_conv", x);
        if (i == 11) {
          conv11 = x;
        }
      }
      Tensor[] maps = new Tensor[6];
      maps[0] = conv11;
      maps[1] = x;
      Tensor y = x;
      for (int i = 0; i < 8; i++) {
        int stride = i % 2 == 1 ? 2 : 1;
        y = TfLayers.relu6(TfLayers.convSame(y, extraWeight[i], extraBias[i], stride, 1));
        layers.accept("prediction_layer/conv_" + i, y);
        if (i % 2 == 1) {
          maps[2 + i / 2] = y;
        }
      }
      List<Tensor> boxes = new ArrayList<>();
      List<Tensor> classes = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String p = "prediction_layer/box_predictor_" + i;
        boxes.add(predict(maps[i], boxWeight[i], boxBias[i], 4, p + "/box_encoding_predictor", layers));
        classes.add(predict(maps[i], classWeight[i], classBias[i], 3, p + "/class_predictor", layers));
      }
      return new Outputs(s.keep(Concat.cat(boxes, 1)), s.keep(Concat.cat(classes, 1)));
    }
  }

  /** 1×1 conv, then NCHW [1, A·k, h, w] → [1, h·w·A, k]: anchor index (row · w + col) · A + a. */
  private static Tensor predict(Tensor map, Tensor weight, Tensor bias, int k, String name,
      BiConsumer<String, Tensor> layers) {
    Tensor p = TfLayers.convSame(map, weight, bias, 1, 1);
    layers.accept(name, p);
    Tensor nhwc = Views.permute(p, 0, 2, 3, 1);
    return nhwc.reshape(1, nhwc.numel() / k, k);
  }

  /** Decoded boxes [5118, 4] (ymin, xmin, ymax, xmax in the padded square) and scores [5118]. */
  record Decoded(Tensor boxes, Tensor scores) implements AutoCloseable {
    @Override
    public void close() {
      boxes.close();
      scores.close();
    }
  }

  Decoded decode(Outputs out) {
    try (Scope s = Scope.open()) {
      // Variance decoding = BoxCoder(10, 10, 5, 5) with no clamp. The formula is symmetric in x and y,
      // so codes (ty, tx, th, tw) against anchors (ymin, xmin, ymax, xmax) give (ymin, xmin, ymax, xmax).
      Tensor codes = out.boxEncodings().reshape(5118, 4);
      Tensor boxes = BoxCoding.decodeBoxes(codes, anchors, new float[] {10, 10, 5, 5}, Float.POSITIVE_INFINITY);
      Tensor faceLogit = Views.narrow(out.classLogits(), 2, 1, 1).reshape(5118);
      Tensor scores = Activations.sigmoid(faceLogit);
      return new Decoded(s.keep(boxes), s.keep(scores));
    }
  }

  @Override
  public List<Detection> detect(BufferedImage image, double minScore) {
    SquareInput geometry = new SquareInput(image.getWidth(), image.getHeight(), INPUT_SIZE);
    try (Scope s = Scope.open()) {
      Outputs raw = forward(preprocess(image, geometry));
      Decoded d = decode(raw);
      int[] keep = Nms.nms(d.boxes(), d.scores(), IOU_THRESHOLD, minScore, MAX_RESULTS).toIntArray();
      float[] boxes = d.boxes().toFloatArray();
      float[] scores = d.scores().toFloatArray();
      return toPixels(keep, boxes, scores, geometry);
    }
  }

  /** face-api's mapping back (MODELS.md §2.6), in double precision. */
  static List<Detection> toPixels(int[] keep, float[] boxes, float[] scores, SquareInput g) {
    double padX = (double) INPUT_SIZE / g.reshapedWidth;
    double padY = (double) INPUT_SIZE / g.reshapedHeight;
    List<Detection> out = new ArrayList<>();
    for (int i : keep) {
      double ymin = boxes[4 * i];
      double xmin = boxes[4 * i + 1];
      double ymax = boxes[4 * i + 2];
      double xmax = boxes[4 * i + 3];
      double top = Math.max(0, Math.min(ymin, ymax)) * padY;
      double bottom = Math.min(1, Math.max(ymin, ymax)) * padY;
      double left = Math.max(0, Math.min(xmin, xmax)) * padX;
      double right = Math.min(1, Math.max(xmin, xmax)) * padX;
      out.add(new Detection(left * g.width, top * g.height, (right - left) * g.width, (bottom - top) * g.height,
          scores[i], "face"));
    }
    return out;
  }

  private static boolean contains(int[] a, int v) {
    for (int x : a) {
      if (x == v) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    owned.forEach(Tensor::close);
    owned.clear();
  }
}
