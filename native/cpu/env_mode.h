// The three-way switches the CPU paths read from the environment once (DETSEG_CONV_WINOGRAD,
// DETSEG_STREAM_STORES): "off" or "0" -> 0 (never), "always" -> 2, unset or anything else -> 1 (the
// default rule).
#pragma once

#include <cstdlib>
#include <cstring>

namespace detseg {
namespace cpu {
namespace detail {

inline int env_mode(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) return 1;
  if (std::strcmp(v, "off") == 0 || std::strcmp(v, "0") == 0) return 0;
  if (std::strcmp(v, "always") == 0) return 2;
  return 1;
}

}  // namespace detail
}  // namespace cpu
}  // namespace detseg
