package io.detseg.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.detseg.metrics.DetectionMetrics.CocoParams;
import io.detseg.metrics.DetectionMetrics.CocoResult;
import io.detseg.metrics.DetectionMetrics.Detection;
import io.detseg.metrics.DetectionMetrics.GroundTruth;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Metrics: small cases worked out by hand (the arithmetic is in the comments) and randomized cases
 * against straightforward implementations written here.
 */
class MetricsTest {
  // ---- segmentation ---------------------------------------------------------------------------------

  @Test
  void confusionMatrixByHand() {
    // target  0 0 1 1 2 2 255
    // pred    0 1 1 1 0 2 0     (the 255 pixel is ignored)
    // matrix rows = target: [1 1 0] [0 2 0] [1 0 1]; 6 counted pixels, 4 correct: accuracy 4/6.
    // class 0: TP 1, FP 1 (target 2), FN 1 (pred 1): IoU 1/3, Dice 2/4
    // class 1: TP 2, FP 1, FN 0: IoU 2/3, Dice 4/5
    // class 2: TP 1, FP 0, FN 1: IoU 1/2, Dice 2/3
    // class 3: absent from both: NaN, left out of the means.
    SegmentationMetrics m = SegmentationMetrics.create(4)
        .update(new int[] {0, 1, 1, 1, 0, 2, 0}, new int[] {0, 0, 1, 1, 2, 2, 255}, 255);
    assertArrayEquals(new long[] {1, 1, 0, 0}, m.confusionMatrix()[0]);
    assertArrayEquals(new long[] {0, 2, 0, 0}, m.confusionMatrix()[1]);
    assertArrayEquals(new long[] {1, 0, 1, 0}, m.confusionMatrix()[2]);
    assertEquals(4.0 / 6, m.pixelAccuracy(), 1e-12);
    double[] iou = m.iou();
    assertEquals(1.0 / 3, iou[0], 1e-12);
    assertEquals(2.0 / 3, iou[1], 1e-12);
    assertEquals(0.5, iou[2], 1e-12);
    assertTrue(Double.isNaN(iou[3]));
    assertEquals((1.0 / 3 + 2.0 / 3 + 0.5) / 3, m.meanIou(), 1e-12);
    assertEquals((0.5 + 0.8 + 2.0 / 3) / 3, m.diceMacro(), 1e-12);
    // micro: 2 * 4 / (2 * 4 + 2 + 2) = 8 / 12 = accuracy
    assertEquals(8.0 / 12, m.diceMicro(), 1e-12);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SegmentationMetrics.create(2).update(new int[] {0}, new int[] {5}, null));
    assertTrue(e.getMessage().contains("expected class indices in [0, 2) but got 5"), e.getMessage());
  }

  @Test
  void segmentationMetricsMatchDirectCountingOnRandomMaps() {
    Random rnd = new Random(1);
    int c = 6;
    int n = 5000;
    int[] pred = new int[n];
    int[] tgt = new int[n];
    for (int i = 0; i < n; i++) {
      tgt[i] = rnd.nextDouble() < 0.05 ? -1 : rnd.nextInt(c - 1);  // class 5 never in target
      pred[i] = rnd.nextDouble() < 0.6 && tgt[i] >= 0 ? tgt[i] : rnd.nextInt(c - 1);
    }
    SegmentationMetrics m = SegmentationMetrics.create(c).update(pred, tgt, -1);
    double iouSum = 0;
    int iouN = 0;
    long correct = 0;
    long counted = 0;
    for (int k = 0; k < c; k++) {
      long inter = 0;
      long uni = 0;
      for (int i = 0; i < n; i++) {
        if (tgt[i] == -1) {
          continue;
        }
        boolean a = pred[i] == k;
        boolean b = tgt[i] == k;
        inter += a && b ? 1 : 0;
        uni += a || b ? 1 : 0;
      }
      if (uni > 0) {
        assertEquals((double) inter / uni, m.iou()[k], 1e-12, "class " + k);
        iouSum += (double) inter / uni;
        iouN++;
      } else {
        assertTrue(Double.isNaN(m.iou()[k]));
      }
    }
    for (int i = 0; i < n; i++) {
      if (tgt[i] != -1) {
        counted++;
        correct += pred[i] == tgt[i] ? 1 : 0;
      }
    }
    assertEquals(iouSum / iouN, m.meanIou(), 1e-12);
    assertEquals((double) correct / counted, m.pixelAccuracy(), 1e-12);
    assertEquals(m.pixelAccuracy(), m.diceMicro(), 1e-12, "single-label pixels: micro F1 = accuracy");
  }

  // ---- RLE --------------------------------------------------------------------------------------------

  @Test
  void rleByHand() {
    // 3 x 2 mask, row-major [[0,1],[1,1],[0,0]]; column-major: col 0 = 0,1,0; col 1 = 1,1,0
    // -> 0 1 0 1 1 0 -> runs: 1 zero, 1 one, 1 zero, 2 ones, 1 zero.
    MaskRle r = MaskRle.encode(new byte[] {0, 1, 1, 1, 0, 0}, 3, 2);
    assertArrayEquals(new long[] {1, 1, 1, 2, 1}, r.counts());
    assertEquals(3, r.area());
    assertArrayEquals(new byte[] {0, 1, 1, 1, 0, 0}, r.decode());
    // COCO string: 1, 1, 1, then 2 - counts[1] = 1, then 1 - counts[2] = 0: "1" "1" "1" "1" "0".
    assertEquals("11110", r.toCocoString());
    assertEquals(r, MaskRle.fromCocoString("11110", 3, 2));
    // a mask starting inside: an empty first run
    assertArrayEquals(new long[] {0, 2}, MaskRle.encode(new byte[] {1, 1}, 2, 1).counts());
    // negative delta: counts 5 3 1 1 -> the last is 1 - 3 = -2: low 5 bits 11110 (30), no more groups
    // since the rest is -1 and bit 4 is set: '0' + 30 = 'N'.
    MaskRle neg = new MaskRle(10, 1, new long[] {5, 3, 1, 1});
    assertEquals("53" + (char) ('0' + 1) + "N", neg.toCocoString());
    assertEquals(neg, MaskRle.fromCocoString(neg.toCocoString(), 10, 1));
    // IoU: the mask with itself, and with a crowd region (intersection / detection area)
    MaskRle a = MaskRle.encode(new byte[] {1, 1, 0, 0}, 2, 2);  // top row
    MaskRle b = MaskRle.encode(new byte[] {1, 1, 1, 1}, 2, 2);
    assertEquals(0.5, a.iou(b, false), 1e-12);  // 2 / 4
    assertEquals(1.0, a.iou(b, true), 1e-12);   // crowd: 2 / area(a) = 2 / 2
    assertEquals(0.5, MaskRle.maskIou(new byte[] {1, 1, 0, 0}, new byte[] {1, 1, 1, 1}), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> new MaskRle(2, 2, new long[] {1, 2}));
  }

  @Test
  void rleRoundTripsAndIouOnRandomMasks() {
    Random rnd = new Random(2);
    for (int trial = 0; trial < 50; trial++) {
      int h = 1 + rnd.nextInt(40);
      int w = 1 + rnd.nextInt(40);
      byte[] m1 = blob(rnd, h, w);
      byte[] m2 = blob(rnd, h, w);
      MaskRle r1 = MaskRle.encode(m1, h, w);
      MaskRle r2 = MaskRle.encode(m2, h, w);
      assertArrayEquals(m1, r1.decode());
      assertEquals(r1, MaskRle.fromCocoString(r1.toCocoString(), h, w));
      assertEquals(MaskRle.maskIou(m1, m2), r1.iou(r2, false), 1e-12);
      long area = 0;
      for (byte v : m1) {
        area += v;
      }
      assertEquals(area, r1.area());
    }
  }

  private static byte[] blob(Random rnd, int h, int w) {
    byte[] m = new byte[h * w];
    int y0 = rnd.nextInt(h);
    int x0 = rnd.nextInt(w);
    int y1 = y0 + rnd.nextInt(h - y0 + 1);
    int x1 = x0 + rnd.nextInt(w - x0 + 1);
    for (int y = y0; y < y1; y++) {
      for (int x = x0; x < x1; x++) {
        m[y * w + x] = (byte) (rnd.nextDouble() < 0.9 ? 1 : 0);
      }
    }
    return m;
  }

  // ---- VOC --------------------------------------------------------------------------------------------

  @Test
  void vocApByHand() {
    // One class, two images. GT: image 0 box A [0,0,9,9] (a 10x10 box under the +1 convention), image 1
    // box B [0,0,9,9] and a difficult box D [50,50,59,59].
    // Detections by score: d1 (0.9) = A; d2 (0.8) on D: ignored (difficult); d3 (0.7) again A: FP (A is
    // taken); d4 (0.6) far away in image 1: FP; d5 (0.5) = B: TP.
    // npos = 2. Counted detections: d1 TP, d3 FP, d4 FP, d5 TP:
    // recall 0.5, 0.5, 0.5, 1.0; precision 1, 1/2, 1/3, 2/4.
    // All-point: envelope 1, 0.5, 0.5, 0.5 -> AP = 0.5 * 1 + 0.5 * 0.5 = 0.75.
    // 11-point: t = 0 .. 0.5 (6 points) max precision 1; t = 0.6 .. 1 (5 points) 0.5 -> (6 + 2.5) / 11.
    List<GroundTruth> gt = List.of(new GroundTruth(0, 1, 0, 0, 9, 9), new GroundTruth(1, 1, 0, 0, 9, 9),
        new GroundTruth(1, 1, 50, 50, 59, 59, false, true, Double.NaN, null));
    List<Detection> dt = List.of(new Detection(0, 1, 0.9f, 0, 0, 9, 9), new Detection(1, 1, 0.8f, 50, 50, 59, 59),
        new Detection(0, 1, 0.7f, 0, 0, 9, 9), new Detection(1, 1, 0.6f, 100, 100, 110, 110),
        new Detection(1, 1, 0.5f, 0, 0, 9, 9));
    DetectionMetrics.PrecisionRecall pr = DetectionMetrics.vocPrecisionRecall(dt, gt, 1, 0.5, true);
    assertArrayEquals(new double[] {0.5, 0.5, 0.5, 1.0}, pr.recall(), 1e-12);
    assertArrayEquals(new double[] {1, 0.5, 1.0 / 3, 0.5}, pr.precision(), 1e-12);
    assertEquals(0.75, DetectionMetrics.vocAp(dt, gt, 1, 0.5, false, true), 1e-12);
    assertEquals(8.5 / 11, DetectionMetrics.vocAp(dt, gt, 1, 0.5, true, true), 1e-12);
    // a class with no ground truth is NaN and left out of the mean; with ground truth but no detection: 0
    List<GroundTruth> gt2 = new ArrayList<>(gt);
    gt2.add(new GroundTruth(0, 2, 0, 0, 5, 5));
    assertTrue(Double.isNaN(DetectionMetrics.vocAp(dt, gt, 7, 0.5, false, true)));
    assertEquals(0.0, DetectionMetrics.vocAp(dt, gt2, 2, 0.5, false, true), 0);
    assertEquals((0.75 + 0) / 2, DetectionMetrics.vocMeanAp(dt, gt2, 0.5, false, true), 1e-12);
  }

  @Test
  void vocMatchesANaiveImplementationOnRandomData() {
    Random rnd = new Random(3);
    List<GroundTruth> gt = new ArrayList<>();
    List<Detection> dt = new ArrayList<>();
    randomScene(rnd, gt, dt, 20, 3, true);
    for (int c = 0; c < 3; c++) {
      for (boolean use07 : new boolean[] {false, true}) {
        assertEquals(naiveVoc(dt, gt, c, use07), DetectionMetrics.vocAp(dt, gt, c, 0.5, use07, true), 1e-12,
            "class " + c + (use07 ? " 11-point" : " all-point"));
      }
    }
  }

  /** VOC AP written out directly: sort, match, cumulate, interpolate. */
  private static double naiveVoc(List<Detection> dt, List<GroundTruth> gt, int c, boolean use07) {
    List<Detection> ds = new ArrayList<>();
    for (Detection d : dt) {
      if (d.category() == c) {
        ds.add(d);
      }
    }
    ds.sort((x, y) -> Float.compare(y.score(), x.score()));
    List<GroundTruth> gs = new ArrayList<>();
    for (GroundTruth g : gt) {
      if (g.category() == c) {
        gs.add(g);
      }
    }
    boolean[] taken = new boolean[gs.size()];
    long npos = gs.stream().filter(g -> !g.difficult()).count();
    List<double[]> pts = new ArrayList<>();
    int tp = 0;
    int fp = 0;
    for (Detection d : ds) {
      int best = -1;
      double bestIou = -1;
      for (int j = 0; j < gs.size(); j++) {
        GroundTruth g = gs.get(j);
        if (g.imageId() != d.imageId()) {
          continue;
        }
        double iw = Math.max(0, Math.min(d.x2(), g.x2()) - Math.max(d.x1(), g.x1()) + 1);
        double ih = Math.max(0, Math.min(d.y2(), g.y2()) - Math.max(d.y1(), g.y1()) + 1);
        double u = (d.x2() - d.x1() + 1.0) * (d.y2() - d.y1() + 1.0) + (g.x2() - g.x1() + 1.0) * (g.y2() - g.y1() + 1.0)
            - iw * ih;
        if (iw * ih / u > bestIou) {
          bestIou = iw * ih / u;
          best = j;
        }
      }
      if (best >= 0 && bestIou > 0.5 && gs.get(best).difficult()) {
        continue;
      }
      if (best >= 0 && bestIou > 0.5 && !taken[best]) {
        taken[best] = true;
        tp++;
      } else {
        fp++;
      }
      pts.add(new double[] {(double) tp / npos, (double) tp / (tp + fp)});
    }
    if (npos == 0) {
      return Double.NaN;
    }
    if (use07) {
      double ap = 0;
      for (int k = 0; k <= 10; k++) {
        double best = 0;
        for (double[] p : pts) {
          if (p[0] >= k / 10.0) {
            best = Math.max(best, p[1]);
          }
        }
        ap += best / 11;
      }
      return ap;
    }
    double ap = 0;
    double prevRecall = 0;
    for (int i = 0; i < pts.size(); i++) {
      double r = pts.get(i)[0];
      if (r > prevRecall) {
        double maxP = 0;
        for (int j = i; j < pts.size(); j++) {
          maxP = Math.max(maxP, pts.get(j)[1]);
        }
        ap += (r - prevRecall) * maxP;
        prevRecall = r;
      }
    }
    return ap;
  }

  // ---- COCO -------------------------------------------------------------------------------------------

  @Test
  void cocoByHand() {
    // One image, one category. GT A [0,0,10,10], B [20,20,30,30] (areas 100: small).
    // d1 (0.9) = A (IoU 1), d2 (0.8) [20,20,30,28.2] (IoU with B 82/100 = 0.82), d3 (0.7) elsewhere.
    // Thresholds 0.50..0.80 (7): TP, TP, FP -> recall .5, 1, 1; precision 1, 1, 2/3: every one of the
    //   101 recall points has precision 1 -> AP_t = 1, recall 1.
    // Thresholds 0.85..0.95 (3): TP, FP, FP -> recall .5, .5, .5: recall points 0.00..0.50 (51 of
    //   101) have precision 1, the rest 0 -> AP_t = 51/101, recall 0.5.
    // AP = (7 + 3 * 51/101) / 10; AP50 = AP75 = 1; APs = AP; APm = APl = -1 (no ground truth there).
    // AR100 = AR10 = (7 * 1 + 3 * 0.5) / 10 = 0.85; AR1: only d1 -> recall 0.5 at every threshold.
    List<GroundTruth> gt = List.of(new GroundTruth(0, 1, 0, 0, 10, 10), new GroundTruth(0, 1, 20, 20, 30, 30));
    List<Detection> dt = List.of(new Detection(0, 1, 0.9f, 0, 0, 10, 10), new Detection(0, 1, 0.8f, 20, 20, 30, 28.2f),
        new Detection(0, 1, 0.7f, 50, 50, 60, 60));
    double[] s = DetectionMetrics.cocoEvaluate(dt, gt, CocoParams.standard(false)).stats();
    double ap = (7 + 3 * 51.0 / 101) / 10;
    assertEquals(ap, s[0], 1e-12);
    assertEquals(1.0, s[1], 1e-12);
    assertEquals(1.0, s[2], 1e-12);
    assertEquals(ap, s[3], 1e-12);
    assertEquals(-1.0, s[4], 0);
    assertEquals(-1.0, s[5], 0);
    assertEquals(0.5, s[6], 1e-12);
    assertEquals(0.85, s[7], 1e-12);
    assertEquals(0.85, s[8], 1e-12);
    assertEquals(0.85, s[9], 1e-12);
  }

  @Test
  void cocoCrowdRegionsAbsorbDetections() {
    // GT A [0,0,10,10] and a crowd region C [40,40,80,80]. d0 (0.95) lies inside C: its IoU with the
    // crowd is intersection / detection area = 1, so it matches C, which is ignored: neither TP nor FP.
    // d1 (0.9) = A is then the only counted detection: precision 1 at every recall point -> AP 1.
    // Without the crowd flag, d0 would be a FP ranked first: precision 1/2 at recall 1 -> AP 0.5.
    List<Detection> dt = List.of(new Detection(0, 1, 0.95f, 50, 50, 60, 60), new Detection(0, 1, 0.9f, 0, 0, 10, 10));
    List<GroundTruth> crowd = List.of(new GroundTruth(0, 1, 0, 0, 10, 10),
        new GroundTruth(0, 1, 40, 40, 80, 80, true, false, Double.NaN, null));
    assertEquals(1.0, DetectionMetrics.cocoEvaluate(dt, crowd, CocoParams.standard(false)).stats()[0], 1e-12);
    List<GroundTruth> plain = List.of(new GroundTruth(0, 1, 0, 0, 10, 10));
    assertEquals(0.5, DetectionMetrics.cocoEvaluate(dt, plain, CocoParams.standard(false)).stats()[0], 1e-12);
    // no detections: AP 0; no ground truth at all: -1
    assertEquals(0.0, DetectionMetrics.cocoEvaluate(List.of(), plain, CocoParams.standard(false)).stats()[0], 0);
    assertEquals(-1.0, DetectionMetrics.cocoEvaluate(dt, List.of(), CocoParams.standard(false)).stats()[0], 0);
  }

  @Test
  void cocoSegmentationUsesMaskIou() {
    // 4x4 image; GT mask = the left half (8 pixels); the detection's mask = the top-left quarter (4):
    // IoU 4/8 = 0.5 -> a TP only at threshold 0.50: AP = 1/10 (one of ten thresholds with AP 1).
    byte[] left = new byte[16];
    byte[] quarter = new byte[16];
    for (int y = 0; y < 4; y++) {
      for (int x = 0; x < 2; x++) {
        left[y * 4 + x] = 1;
        if (y < 2) {
          quarter[y * 4 + x] = 1;
        }
      }
    }
    MaskRle g = MaskRle.encode(left, 4, 4);
    MaskRle d = MaskRle.encode(quarter, 4, 4);
    List<GroundTruth> gt = List.of(new GroundTruth(0, 1, 0, 0, 2, 4, false, false, Double.NaN, g));
    List<Detection> dt = List.of(new Detection(0, 1, 0.9f, 0, 0, 2, 2, d));
    assertEquals(0.1, DetectionMetrics.cocoEvaluate(dt, gt, CocoParams.standard(true)).stats()[0], 1e-12);
  }

  @Test
  void cocoMatchesANaiveImplementationOnRandomData() {
    Random rnd = new Random(4);
    List<GroundTruth> gt = new ArrayList<>();
    List<Detection> dt = new ArrayList<>();
    randomScene(rnd, gt, dt, 12, 3, false);
    CocoParams p = CocoParams.standard(false);
    CocoResult r = DetectionMetrics.cocoEvaluate(dt, gt, p);
    for (int k = 0; k < r.categories().length; k++) {
      for (int a = 0; a < 4; a++) {
        for (int m = 0; m < 3; m++) {
          for (int t = 0; t < 10; t++) {
            double[] expected = naiveCoco(dt, gt, r.categories()[k], p.areaRanges()[a], p.maxDets()[m],
                p.iouThresholds()[t]);
            for (int ri = 0; ri < 101; ri++) {
              assertEquals(expected[ri], r.precision()[t][ri][k][a][m], 1e-12,
                  "cat " + k + " area " + a + " maxDet " + m + " iou " + t + " recall point " + ri);
            }
            assertEquals(expected[101], r.recall()[t][k][a][m], 1e-12, "recall");
          }
        }
      }
    }
  }

  /**
   * COCO for one (category, area range, maxDet, IoU threshold) written directly: returns the 101
   * interpolated precisions and the final recall (-1s when there is no non-ignored ground truth).
   */
  private static double[] naiveCoco(List<Detection> dt, List<GroundTruth> gt, int cat, double[] range, int maxDet,
      double thr) {
    java.util.TreeSet<Integer> images = new java.util.TreeSet<>();
    gt.forEach(g -> images.add(g.imageId()));
    dt.forEach(d -> images.add(d.imageId()));
    List<double[]> scored = new ArrayList<>();  // {score, tp?1:0, counted?1:0}
    int nonIgnored = 0;
    for (int img : images) {
      List<GroundTruth> g = new ArrayList<>();
      for (GroundTruth x : gt) {
        if (x.imageId() == img && x.category() == cat) {
          g.add(x);
        }
      }
      List<Boolean> ign = new ArrayList<>();
      for (GroundTruth x : g) {
        double ar = (x.x2() - x.x1()) * (double) (x.y2() - x.y1());
        ign.add(x.crowd() || ar < range[0] || ar > range[1]);
      }
      // non-ignored ground truth first, original order kept within each group
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < g.size(); i++) {
        if (!ign.get(i)) {
          order.add(i);
        }
      }
      for (int i = 0; i < g.size(); i++) {
        if (ign.get(i)) {
          order.add(i);
        }
      }
      for (int i : order) {
        nonIgnored += ign.get(i) ? 0 : 1;
      }
      List<Detection> d = new ArrayList<>();
      for (Detection x : dt) {
        if (x.imageId() == img && x.category() == cat) {
          d.add(x);
        }
      }
      d.sort((x, y) -> Float.compare(y.score(), x.score()));
      d = d.subList(0, Math.min(d.size(), 100)).subList(0, Math.min(d.size(), maxDet));
      boolean[] used = new boolean[g.size()];
      for (Detection x : d) {
        int match = -1;
        double bestIou = Math.min(thr, 1 - 1e-10);
        for (int i : order) {
          GroundTruth y = g.get(i);
          if (used[i] && !y.crowd()) {
            continue;
          }
          if (match >= 0 && !ign.get(match) && ign.get(i)) {
            break;
          }
          double iou = DetectionMetrics.cocoIou(x, y, false);
          if (iou >= bestIou) {
            bestIou = iou;
            match = i;
          }
        }
        double ar = (x.x2() - x.x1()) * (double) (x.y2() - x.y1());
        boolean counted;
        boolean tp;
        if (match >= 0) {
          used[match] = true;
          counted = !ign.get(match);
          tp = true;
        } else {
          counted = !(ar < range[0] || ar > range[1]);
          tp = false;
        }
        scored.add(new double[] {x.score(), tp ? 1 : 0, counted ? 1 : 0});
      }
    }
    double[] out = new double[102];
    if (nonIgnored == 0) {
      java.util.Arrays.fill(out, -1);
      return out;
    }
    scored.sort((x, y) -> Double.compare(y[0], x[0]));
    List<double[]> curve = new ArrayList<>();  // {recall, precision} after every detection
    int tp = 0;
    int fp = 0;
    for (double[] s : scored) {
      if (s[2] == 1) {
        if (s[1] == 1) {
          tp++;
        } else {
          fp++;
        }
      }
      curve.add(new double[] {(double) tp / nonIgnored, tp / (tp + fp + Math.ulp(1.0))});
    }
    for (int ri = 0; ri <= 100; ri++) {
      double rthr = ri / 100.0;
      double best = 0;
      boolean reached = false;
      for (double[] c : curve) {
        if (c[0] >= rthr) {
          reached = true;
        }
        if (reached) {
          best = Math.max(best, c[1]);
        }
      }
      out[ri] = best;
    }
    out[101] = curve.isEmpty() ? 0 : curve.get(curve.size() - 1)[0];
    return out;
  }

  /** Random boxes per image and category, detections jittered from them plus false positives. */
  private static void randomScene(Random rnd, List<GroundTruth> gt, List<Detection> dt, int images, int cats,
      boolean voc) {
    for (int img = 0; img < images; img++) {
      for (int c = 0; c < cats; c++) {
        int n = rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
          float x = rnd.nextInt(200);
          float y = rnd.nextInt(200);
          float w = 4 + rnd.nextInt(150);
          float h = 4 + rnd.nextInt(150);
          boolean special = rnd.nextDouble() < 0.15;
          gt.add(new GroundTruth(img, c, x, y, x + w, y + h, !voc && special, voc && special, Double.NaN, null));
          if (rnd.nextDouble() < 0.8) {
            float j = w * 0.2f;
            float dx = (float) (rnd.nextGaussian() * j);
            float dy = (float) (rnd.nextGaussian() * j);
            dt.add(new Detection(img, c, (float) Math.floor(rnd.nextDouble() * 20) / 20, x + dx, y + dy,
                x + w + dx, y + h + dy));
          }
        }
        int fps = rnd.nextInt(3);
        for (int i = 0; i < fps; i++) {
          float x = rnd.nextInt(250);
          float y = rnd.nextInt(250);
          dt.add(new Detection(img, c, (float) Math.floor(rnd.nextDouble() * 20) / 20, x, y, x + 5 + rnd.nextInt(100),
              y + 5 + rnd.nextInt(100)));
        }
      }
    }
  }
}
