// io.detseg.backend.cuda.SimNative → dssim::Driver. Every simulator error (bad launch, divergent
// barrier, out-of-bounds write, schedule-dependent output...) becomes a CudaException naming the kernel.
#include <jni.h>

#include <cstring>
#include <string>
#include <vector>

#include "jni_util.h"
#include "sim_driver.h"

using detseg_jni::guarded;
using detseg_jni::to_ptr;

namespace {

constexpr const char* kCudaException = "io/detseg/backend/cuda/CudaException";

dssim::Driver& drv() { return dssim::Driver::instance(); }

void* buffer_address(JNIEnv* env, jobject buffer, jlong bytes, const char* what) {
  void* p = buffer == nullptr ? nullptr : env->GetDirectBufferAddress(buffer);
  if (p == nullptr) {
    detseg_jni::throw_illegal_argument(env, std::string(what) + ": expected a direct ByteBuffer");
    return nullptr;
  }
  if (env->GetDirectBufferCapacity(buffer) < bytes) {
    detseg_jni::throw_illegal_argument(env, std::string(what) + ": buffer holds fewer than " +
                                                std::to_string(bytes) + " bytes");
    return nullptr;
  }
  return p;
}

std::string java_string(JNIEnv* env, jstring s) {
  const char* c = env->GetStringUTFChars(s, nullptr);
  std::string out(c == nullptr ? "" : c);
  if (c != nullptr) env->ReleaseStringUTFChars(s, c);
  return out;
}

}  // namespace

extern "C" {

JNIEXPORT jlong JNICALL Java_io_detseg_backend_cuda_SimNative_memAlloc(JNIEnv* env, jclass, jlong bytes) {
  return guarded(env, kCudaException, [&] { return static_cast<jlong>(drv().mem_alloc(static_cast<size_t>(bytes))); });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_cuda_SimNative_memFree(JNIEnv* env, jclass, jlong dptr) {
  guarded(env, kCudaException, [&] { drv().mem_free(static_cast<uint64_t>(dptr)); });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_cuda_SimNative_copyHtoD(JNIEnv* env, jclass, jlong dst, jobject src,
                                                                       jlong bytes) {
  void* p = buffer_address(env, src, bytes, "cuMemcpyHtoD");
  if (p == nullptr) return;
  guarded(env, kCudaException, [&] { drv().memcpy_htod(static_cast<uint64_t>(dst), p, static_cast<size_t>(bytes)); });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_cuda_SimNative_copyDtoH(JNIEnv* env, jclass, jobject dst, jlong src,
                                                                       jlong bytes) {
  void* p = buffer_address(env, dst, bytes, "cuMemcpyDtoH");
  if (p == nullptr) return;
  guarded(env, kCudaException, [&] { drv().memcpy_dtoh(p, static_cast<uint64_t>(src), static_cast<size_t>(bytes)); });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_cuda_SimNative_copyDtoD(JNIEnv* env, jclass, jlong dst, jlong src,
                                                                       jlong bytes) {
  guarded(env, kCudaException, [&] {
    drv().memcpy_dtod(static_cast<uint64_t>(dst), static_cast<uint64_t>(src), static_cast<size_t>(bytes));
  });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_cuda_SimNative_memsetD8(JNIEnv* env, jclass, jlong dst, jbyte value,
                                                                       jlong bytes) {
  guarded(env, kCudaException, [&] {
    drv().memset_d8(static_cast<uint64_t>(dst), static_cast<unsigned char>(value), static_cast<size_t>(bytes));
  });
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_cuda_SimNative_moduleLoad(JNIEnv* env, jclass, jstring name) {
  std::string n = java_string(env, name);
  return guarded(env, kCudaException, [&] { return static_cast<jlong>(drv().module_load(n)); });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_cuda_SimNative_moduleUnload(JNIEnv* env, jclass, jlong module) {
  guarded(env, kCudaException, [&] { drv().module_unload(static_cast<uint64_t>(module)); });
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_cuda_SimNative_moduleGetFunction(JNIEnv* env, jclass, jlong module,
                                                                                 jstring name) {
  std::string n = java_string(env, name);
  return guarded(env, kCudaException,
                 [&] { return static_cast<jlong>(drv().module_get_function(static_cast<uint64_t>(module), n)); });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_cuda_SimNative_funcSetMaxDynamicShared(JNIEnv* env, jclass,
                                                                                      jlong fn, jint bytes) {
  guarded(env, kCudaException, [&] { drv().func_set_max_dynamic_shared(static_cast<uint64_t>(fn), bytes); });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_cuda_SimNative_launch(JNIEnv* env, jclass, jlong fn, jint gx, jint gy,
                                                                     jint gz, jint bx, jint by, jint bz,
                                                                     jint shared_bytes, jbyteArray packed,
                                                                     jintArray sizes) {
  // Rebuild cuLaunchKernel's kernelParams: one pointer per argument into a private copy of the values.
  jsize nargs = env->GetArrayLength(sizes);
  jsize nbytes = env->GetArrayLength(packed);
  std::vector<jint> sz(static_cast<size_t>(nargs));
  env->GetIntArrayRegion(sizes, 0, nargs, sz.data());
  std::vector<unsigned char> values(static_cast<size_t>(nbytes) + 16);
  env->GetByteArrayRegion(packed, 0, nbytes, reinterpret_cast<jbyte*>(values.data()));
  std::vector<void*> params(static_cast<size_t>(nargs));
  std::vector<size_t> param_sizes(static_cast<size_t>(nargs));
  size_t off = 0;
  for (jsize i = 0; i < nargs; i++) {
    if (sz[i] <= 0 || off + static_cast<size_t>(sz[i]) > static_cast<size_t>(nbytes)) {
      detseg_jni::throw_illegal_argument(env, "cuLaunchKernel: argument sizes do not match the packed values");
      return;
    }
    params[i] = values.data() + off;
    param_sizes[i] = static_cast<size_t>(sz[i]);
    off += static_cast<size_t>(sz[i]);
  }
  if (gx < 0 || gy < 0 || gz < 0 || bx < 0 || by < 0 || bz < 0 || shared_bytes < 0) {
    detseg_jni::throw_java(env, kCudaException, "cuLaunchKernel: negative grid, block or shared memory size");
    return;
  }
  guarded(env, kCudaException, [&] {
    dssim::Dim3 grid{static_cast<unsigned>(gx), static_cast<unsigned>(gy), static_cast<unsigned>(gz)};
    dssim::Dim3 block{static_cast<unsigned>(bx), static_cast<unsigned>(by), static_cast<unsigned>(bz)};
    drv().launch(static_cast<uint64_t>(fn), grid, block, static_cast<unsigned>(shared_bytes), params.data(),
                 param_sizes);
  });
}

JNIEXPORT void JNICALL Java_io_detseg_backend_cuda_SimNative_setOptions(JNIEnv* env, jclass, jint workers, jlong seed,
                                                                         jintArray schedules, jboolean poison,
                                                                         jboolean redzones, jboolean racecheck) {
  dssim::SimOptions o;
  o.workers = workers;
  o.seed = static_cast<uint64_t>(seed);
  jsize n = env->GetArrayLength(schedules);
  std::vector<jint> s(static_cast<size_t>(n));
  env->GetIntArrayRegion(schedules, 0, n, s.data());
  o.schedules.clear();
  for (jint v : s) o.schedules.push_back(static_cast<dssim::Schedule>(v));
  o.poison_shared = poison;
  o.check_redzones = redzones;
  o.racecheck_global = racecheck;
  guarded(env, kCudaException, [&] { drv().set_options(o); });
}

JNIEXPORT jlong JNICALL Java_io_detseg_backend_cuda_SimNative_liveAllocations(JNIEnv*, jclass) {
  return static_cast<jlong>(drv().live_allocations());
}

JNIEXPORT jobjectArray JNICALL Java_io_detseg_backend_cuda_SimNative_kernelNames(JNIEnv* env, jclass) {
  std::vector<std::string> names = drv().kernel_names();
  jobjectArray out = env->NewObjectArray(static_cast<jsize>(names.size()), env->FindClass("java/lang/String"), nullptr);
  for (size_t i = 0; i < names.size(); i++) {
    jstring s = env->NewStringUTF(names[i].c_str());
    env->SetObjectArrayElement(out, static_cast<jsize>(i), s);
    env->DeleteLocalRef(s);
  }
  return out;
}

JNIEXPORT jlongArray JNICALL Java_io_detseg_backend_cuda_SimNative_lastLaunchStats(JNIEnv* env, jclass) {
  dssim::LaunchStats st = drv().last_launch_stats();
  jlong v[4] = {static_cast<jlong>(st.blocks), static_cast<jlong>(st.threads), static_cast<jlong>(st.fiber_switches),
                static_cast<jlong>(st.barriers)};
  jlongArray out = env->NewLongArray(4);
  env->SetLongArrayRegion(out, 0, 4, v);
  return out;
}

}  // extern "C"
