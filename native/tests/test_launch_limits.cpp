// Invalid launches are SimErrors that name the kernel.
#include "harness.h"
#include "sim_test_util.h"

using namespace dstest;

TEST(block_and_grid_limits) {
  DeviceBuffer<unsigned> out(16);
  auto bad = [&](dssim::Dim3 grid, dssim::Dim3 block) {
    EXPECT_SIM_ERROR(launch("simtest_indices", grid, block, 0, out.ptr()), "kernel simtest_indices");
  };
  bad({1, 1, 1}, {1025, 1, 1});
  bad({1, 1, 1}, {32, 33, 1});
  bad({1, 1, 1}, {1, 1, 65});
  bad({1, 1, 1}, {0, 1, 1});
  bad({0, 1, 1}, {32, 1, 1});
  bad({1, 65536, 1}, {32, 1, 1});
  bad({1, 1, 65536}, {32, 1, 1});
  bad({2147483648u, 1, 1}, {32, 1, 1});
  EXPECT_SIM_ERROR(launch("simtest_indices", {1, 1, 1}, {1025, 1, 1}, 0, out.ptr()), "1025");
}

TEST(argument_count_and_sizes) {
  DeviceBuffer<unsigned> out(16);
  EXPECT_SIM_ERROR(launch("simtest_indices", {1, 1, 1}, {1, 1, 1}, 0, out.ptr(), 5), "simtest_indices",
                   "2 arguments", "takes 1");
  // No sizes means "unchecked", but a missing argument pointer is still caught.
  EXPECT_SIM_ERROR(launch("simtest_indices", {1, 1, 1}, {1, 1, 1}, 0), "simtest_indices", "argument 0");
  EXPECT_SIM_ERROR(launch("simtest_block_sum", {1, 1, 1}, {32, 1, 1}, 0, out.ptr(), out.ptr(), 5LL),
                   "simtest_block_sum", "argument 2 has 8 bytes", "has 4");
  EXPECT_SIM_ERROR(driver().launch(function("simtest_indices"), {1, 1, 1}, {1, 1, 1}, 0, nullptr, {}),
                   "params is null");
}
