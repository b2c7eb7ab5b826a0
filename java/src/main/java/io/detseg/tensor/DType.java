package io.detseg.tensor;

/** Element types a tensor can hold. The numpy descriptor is what {@link Npy} reads and writes. */
public enum DType {
  FLOAT32(4, "<f4"),
  INT32(4, "<i4"),
  UINT8(1, "|u1");

  private final int byteSize;
  private final String npyDescr;

  DType(int byteSize, String npyDescr) {
    this.byteSize = byteSize;
    this.npyDescr = npyDescr;
  }

  public int byteSize() {
    return byteSize;
  }

  public String npyDescr() {
    return npyDescr;
  }

  /** The lower-case name used on the command line and in error messages (float32, int32, uint8). */
  public String label() {
    return name().toLowerCase();
  }
}
