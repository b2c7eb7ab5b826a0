package io.detseg.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Detection (and instance segmentation) average precision on the CPU: PASCAL VOC's 11-point (VOC2007)
 * and all-point (VOC2010+) AP with VOC's matching, and COCO's evaluation (101-point interpolated
 * precision averaged over IoU 0.50:0.05:0.95, area ranges all / small / medium / large, maxDets 1 / 10 /
 * 100, AR, the twelve summary numbers). Boxes are (x1, y1, x2, y2). The matching rules are spelled out
 * in docs/kernels/losses.md; in short:
 *
 * <ul>
 *   <li>VOC (voc_eval.py of the devkit / py-faster-rcnn): detections of a class in descending score
 *       (stable for ties); each is compared with the ground truth of its image of highest IoU (boxes with
 *       the devkit's +1 pixel convention unless pixelInclusive is false); IoU > threshold: a difficult
 *       box makes the detection neither TP nor FP, an unmatched box is a TP (and becomes matched), a
 *       matched one makes it a FP; otherwise FP. Recall divides by the non-difficult boxes. A class
 *       without ground truth has AP NaN and is left out of the mean.
 *   <li>COCO (pycocotools COCOeval): per image and category, detections by descending score (stable),
 *       the first maxDet kept; ground truths ordered with the ignored ones (crowd, or area outside the
 *       range) last; for each IoU threshold each detection takes the unmatched (or crowd) ground truth of
 *       highest IoU >= threshold, preferring non-ignored ones; a crowd region can match many detections
 *       and its IoU is intersection / detection area; detections matched to ignored ground truth, and
 *       unmatched ones outside the area range, are ignored. Precision at the 101 recall points is the
 *       monotone envelope sampled with searchsorted (side left); -1 marks categories without non-ignored
 *       ground truth, which the summaries skip.
 * </ul>
 */
public final class DetectionMetrics {
  private DetectionMetrics() {}

  /** A scored detection; mask (optional) for segmentation evaluation. */
  public record Detection(int imageId, int category, float score, float x1, float y1, float x2, float y2,
      MaskRle mask) {
    public Detection(int imageId, int category, float score, float x1, float y1, float x2, float y2) {
      this(imageId, category, score, x1, y1, x2, y2, null);
    }
  }

  /**
   * A ground-truth object: crowd (COCO iscrowd), difficult (VOC), area (COCO's annotation area; NaN means
   * the box area, or the mask area for segmentation), mask (optional).
   */
  public record GroundTruth(int imageId, int category, float x1, float y1, float x2, float y2, boolean crowd,
      boolean difficult, double area, MaskRle mask) {
    public GroundTruth(int imageId, int category, float x1, float y1, float x2, float y2) {
      this(imageId, category, x1, y1, x2, y2, false, false, Double.NaN, null);
    }
  }

  // ---- PASCAL VOC ------------------------------------------------------------------------------------

  /** Precision/recall of one class under VOC's matching, in detection order. */
  public record PrecisionRecall(double[] precision, double[] recall, int positives) {}

  public static PrecisionRecall vocPrecisionRecall(List<Detection> detections, List<GroundTruth> groundTruth,
      int category, double iouThreshold, boolean pixelInclusive) {
    Map<Integer, List<GroundTruth>> byImage = new HashMap<>();
    int npos = 0;
    for (GroundTruth g : groundTruth) {
      if (g.category() == category) {
        byImage.computeIfAbsent(g.imageId(), k -> new ArrayList<>()).add(g);
        if (!g.difficult()) {
          npos++;
        }
      }
    }
    Map<Integer, boolean[]> used = new HashMap<>();
    for (Map.Entry<Integer, List<GroundTruth>> e : byImage.entrySet()) {
      used.put(e.getKey(), new boolean[e.getValue().size()]);
    }
    List<Detection> dets = new ArrayList<>();
    for (Detection d : detections) {
      if (d.category() == category) {
        dets.add(d);
      }
    }
    dets.sort(Comparator.comparingDouble((Detection d) -> -d.score()));  // List.sort is stable
    double off = pixelInclusive ? 1.0 : 0.0;
    List<Double> prec = new ArrayList<>();
    List<Double> rec = new ArrayList<>();
    double tp = 0;
    double fp = 0;
    for (Detection d : dets) {
      List<GroundTruth> gts = byImage.getOrDefault(d.imageId(), List.of());
      double best = Double.NEGATIVE_INFINITY;
      int jmax = -1;
      for (int j = 0; j < gts.size(); j++) {
        GroundTruth g = gts.get(j);
        double iw = Math.max(0, Math.min(d.x2(), g.x2()) - Math.max(d.x1(), g.x1()) + off);
        double ih = Math.max(0, Math.min(d.y2(), g.y2()) - Math.max(d.y1(), g.y1()) + off);
        double inter = iw * ih;
        double uni = (d.x2() - d.x1() + off) * (d.y2() - d.y1() + off) + (g.x2() - g.x1() + off) * (g.y2() - g.y1() + off)
            - inter;
        double iou = inter / uni;
        if (iou > best) {
          best = iou;
          jmax = j;
        }
      }
      boolean counted = true;
      if (best > iouThreshold) {
        if (gts.get(jmax).difficult()) {
          counted = false;
        } else if (!used.get(d.imageId())[jmax]) {
          used.get(d.imageId())[jmax] = true;
          tp++;
        } else {
          fp++;
        }
      } else {
        fp++;
      }
      if (counted) {
        rec.add(npos == 0 ? Double.NaN : tp / npos);
        prec.add(tp / Math.max(tp + fp, Math.ulp(1.0)));
      }
    }
    return new PrecisionRecall(prec.stream().mapToDouble(Double::doubleValue).toArray(),
        rec.stream().mapToDouble(Double::doubleValue).toArray(), npos);
  }

  /** VOC2007's 11-point AP: mean over t in {0, 0.1, ..., 1} of the max precision at recall >= t (0 if none). */
  public static double voc07Ap(double[] precision, double[] recall) {
    double ap = 0;
    for (int k = 0; k <= 10; k++) {
      double t = k / 10.0;
      double p = 0;
      for (int i = 0; i < recall.length; i++) {
        if (recall[i] >= t) {
          p = Math.max(p, precision[i]);
        }
      }
      ap += p / 11;
    }
    return ap;
  }

  /** VOC2010+'s all-point AP: the area under the monotone (non-increasing) precision envelope. */
  public static double vocAllPointAp(double[] precision, double[] recall) {
    int n = recall.length;
    double[] mrec = new double[n + 2];
    double[] mpre = new double[n + 2];
    mrec[n + 1] = 1.0;
    for (int i = 0; i < n; i++) {
      mrec[i + 1] = recall[i];
      mpre[i + 1] = precision[i];
    }
    for (int i = n + 1; i > 0; i--) {
      mpre[i - 1] = Math.max(mpre[i - 1], mpre[i]);
    }
    double ap = 0;
    for (int i = 0; i < n + 1; i++) {
      if (mrec[i + 1] != mrec[i]) {
        ap += (mrec[i + 1] - mrec[i]) * mpre[i + 1];
      }
    }
    return ap;
  }

  /** VOC AP of one class: NaN without (non-difficult) ground truth; 0 with ground truth but no detection. */
  public static double vocAp(List<Detection> detections, List<GroundTruth> groundTruth, int category,
      double iouThreshold, boolean use07, boolean pixelInclusive) {
    PrecisionRecall pr = vocPrecisionRecall(detections, groundTruth, category, iouThreshold, pixelInclusive);
    if (pr.positives() == 0) {
      return Double.NaN;
    }
    return use07 ? voc07Ap(pr.precision(), pr.recall()) : vocAllPointAp(pr.precision(), pr.recall());
  }

  /** VOC mAP over the categories of the ground truth (classes without non-difficult boxes left out). */
  public static double vocMeanAp(List<Detection> detections, List<GroundTruth> groundTruth, double iouThreshold,
      boolean use07, boolean pixelInclusive) {
    TreeSet<Integer> cats = new TreeSet<>();
    groundTruth.forEach(g -> cats.add(g.category()));
    double[] aps = cats.stream().mapToDouble(c -> vocAp(detections, groundTruth, c, iouThreshold, use07,
        pixelInclusive)).toArray();
    return SegmentationMetrics.nanMean(aps);
  }

  // ---- COCO ------------------------------------------------------------------------------------------

  /** COCO's parameters (pycocotools Params for iouType bbox / segm). */
  public record CocoParams(double[] iouThresholds, double[] recallThresholds, double[][] areaRanges,
      int[] maxDets, boolean segm) {
    /** The standard settings: IoU .50:.05:.95, 101 recall points, all/small/medium/large, maxDets 1, 10, 100. */
    public static CocoParams standard(boolean segm) {
      double[] iou = new double[10];
      for (int i = 0; i < 10; i++) {
        iou[i] = 0.5 + 0.05 * i;
      }
      double[] rec = new double[101];
      for (int i = 0; i <= 100; i++) {
        rec[i] = i / 100.0;
      }
      return new CocoParams(iou, rec, new double[][] {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}},
          new int[] {1, 10, 100}, segm);
    }
  }

  /**
   * COCO's accumulated results: precision[t][r][k][a][m] and recall[t][k][a][m] (-1 where a category has
   * no non-ignored ground truth), categories in ascending id order, and the twelve summary numbers
   * (AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl; -1 when undefined).
   */
  public record CocoResult(double[][][][][] precision, double[][][][] recall, int[] categories, double[] stats) {}

  private record ImageEval(double[] dtScores, boolean[][] dtMatched, boolean[][] dtIgnore, boolean[] gtIgnore) {}

  public static CocoResult cocoEvaluate(List<Detection> detections, List<GroundTruth> groundTruth, CocoParams p) {
    TreeSet<Integer> cats = new TreeSet<>();
    TreeSet<Integer> images = new TreeSet<>();
    for (GroundTruth g : groundTruth) {
      cats.add(g.category());
      images.add(g.imageId());
    }
    detections.forEach(d -> images.add(d.imageId()));
    Map<Long, List<GroundTruth>> gts = new HashMap<>();
    Map<Long, List<Detection>> dts = new HashMap<>();
    for (GroundTruth g : groundTruth) {
      gts.computeIfAbsent(key(g.imageId(), g.category()), k -> new ArrayList<>()).add(g);
    }
    for (Detection d : detections) {
      if (cats.contains(d.category())) {
        dts.computeIfAbsent(key(d.imageId(), d.category()), k -> new ArrayList<>()).add(d);
      }
    }
    int nt = p.iouThresholds().length;
    int nr = p.recallThresholds().length;
    int nk = cats.size();
    int na = p.areaRanges().length;
    int nm = p.maxDets().length;
    int maxDet = Arrays.stream(p.maxDets()).max().orElse(0);
    double[][][][][] precision = new double[nt][nr][nk][na][nm];
    double[][][][] recall = new double[nt][nk][na][nm];
    for (double[][][][] a : precision) {
      for (double[][][] b : a) {
        for (double[][] c : b) {
          for (double[] d : c) {
            Arrays.fill(d, -1);
          }
        }
      }
    }
    for (double[][][] a : recall) {
      for (double[][] b : a) {
        for (double[] c : b) {
          Arrays.fill(c, -1);
        }
      }
    }
    int[] catIds = cats.stream().mapToInt(Integer::intValue).toArray();
    for (int k = 0; k < nk; k++) {
      for (int a = 0; a < na; a++) {
        List<ImageEval> evals = new ArrayList<>();
        for (int img : images) {
          ImageEval e = evaluateImage(gts.getOrDefault(key(img, catIds[k]), List.of()),
              dts.getOrDefault(key(img, catIds[k]), List.of()), p.areaRanges()[a], maxDet, p);
          if (e != null) {
            evals.add(e);
          }
        }
        for (int m = 0; m < nm; m++) {
          accumulate(evals, p.maxDets()[m], p, precision, recall, k, a, m);
        }
      }
    }
    double[] stats = summarize(precision, recall, p);
    return new CocoResult(precision, recall, catIds, stats);
  }

  private static long key(int image, int category) {
    return ((long) image << 32) ^ (category & 0xffffffffL);
  }

  private static double area(GroundTruth g, boolean segm) {
    if (!Double.isNaN(g.area())) {
      return g.area();
    }
    return segm ? g.mask().area() : (double) (g.x2() - g.x1()) * (g.y2() - g.y1());
  }

  private static double area(Detection d, boolean segm) {
    return segm ? d.mask().area() : (double) (d.x2() - d.x1()) * (d.y2() - d.y1());
  }

  /** COCO's IoU (pycocotools maskUtils.iou): crowd ground truth divides by the detection's area. */
  static double cocoIou(Detection d, GroundTruth g, boolean segm) {
    if (segm) {
      return d.mask().iou(g.mask(), g.crowd());
    }
    double iw = Math.min(d.x2(), g.x2()) - Math.max(d.x1(), g.x1());
    double ih = Math.min(d.y2(), g.y2()) - Math.max(d.y1(), g.y1());
    if (iw <= 0 || ih <= 0) {
      return 0;
    }
    double inter = iw * ih;
    double da = (double) (d.x2() - d.x1()) * (d.y2() - d.y1());
    double ga = (double) (g.x2() - g.x1()) * (g.y2() - g.y1());
    double den = g.crowd() ? da : da + ga - inter;
    return den <= 0 ? 0 : inter / den;
  }

  private static ImageEval evaluateImage(List<GroundTruth> gt0, List<Detection> dt0, double[] range, int maxDet,
      CocoParams p) {
    if (gt0.isEmpty() && dt0.isEmpty()) {
      return null;
    }
    boolean segm = p.segm();
    int ng = gt0.size();
    boolean[] ig0 = new boolean[ng];
    for (int i = 0; i < ng; i++) {
      double ar = area(gt0.get(i), segm);
      ig0[i] = gt0.get(i).crowd() || ar < range[0] || ar > range[1];
    }
    Integer[] gorder = new Integer[ng];
    for (int i = 0; i < ng; i++) {
      gorder[i] = i;
    }
    Arrays.sort(gorder, Comparator.comparingInt(i -> ig0[i] ? 1 : 0));  // stable: non-ignored first
    List<GroundTruth> gt = new ArrayList<>();
    boolean[] gtIg = new boolean[ng];
    for (int i = 0; i < ng; i++) {
      gt.add(gt0.get(gorder[i]));
      gtIg[i] = ig0[gorder[i]];
    }
    List<Detection> dt = new ArrayList<>(dt0);
    dt.sort(Comparator.comparingDouble((Detection d) -> -d.score()));
    if (dt.size() > maxDet) {
      dt = new ArrayList<>(dt.subList(0, maxDet));
    }
    int nd = dt.size();
    int nt = p.iouThresholds().length;
    double[][] ious = new double[nd][ng];
    for (int d = 0; d < nd; d++) {
      for (int g = 0; g < ng; g++) {
        ious[d][g] = cocoIou(dt.get(d), gt.get(g), segm);
      }
    }
    boolean[][] dtm = new boolean[nt][nd];
    boolean[][] dtIg = new boolean[nt][nd];
    boolean[][] gtm = new boolean[nt][ng];
    for (int t = 0; t < nt; t++) {
      for (int d = 0; d < nd; d++) {
        double iou = Math.min(p.iouThresholds()[t], 1 - 1e-10);
        int m = -1;
        for (int g = 0; g < ng; g++) {
          if (gtm[t][g] && !gt.get(g).crowd()) {
            continue;
          }
          if (m > -1 && !gtIg[m] && gtIg[g]) {
            break;
          }
          if (ious[d][g] < iou) {
            continue;
          }
          iou = ious[d][g];
          m = g;
        }
        if (m == -1) {
          continue;
        }
        dtIg[t][d] = gtIg[m];
        dtm[t][d] = true;
        gtm[t][m] = true;
      }
      for (int d = 0; d < nd; d++) {
        double ar = area(dt.get(d), segm);
        if (!dtm[t][d] && (ar < range[0] || ar > range[1])) {
          dtIg[t][d] = true;
        }
      }
    }
    double[] scores = new double[nd];
    for (int d = 0; d < nd; d++) {
      scores[d] = dt.get(d).score();
    }
    return new ImageEval(scores, dtm, dtIg, gtIg);
  }

  private static void accumulate(List<ImageEval> evals, int maxDet, CocoParams p, double[][][][][] precision,
      double[][][][] recall, int k, int a, int m) {
    List<double[]> entries = new ArrayList<>();  // {score, image position, detection index}
    int npig = 0;
    for (int e = 0; e < evals.size(); e++) {
      ImageEval ev = evals.get(e);
      for (int d = 0; d < Math.min(maxDet, ev.dtScores().length); d++) {
        entries.add(new double[] {ev.dtScores()[d], e, d});
      }
      for (boolean ig : ev.gtIgnore()) {
        npig += ig ? 0 : 1;
      }
    }
    if (npig == 0) {
      return;
    }
    entries.sort(Comparator.comparingDouble((double[] x) -> -x[0]));  // stable, as numpy's mergesort
    int nd = entries.size();
    int nt = p.iouThresholds().length;
    double[] recThrs = p.recallThresholds();
    for (int t = 0; t < nt; t++) {
      double[] rc = new double[nd];
      double[] pr = new double[nd];
      double tp = 0;
      double fp = 0;
      int n = 0;
      for (double[] x : entries) {
        ImageEval ev = evals.get((int) x[1]);
        int d = (int) x[2];
        boolean ignored = ev.dtIgnore()[t][d];
        boolean matched = ev.dtMatched()[t][d];
        if (matched && !ignored) {
          tp++;
        } else if (!matched && !ignored) {
          fp++;
        }
        rc[n] = tp / npig;
        pr[n] = tp / (fp + tp + Math.ulp(1.0));
        n++;
      }
      recall[t][k][a][m] = nd > 0 ? rc[nd - 1] : 0;
      for (int i = nd - 1; i > 0; i--) {
        if (pr[i] > pr[i - 1]) {
          pr[i - 1] = pr[i];
        }
      }
      for (int r = 0; r < recThrs.length; r++) {
        int pi = searchsortedLeft(rc, recThrs[r]);
        if (pi >= nd) {
          for (int rr = r; rr < recThrs.length; rr++) {
            precision[t][rr][k][a][m] = 0;
          }
          break;
        }
        precision[t][r][k][a][m] = pr[pi];
      }
    }
  }

  /** numpy.searchsorted(sorted, v, side='left'): the first index i with sorted[i] >= v. */
  static int searchsortedLeft(double[] sorted, double v) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  private static double[] summarize(double[][][][][] precision, double[][][][] recall, CocoParams p) {
    int last = p.maxDets().length - 1;
    double[] s = new double[12];
    s[0] = summary(precision, recall, p, true, -1, 0, last);
    s[1] = summary(precision, recall, p, true, 0.5, 0, last);
    s[2] = summary(precision, recall, p, true, 0.75, 0, last);
    s[3] = summary(precision, recall, p, true, -1, 1, last);
    s[4] = summary(precision, recall, p, true, -1, 2, last);
    s[5] = summary(precision, recall, p, true, -1, 3, last);
    for (int m = 0; m < 3 && m < p.maxDets().length; m++) {
      s[6 + m] = summary(precision, recall, p, false, -1, 0, m);
    }
    s[9] = summary(precision, recall, p, false, -1, 1, last);
    s[10] = summary(precision, recall, p, false, -1, 2, last);
    s[11] = summary(precision, recall, p, false, -1, 3, last);
    return s;
  }

  /** Mean of the entries > -1 for area index a and maxDets index m (IoU threshold iouThr, or all if < 0). */
  private static double summary(double[][][][][] precision, double[][][][] recall, CocoParams p, boolean ap,
      double iouThr, int a, int m) {
    if (a >= p.areaRanges().length) {
      return -1;
    }
    double sum = 0;
    int n = 0;
    for (int t = 0; t < p.iouThresholds().length; t++) {
      if (iouThr >= 0 && Math.abs(p.iouThresholds()[t] - iouThr) > 1e-9) {
        continue;
      }
      if (ap) {
        for (double[][][][] perR : new double[][][][][] {precision[t]}) {
          for (double[][][] perK : perR) {
            for (double[][] perA : perK) {
              double v = perA[a][m];
              if (v > -1) {
                sum += v;
                n++;
              }
            }
          }
        }
      } else {
        for (double[][] perA : recall[t]) {
          double v = perA[a][m];
          if (v > -1) {
            sum += v;
            n++;
          }
        }
      }
    }
    return n == 0 ? -1 : sum / n;
  }
}
