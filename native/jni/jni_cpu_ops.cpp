// io.detseg.backend.CpuNative → native/cpu. Arguments were validated in Java (io.detseg.ops.Checks);
// these functions only turn addresses into pointers.
#include <jni.h>
#include <omp.h>

#include "cpu_ops.h"
#include "strided_copy.h"
#include "jni_util.h"

using detseg_jni::to_ptr;

namespace {
const float* cf(jlong a) { return static_cast<const float*>(to_ptr(a)); }
float* f(jlong a) { return static_cast<float*>(to_ptr(a)); }
}  // namespace

extern "C" {

JNIEXPORT jstring JNICALL Java_io_detseg_backend_CpuNative_simdLevel(JNIEnv* env, jclass) {
  return env->NewStringUTF(detseg::cpu::simd_level());
}

JNIEXPORT jint JNICALL Java_io_detseg_backend_CpuNative_threads(JNIEnv*, jclass) { return omp_get_max_threads(); }

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNative_add(JNIEnv*, jclass, jlong a, jlong b, jlong out, jlong n) {
  detseg::cpu::add_f32(cf(a), cf(b), f(out), n);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNative_mul(JNIEnv*, jclass, jlong a, jlong b, jlong out, jlong n) {
  detseg::cpu::mul_f32(cf(a), cf(b), f(out), n);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNative_relu(JNIEnv*, jclass, jlong x, jlong out, jlong n) {
  detseg::cpu::relu_f32(cf(x), f(out), n);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNative_reluBackward(JNIEnv*, jclass, jlong grad, jlong x,
                                                                      jlong out, jlong n) {
  detseg::cpu::relu_backward_f32(cf(grad), cf(x), f(out), n);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNative_fill(JNIEnv*, jclass, jlong out, jfloat value, jlong n) {
  detseg::cpu::fill_f32(f(out), value, n);
}

JNIEXPORT jfloat JNICALL Java_io_detseg_backend_CpuNative_sum(JNIEnv*, jclass, jlong x, jlong n) {
  return detseg::cpu::sum_f32(cf(x), n);
}

JNIEXPORT jfloat JNICALL Java_io_detseg_backend_CpuNative_max(JNIEnv*, jclass, jlong x, jlong n) {
  return detseg::cpu::max_f32(cf(x), n);
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuNative_countEqual(JNIEnv*, jclass, jlong x, jlong n,
                                                                     jfloat value) {
  return detseg::cpu::count_equal_f32(cf(x), n, value);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNative_maxBackward(JNIEnv*, jclass, jfloat grad, jlong x,
                                                                     jfloat max, jlong count, jlong out, jlong n) {
  detseg::cpu::max_backward_f32(grad, cf(x), max, count, f(out), n);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNative_boxIou(JNIEnv*, jclass, jlong b1, jlong n, jlong b2,
                                                                jlong m, jlong out) {
  detseg::cpu::box_iou_f32(cf(b1), n, cf(b2), m, f(out));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNative_stridedCopy(JNIEnv* env, jclass, jlong in, jlong out,
                                                                     jint elem_bytes, jlongArray shape,
                                                                     jlongArray strides) {
  jsize nd = env->GetArrayLength(shape);
  if (nd > 8 || env->GetArrayLength(strides) != nd) {
    detseg_jni::throw_illegal_argument(env, "strided_copy: expected at most 8 dimensions and one stride each");
    return;
  }
  jlong sh[8];
  jlong st[8];
  env->GetLongArrayRegion(shape, 0, nd, sh);
  env->GetLongArrayRegion(strides, 0, nd, st);
  int64_t shape64[8];
  int64_t strides64[8];
  for (jsize i = 0; i < nd; i++) {
    shape64[i] = sh[i];
    strides64[i] = st[i];
  }
  detseg::cpu::strided_copy(to_ptr(in), to_ptr(out), elem_bytes, nd, shape64, strides64);
}

}  // extern "C"
