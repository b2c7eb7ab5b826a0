package io.detseg.data;

import io.detseg.tensor.Device;
import io.detseg.tensor.Tensor;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Image files to tensors and back, through the JDK's ImageIO (JPEG, PNG, BMP, GIF). The size in the
 * header is checked before the pixels are decoded, so a "decompression bomb" is refused up front.
 */
public final class Images {
  /** Largest image decoded: 2^28 pixels (e.g. 16384 × 16384), about 768 MiB as RGB bytes. */
  public static final long MAX_PIXELS = 1L << 28;

  private Images() {}

  /** Decodes an image file (pixels as stored; see {@link #rgbBytes} for how they become RGB). */
  public static BufferedImage read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("image " + file + ": no such file");
    }
    try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new IllegalArgumentException("image " + file + ": not a format ImageIO can read (JPEG, PNG, BMP, GIF)");
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        long w = reader.getWidth(0);
        long h = reader.getHeight(0);
        if (w <= 0 || h <= 0 || w * h > MAX_PIXELS) {
          throw new IllegalArgumentException("image " + file + ": " + w + "x" + h + " is outside 1.." + MAX_PIXELS
              + " pixels");
        }
        return reader.read(0);
      } catch (javax.imageio.IIOException e) {
        throw new IllegalArgumentException("image " + file + ": cannot decode: " + e.getMessage(), e);
      } finally {
        reader.dispose();
      }
    }
  }

  /** The pixels as a uint8 tensor [H, W, 3] (RGB, row-major), on the CPU. */
  public static Tensor toHwcTensor(BufferedImage image) {
    return Tensor.ofBytes(Device.CPU, rgbBytes(image), image.getHeight(), image.getWidth(), 3);
  }

  /**
   * RGB bytes, row-major, read from the raster without colour management: gray is copied into R, G
   * and B and alpha is dropped (not composited), as the reference decoders (jpeg-js, pngjs) do;
   * 16-bit samples keep their high byte; palettes are expanded.
   */
  public static byte[] rgbBytes(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), 3)];
    java.awt.image.Raster r = img.getRaster();
    int bands = r.getNumBands();
    boolean direct = !(img.getColorModel() instanceof java.awt.image.IndexColorModel)
        && img.getColorModel() instanceof java.awt.image.ComponentColorModel;
    if (direct) {
      int bits = img.getColorModel().getComponentSize(0);
      int shift = Math.max(0, bits - 8);
      int[] px = new int[w * bands];
      for (int y = 0; y < h; y++) {
        r.getPixels(0, y, w, 1, px);
        for (int x = 0; x < w; x++) {
          int o = 3 * (y * w + x);
          int base = x * bands;
          if (bands >= 3) {
            out[o] = (byte) (px[base] >> shift);
            out[o + 1] = (byte) (px[base + 1] >> shift);
            out[o + 2] = (byte) (px[base + 2] >> shift);
          } else {
            byte g = (byte) (px[base] >> shift);
            out[o] = g;
            out[o + 1] = g;
            out[o + 2] = g;
          }
        }
      }
      return out;
    }
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0; x < w; x++) {
        int p = row[x];
        int o = 3 * (y * w + x);
        out[o] = (byte) (p >> 16);
        out[o + 1] = (byte) (p >> 8);
        out[o + 2] = (byte) p;
      }
    }
    return out;
  }

  /** An opaque RGB image with exactly the pixels {@link #rgbBytes} reads. */
  public static BufferedImage toRgbImage(BufferedImage img) {
    if (img.getType() == BufferedImage.TYPE_INT_RGB) {
      return img;
    }
    byte[] b = rgbBytes(img);
    int w = img.getWidth();
    BufferedImage rgb = new BufferedImage(w, img.getHeight(), BufferedImage.TYPE_INT_RGB);
    int[] row = new int[w];
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < w; x++) {
        int o = 3 * (y * w + x);
        row[x] = (b[o] & 0xff) << 16 | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff);
      }
      rgb.setRGB(0, y, w, 1, row, 0, w);
    }
    return rgb;
  }

  /** A copy of the image with each detection drawn as a box with its label and score. */
  public static BufferedImage drawDetections(BufferedImage image, List<Detection> detections) {
    BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.drawImage(toRgbImage(image), 0, 0, null);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      int stroke = Math.max(2, Math.round(Math.max(image.getWidth(), image.getHeight()) / 400f));
      g.setStroke(new BasicStroke(stroke));
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(12, stroke * 7)));
      FontMetrics fm = g.getFontMetrics();
      Color box = new Color(0, 220, 80);
      for (Detection d : detections) {
        int x = (int) Math.round(d.x());
        int y = (int) Math.round(d.y());
        int w = (int) Math.round(d.width());
        int h = (int) Math.round(d.height());
        g.setColor(box);
        g.drawRect(x, y, w, h);
        String text = String.format(Locale.ROOT, "%s %.2f", d.label(), d.score());
        int tw = fm.stringWidth(text) + 6;
        int th = fm.getHeight();
        int ty = y - th >= 0 ? y - th : y;
        g.fillRect(x, ty, tw, th);
        g.setColor(Color.BLACK);
        g.drawString(text, x + 3, ty + fm.getAscent());
      }
    } finally {
      g.dispose();
    }
    return out;
  }

  public static void writePng(BufferedImage image, Path file) throws IOException {
    if (!ImageIO.write(image, "png", file.toFile())) {
      throw new IOException("no PNG writer available");
    }
  }
}
