// Run-time SIMD selection for the CPU backend (see cpu_simd.h).
#include <cstdlib>
#include <cstring>

#include "cpu_ops.h"
#include "cpu_simd.h"

namespace detseg {
namespace cpu {
namespace detail {

static Simd detect_cpu() {
  __builtin_cpu_init();
  // libgcc's checks include the OS enabling the AVX / AVX-512 register state (XGETBV).
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq")) return Simd::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Simd::Avx2;
  return Simd::Scalar;
}

static Simd detect() {
  Simd level = detect_cpu();
  // DETSEG_CPU_SIMD=scalar|avx2|avx512 lowers the choice (to test every variant on one machine).
  if (const char* want = std::getenv("DETSEG_CPU_SIMD")) {
    Simd cap = level;
    if (std::strcmp(want, "scalar") == 0) cap = Simd::Scalar;
    else if (std::strcmp(want, "avx2") == 0) cap = Simd::Avx2;
    else if (std::strcmp(want, "avx512") == 0) cap = Simd::Avx512;
    if ((int)cap < (int)level) level = cap;
  }
  return level;
}

Simd simd() {
  static const Simd level = detect();
  return level;
}

}  // namespace detail

const char* simd_level() {
  switch (detail::simd()) {
    case detail::Simd::Avx512: return "avx512";
    case detail::Simd::Avx2: return "avx2";
    default: return "scalar";
  }
}

}  // namespace cpu
}  // namespace detseg
