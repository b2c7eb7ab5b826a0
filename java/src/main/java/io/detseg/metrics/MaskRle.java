package io.detseg.metrics;

import java.util.Arrays;

/**
 * Binary masks as COCO's run-length encoding (CPU): the mask is read in column-major order (down each
 * column, left to right, as pycocotools' Fortran-order masks) and stored as alternating run lengths
 * starting with a run of zeros (possibly empty). Also COCO's compact string form of the counts, areas
 * and IoU (with COCO's crowd rule), and IoU of plain binary masks.
 */
public final class MaskRle {
  private final int height;
  private final int width;
  private final long[] counts;

  public MaskRle(int height, int width, long[] counts) {
    if (height < 0 || width < 0) {
      throw new IllegalArgumentException("rle: expected a size >= 0 but got " + height + " x " + width);
    }
    long sum = 0;
    for (long c : counts) {
      if (c < 0) {
        throw new IllegalArgumentException("rle: argument 'counts': expected run lengths >= 0 but got " + c);
      }
      sum += c;
    }
    if (sum != (long) height * width) {
      throw new IllegalArgumentException("rle: argument 'counts': expected runs covering " + (long) height * width
          + " pixels (" + height + " x " + width + ") but they cover " + sum);
    }
    this.height = height;
    this.width = width;
    this.counts = counts.clone();
  }

  public int height() {
    return height;
  }

  public int width() {
    return width;
  }

  public long[] counts() {
    return counts.clone();
  }

  /** Encodes a row-major mask [height * width] (nonzero = inside). */
  public static MaskRle encode(byte[] mask, int height, int width) {
    if (mask.length != (long) height * width) {
      throw new IllegalArgumentException("rle: argument 'mask': expected " + (long) height * width + " values ("
          + height + " x " + width + ") but got " + mask.length);
    }
    long[] runs = new long[Math.max(1, mask.length + 1)];
    int n = 0;
    boolean value = false;
    long run = 0;
    for (int x = 0; x < width; x++) {
      for (int y = 0; y < height; y++) {
        boolean v = mask[y * width + x] != 0;
        if (v != value) {
          runs[n++] = run;
          run = 0;
          value = v;
        }
        run++;
      }
    }
    runs[n++] = run;
    return new MaskRle(height, width, Arrays.copyOf(runs, n));
  }

  /** Decodes to a row-major mask of 0/1 bytes. */
  public byte[] decode() {
    byte[] mask = new byte[height * width];
    long pos = 0;
    for (int i = 0; i < counts.length; i++) {
      if (i % 2 == 1) {
        for (long k = pos; k < pos + counts[i]; k++) {
          int x = (int) (k / height);
          int y = (int) (k % height);
          mask[y * width + x] = 1;
        }
      }
      pos += counts[i];
    }
    return mask;
  }

  /** Pixels inside. */
  public long area() {
    long a = 0;
    for (int i = 1; i < counts.length; i += 2) {
      a += counts[i];
    }
    return a;
  }

  /** Pixels inside both (the masks must have the same size): a merge of the two run lists. */
  public long intersection(MaskRle o) {
    sameSize(o);
    long inter = 0;
    int i = 0;
    int j = 0;
    long ri = counts.length > 0 ? counts[0] : 0;
    long rj = o.counts.length > 0 ? o.counts[0] : 0;
    boolean vi = false;
    boolean vj = false;
    while (i < counts.length && j < o.counts.length) {
      long step = Math.min(ri, rj);
      if (vi && vj) {
        inter += step;
      }
      ri -= step;
      rj -= step;
      if (ri == 0) {
        i++;
        if (i < counts.length) {
          ri = counts[i];
          vi = !vi;
        }
      }
      if (rj == 0) {
        j++;
        if (j < o.counts.length) {
          rj = o.counts[j];
          vj = !vj;
        }
      }
    }
    return inter;
  }

  /**
   * COCO's IoU of a detection (this) with a ground truth: inter / union, or inter / area(this) when the
   * ground truth is a crowd region (pycocotools' iscrowd rule); 0 when the denominator is 0.
   */
  public double iou(MaskRle gt, boolean gtIsCrowd) {
    long inter = intersection(gt);
    long den = gtIsCrowd ? area() : area() + gt.area() - inter;
    return den == 0 ? 0.0 : (double) inter / den;
  }

  /** IoU of two row-major binary masks of equal length (0 when both are empty). */
  public static double maskIou(byte[] a, byte[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("mask_iou: argument 'b': expected " + a.length + " values but got " + b.length);
    }
    long inter = 0;
    long uni = 0;
    for (int i = 0; i < a.length; i++) {
      boolean x = a[i] != 0;
      boolean y = b[i] != 0;
      inter += (x && y) ? 1 : 0;
      uni += (x || y) ? 1 : 0;
    }
    return uni == 0 ? 0.0 : (double) inter / uni;
  }

  /**
   * COCO's compact string of the counts (pycocotools rleToString): from the third count on, each is
   * stored as the difference from the count two before; each value is written as 5-bit groups, low group
   * first, a 0x20 flag on every group but the last, plus 48 (printable ASCII).
   */
  public String toCocoString() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < counts.length; i++) {
      long x = counts[i];
      if (i > 2) {
        x -= counts[i - 2];
      }
      boolean more = true;
      while (more) {
        long c = x & 0x1f;
        x >>= 5;
        more = (c & 0x10) != 0 ? x != -1 : x != 0;
        if (more) {
          c |= 0x20;
        }
        sb.append((char) (c + 48));
      }
    }
    return sb.toString();
  }

  /** Parses COCO's compact string (pycocotools rleFrString). */
  public static MaskRle fromCocoString(String s, int height, int width) {
    long[] cnts = new long[s.length()];
    int m = 0;
    int p = 0;
    while (p < s.length()) {
      long x = 0;
      int k = 0;
      boolean more = true;
      while (more) {
        if (p >= s.length()) {
          throw new IllegalArgumentException("rle: argument 'counts': truncated COCO string '" + s + "'");
        }
        long c = s.charAt(p) - 48;
        if (c < 0 || c > 63) {
          throw new IllegalArgumentException("rle: argument 'counts': unexpected character '" + s.charAt(p)
              + "' in COCO string");
        }
        x |= (c & 0x1f) << (5 * k);
        more = (c & 0x20) != 0;
        p++;
        k++;
        if (!more && (c & 0x10) != 0) {
          x |= -1L << (5 * k);
        }
      }
      if (m > 2) {
        x += cnts[m - 2];
      }
      cnts[m++] = x;
    }
    return new MaskRle(height, width, Arrays.copyOf(cnts, m));
  }

  private void sameSize(MaskRle o) {
    if (o.height != height || o.width != width) {
      throw new IllegalArgumentException("rle: expected masks of the same size but got " + height + " x " + width
          + " and " + o.height + " x " + o.width);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof MaskRle r && r.height == height && r.width == width && Arrays.equals(r.counts, counts);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * height + width) + Arrays.hashCode(counts);
  }

  @Override
  public String toString() {
    return "MaskRle(" + height + "x" + width + ", " + Arrays.toString(counts) + ")";
  }
}
