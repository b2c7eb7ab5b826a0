package io.detseg.tensor;

import io.detseg.backend.Backend;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A block of native memory owned by one device. Tensors (and views of them) hold references; the
 * memory is freed when the last reference is released, and a Cleaner frees it if every owner was
 * forgotten without close(), so a leak costs memory for a while but never forever.
 */
public final class Storage {
  private static final Cleaner CLEANER = Cleaner.create();
  private static final AtomicLong LIVE_COUNT = new AtomicLong();
  private static final AtomicLong LIVE_BYTES = new AtomicLong();
  private static final AtomicLong CLEANER_FREES = new AtomicLong();

  private final Backend backend;
  private final long address;
  private final long bytes;
  private final AtomicInteger refs = new AtomicInteger(1);
  private final Release release;
  private final Cleaner.Cleanable cleanable;

  /** Takes ownership of {@code address}, which {@code backend} allocated. */
  public Storage(Backend backend, long address, long bytes) {
    this.backend = backend;
    this.address = address;
    this.bytes = bytes;
    this.release = new Release(backend, address, bytes);
    this.cleanable = CLEANER.register(this, release);
    LIVE_COUNT.incrementAndGet();
    LIVE_BYTES.addAndGet(bytes);
  }

  public Backend backend() {
    return backend;
  }

  public Device device() {
    return backend.device();
  }

  /** Host address (CPU) or device address (CUDA, CUDA_SIM) of the first byte. */
  public long address() {
    if (refs.get() <= 0) {
      throw new IllegalStateException("storage: used after it was freed");
    }
    return address;
  }

  public long bytes() {
    return bytes;
  }

  public boolean isFreed() {
    return refs.get() <= 0;
  }

  void retain() {
    while (true) {
      int r = refs.get();
      if (r <= 0) {
        throw new IllegalStateException("storage: cannot share memory that was already freed");
      }
      if (refs.compareAndSet(r, r + 1)) {
        return;
      }
    }
  }

  void release() {
    int r = refs.decrementAndGet();
    if (r == 0) {
      release.explicit = true;
      cleanable.clean();
    } else if (r < 0) {
      throw new IllegalStateException("storage: released more often than retained");
    }
  }

  /** Storages allocated and not yet freed, over all devices (what leak tests look at). */
  public static long liveCount() {
    return LIVE_COUNT.get();
  }

  public static long liveBytes() {
    return LIVE_BYTES.get();
  }

  /** How many storages were freed by the Cleaner because their owners forgot to close them. */
  public static long cleanerFrees() {
    return CLEANER_FREES.get();
  }

  /** Must not reference the Storage, or the Cleaner could never run. */
  private static final class Release implements Runnable {
    private final Backend backend;
    private final long address;
    private final long bytes;
    volatile boolean explicit;

    Release(Backend backend, long address, long bytes) {
      this.backend = backend;
      this.address = address;
      this.bytes = bytes;
    }

    @Override
    public void run() {
      if (!explicit) {
        CLEANER_FREES.incrementAndGet();
      }
      backend.free(address);
      LIVE_COUNT.decrementAndGet();
      LIVE_BYTES.addAndGet(-bytes);
    }
  }
}
