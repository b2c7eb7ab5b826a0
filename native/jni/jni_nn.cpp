// io.detseg.backend.CpuNnNative → native/cpu/nn_*.cpp. Arguments were validated in Java
// (io.detseg.ops); these functions only unpack addresses and geometry. A null pointer arrives as 0.
#include <jni.h>

#include "jni_util.h"
#include "nn_ops.h"

using detseg_jni::to_ptr;
namespace nn = detseg::cpu::nn;

namespace {
const float* cf(jlong a) { return static_cast<const float*>(to_ptr(a)); }
float* f(jlong a) { return static_cast<float*>(to_ptr(a)); }
const int32_t* ci(jlong a) { return static_cast<const int32_t*>(to_ptr(a)); }
int32_t* i32(jlong a) { return static_cast<int32_t*>(to_ptr(a)); }

// geom = {planes, H, W, outH, outW, kH, kW, sH, sW, pT, pL, limH, limW, dH, dW}
bool pool_geom(JNIEnv* env, jlongArray geom, nn::Pool2d* g) {
  if (geom == nullptr || env->GetArrayLength(geom) != 15) {
    detseg_jni::throw_illegal_argument(env, "CpuNnNative: pooling geometry must have 15 entries");
    return false;
  }
  jlong v[15];
  env->GetLongArrayRegion(geom, 0, 15, v);
  g->planes = v[0];
  int* dst[14] = {&g->H, &g->W, &g->outH, &g->outW, &g->kH, &g->kW, &g->sH, &g->sW, &g->pT, &g->pL, &g->limH, &g->limW,
                  &g->dH, &g->dW};
  for (int i = 0; i < 14; ++i) *dst[i] = (int)v[i + 1];
  return true;
}

nn::Resize2d resize_geom(jlong planes, jint inH, jint inW, jint outH, jint outW, jfloat scaleH, jfloat scaleW,
                         jint mode, jint coord, jint nearest, jfloat a, jint exclude) {
  nn::Resize2d r;
  r.planes = planes;
  r.inH = inH;
  r.inW = inW;
  r.outH = outH;
  r.outW = outW;
  r.scaleH = scaleH;
  r.scaleW = scaleW;
  r.mode = mode;
  r.coord = coord;
  r.nearest = nearest;
  r.cubic_a = a;
  r.exclude_outside = exclude;
  return r;
}
}  // namespace

extern "C" {

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_maxPool2d(JNIEnv* env, jclass, jlong x, jlong y, jlong ind,
                                                                     jlongArray geom) {
  nn::Pool2d g;
  if (pool_geom(env, geom, &g)) nn::max_pool2d_f32(cf(x), f(y), i32(ind), g);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_avgPool2d(JNIEnv* env, jclass, jlong x, jlong y,
                                                                     jlongArray geom, jint cip, jint div) {
  nn::Pool2d g;
  if (pool_geom(env, geom, &g)) nn::avg_pool2d_f32(cf(x), f(y), g, cip, div);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_maxPool2dBackward(JNIEnv* env, jclass, jlong grad, jlong ind,
                                                                             jlong gi, jlongArray geom) {
  nn::Pool2d g;
  if (pool_geom(env, geom, &g)) nn::max_pool2d_backward_f32(cf(grad), ci(ind), f(gi), g);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_avgPool2dBackward(JNIEnv* env, jclass, jlong grad, jlong gi,
                                                                             jlongArray geom, jint cip, jint div) {
  nn::Pool2d g;
  if (pool_geom(env, geom, &g)) nn::avg_pool2d_backward_f32(cf(grad), f(gi), g, cip, div);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_adaptiveAvgPool2d(JNIEnv*, jclass, jlong x, jlong y,
                                                                             jlong planes, jint H, jint W, jint outH,
                                                                             jint outW) {
  nn::adaptive_avg_pool2d_f32(cf(x), f(y), planes, H, W, outH, outW);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_adaptiveMaxPool2d(JNIEnv*, jclass, jlong x, jlong y,
                                                                             jlong ind, jlong planes, jint H, jint W,
                                                                             jint outH, jint outW) {
  nn::adaptive_max_pool2d_f32(cf(x), f(y), i32(ind), planes, H, W, outH, outW);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_adaptiveAvgPool2dBackward(JNIEnv*, jclass, jlong grad,
                                                                                     jlong gi, jlong planes, jint H,
                                                                                     jint W, jint outH, jint outW) {
  nn::adaptive_avg_pool2d_backward_f32(cf(grad), f(gi), planes, H, W, outH, outW);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_adaptiveMaxPool2dBackward(JNIEnv*, jclass, jlong grad,
                                                                                     jlong ind, jlong gi, jlong planes,
                                                                                     jint H, jint W, jint outH,
                                                                                     jint outW) {
  nn::adaptive_max_pool2d_backward_f32(cf(grad), ci(ind), f(gi), planes, H, W, outH, outW);
}

JNIEXPORT jint JNICALL Java_io_detseg_backend_CpuNnNative_maxUnpool2d(JNIEnv*, jclass, jlong x, jlong ind, jlong y,
                                                                      jlong planes, jint in_hw, jint out_hw) {
  return nn::max_unpool2d_f32(cf(x), ci(ind), f(y), planes, in_hw, out_hw);
}

JNIEXPORT jint JNICALL Java_io_detseg_backend_CpuNnNative_maxUnpool2dBackward(JNIEnv*, jclass, jlong grad, jlong ind,
                                                                              jlong gi, jlong planes, jint in_hw,
                                                                              jint out_hw) {
  return nn::max_unpool2d_backward_f32(cf(grad), ci(ind), f(gi), planes, in_hw, out_hw);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_indexLayout(JNIEnv*, jclass, jlong in, jlong out,
                                                                       jlong planes, jint per_plane, jint H, jint W,
                                                                       jint mode) {
  nn::index_layout_i32(ci(in), i32(out), planes, per_plane, H, W, mode);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_resize(JNIEnv*, jclass, jlong x, jlong y, jlong planes,
                                                                  jint inH, jint inW, jint outH, jint outW,
                                                                  jfloat scaleH, jfloat scaleW, jint mode, jint coord,
                                                                  jint nearest, jfloat a, jint exclude) {
  nn::resize_f32(cf(x), f(y), resize_geom(planes, inH, inW, outH, outW, scaleH, scaleW, mode, coord, nearest, a, exclude));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_resizeBackward(JNIEnv*, jclass, jlong grad, jlong gi,
                                                                          jlong planes, jint inH, jint inW, jint outH,
                                                                          jint outW, jfloat scaleH, jfloat scaleW,
                                                                          jint mode, jint coord, jint nearest,
                                                                          jfloat a, jint exclude) {
  nn::resize_backward_f32(cf(grad), f(gi),
                          resize_geom(planes, inH, inW, outH, outW, scaleH, scaleW, mode, coord, nearest, a, exclude));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_bedOfNails(JNIEnv*, jclass, jlong x, jlong y, jlong planes,
                                                                      jint H, jint W, jint sH, jint sW) {
  nn::bed_of_nails_f32(cf(x), f(y), planes, H, W, sH, sW);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_bedOfNailsBackward(JNIEnv*, jclass, jlong grad, jlong gi,
                                                                              jlong planes, jint H, jint W, jint sH,
                                                                              jint sW) {
  nn::bed_of_nails_backward_f32(cf(grad), f(gi), planes, H, W, sH, sW);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_batchNorm(JNIEnv*, jclass, jlong x, jlong y, jlong N, jint C,
                                                                     jlong S, jlong weight, jlong bias, jlong rm,
                                                                     jlong rv, jboolean training, jfloat momentum,
                                                                     jfloat eps, jboolean unbiased, jlong save_mean,
                                                                     jlong save_invstd) {
  nn::batch_norm_f32(cf(x), f(y), N, C, S, cf(weight), cf(bias), f(rm), f(rv), training ? 1 : 0, momentum, eps,
                     unbiased ? 1 : 0, f(save_mean), f(save_invstd));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_batchNormBackward(
    JNIEnv*, jclass, jlong grad, jlong x, jlong N, jint C, jlong S, jlong weight, jlong rm, jlong rv, jlong save_mean,
    jlong save_invstd, jboolean training, jfloat eps, jlong gi, jlong gw, jlong gb) {
  nn::batch_norm_backward_f32(cf(grad), cf(x), N, C, S, cf(weight), cf(rm), cf(rv), cf(save_mean), cf(save_invstd),
                              training ? 1 : 0, eps, f(gi), f(gw), f(gb));
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_activation(JNIEnv*, jclass, jlong x, jlong y, jlong n,
                                                                      jint op, jfloat slope) {
  nn::activation_f32(cf(x), f(y), n, op, slope);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_activationBackward(JNIEnv*, jclass, jlong grad, jlong v,
                                                                              jlong gi, jlong n, jint op,
                                                                              jfloat slope) {
  nn::activation_backward_f32(cf(grad), cf(v), f(gi), n, op, slope);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_pad2d(JNIEnv*, jclass, jlong x, jlong y, jlong planes, jint H,
                                                                 jint W, jint outH, jint outW, jint pT, jint pL,
                                                                 jint mode, jint value_bits) {
  nn::pad2d_b32(static_cast<const uint32_t*>(to_ptr(x)), static_cast<uint32_t*>(to_ptr(y)), planes, H, W, outH, outW,
                pT, pL, mode, (uint32_t)value_bits);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_pad2dBackward(JNIEnv*, jclass, jlong grad, jlong gi,
                                                                         jlong planes, jint H, jint W, jint outH,
                                                                         jint outW, jint pT, jint pL, jint mode) {
  nn::pad2d_backward_f32(cf(grad), f(gi), planes, H, W, outH, outW, pT, pL, mode);
}

JNIEXPORT void JNICALL Java_io_detseg_backend_CpuNnNative_copy2d(JNIEnv*, jclass, jlong src, jlong src_stride,
                                                                  jlong dst, jlong dst_stride, jlong rows,
                                                                  jlong cols) {
  nn::copy2d_f32(cf(src), src_stride, f(dst), dst_stride, rows, cols);
}

}  // extern "C"
