// io.detseg.backend.CpuRoiNative -> native/cpu/roi_*.cpp. Arguments were validated in Java
// (io.detseg.ops.Roi); these functions turn addresses into pointers and C++ failures (allocation)
// into Java exceptions.
#include <jni.h>

#include "jni_util.h"
#include "roi_ops.h"

using detseg_jni::guarded;
using detseg_jni::to_ptr;

namespace {
const float* cf(jlong a) { return static_cast<const float*>(to_ptr(a)); }
float* f(jlong a) { return static_cast<float*>(to_ptr(a)); }
const int* ci(jlong a) { return static_cast<const int*>(to_ptr(a)); }
int* i32(jlong a) { return static_cast<int*>(to_ptr(a)); }

detseg::cpu::RoiSet roi_set(jlong boxes, jlong stride, jlong batch_indices, jlong k, jlong levels, jint level) {
  return detseg::cpu::RoiSet{cf(boxes), stride, ci(batch_indices), k, ci(levels), level};
}

constexpr const char* kError = "java/lang/IllegalStateException";
}  // namespace

extern "C" {

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuRoiNative_roiAlignForward(
    JNIEnv* env, jclass, jlong input, jlong n, jlong c, jlong h, jlong w, jlong boxes, jlong stride,
    jlong batch_indices, jlong k, jlong levels, jint level, jint pooled_h, jint pooled_w, jfloat scale,
    jint sampling_ratio, jboolean aligned, jlong output) {
  guarded(env, kError, [&] {
    detseg::cpu::roi_align_forward_f32(cf(input), {n, c, h, w}, roi_set(boxes, stride, batch_indices, k, levels, level),
                                       pooled_h, pooled_w, scale, sampling_ratio, aligned, f(output));
  });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuRoiNative_roiAlignBackward(
    JNIEnv* env, jclass, jlong grad_output, jlong boxes, jlong stride, jlong batch_indices, jlong k, jlong levels,
    jint level, jlong n, jlong c, jlong h, jlong w, jint pooled_h, jint pooled_w, jfloat scale, jint sampling_ratio,
    jboolean aligned, jlong grad_input) {
  guarded(env, kError, [&] {
    detseg::cpu::roi_align_backward_f32(cf(grad_output), roi_set(boxes, stride, batch_indices, k, levels, level),
                                        {n, c, h, w}, pooled_h, pooled_w, scale, sampling_ratio, aligned,
                                        f(grad_input));
  });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuRoiNative_roiPoolForward(JNIEnv* env, jclass, jlong input, jlong n,
                                                                          jlong c, jlong h, jlong w, jlong boxes,
                                                                          jlong stride, jlong batch_indices, jlong k,
                                                                          jint pooled_h, jint pooled_w, jfloat scale,
                                                                          jlong output, jlong argmax) {
  guarded(env, kError, [&] {
    detseg::cpu::roi_pool_forward_f32(cf(input), {n, c, h, w}, roi_set(boxes, stride, batch_indices, k, 0, 0),
                                      pooled_h, pooled_w, scale, f(output), i32(argmax));
  });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuRoiNative_roiPoolBackward(JNIEnv* env, jclass, jlong grad_output,
                                                                           jlong argmax, jlong boxes, jlong stride,
                                                                           jlong batch_indices, jlong k, jlong n,
                                                                           jlong c, jlong h, jlong w, jint pooled_h,
                                                                           jint pooled_w, jlong grad_input) {
  guarded(env, kError, [&] {
    detseg::cpu::roi_pool_backward_f32(cf(grad_output), ci(argmax), roi_set(boxes, stride, batch_indices, k, 0, 0),
                                       {n, c, h, w}, pooled_h, pooled_w, f(grad_input));
  });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuRoiNative_fpnLevels(JNIEnv* env, jclass, jlong boxes, jlong stride,
                                                                     jlong batch_indices, jlong k, jint k_min,
                                                                     jint k_max, jfloat canonical_scale,
                                                                     jfloat canonical_level, jfloat eps, jlong levels) {
  guarded(env, kError, [&] {
    detseg::cpu::roi_fpn_levels_f32(roi_set(boxes, stride, batch_indices, k, 0, 0), k_min, k_max, canonical_scale,
                                    canonical_level, eps, i32(levels));
  });
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuRoiNative_firstBadBatch(JNIEnv*, jclass, jlong boxes, jlong k,
                                                                          jlong stride, jint n) {
  return detseg::cpu::roi_first_bad_batch_f32(cf(boxes), k, stride, n);
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuRoiNative_firstOutOfRange(JNIEnv*, jclass, jlong values,
                                                                            jlong count, jint lo, jint hi) {
  return detseg::cpu::roi_first_out_of_range_i32(ci(values), count, lo, hi);
}

}  // extern "C"
