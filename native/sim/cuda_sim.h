// CUDA's built-ins for kernels compiled by g++ for the simulator. CMake force-includes this file
// (-include) into every kernels/*.cu, so the unmodified CUDA source compiles as C++ and runs as
// cooperative fibers under the runtime in native/sim/. Rules for kernel authors: README.md.
#pragma once

// System headers first: some of them spell GCC attributes with names this file turns into macros
// (__noinline__), so they must be fully parsed before those macros exist.
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <type_traits>
#include <utility>

#include "sim_abi.h"

// ---- qualifiers ----------------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
// Shared memory must go through DS_SHARED / DS_SHARED_DYNAMIC so each block gets its own arena.
#define __shared__ _Pragma("GCC error \"use DS_SHARED / DS_SHARED_DYNAMIC instead of __shared__\"")

// ---- thread geometry -----------------------------------------------------------------------------
// Read-only: each expands to a const lvalue of the running fiber / block.
#define threadIdx (::dssim::detail::tl_thread->thread_idx)
#define blockIdx (::dssim::detail::block_view().block_idx)
#define blockDim (::dssim::detail::block_view().block_dim)
#define gridDim (::dssim::detail::block_view().grid_dim)
constexpr int warpSize = 32;

// ---- vector types --------------------------------------------------------------------------------
struct alignas(8) float2 { float x, y; };
struct float3 { float x, y, z; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) int2 { int x, y; };
struct int3 { int x, y, z; };
struct alignas(16) int4 { int x, y, z, w; };
struct alignas(8) uint2 { unsigned x, y; };
struct alignas(16) uint4 { unsigned x, y, z, w; };
struct alignas(16) double2 { double x, y; };
struct alignas(4) uchar4 { unsigned char x, y, z, w; };

inline float2 make_float2(float x, float y) { return {x, y}; }
inline float3 make_float3(float x, float y, float z) { return {x, y, z}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int2 make_int2(int x, int y) { return {x, y}; }
inline int3 make_int3(int x, int y, int z) { return {x, y, z}; }
inline int4 make_int4(int x, int y, int z, int w) { return {x, y, z, w}; }
inline uint2 make_uint2(unsigned x, unsigned y) { return {x, y}; }
inline uint3 make_uint3(unsigned x, unsigned y, unsigned z) { return {x, y, z}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }
inline double2 make_double2(double x, double y) { return {x, y}; }
inline uchar4 make_uchar4(unsigned char x, unsigned char y, unsigned char z, unsigned char w) {
  return {x, y, z, w};
}

// ---- block barriers ------------------------------------------------------------------------------
// Macros, so every barrier is identified by its source line: the optimizer may duplicate a call
// (loop unswitching, jump threading), which would give one source barrier two return addresses.
#define __syncthreads() \
  ((void)::dssim::detail::block_barrier(::dssim::detail::BarrierKind::Plain, 0, __FILE__, __LINE__))
#define __syncthreads_count(pred) \
  ::dssim::detail::block_barrier(::dssim::detail::BarrierKind::Count, (pred) ? 1 : 0, __FILE__, __LINE__)
#define __syncthreads_and(pred) \
  ::dssim::detail::block_barrier(::dssim::detail::BarrierKind::And, (pred) ? 1 : 0, __FILE__, __LINE__)
#define __syncthreads_or(pred) \
  ::dssim::detail::block_barrier(::dssim::detail::BarrierKind::Or, (pred) ? 1 : 0, __FILE__, __LINE__)

// ---- warp operations -----------------------------------------------------------------------------
namespace dssim {
namespace detail {
template <class T>
inline uint64_t to_bits(T v) {
  static_assert(sizeof(T) <= 8, "warp operations move at most 64 bits");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  return bits;
}
template <class T>
inline T from_bits(uint64_t bits) {
  T v;
  std::memcpy(&v, &bits, sizeof(T));
  return v;
}
template <class T>
inline T shuffle(WarpOp op, unsigned mask, T var, int arg, int width) {
  return from_bits<T>(warp_op(op, mask, to_bits(var), arg, width));
}
}  // namespace detail
}  // namespace dssim

// Overloads (not a template) so that char/short/bool arguments promote to int as in CUDA.
#define DSSIM_SHUFFLES(T)                                                                       \
  inline T __shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize) {             \
    return ::dssim::detail::shuffle(::dssim::detail::WarpOp::ShflIdx, mask, var, src_lane, width); \
  }                                                                                            \
  inline T __shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {        \
    return ::dssim::detail::shuffle(::dssim::detail::WarpOp::ShflUp, mask, var, (int)delta, width); \
  }                                                                                            \
  inline T __shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) {      \
    return ::dssim::detail::shuffle(::dssim::detail::WarpOp::ShflDown, mask, var, (int)delta, width); \
  }                                                                                            \
  inline T __shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) {        \
    return ::dssim::detail::shuffle(::dssim::detail::WarpOp::ShflXor, mask, var, lane_mask, width); \
  }
DSSIM_SHUFFLES(int)
DSSIM_SHUFFLES(unsigned)
DSSIM_SHUFFLES(long)
DSSIM_SHUFFLES(unsigned long)
DSSIM_SHUFFLES(long long)
DSSIM_SHUFFLES(unsigned long long)
DSSIM_SHUFFLES(float)
DSSIM_SHUFFLES(double)
#undef DSSIM_SHUFFLES

inline unsigned __ballot_sync(unsigned mask, int pred) {
  return (unsigned)::dssim::detail::warp_op(::dssim::detail::WarpOp::Ballot, mask, pred != 0, 0, 32);
}
inline int __any_sync(unsigned mask, int pred) {
  return (int)::dssim::detail::warp_op(::dssim::detail::WarpOp::Any, mask, pred != 0, 0, 32);
}
inline int __all_sync(unsigned mask, int pred) {
  return (int)::dssim::detail::warp_op(::dssim::detail::WarpOp::All, mask, pred != 0, 0, 32);
}
inline void __syncwarp(unsigned mask = 0xffffffffu) {
  ::dssim::detail::warp_op(::dssim::detail::WarpOp::Sync, mask, 0, 0, 32);
}
// A macro for the same reason as __syncthreads: the call site tells converged lanes apart.
#define __activemask() ::dssim::detail::active_mask(__FILE__, __LINE__)

// ---- memory fences -------------------------------------------------------------------------------
// Blocks run on different OS threads, so device-wide fences are real fences. Threads of a block
// share one OS thread; a compiler barrier is all the block scope needs.
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_system() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_signal_fence(__ATOMIC_SEQ_CST); }

// ---- atomics -------------------------------------------------------------------------------------
// GCC __atomic builtins on the host address; sequentially consistent costs nothing extra for x86
// read-modify-writes and forgives kernels that lean on GPU fence behaviour.
namespace dssim {
namespace detail {
template <class T, class F>
inline T atomic_update(T* p, F f) {  // CAS loop: returns the old value
  note_atomic(p, sizeof(T));
  T old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (!__atomic_compare_exchange_n(p, &old, f(old), true, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
  }
  return old;
}
template <class F>
inline float atomic_update_float(float* p, F f) {
  auto* bits = reinterpret_cast<uint32_t*>(p);
  uint32_t old = atomic_update(bits, [&](uint32_t o) { return from_bits<uint32_t>(to_bits(f(from_bits<float>(o)))); });
  return from_bits<float>(old);
}
template <class F>
inline double atomic_update_double(double* p, F f) {
  auto* bits = reinterpret_cast<uint64_t*>(p);
  uint64_t old = atomic_update(bits, [&](uint64_t o) { return to_bits<double>(f(from_bits<double>(o))); });
  return from_bits<double>(old);
}
}  // namespace detail
}  // namespace dssim

#define DSSIM_ATOMIC_RMW(NAME, BUILTIN, T)                   \
  inline T NAME(T* address, T val) {                         \
    ::dssim::detail::note_atomic(address, sizeof(T));        \
    return BUILTIN(address, val, __ATOMIC_SEQ_CST);          \
  }
DSSIM_ATOMIC_RMW(atomicAdd, __atomic_fetch_add, int)
DSSIM_ATOMIC_RMW(atomicAdd, __atomic_fetch_add, unsigned)
DSSIM_ATOMIC_RMW(atomicAdd, __atomic_fetch_add, unsigned long long)
DSSIM_ATOMIC_RMW(atomicSub, __atomic_fetch_sub, int)
DSSIM_ATOMIC_RMW(atomicSub, __atomic_fetch_sub, unsigned)
DSSIM_ATOMIC_RMW(atomicExch, __atomic_exchange_n, int)
DSSIM_ATOMIC_RMW(atomicExch, __atomic_exchange_n, unsigned)
DSSIM_ATOMIC_RMW(atomicExch, __atomic_exchange_n, unsigned long long)
DSSIM_ATOMIC_RMW(atomicAnd, __atomic_fetch_and, int)
DSSIM_ATOMIC_RMW(atomicAnd, __atomic_fetch_and, unsigned)
DSSIM_ATOMIC_RMW(atomicAnd, __atomic_fetch_and, unsigned long long)
DSSIM_ATOMIC_RMW(atomicOr, __atomic_fetch_or, int)
DSSIM_ATOMIC_RMW(atomicOr, __atomic_fetch_or, unsigned)
DSSIM_ATOMIC_RMW(atomicOr, __atomic_fetch_or, unsigned long long)
DSSIM_ATOMIC_RMW(atomicXor, __atomic_fetch_xor, int)
DSSIM_ATOMIC_RMW(atomicXor, __atomic_fetch_xor, unsigned)
DSSIM_ATOMIC_RMW(atomicXor, __atomic_fetch_xor, unsigned long long)
#undef DSSIM_ATOMIC_RMW

#define DSSIM_ATOMIC_MINMAX(T)                                                                      \
  inline T atomicMax(T* address, T val) {                                                          \
    return ::dssim::detail::atomic_update(address, [val](T old) { return old < val ? val : old; }); \
  }                                                                                                \
  inline T atomicMin(T* address, T val) {                                                          \
    return ::dssim::detail::atomic_update(address, [val](T old) { return val < old ? val : old; }); \
  }
DSSIM_ATOMIC_MINMAX(int)
DSSIM_ATOMIC_MINMAX(unsigned)
DSSIM_ATOMIC_MINMAX(long long)
DSSIM_ATOMIC_MINMAX(unsigned long long)
#undef DSSIM_ATOMIC_MINMAX

#define DSSIM_ATOMIC_CAS(T)                                                                   \
  inline T atomicCAS(T* address, T compare, T val) {                                         \
    ::dssim::detail::note_atomic(address, sizeof(T));                                        \
    __atomic_compare_exchange_n(address, &compare, val, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
    return compare; /* the old value, whether or not the swap happened */                    \
  }
DSSIM_ATOMIC_CAS(int)
DSSIM_ATOMIC_CAS(unsigned)
DSSIM_ATOMIC_CAS(unsigned long long)
DSSIM_ATOMIC_CAS(unsigned short)
#undef DSSIM_ATOMIC_CAS

inline float atomicAdd(float* address, float val) {
  return ::dssim::detail::atomic_update_float(address, [val](float old) { return old + val; });
}
inline double atomicAdd(double* address, double val) {
  return ::dssim::detail::atomic_update_double(address, [val](double old) { return old + val; });
}
inline float atomicExch(float* address, float val) {
  ::dssim::detail::note_atomic(address, sizeof(float));
  uint32_t old = __atomic_exchange_n(reinterpret_cast<uint32_t*>(address),
                                     ::dssim::detail::from_bits<uint32_t>(::dssim::detail::to_bits(val)),
                                     __ATOMIC_SEQ_CST);
  return ::dssim::detail::from_bits<float>(old);
}
inline unsigned atomicInc(unsigned* address, unsigned val) {
  return ::dssim::detail::atomic_update(address, [val](unsigned old) { return old >= val ? 0u : old + 1; });
}
inline unsigned atomicDec(unsigned* address, unsigned val) {
  return ::dssim::detail::atomic_update(address,
                                        [val](unsigned old) { return (old == 0 || old > val) ? val : old - 1; });
}

// ---- math ----------------------------------------------------------------------------------------
// <cmath> supplies expf, logf, sqrtf, fmaxf, ...; these are CUDA's extras. Intrinsics such as
// __expf map to the accurate host function: the simulator checks logic, not GPU ulp error.
using std::isfinite;
using std::isinf;
using std::isnan;
using std::signbit;

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __expf(float x) { return expf(x); }
inline float __exp10f(float x) { return exp10f(x); }
inline float __logf(float x) { return logf(x); }
inline float __log2f(float x) { return log2f(x); }
inline float __log10f(float x) { return log10f(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __tanf(float x) { return tanf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __fdividef(float x, float y) { return x / y; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __fsqrt_rn(float x) { return sqrtf(x); }
inline float __fadd_rn(float x, float y) { return x + y; }
inline float __fsub_rn(float x, float y) { return x - y; }
inline float __fmul_rn(float x, float y) { return x * y; }
inline float __fdiv_rn(float x, float y) { return x / y; }
inline float __fmaf_rn(float x, float y, float z) { return fmaf(x, y, z); }
inline double __fma_rn(double x, double y, double z) { return fma(x, y, z); }
inline float __saturatef(float x) { return x >= 1.0f ? 1.0f : (x > 0.0f ? x : 0.0f); }  // NaN -> 0
inline int __float2int_rn(float x) { return (int)nearbyintf(x); }
inline int __float2int_rz(float x) { return (int)x; }
inline int __float2int_rd(float x) { return (int)floorf(x); }
inline int __float2int_ru(float x) { return (int)ceilf(x); }
inline float __int2float_rn(int x) { return (float)x; }

inline int __float_as_int(float x) { return ::dssim::detail::from_bits<int>(::dssim::detail::to_bits(x)); }
inline unsigned __float_as_uint(float x) { return ::dssim::detail::from_bits<unsigned>(::dssim::detail::to_bits(x)); }
inline float __int_as_float(int x) { return ::dssim::detail::from_bits<float>(::dssim::detail::to_bits(x)); }
inline float __uint_as_float(unsigned x) { return ::dssim::detail::from_bits<float>(::dssim::detail::to_bits(x)); }
inline long long __double_as_longlong(double x) {
  return ::dssim::detail::from_bits<long long>(::dssim::detail::to_bits(x));
}
inline double __longlong_as_double(long long x) {
  return ::dssim::detail::from_bits<double>(::dssim::detail::to_bits(x));
}

template <class T>
inline T __ldg(const T* p) {
  return *p;
}

// ---- integer intrinsics --------------------------------------------------------------------------
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long)x); }
inline unsigned __brev(unsigned x) {
  x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
  x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
  x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
  return __builtin_bswap32(x);
}
inline unsigned long long __brevll(unsigned long long x) {
  return ((unsigned long long)__brev((unsigned)x) << 32) | __brev((unsigned)(x >> 32));
}
inline unsigned __umulhi(unsigned x, unsigned y) { return (unsigned)(((uint64_t)x * y) >> 32); }
inline int __mulhi(int x, int y) { return (int)(((int64_t)x * y) >> 32); }
inline unsigned long long __umul64hi(unsigned long long x, unsigned long long y) {
  return (unsigned long long)(((unsigned __int128)x * y) >> 64);
}
// The low 24 bits of each operand, sign-extended, multiplied; the low 32 bits of the product.
inline int __mul24(int x, int y) {
  const int64_t a = (int32_t)((uint32_t)x << 8) >> 8, b = (int32_t)((uint32_t)y << 8) >> 8;
  return (int)(uint32_t)(uint64_t)(a * b);
}
inline unsigned __umul24(unsigned x, unsigned y) { return (x & 0xffffffu) * (y & 0xffffffu); }

// ---- min / max (global overloads as in CUDA's math headers) --------------------------------------
#define DSSIM_MINMAX(A, B, R)                                              \
  inline R min(A a, B b) { return (R)a < (R)b ? (R)a : (R)b; }             \
  inline R max(A a, B b) { return (R)a > (R)b ? (R)a : (R)b; }
DSSIM_MINMAX(int, int, int)
DSSIM_MINMAX(unsigned, unsigned, unsigned)
DSSIM_MINMAX(int, unsigned, unsigned)
DSSIM_MINMAX(unsigned, int, unsigned)
DSSIM_MINMAX(long, long, long)
DSSIM_MINMAX(unsigned long, unsigned long, unsigned long)
DSSIM_MINMAX(long long, long long, long long)
DSSIM_MINMAX(unsigned long long, unsigned long long, unsigned long long)
DSSIM_MINMAX(long long, unsigned long long, unsigned long long)
DSSIM_MINMAX(unsigned long long, long long, unsigned long long)
#undef DSSIM_MINMAX
// Floating point: fmin/fmax semantics (a NaN operand loses), like CUDA's overloads.
inline float min(float a, float b) { return fminf(a, b); }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
inline double min(float a, double b) { return fmin(a, b); }
inline double max(float a, double b) { return fmax(a, b); }
inline double min(double a, float b) { return fmin(a, b); }
inline double max(double a, float b) { return fmax(a, b); }
