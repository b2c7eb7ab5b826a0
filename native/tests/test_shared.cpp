// Shared memory: layout of dynamic + static arrays, poisoning, limits and the opt-in.
#include <cmath>

#include "harness.h"
#include "sim_test_util.h"

using namespace dstest;

TEST(shared_dynamic_then_static_layout) {
  const unsigned blocks = 3, block = 64, dyn = block * 4;
  DeviceBuffer<unsigned long long> where(blocks * block * 3);
  DeviceBuffer<float> values(blocks * block);
  launch("simtest_shared_layout", {blocks, 1, 1}, {block, 1, 1}, dyn, where.ptr(), values.ptr());
  const auto w = where.download();
  const auto v = values.download();
  for (unsigned b = 0; b < blocks; ++b) {
    const unsigned long long* first = &w[b * block * 3];
    CHECK_EQ(first[0] % 16, 0u);
    CHECK_EQ(first[1] % 16, 0u);
    CHECK_EQ(first[2] % 16, 0u);
    CHECK(first[1] >= first[0] + dyn);      // static after the dynamic part
    CHECK(first[2] >= first[1] + 3 * 4);    // and after each other
    for (unsigned t = 0; t < block; ++t) {  // every thread of the block sees the same arrays
      for (int k = 0; k < 3; ++k) CHECK_EQ(w[(b * block + t) * 3 + k], first[k]);
      const float want = static_cast<float>(block - 1 - t + 100 * b) + 10.0f * (t % 3 + 1) + 0.5f * (t % 5);
      CHECK_EQ(v[b * block + t], want);
    }
  }
}

TEST(shared_poison_shows_unwritten_reads) {
  DeviceBuffer<float> out(64);
  launch("simtest_shared_unwritten", {2, 1, 1}, {64, 1, 1}, 0, out.ptr());
  for (float x : out.download()) CHECK(std::isnan(x));
}

TEST(shared_limits_and_opt_in) {
  DeviceBuffer<float> out(256);
  const uint64_t fn = function("simtest_shared_40k");
  // 40 KiB static + 4 KiB dynamic fits the default 48 KiB.
  launch("simtest_shared_40k", {2, 1, 1}, {256, 1, 1}, 4096, out.ptr());
  for (float x : out.download()) CHECK_EQ(x, 3.0f);
  // 40 KiB + 10 KiB does not.
  EXPECT_SIM_ERROR(launch("simtest_shared_40k", {2, 1, 1}, {256, 1, 1}, 10240, out.ptr()), "simtest_shared_40k",
                   "shared memory overflow");
  // Dynamic alone over 48 KiB without opt-in fails at launch.
  EXPECT_SIM_ERROR(launch("simtest_shared_40k", {1, 1, 1}, {256, 1, 1}, 49 * 1024, out.ptr()), "simtest_shared_40k",
                   "dynamic shared memory");
  EXPECT_SIM_ERROR(driver().func_set_max_dynamic_shared(fn, 300 * 1024), "simtest_shared_40k");
  driver().func_set_max_dynamic_shared(fn, 100 * 1024);
  launch("simtest_shared_40k", {2, 1, 1}, {256, 1, 1}, 10240, out.ptr());
  launch("simtest_shared_40k", {2, 1, 1}, {256, 1, 1}, 100 * 1024, out.ptr());
  EXPECT_SIM_ERROR(launch("simtest_shared_40k", {1, 1, 1}, {256, 1, 1}, 101 * 1024, out.ptr()), "simtest_shared_40k");
  driver().func_set_max_dynamic_shared(fn, 200 * 1024);  // 40 KiB static + 200 KiB > 227 KiB
  EXPECT_SIM_ERROR(launch("simtest_shared_40k", {1, 1, 1}, {256, 1, 1}, 1024, out.ptr()), "shared memory overflow");
  driver().func_set_max_dynamic_shared(fn, 0);
}

TEST(shared_static_overflow_without_opt_in) {
  DeviceBuffer<float> out(64);
  EXPECT_SIM_ERROR(launch("simtest_bug_shared_overflow", {1, 1, 1}, {64, 1, 1}, 0, out.ptr()),
                   "kernel simtest_bug_shared_overflow", "block (0,0,0)", "shared memory overflow");
}
