package io.detseg.perf;

import java.util.Arrays;
import java.util.List;

/**
 * Median and minimum of the per-iteration times of one benchmark (each iteration's value is its
 * mean time per call, in microseconds), as JMH's raw data or the peer script give them.
 */
public record Stats(double medianUs, double minUs, int iterations) {
  public static Stats of(List<Double> iterationsUs) {
    if (iterationsUs == null || iterationsUs.isEmpty()) {
      throw new IllegalArgumentException("no iterations to summarize");
    }
    double[] v = iterationsUs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    int n = v.length;
    double median = n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    return new Stats(median, v[0], n);
  }

  public static Stats of(double... iterationsUs) {
    return of(Arrays.stream(iterationsUs).boxed().toList());
  }
}
