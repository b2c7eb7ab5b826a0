// io.detseg.nativelib.NativeMemory: aligned host allocations and array copies.
#include <jni.h>

#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include "host_blocks.h"
#include "jni_util.h"

using detseg_jni::array_window_ok;
using detseg_jni::to_ptr;

namespace {

template <typename T>
void array_to_native(JNIEnv* env, jarray src, jint offset, jlong dst, jint count, const char* what) {
  if (!array_window_ok(env, src, offset, count, what) || count == 0) return;
  void* base = env->GetPrimitiveArrayCritical(src, nullptr);
  if (base == nullptr) return;
  std::memcpy(to_ptr(dst), static_cast<T*>(base) + offset, static_cast<size_t>(count) * sizeof(T));
  env->ReleasePrimitiveArrayCritical(src, base, JNI_ABORT);
}

template <typename T>
void native_to_array(JNIEnv* env, jlong src, jarray dst, jint offset, jint count, const char* what) {
  if (!array_window_ok(env, dst, offset, count, what) || count == 0) return;
  void* base = env->GetPrimitiveArrayCritical(dst, nullptr);
  if (base == nullptr) return;
  std::memcpy(static_cast<T*>(base) + offset, to_ptr(src), static_cast<size_t>(count) * sizeof(T));
  env->ReleasePrimitiveArrayCritical(dst, base, 0);
}

}  // namespace

extern "C" {

// Tensors up to 256 MiB come from the heap instead of fresh mmaps, so a freed block is reused without
// page faults: first-touching a new mapping costs as much as a memory-bound op on it. The heap keeps
// up to 512 MiB of freed memory before returning it to the OS.
JNIEXPORT jint JNICALL JNI_OnLoad(JavaVM*, void*) {
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  return JNI_VERSION_1_8;
}

JNIEXPORT jlong JNICALL Java_io_detseg_nativelib_NativeMemory_allocate0(JNIEnv*, jclass, jlong bytes,
                                                                         jint alignment) {
  if (bytes <= 0 || alignment <= 0) return 0;
  return reinterpret_cast<jlong>(detseg::host::allocate(static_cast<size_t>(bytes), static_cast<size_t>(alignment)));
}

JNIEXPORT void JNICALL Java_io_detseg_nativelib_NativeMemory_free(JNIEnv*, jclass, jlong address) {
  detseg::host::release(to_ptr(address));
}

JNIEXPORT jlong JNICALL Java_io_detseg_nativelib_NativeMemory_cachedBytes(JNIEnv*, jclass) {
  return static_cast<jlong>(detseg::host::cached_bytes());
}

JNIEXPORT void JNICALL Java_io_detseg_nativelib_NativeMemory_trimCache(JNIEnv*, jclass) { detseg::host::trim(); }

JNIEXPORT void JNICALL Java_io_detseg_nativelib_NativeMemory_copy(JNIEnv*, jclass, jlong src, jlong dst,
                                                                   jlong bytes) {
  if (bytes > 0) std::memmove(to_ptr(dst), to_ptr(src), static_cast<size_t>(bytes));
}

JNIEXPORT void JNICALL Java_io_detseg_nativelib_NativeMemory_fill(JNIEnv*, jclass, jlong dst, jbyte value,
                                                                   jlong bytes) {
  if (bytes > 0) std::memset(to_ptr(dst), static_cast<unsigned char>(value), static_cast<size_t>(bytes));
}

JNIEXPORT void JNICALL Java_io_detseg_nativelib_NativeMemory_fromFloats(JNIEnv* env, jclass, jfloatArray src,
                                                                         jint offset, jlong dst, jint count) {
  array_to_native<jfloat>(env, src, offset, dst, count, "NativeMemory.fromFloats");
}

JNIEXPORT void JNICALL Java_io_detseg_nativelib_NativeMemory_toFloats(JNIEnv* env, jclass, jlong src,
                                                                       jfloatArray dst, jint offset, jint count) {
  native_to_array<jfloat>(env, src, dst, offset, count, "NativeMemory.toFloats");
}

JNIEXPORT void JNICALL Java_io_detseg_nativelib_NativeMemory_fromInts(JNIEnv* env, jclass, jintArray src,
                                                                       jint offset, jlong dst, jint count) {
  array_to_native<jint>(env, src, offset, dst, count, "NativeMemory.fromInts");
}

JNIEXPORT void JNICALL Java_io_detseg_nativelib_NativeMemory_toInts(JNIEnv* env, jclass, jlong src,
                                                                     jintArray dst, jint offset, jint count) {
  native_to_array<jint>(env, src, dst, offset, count, "NativeMemory.toInts");
}

JNIEXPORT void JNICALL Java_io_detseg_nativelib_NativeMemory_fromBytes(JNIEnv* env, jclass, jbyteArray src,
                                                                        jint offset, jlong dst, jint count) {
  array_to_native<jbyte>(env, src, offset, dst, count, "NativeMemory.fromBytes");
}

JNIEXPORT void JNICALL Java_io_detseg_nativelib_NativeMemory_toBytes(JNIEnv* env, jclass, jlong src,
                                                                      jbyteArray dst, jint offset, jint count) {
  native_to_array<jbyte>(env, src, dst, offset, count, "NativeMemory.toBytes");
}

JNIEXPORT jobject JNICALL Java_io_detseg_nativelib_NativeMemory_view(JNIEnv* env, jclass, jlong address,
                                                                      jlong bytes) {
  if (bytes < 0 || bytes > 0x7fffffffLL) {
    detseg_jni::throw_illegal_argument(env, "NativeMemory.view: expected 0..2^31-1 bytes but got " +
                                                std::to_string(bytes));
    return nullptr;
  }
  return env->NewDirectByteBuffer(to_ptr(address), bytes);
}

JNIEXPORT jlong JNICALL Java_io_detseg_nativelib_NativeMemory_addressOf(JNIEnv* env, jclass, jobject buffer) {
  void* p = buffer == nullptr ? nullptr : env->GetDirectBufferAddress(buffer);
  if (p == nullptr) detseg_jni::throw_illegal_argument(env, "NativeMemory.addressOf: expected a direct buffer");
  return reinterpret_cast<jlong>(p);
}

}  // extern "C"
