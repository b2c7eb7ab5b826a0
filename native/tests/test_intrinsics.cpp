// Scalar intrinsics and math overloads of cuda_sim.h.
#include <cmath>
#include <limits>

#include "harness.h"
#include "sim_test_util.h"

using namespace dstest;

TEST(integer_and_float_intrinsics) {
  DeviceBuffer<float> in(std::vector<float>{std::numeric_limits<float>::quiet_NaN(),
                                            std::numeric_limits<float>::infinity()});
  DeviceBuffer<unsigned> u(20);
  DeviceBuffer<float> f(13);
  launch("simtest_intrinsics", {1, 1, 1}, {32, 1, 1}, 0, static_cast<const float*>(in.ptr()), u.ptr(), f.ptr());
  const std::vector<unsigned> want_u = {
      8, 64, 0, 4, 41, 32, 31, 63, 0x80000000u, 0x1e6a2c48u,                               // bit operations
      0xfffffffeu, 0xfffffff1u, 3, 7, 0xffffffffu, 1, 1, 0x3f800000u, 0xc0000000u, 5};  // arithmetic, min/max, casts
  const auto got_u = u.download();
  for (size_t i = 0; i < want_u.size(); ++i) {
    CHECK_MSG(got_u[i] == want_u[i], "u[" + std::to_string(i) + "]: " + describe_pair(got_u[i], want_u[i]));
  }
  const std::vector<float> want_f = {1.0f, 0.0f, 0.0f, 0.5f, 0.25f, 1.0f, 1.0f, 0.125f, 1.0f, 7.0f, -2.0f, 2.0f, 1.5f};
  const auto got_f = f.download();
  for (size_t i = 0; i < want_f.size(); ++i) {
    CHECK_MSG(got_f[i] == want_f[i], "f[" + std::to_string(i) + "]: " + describe_pair(got_f[i], want_f[i]));
  }
}
