// Small helpers shared by the runtime files: message formatting and a seeded PRNG.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "sim_abi.h"
#include "sim_driver.h"

namespace dssim {

inline std::string format_index(uint3 v) {
  return "(" + std::to_string(v.x) + "," + std::to_string(v.y) + "," + std::to_string(v.z) + ")";
}
inline std::string format_dim(Dim3 v) { return format_index(uint3{v.x, v.y, v.z}); }

inline std::string format_hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

inline const char* schedule_name(Schedule s) {
  switch (s) {
    case Schedule::Forward: return "Forward";
    case Schedule::Reversed: return "Reversed";
    case Schedule::Shuffled: return "Shuffled";
  }
  return "?";
}

// SplitMix64: a tiny, well-mixed generator; seeds are derived by mixing (seed, block, round).
inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    state_ += 0x9e3779b97f4a7c15ull;
    return mix64(state_);
  }
  // Uniform in [0, n), n > 0 (Lemire's multiply-shift; the tiny bias is irrelevant here).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }

 private:
  uint64_t state_;
};

// Fisher-Yates over an index array.
template <class Vec>
void shuffle_indices(Vec& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng.below(i));
    auto tmp = v[i - 1];
    v[i - 1] = v[j];
    v[j] = tmp;
  }
}

}  // namespace dssim
