package io.detseg.backend.cuda;

import io.detseg.nativelib.NativeLibrary;
import java.nio.ByteBuffer;

/** JNI entry points of the simulated driver (native/jni/jni_sim_driver.cpp → native/sim). */
final class SimNative {
  static {
    NativeLibrary.ensureLoaded();
  }

  private SimNative() {}

  static native long memAlloc(long bytes);

  static native void memFree(long dptr);

  static native void copyHtoD(long dst, ByteBuffer src, long bytes);

  static native void copyDtoH(ByteBuffer dst, long src, long bytes);

  static native void copyDtoD(long dst, long src, long bytes);

  static native void memsetD8(long dst, byte value, long bytes);

  static native long moduleLoad(String name);

  static native void moduleUnload(long module);

  static native long moduleGetFunction(long module, String name);

  static native void funcSetMaxDynamicShared(long function, int bytes);

  static native void launch(long function, int gx, int gy, int gz, int bx, int by, int bz, int sharedBytes,
      byte[] packedArgs, int[] argSizes);

  static native void setOptions(int workers, long seed, int[] schedules, boolean poisonShared,
      boolean checkRedzones, boolean racecheckGlobal);

  static native long liveAllocations();

  static native String[] kernelNames();

  /** blocks, threads, fiber switches, barriers of the last launch. */
  static native long[] lastLaunchStats();
}
