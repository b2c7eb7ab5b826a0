// Helpers shared by the JNI entry points: turning C++ failures into Java exceptions, so no native
// error ever escapes as a crash.
#pragma once

#include <jni.h>

#include <cstdint>
#include <exception>
#include <string>

namespace detseg_jni {

inline void throw_java(JNIEnv* env, const char* cls, const std::string& message) {
  if (env->ExceptionCheck()) return;  // keep the first exception
  jclass c = env->FindClass(cls);
  if (c != nullptr) env->ThrowNew(c, message.c_str());
}

inline void throw_illegal_argument(JNIEnv* env, const std::string& message) {
  throw_java(env, "java/lang/IllegalArgumentException", message);
}

inline void* to_ptr(jlong address) { return reinterpret_cast<void*>(static_cast<uintptr_t>(address)); }

// Runs f; C++ exceptions become a Java exception of class cls (e.g. the CUDA backend's CudaException).
template <typename F>
auto guarded(JNIEnv* env, const char* cls, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    throw_java(env, "java/lang/OutOfMemoryError", "detseg native allocation failed");
  } catch (const std::exception& e) {
    throw_java(env, cls, e.what());
  } catch (...) {
    throw_java(env, cls, "unknown native error");
  }
  return decltype(f())();
}

// Checks a (offset, count) window of a Java array before any native copy touches it.
inline bool array_window_ok(JNIEnv* env, jarray array, jint offset, jint count, const char* what) {
  if (array == nullptr) {
    throw_java(env, "java/lang/NullPointerException", std::string(what) + ": array is null");
    return false;
  }
  jsize len = env->GetArrayLength(array);
  if (offset < 0 || count < 0 || static_cast<int64_t>(offset) + count > len) {
    throw_illegal_argument(env, std::string(what) + ": expected offset+count within the array length " +
                                    std::to_string(len) + " but got offset " + std::to_string(offset) +
                                    ", count " + std::to_string(count));
    return false;
  }
  return true;
}

}  // namespace detseg_jni
