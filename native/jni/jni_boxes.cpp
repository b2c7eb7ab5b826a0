// io.detseg.backend.CpuBoxesNative -> native/cpu/boxes_*.cpp. Arguments were validated in Java
// (io.detseg.ops.Boxes, Anchors, BoxCoding, Matching); these functions only turn addresses into
// pointers. Allocation failures inside become Java exceptions, never crashes.
#include <jni.h>

#include "boxes_cpu.h"
#include "jni_util.h"

using detseg_jni::guarded;
using detseg_jni::to_ptr;

namespace {
const float* cf(jlong a) { return static_cast<const float*>(to_ptr(a)); }
float* f(jlong a) { return static_cast<float*>(to_ptr(a)); }
const int32_t* ci(jlong a) { return static_cast<const int32_t*>(to_ptr(a)); }
int32_t* i32(jlong a) { return static_cast<int32_t*>(to_ptr(a)); }
uint8_t* u8(jlong a) { return static_cast<uint8_t*>(to_ptr(a)); }
constexpr const char* kErr = "java/lang/IllegalStateException";
}  // namespace

#define DS_BOXES_JNI(name) JNIEXPORT void JNICALL Java_io_detseg_backend_CpuBoxesNative_##name

extern "C" {

DS_BOXES_JNI(boxArea)(JNIEnv*, jclass, jlong boxes, jlong n, jlong out) {
  detseg::cpu::box_area_f32(cf(boxes), n, f(out));
}

DS_BOXES_JNI(boxAreaBackward)(JNIEnv*, jclass, jlong grad, jlong boxes, jlong n, jlong out) {
  detseg::cpu::box_area_backward_f32(cf(grad), cf(boxes), n, f(out));
}

DS_BOXES_JNI(generalizedBoxIou)(JNIEnv* env, jclass, jlong b1, jlong n, jlong b2, jlong m, jlong out) {
  guarded(env, kErr, [&] { detseg::cpu::generalized_box_iou_f32(cf(b1), n, cf(b2), m, f(out)); });
}

DS_BOXES_JNI(generalizedBoxIouBackward)(JNIEnv* env, jclass, jlong grad, jlong b1, jlong n, jlong b2, jlong m,
                                        jlong g1, jlong g2) {
  guarded(env, kErr, [&] { detseg::cpu::generalized_box_iou_backward_f32(cf(grad), cf(b1), n, cf(b2), m, f(g1), f(g2)); });
}

DS_BOXES_JNI(clipBoxes)(JNIEnv*, jclass, jlong boxes, jlong count, jfloat h, jfloat w, jlong out) {
  detseg::cpu::clip_boxes_f32(cf(boxes), count, h, w, f(out));
}

DS_BOXES_JNI(clipBoxesBackward)(JNIEnv*, jclass, jlong grad, jlong boxes, jlong count, jfloat h, jfloat w,
                                jlong out) {
  detseg::cpu::clip_boxes_backward_f32(cf(grad), cf(boxes), count, h, w, f(out));
}

DS_BOXES_JNI(boxConvert)(JNIEnv*, jclass, jlong boxes, jlong n, jint in_fmt, jint out_fmt, jlong out) {
  detseg::cpu::box_convert_f32(cf(boxes), n, in_fmt, out_fmt, f(out));
}

DS_BOXES_JNI(boxConvertBackward)(JNIEnv*, jclass, jlong grad, jlong n, jint in_fmt, jint out_fmt, jlong out) {
  detseg::cpu::box_convert_backward_f32(cf(grad), n, in_fmt, out_fmt, f(out));
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuBoxesNative_removeSmallBoxes(JNIEnv* env, jclass, jlong boxes,
                                                                                jlong n, jfloat min_size,
                                                                                jlong out) {
  return guarded(env, kErr, [&] { return (jlong)detseg::cpu::remove_small_boxes_f32(cf(boxes), n, min_size, i32(out)); });
}

DS_BOXES_JNI(anchorGrid)(JNIEnv* env, jclass, jlong sizes, jint nsizes, jlong ratios, jint nratios, jlong gh,
                         jlong gw, jlong sh, jlong sw, jlong out) {
  guarded(env, kErr, [&] { detseg::cpu::anchor_grid_f32(cf(sizes), nsizes, cf(ratios), nratios, gh, gw, sh, sw, f(out)); });
}

DS_BOXES_JNI(ssdDefaultBoxes)(JNIEnv*, jclass, jlong wh, jint npairs, jlong gh, jlong gw, jfloat xf, jfloat yf,
                              jfloat iw, jfloat ih, jlong out) {
  detseg::cpu::ssd_default_boxes_f32(cf(wh), npairs, gh, gw, xf, yf, iw, ih, f(out));
}

DS_BOXES_JNI(yoloDecode)(JNIEnv*, jclass, jlong input, jlong batch, jlong na, jlong k, jlong gh, jlong gw,
                         jlong anchors, jfloat ih, jfloat iw, jlong out) {
  detseg::cpu::yolo_decode_f32(cf(input), batch, na, k, gh, gw, cf(anchors), ih, iw, f(out));
}

DS_BOXES_JNI(encodeBoxes)(JNIEnv*, jclass, jlong ref, jlong prop, jlong n, jlong weights, jlong out) {
  detseg::cpu::encode_boxes_f32(cf(ref), cf(prop), n, cf(weights), f(out));
}

DS_BOXES_JNI(decodeBoxes)(JNIEnv*, jclass, jlong codes, jlong boxes, jlong n, jlong k, jlong weights, jfloat clip,
                          jlong out) {
  detseg::cpu::decode_boxes_f32(cf(codes), cf(boxes), n, k, cf(weights), clip, f(out));
}

DS_BOXES_JNI(encodeBoxesSsd)(JNIEnv*, jclass, jlong ref, jlong defaults, jlong n, jfloat v0, jfloat v1, jlong out) {
  detseg::cpu::encode_boxes_ssd_f32(cf(ref), cf(defaults), n, v0, v1, f(out));
}

DS_BOXES_JNI(decodeBoxesSsd)(JNIEnv*, jclass, jlong codes, jlong boxes, jlong n, jlong k, jfloat v0, jfloat v1,
                             jlong out) {
  detseg::cpu::decode_boxes_ssd_f32(cf(codes), cf(boxes), n, k, v0, v1, f(out));
}

DS_BOXES_JNI(matchBoxes)(JNIEnv* env, jclass, jlong q, jlong m, jlong n, jfloat high, jfloat low, jint mode,
                         jlong out) {
  guarded(env, kErr, [&] { detseg::cpu::match_boxes_f32(cf(q), m, n, high, low, mode, i32(out)); });
}

DS_BOXES_JNI(samplePosNeg)(JNIEnv* env, jclass, jlong labels, jlong rows, jlong n, jlong batch, jlong max_pos,
                           jlong seed, jlong pos, jlong neg) {
  guarded(env, kErr, [&] {
    detseg::cpu::sample_pos_neg_i32(ci(labels), rows, n, batch, max_pos, (uint64_t)seed, u8(pos), u8(neg));
  });
}

DS_BOXES_JNI(hardNegativeMining)(JNIEnv* env, jclass, jlong loss, jlong labels, jlong rows, jlong n, jfloat ratio,
                                 jlong mask, jlong neg) {
  guarded(env, kErr, [&] { detseg::cpu::hard_negative_mining_f32(cf(loss), ci(labels), rows, n, ratio, u8(mask), u8(neg)); });
}

}  // extern "C"
