// io.detseg.perf.MachineLimits → native/cpu/machine_limits.cpp: the FMA-peak and STREAM-triad
// microbenchmarks of the benchmark harness. Arguments are checked in Java; allocation failures and
// C++ exceptions come back as Java exceptions.
#include <jni.h>
#include <omp.h>

#include "jni_util.h"
#include "machine_limits.h"

using detseg::limits::Isa;

extern "C" {

JNIEXPORT jboolean JNICALL Java_io_detseg_perf_MachineLimits_supports(JNIEnv*, jclass, jint isa) {
  return detseg::limits::supports(isa == 1 ? Isa::Avx512 : Isa::Avx2) ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jdouble JNICALL Java_io_detseg_perf_MachineLimits_fmaPeak(JNIEnv* env, jclass, jint isa, jint threads,
                                                                   jdouble min_seconds, jint reps) {
  return detseg_jni::guarded(env, "java/lang/IllegalStateException", [&]() -> jdouble {
    return detseg::limits::fma_peak_gflops(isa == 1 ? Isa::Avx512 : Isa::Avx2, threads, min_seconds, reps);
  });
}

JNIEXPORT jdoubleArray JNICALL Java_io_detseg_perf_MachineLimits_streamTriad(JNIEnv* env, jclass, jlong n,
                                                                            jint threads, jint reps) {
  double best = 0, median = 0;
  bool ok = detseg_jni::guarded(env, "java/lang/IllegalStateException", [&]() -> bool {
    detseg::limits::stream_triad(n, threads, reps, &best, &median);
    return true;
  });
  if (!ok) return nullptr;
  jdoubleArray out = env->NewDoubleArray(2);
  if (out == nullptr) return nullptr;
  const jdouble values[2] = {best, median};
  env->SetDoubleArrayRegion(out, 0, 2, values);
  return out;
}

JNIEXPORT jint JNICALL Java_io_detseg_perf_MachineLimits_maxThreads(JNIEnv*, jclass) { return omp_get_max_threads(); }

JNIEXPORT jstring JNICALL Java_io_detseg_perf_MachineLimits_compiler(JNIEnv* env, jclass) {
  return env->NewStringUTF(detseg::limits::compiler());
}

}  // extern "C"
