// The switching cost: 4096 blocks x 256 threads, two __syncthreads per thread, default options.
#include <chrono>
#include <cstdio>

#include "harness.h"
#include "sim_test_util.h"

using namespace dstest;

TEST(speed_4096_blocks_256_threads_two_barriers) {
  const unsigned blocks = 4096, block = 256;
  DeviceBuffer<float> out(size_t{blocks} * block);
  launch("simtest_two_barriers", {8, 1, 1}, {block, 1, 1}, 0, out.ptr());  // warm the pool and stacks
  double best_ms = 1e9;
  for (int rep = 0; rep < 3; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    launch("simtest_two_barriers", {blocks, 1, 1}, {block, 1, 1}, 0, out.ptr());
    const auto t1 = std::chrono::steady_clock::now();
    const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    best_ms = ms < best_ms ? ms : best_ms;
  }
  const dssim::LaunchStats s = driver().last_launch_stats();
  std::printf("[%.1f ms, %llu fiber switches, %llu barriers] ", best_ms,
              static_cast<unsigned long long>(s.fiber_switches), static_cast<unsigned long long>(s.barriers));
  CHECK_EQ(s.barriers, 2ull * blocks);
  const auto v = out.download();
  for (size_t g = 0; g < v.size(); g += 97) CHECK_EQ(v[g], static_cast<float>(block - 1 - g % block));
#if defined(DS_SIM_ASAN)
  CHECK_MSG(best_ms < 20000.0, std::to_string(best_ms) + " ms");
#else
  CHECK_MSG(best_ms < 2000.0, std::to_string(best_ms) + " ms");
#endif
}
