// Streaming (non-temporal) stores for the outputs of memory-bound loops whose arrays cannot stay in
// cache. A normal store to a line that is not cached first reads the line (read-for-ownership), so a
// loop over out-of-cache arrays moves its output twice; a streaming store writes it once. Below the
// threshold the output would still be in cache for the next op, which a streaming store would evict,
// so small jobs keep normal stores.
//
// The op's own body (cpu_simd.h) computes each chunk of 256 floats into an L1 buffer and the chunk
// goes out with streaming stores of the variant's full vector width, all inlined into that variant:
// the bits are the body's whatever the store path. Measured on the 2-core dev VM (Zen 5), relu's
// backward over 1x256x200x272 floats, alternating in one process: chunks of 64-256 floats 10-20 %
// faster than normal stores; 512 and more floats, 128-bit streaming stores, or a call per chunk
// slower than normal stores.
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "cpu_simd.h"

namespace detseg {
namespace cpu {
namespace detail {

// An op that touches more than this many bytes (inputs and outputs) streams its output. Not the
// detected last-level cache: these VMs report the whole socket's L3 (512 MiB) through sysconf, while
// a 2-thread job shares one CCD's 32 MiB.
constexpr int64_t kStreamStoreBytes = int64_t(32) << 20;

// 0: never stream, 1: by size (the default), 2: always (tests, to reach every chunk boundary with
// small arrays). DETSEG_STREAM_STORES=off|always sets the starting mode. Returns the previous mode.
int set_stream_stores(int mode);

// Whether an op touching `bytes` in all writes its output with streaming stores.
bool stream_stores_for(int64_t bytes);

constexpr int64_t kStreamChunk = 256;  // floats

// One 64-byte line from an aligned L1 buffer to aligned memory, per instruction set. Not
// always_inline: write_streamed itself has the default target, so GCC may only inline these once
// write_streamed sits inside the variant of the same target (it does: no call in the loops).
struct StreamLineSse {
  static inline void put(float* dst, const float* src) {
    for (int i = 0; i < 16; i += 4) _mm_stream_ps(dst + i, _mm_load_ps(src + i));
  }
};
struct StreamLineAvx2 {
  DS_CPU_TARGET_AVX2 static inline void put(float* dst, const float* src) {
    _mm256_stream_ps(dst, _mm256_load_ps(src));
    _mm256_stream_ps(dst + 8, _mm256_load_ps(src + 8));
  }
};
struct StreamLineAvx512 {
  DS_CPU_TARGET_AVX512 static inline void put(float* dst, const float* src) {
    _mm512_stream_ps(dst, _mm512_load_ps(src));
  }
};

// Writes out[0, n) as chunk(offset, count, dst) computes it into dst[0, count): through the L1
// buffer and streaming stores, the part before the first 64-byte boundary and the partial last chunk
// directly. Ends with a store fence, which orders the streaming stores before the join that
// publishes them.
template <class Line, class Chunk>
DS_CPU_INLINE void write_streamed(float* out, int64_t n, Chunk&& chunk) {
  const uintptr_t addr = reinterpret_cast<uintptr_t>(out);
  if (n < 2 * kStreamChunk || addr % sizeof(float) != 0) {
    if (n > 0) chunk(int64_t(0), n, out);
    return;
  }
  const int64_t head = (int64_t)(((64 - addr % 64) % 64) / sizeof(float));
  if (head > 0) chunk(int64_t(0), head, out);
  alignas(64) float buf[kStreamChunk];
  int64_t i = head;
  for (; i + kStreamChunk <= n; i += kStreamChunk) {
    chunk(i, kStreamChunk, buf);
    for (int64_t j = 0; j < kStreamChunk; j += 16) Line::put(out + i + j, buf + j);
  }
  if (i < n) chunk(i, n - i, out + i);
  _mm_sfence();
}

}  // namespace detail
}  // namespace cpu
}  // namespace detseg

// The variant of `name` for a job touching `floats` floats in all (inputs and outputs): the streamed
// one (DS_CPU_STREAMED_VARIANTS) when stream_stores_for says so, else the plain one; both picked once
// per call site.
#define DS_CPU_PICK_STORES(name, floats)                                                   \
  ([](int64_t floats_) {                                                                   \
    static const auto plain_ = DS_CPU_PICK(name);                                          \
    static const auto streamed_ = DS_CPU_PICK(name##_streamed);                            \
    const bool stream = ::detseg::cpu::detail::stream_stores_for(floats_ * (int64_t)sizeof(float)); \
    return stream ? streamed_ : plain_;                                                    \
  }(floats))

// Next to DS_CPU_VARIANTS(ret, name, ...): name##_streamed_{scalar,avx2,avx512} call
// name##_streamed_body<Line> with the variant's streaming store; pick them with
// DS_CPU_PICK(name##_streamed).
#define DS_CPU_STREAMED_VARIANTS(name, params, args)                                                        \
  static void name##_streamed_scalar params { name##_streamed_body<::detseg::cpu::detail::StreamLineSse> args; } \
  DS_CPU_TARGET_AVX2 static void name##_streamed_avx2 params {                                              \
    name##_streamed_body<::detseg::cpu::detail::StreamLineAvx2> args;                                         \
  }                                                                                                          \
  DS_CPU_TARGET_AVX512 static void name##_streamed_avx512 params {                                          \
    name##_streamed_body<::detseg::cpu::detail::StreamLineAvx512> args;                                       \
  }
