package io.detseg.backend.cuda;

/** A CUDA launch dimension (grid or block). */
public record Dim3(int x, int y, int z) {
  public static Dim3 of(int x) {
    return new Dim3(x, 1, 1);
  }

  public static Dim3 of(int x, int y) {
    return new Dim3(x, y, 1);
  }

  public long count() {
    return (long) x * y * z;
  }

  @Override
  public String toString() {
    return "(" + x + "," + y + "," + z + ")";
  }
}
