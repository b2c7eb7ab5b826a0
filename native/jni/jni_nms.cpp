// io.detseg.backend.CpuNmsNative → native/cpu/nms*.cpp. Arguments were validated in Java
// (io.detseg.ops.Nms); these functions only turn addresses into pointers and catch C++ failures
// (an allocation failure becomes an OutOfMemoryError, never a crash).
#include <jni.h>

#include <cstdint>

#include "jni_util.h"
#include "nms_ops.h"

using detseg_jni::guarded;
using detseg_jni::to_ptr;

namespace {
const float* nms_cf(jlong a) { return static_cast<const float*>(to_ptr(a)); }
const int32_t* nms_ci(jlong a) { return static_cast<const int32_t*>(to_ptr(a)); }
const char* const kNmsError = "java/lang/IllegalStateException";
}  // namespace

extern "C" {

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuNmsNative_nms(JNIEnv* env, jclass, jlong boxes, jlong scores,
                                                                jlong idxs, jlong n, jfloat iou_threshold,
                                                                jboolean use_score_threshold, jfloat score_threshold,
                                                                jlong max_output, jlong keep) {
  return guarded(env, kNmsError, [&]() -> jlong {
    return detseg::cpu::nms_f32(nms_cf(boxes), nms_cf(scores), idxs == 0 ? nullptr : nms_ci(idxs), n, iou_threshold,
                                use_score_threshold ? 1 : 0, score_threshold, max_output,
                                static_cast<int32_t*>(to_ptr(keep)));
  });
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuNmsNative_onnxNms(JNIEnv* env, jclass, jlong boxes, jlong scores,
                                                                    jlong batches, jlong classes, jlong n,
                                                                    jint center_point_box, jlong max_per_class,
                                                                    jfloat iou_threshold, jboolean use_score_threshold,
                                                                    jfloat score_threshold, jlong triples) {
  return guarded(env, kNmsError, [&]() -> jlong {
    return detseg::cpu::onnx_nms_f32(nms_cf(boxes), nms_cf(scores), batches, classes, n, center_point_box,
                                     max_per_class, iou_threshold, use_score_threshold ? 1 : 0, score_threshold,
                                     static_cast<int32_t*>(to_ptr(triples)));
  });
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuNmsNative_softNms(JNIEnv* env, jclass, jlong boxes, jlong scores,
                                                                    jlong n, jfloat sigma, jfloat iou_threshold,
                                                                    jfloat score_threshold, jint method, jlong keep,
                                                                    jlong kept_scores) {
  return guarded(env, kNmsError, [&]() -> jlong {
    return detseg::cpu::soft_nms_f32(nms_cf(boxes), nms_cf(scores), n, sigma, iou_threshold, score_threshold, method,
                                     static_cast<int32_t*>(to_ptr(keep)), static_cast<float*>(to_ptr(kept_scores)));
  });
}

}  // extern "C"
