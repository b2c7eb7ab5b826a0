// io.detseg.backend.CpuLossNative → native/cpu/loss_*.cpp. Arguments were validated in Java
// (io.detseg.ops.Losses and friends); these functions only turn addresses into pointers. Nothing here
// can fail on user data: bad targets are reported through return values, never by reading memory.
#include <jni.h>

#include "jni_util.h"
#include "loss_ops.h"

using detseg_jni::to_ptr;

namespace {
const float* cf(jlong a) { return static_cast<const float*>(to_ptr(a)); }
float* f(jlong a) { return static_cast<float*>(to_ptr(a)); }
const int32_t* ci(jlong a) { return static_cast<const int32_t*>(to_ptr(a)); }

detseg::cpu::SoftmaxLossArgs smx(jlong x, jlong target, jlong weight, jlong n, jlong c, jlong s, jint ignore_index,
                                 jint mode, jfloat label_smoothing, jfloat alpha, jfloat gamma) {
  detseg::cpu::SoftmaxLossArgs a;
  a.x = cf(x);
  a.target = ci(target);
  a.weight = cf(weight);
  a.n = n;
  a.c = c;
  a.s = s;
  a.ignore_index = ignore_index;
  a.mode = mode;
  a.label_smoothing = label_smoothing;
  a.alpha = alpha;
  a.gamma = gamma;
  return a;
}

detseg::cpu::PointwiseArgs pw(jint kind, jlong x, jlong t, jlong w, jlong w_inner, jlong w_mid, jlong pwt,
                              jlong pw_inner, jlong pw_mid, jfloat a, jfloat b, jlong n) {
  detseg::cpu::PointwiseArgs p;
  p.kind = kind;
  p.x = cf(x);
  p.t = cf(t);
  p.weight = detseg::cpu::Broadcast{cf(w), w_inner, w_mid};
  p.pos_weight = detseg::cpu::Broadcast{cf(pwt), pw_inner, pw_mid};
  p.a = a;
  p.b = b;
  p.n = n;
  return p;
}
detseg::cpu::RegionArgs region(jlong x, jlong tf, jlong ti, jlong n, jlong c, jlong s, jint mode, jboolean from_logits,
                               jboolean has_ignore, jint ignore_index, jint kind, jfloat smooth, jfloat eps,
                               jboolean log_loss) {
  detseg::cpu::RegionArgs a;
  a.x = cf(x);
  a.tf = cf(tf);
  a.ti = ci(ti);
  a.n = n;
  a.c = c;
  a.s = s;
  a.mode = mode;
  a.from_logits = from_logits ? 1 : 0;
  a.has_ignore = has_ignore ? 1 : 0;
  a.ignore_index = ignore_index;
  a.kind = kind;
  a.smooth = smooth;
  a.eps = eps;
  a.log_loss = log_loss ? 1 : 0;
  return a;
}
}  // namespace

extern "C" {

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuLossNative_regionLossForward(
    JNIEnv*, jclass, jlong x, jlong tf, jlong ti, jlong n, jlong c, jlong s, jint mode, jboolean from_logits,
    jboolean has_ignore, jint ignore_index, jint kind, jfloat smooth, jfloat eps, jboolean log_loss, jint reduction,
    jlong out) {
  return detseg::cpu::region_loss_fwd_f32(
      region(x, tf, ti, n, c, s, mode, from_logits, has_ignore, ignore_index, kind, smooth, eps, log_loss), reduction,
      f(out));
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuLossNative_regionLossBackward(
    JNIEnv*, jclass, jlong x, jlong tf, jlong ti, jlong n, jlong c, jlong s, jint mode, jboolean from_logits,
    jboolean has_ignore, jint ignore_index, jint kind, jfloat smooth, jfloat eps, jboolean log_loss, jint reduction,
    jlong grad_out, jlong grad_in) {
  return detseg::cpu::region_loss_bwd_f32(
      region(x, tf, ti, n, c, s, mode, from_logits, has_ignore, ignore_index, kind, smooth, eps, log_loss), reduction,
      cf(grad_out), f(grad_in));
}


JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuLossNative_softmaxLossForward(
    JNIEnv*, jclass, jlong x, jlong target, jlong weight, jlong n, jlong c, jlong s, jint ignore_index, jint mode,
    jfloat label_smoothing, jfloat alpha, jfloat gamma, jint reduction, jlong out, jlong log_prob) {
  return detseg::cpu::softmax_loss_fwd_f32(smx(x, target, weight, n, c, s, ignore_index, mode, label_smoothing, alpha, gamma),
                                           reduction, f(out), f(log_prob));
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuLossNative_softmaxLossBackward(
    JNIEnv*, jclass, jlong x, jlong target, jlong weight, jlong n, jlong c, jlong s, jint ignore_index, jint mode,
    jfloat label_smoothing, jfloat alpha, jfloat gamma, jint reduction, jlong grad_out, jboolean grad_elementwise,
    jlong grad_in) {
  return detseg::cpu::softmax_loss_bwd_f32(smx(x, target, weight, n, c, s, ignore_index, mode, label_smoothing, alpha, gamma),
                                           reduction, cf(grad_out), grad_elementwise ? 1 : 0, f(grad_in));
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuLossNative_nllLossForward(JNIEnv*, jclass, jlong x, jlong target,
                                                                             jlong weight, jlong n, jlong c, jlong s,
                                                                             jint ignore_index, jint reduction,
                                                                             jlong out) {
  return detseg::cpu::nll_loss_fwd_f32(cf(x), ci(target), cf(weight), n, c, s, ignore_index, reduction, f(out));
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuLossNative_nllLossBackward(JNIEnv*, jclass, jlong target,
                                                                              jlong weight, jlong n, jlong c, jlong s,
                                                                              jint ignore_index, jint reduction,
                                                                              jlong grad_out,
                                                                              jboolean grad_elementwise,
                                                                              jlong grad_in) {
  return detseg::cpu::nll_loss_bwd_f32(ci(target), cf(weight), n, c, s, ignore_index, reduction, cf(grad_out),
                                       grad_elementwise ? 1 : 0, f(grad_in));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuLossNative_pointwiseForward(
    JNIEnv*, jclass, jint kind, jlong x, jlong t, jlong w, jlong w_inner, jlong w_mid, jlong pwt, jlong pw_inner,
    jlong pw_mid, jfloat a, jfloat b, jlong n, jint reduction, jlong out) {
  detseg::cpu::pointwise_loss_fwd_f32(pw(kind, x, t, w, w_inner, w_mid, pwt, pw_inner, pw_mid, a, b, n), reduction,
                                      f(out));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuLossNative_pointwiseBackward(
    JNIEnv*, jclass, jint kind, jlong x, jlong t, jlong w, jlong w_inner, jlong w_mid, jlong pwt, jlong pw_inner,
    jlong pw_mid, jfloat a, jfloat b, jlong n, jint reduction, jlong grad_out, jboolean grad_elementwise,
    jlong grad_in) {
  detseg::cpu::pointwise_loss_bwd_f32(pw(kind, x, t, w, w_inner, w_mid, pwt, pw_inner, pw_mid, a, b, n), reduction,
                                      cf(grad_out), grad_elementwise ? 1 : 0, f(grad_in));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuLossNative_pointwiseFused(
    JNIEnv*, jclass, jint kind, jlong x, jlong t, jlong w, jlong w_inner, jlong w_mid, jlong pwt, jlong pw_inner,
    jlong pw_mid, jfloat a, jfloat b, jlong n, jint reduction, jlong out, jlong grad_in) {
  detseg::cpu::pointwise_loss_fused_f32(pw(kind, x, t, w, w_inner, w_mid, pwt, pw_inner, pw_mid, a, b, n), reduction,
                                        f(out), f(grad_in));
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuLossNative_firstOutsideUnit(JNIEnv*, jclass, jlong x, jlong n) {
  int64_t first = -1;
  detseg::cpu::count_outside_unit_f32(cf(x), n, &first);
  return first;
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuLossNative_rowsHalfSquaredForward(JNIEnv*, jclass, jlong p, jlong t,
                                                                                     jlong n, jlong k, jfloat reg,
                                                                                     jlong out) {
  detseg::cpu::rows_half_sq_fwd_f32(cf(p), cf(t), n, k, reg, f(out));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuLossNative_rowsHalfSquaredBackward(
    JNIEnv*, jclass, jlong p, jlong t, jlong n, jlong k, jlong grad_out, jboolean grad_elementwise, jfloat divisor,
    jlong grad_in) {
  detseg::cpu::rows_half_sq_bwd_f32(cf(p), cf(t), n, k, cf(grad_out), grad_elementwise ? 1 : 0, divisor, f(grad_in));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuLossNative_unetWeightMap(JNIEnv*, jclass, jlong labels, jlong n,
                                                                            jlong h, jlong w, jfloat w0, jfloat sigma,
                                                                            jfloat wc_bg, jfloat wc_fg, jlong out) {
  detseg::cpu::unet_weight_map_f32(ci(labels), n, h, w, w0, sigma, wc_bg, wc_fg, f(out));
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_CpuLossNative_gatherByLabel(JNIEnv*, jclass, jlong src, jlong labels,
                                                                             jlong r, jlong c, jlong k, jlong dst) {
  return detseg::cpu::gather_by_label_f32(cf(src), ci(labels), r, c, k, f(dst));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuLossNative_scatterByLabel(JNIEnv*, jclass, jlong src, jlong labels,
                                                                             jlong r, jlong c, jlong k, jlong dst) {
  detseg::cpu::scatter_by_label_f32(cf(src), ci(labels), r, c, k, f(dst));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuLossNative_labelMasks(JNIEnv*, jclass, jlong labels, jlong r,
                                                                         jint mode, jlong target, jlong weight) {
  detseg::cpu::label_masks_f32(ci(labels), r, mode, f(target), f(weight));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuLossNative_hardNegativeMining(JNIEnv*, jclass, jlong loss,
                                                                                 jlong labels, jlong n, jlong a,
                                                                                 jint ratio, jlong used) {
  detseg::cpu::hard_negative_mining_f32(cf(loss), ci(labels), n, a, ratio, f(used));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuLossNative_yoloForward(JNIEnv*, jclass, jlong pred, jlong tgt, jlong n,
                                                                          jint grid, jint nb, jint nc,
                                                                          jfloat lambda_coord, jfloat lambda_noobj,
                                                                          jboolean iou_target, jlong out_img) {
  detseg::cpu::yolo_loss_fwd_f32(cf(pred), cf(tgt), n, grid, nb, nc, lambda_coord, lambda_noobj, iou_target ? 1 : 0,
                                 f(out_img));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuLossNative_yoloBackward(
    JNIEnv*, jclass, jlong pred, jlong tgt, jlong n, jint grid, jint nb, jint nc, jfloat lambda_coord,
    jfloat lambda_noobj, jboolean iou_target, jlong grad_out, jboolean grad_elementwise, jfloat divisor,
    jlong grad_in) {
  detseg::cpu::yolo_loss_bwd_f32(cf(pred), cf(tgt), n, grid, nb, nc, lambda_coord, lambda_noobj, iou_target ? 1 : 0,
                                 cf(grad_out), grad_elementwise ? 1 : 0, divisor, f(grad_in));
}

}  // extern "C"
