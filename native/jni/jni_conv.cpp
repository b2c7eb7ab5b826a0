// io.detseg.backend.CpuConvNative → native/cpu/conv*. Arguments were validated in Java
// (io.detseg.ops.Conv); these functions only turn addresses into pointers and the geometry array
// into a Conv2dGeom.
#include <jni.h>

#include "conv_ops.h"
#include "jni_util.h"

using detseg_jni::to_ptr;

namespace {
const float* cf(jlong a) { return static_cast<const float*>(to_ptr(a)); }
float* f(jlong a) { return static_cast<float*>(to_ptr(a)); }

// ConvGeometry.toArray(): 16 longs in Conv2dGeom's order. False (with a Java exception) otherwise.
bool read_geom(JNIEnv* env, jlongArray arr, detseg::cpu::Conv2dGeom* g) {
  if (arr == nullptr || env->GetArrayLength(arr) != 16) {
    detseg_jni::throw_illegal_argument(env, "conv2d: expected a geometry of 16 longs");
    return false;
  }
  jlong v[16];
  env->GetLongArrayRegion(arr, 0, 16, v);
  *g = detseg::cpu::Conv2dGeom{v[0], v[1], v[2],  v[3],  v[4],  v[5],  v[6],  v[7],
                               v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]};
  return true;
}
}  // namespace

extern "C" {

JNIEXPORT jstring JNICALL Java_io_detseg_backend_CpuConvNative_kernelName(JNIEnv* env, jclass) {
  return env->NewStringUTF(detseg::cpu::conv_kernel_name());
}

JNIEXPORT jboolean JNICALL Java_io_detseg_backend_CpuConvNative_forceIsa(JNIEnv*, jclass, jint level) {
  return detseg::cpu::conv_force_isa(level) ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jint JNICALL Java_io_detseg_backend_CpuConvNative_setWinograd(JNIEnv*, jclass, jint mode) {
  return detseg::cpu::conv_set_winograd(mode);
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuConvNative_winogradRuns(JNIEnv*, jclass) {
  return detseg::cpu::conv_winograd_runs();
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuConvNative_sgemm(JNIEnv* env, jclass, jboolean ta, jboolean tb,
                                                                   jlong m, jlong n, jlong k, jfloat alpha, jlong a,
                                                                   jlong lda, jlong b, jlong ldb, jfloat beta,
                                                                   jlong c, jlong ldc) {
  detseg_jni::guarded(env, "java/lang/RuntimeException", [&] {
    detseg::cpu::sgemm_f32(ta, tb, m, n, k, alpha, cf(a), lda, cf(b), ldb, beta, f(c), ldc);
    return 0;
  });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuConvNative_fillRows(JNIEnv*, jclass, jlong bias, jlong rows,
                                                                      jlong cols, jlong out) {
  detseg::cpu::fill_rows_f32(cf(bias), rows, cols, f(out));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuConvNative_sumRows(JNIEnv*, jclass, jlong x, jlong rows, jlong cols,
                                                                     jlong out) {
  detseg::cpu::sum_rows_f32(cf(x), rows, cols, f(out));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuConvNative_conv2dForward(JNIEnv* env, jclass, jlongArray geom,
                                                                           jlong x, jlong w, jlong bias, jlong y) {
  detseg::cpu::Conv2dGeom g;
  if (!read_geom(env, geom, &g)) return;
  detseg_jni::guarded(env, "java/lang/RuntimeException", [&] {
    detseg::cpu::conv2d_forward_f32(g, cf(x), cf(w), bias == 0 ? nullptr : cf(bias), f(y));
    return 0;
  });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuConvNative_conv2dBackwardData(JNIEnv* env, jclass, jlongArray geom,
                                                                                jlong dy, jlong w, jlong bias,
                                                                                jlong dx) {
  detseg::cpu::Conv2dGeom g;
  if (!read_geom(env, geom, &g)) return;
  detseg_jni::guarded(env, "java/lang/RuntimeException", [&] {
    detseg::cpu::conv2d_backward_data_f32(g, cf(dy), cf(w), f(dx), bias == 0 ? nullptr : cf(bias));
    return 0;
  });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuConvNative_conv2dBackwardWeight(JNIEnv* env, jclass,
                                                                                  jlongArray geom, jlong x, jlong dy,
                                                                                  jlong dw) {
  detseg::cpu::Conv2dGeom g;
  if (!read_geom(env, geom, &g)) return;
  detseg_jni::guarded(env, "java/lang/RuntimeException", [&] {
    detseg::cpu::conv2d_backward_weight_f32(g, cf(x), cf(dy), f(dw));
    return 0;
  });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuConvNative_conv2dForwardAndBackwardWeight(
    JNIEnv* env, jclass, jlongArray geom, jlong x, jlong w, jlong y, jlong dy, jlong dw, jlong x_sums) {
  detseg::cpu::Conv2dGeom g;
  if (!read_geom(env, geom, &g)) return;
  detseg_jni::guarded(env, "java/lang/RuntimeException", [&] {
    detseg::cpu::conv2d_forward_and_weight_grad_f32(g, cf(x), cf(w), f(y), cf(dy), f(dw), x_sums == 0 ? nullptr : f(x_sums));
    return 0;
  });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuConvNative_addChannelBias(JNIEnv*, jclass, jlong out, jlong n,
                                                                            jlong c, jlong hw, jlong bias) {
  detseg::cpu::add_channel_bias_f32(f(out), n, c, hw, cf(bias));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuConvNative_conv2dBackwardBias(JNIEnv*, jclass, jlong dy, jlong n,
                                                                                jlong c, jlong hw, jlong db) {
  detseg::cpu::conv2d_backward_bias_f32(cf(dy), n, c, hw, f(db));
}

}  // extern "C"
