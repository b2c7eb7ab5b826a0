package io.detseg.perf;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A horizontal bar chart of the ratios (peer / detseg, log scale, 1 = as fast as the peer): green
 * when the row's target is met (or, without a target, when detseg is faster), red otherwise; a
 * black tick marks the target ratio. Drawn with Java2D, written as PNG.
 */
public final class RatioChart {
  private static final int WIDTH = 1100;
  private static final int ROW = 22;
  private static final int TOP = 56;
  private static final int BOTTOM = 44;
  private static final int LABEL_W = 380;
  private static final int RIGHT = 90;

  private RatioChart() {}

  public static BufferedImage draw(List<ResultRow> rows, String title) {
    System.setProperty("java.awt.headless", "true");
    List<ResultRow> shown = new ArrayList<>();
    for (ResultRow r : rows) {
      if (r.ratio() != null) {
        shown.add(r);
      }
    }
    int height = TOP + BOTTOM + Math.max(1, shown.size()) * ROW;
    BufferedImage img = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, WIDTH, height);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
      g.drawString(title, 12, 22);
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      g.drawString("ratio = peer median / detseg median (log scale); > 1: detseg faster. Green: target met "
          + "(no target: ratio > 1). Tick: target.", 12, 40);
      if (shown.isEmpty()) {
        g.drawString("no case has timings on both sides", LABEL_W, TOP + 15);
        return img;
      }
      double lo = 0.5;
      double hi = 2;
      for (ResultRow r : shown) {
        lo = Math.min(lo, r.ratio());
        hi = Math.max(hi, r.ratio());
        if (r.target() != null && r.target().ratio() != null) {
          hi = Math.max(hi, r.target().ratio());
        }
      }
      double l0 = Math.floor(Math.log10(lo) * 2) / 2;
      double l1 = Math.ceil(Math.log10(hi) * 2) / 2;
      int x0 = LABEL_W;
      int x1 = WIDTH - RIGHT;
      java.util.function.DoubleUnaryOperator x = v -> x0 + (Math.log10(v) - l0) / (l1 - l0) * (x1 - x0);
      int plotBottom = TOP + shown.size() * ROW;
      // grid: 1-2-5 per decade
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
      for (int e = (int) Math.floor(l0); e <= (int) Math.ceil(l1); e++) {
        for (int m : new int[] {1, 2, 5}) {
          double v = m * Math.pow(10, e);
          double lv = Math.log10(v);
          if (lv < l0 - 1e-9 || lv > l1 + 1e-9) {
            continue;
          }
          int gx = (int) Math.round(x.applyAsDouble(v));
          g.setColor(v == 1 ? Color.BLACK : new Color(225, 225, 225));
          g.setStroke(new BasicStroke(v == 1 ? 1.5f : 1f));
          g.drawLine(gx, TOP - 4, gx, plotBottom);
          g.setColor(Color.DARK_GRAY);
          String label = Report.num(v) + "×";
          g.drawString(label, gx - g.getFontMetrics().stringWidth(label) / 2, plotBottom + 16);
        }
      }
      g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
      FontMetrics fm = g.getFontMetrics();
      int baseX = (int) Math.round(x.applyAsDouble(1));
      for (int i = 0; i < shown.size(); i++) {
        ResultRow r = shown.get(i);
        int y = TOP + i * ROW;
        String label = r.caseId() + " · " + r.pass() + " · " + r.backend();
        while (fm.stringWidth(label) > LABEL_W - 20 && label.length() > 4) {
          label = label.substring(0, label.length() - 2);
        }
        g.setColor(Color.BLACK);
        g.drawString(label, LABEL_W - 10 - fm.stringWidth(label), y + 15);
        int bx = (int) Math.round(x.applyAsDouble(r.ratio()));
        String verdict = r.verdict();
        boolean good = verdict.isEmpty() ? r.ratio() >= 1 : verdict.equals("met");
        g.setColor(verdict.equals("n/a") ? new Color(150, 150, 150) : good ? new Color(46, 139, 87)
            : new Color(205, 55, 55));
        g.fillRect(Math.min(bx, baseX), y + 4, Math.max(1, Math.abs(bx - baseX)), ROW - 8);
        g.setColor(Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "%.2f×", r.ratio()), Math.max(bx, baseX) + 5, y + 15);
        if (r.target() != null && r.target().ratio() != null && r.target().appliesTo(r.backend(), r.pass())) {
          int tx = (int) Math.round(x.applyAsDouble(r.target().ratio()));
          g.setStroke(new BasicStroke(2.5f));
          g.drawLine(tx, y + 1, tx, y + ROW - 1);
        }
      }
    } finally {
      g.dispose();
    }
    return img;
  }

  public static void write(List<ResultRow> rows, String title, Path file) throws IOException {
    ImageIO.write(draw(rows, title), "png", file.toFile());
  }
}
