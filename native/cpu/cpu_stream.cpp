// The streaming-store switch (cpu_stream.h says when and why).
#include "cpu_stream.h"

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace detseg {
namespace cpu {
namespace detail {
namespace {

int initial_mode() {
  const char* v = std::getenv("DETSEG_STREAM_STORES");
  if (v == nullptr) return 1;
  if (std::strcmp(v, "off") == 0 || std::strcmp(v, "0") == 0) return 0;
  if (std::strcmp(v, "always") == 0) return 2;
  return 1;
}

std::atomic<int> g_mode{initial_mode()};

}  // namespace

int set_stream_stores(int mode) { return g_mode.exchange(mode); }

bool stream_stores_for(int64_t bytes) {
  const int mode = g_mode.load(std::memory_order_relaxed);
  return mode == 2 || (mode == 1 && bytes > kStreamStoreBytes);
}

}  // namespace detail
}  // namespace cpu
}  // namespace detseg
