package io.detseg.backend.cuda;

/** A failure reported by a CUDA driver, real or simulated; the message names the call or kernel. */
public class CudaException extends RuntimeException {
  public CudaException(String message) {
    super(message);
  }

  public CudaException(String message, Throwable cause) {
    super(message, cause);
  }
}
