// The streaming-store switch (cpu_stream.h says when and why).
#include "cpu_stream.h"

#include <atomic>

#include "env_mode.h"

namespace detseg {
namespace cpu {
namespace detail {
namespace {

std::atomic<int> g_mode{env_mode("DETSEG_STREAM_STORES")};

}  // namespace

int set_stream_stores(int mode) { return g_mode.exchange(mode); }

bool stream_stores_for(int64_t bytes) {
  const int mode = g_mode.load(std::memory_order_relaxed);
  return mode == 2 || (mode == 1 && bytes > kStreamStoreBytes);
}

}  // namespace detail
}  // namespace cpu
}  // namespace detseg
