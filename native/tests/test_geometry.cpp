// Thread and block geometry in 1-D, 2-D and 3-D launches; argument passing.
#include <cmath>

#include "harness.h"
#include "sim_test_util.h"

using namespace dstest;

namespace {
struct SimtestPair {  // mirrors kernels/testing/sim_geometry.cu
  int a;
  double b;
};
struct alignas(16) HostFloat4 {
  float x, y, z, w;
};

void check_indices(dssim::Dim3 grid, dssim::Dim3 block) {
  const size_t threads = size_t{block.x} * block.y * block.z;
  const size_t blocks = size_t{grid.x} * grid.y * grid.z;
  DeviceBuffer<unsigned> out(blocks * threads * 12);
  launch("simtest_indices", grid, block, 0, out.ptr());
  const std::vector<unsigned> v = out.download();
  size_t k = 0;
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx)
        for (unsigned tz = 0; tz < block.z; ++tz)
          for (unsigned ty = 0; ty < block.y; ++ty)
            for (unsigned tx = 0; tx < block.x; ++tx) {
              const unsigned want[12] = {tx, ty, tz, bx, by, bz, block.x, block.y, block.z, grid.x, grid.y, grid.z};
              for (unsigned i = 0; i < 12; ++i) CHECK_EQ(v[k * 12 + i], want[i]);
              ++k;
            }
}
}  // namespace

TEST(indices_1d) { check_indices({5, 1, 1}, {96, 1, 1}); }
TEST(indices_2d) { check_indices({3, 2, 1}, {8, 6, 1}); }
TEST(indices_3d) { check_indices({2, 3, 2}, {4, 3, 5}); }
TEST(indices_partial_warp) { check_indices({3, 1, 1}, {45, 1, 1}); }

TEST(arguments_of_every_size) {
  DeviceBuffer<double> out(8);
  const SimtestPair pair{-7, 2.5};
  const HostFloat4 v{1, 2, 3, 4};
  launch("simtest_args", {1, 1, 1}, {32, 1, 1}, 0, char{'A'}, int{-123456}, (long long)-9000000000LL, 1.5f, 3.25,
         v, pair, out.ptr());
  const std::vector<double> r = out.download();
  CHECK_EQ(r[0], 65.0);
  CHECK_EQ(r[1], -123456.0);
  CHECK_EQ(r[2], -9000000000.0);
  CHECK_EQ(r[3], 1.5);
  CHECK_EQ(r[4], 3.25);
  CHECK_EQ(r[5], 4321.0);
  CHECK_EQ(r[6], -7.0);
  CHECK_EQ(r[7], 2.5);
}

TEST(launch_stats) {
  DeviceBuffer<float> out(6 * 128);
  launch("simtest_two_barriers", {6, 1, 1}, {128, 1, 1}, 0, out.ptr());
  const dssim::LaunchStats s = driver().last_launch_stats();
  CHECK_EQ(s.blocks, 6u);
  CHECK_EQ(s.threads, 6u * 128);
  CHECK_EQ(s.barriers, 12u);
  CHECK_EQ(s.fiber_switches, 3u * 6 * 128);  // start, after barrier 1, after barrier 2
}

TEST(module_and_function_handles) {
  const uint64_t m = driver().module_load("/some/dir/detseg_kernels.fatbin");
  CHECK_EQ(m, driver().module_load("detseg_kernels"));
  const uint64_t fn = driver().module_get_function(m, "simtest_indices");
  CHECK(fn != 0);
  CHECK_EQ(driver().function_name(fn), std::string("simtest_indices"));
  bool listed = false;
  for (const std::string& n : driver().kernel_names()) listed |= n == "simtest_block_sum";
  CHECK(listed);
  EXPECT_SIM_ERROR(driver().module_load("other_module"), "other_module");
  EXPECT_SIM_ERROR(driver().module_get_function(m, "no_such_kernel"), "no_such_kernel");
  EXPECT_SIM_ERROR(driver().module_get_function(m + 1, "simtest_indices"), "unknown module");
  EXPECT_SIM_ERROR(driver().launch(12345, {1, 1, 1}, {1, 1, 1}, 0, nullptr, {}), "unknown function handle");
}
