// Atomics from many blocks on several worker threads at once.
#include "harness.h"
#include "sim_test_util.h"

using namespace dstest;

TEST(atomics_across_blocks) {
  const unsigned blocks = 64, block = 128, n = blocks * block;
  DeviceBuffer<int> ints(6);
  DeviceBuffer<unsigned> uints(5);
  DeviceBuffer<unsigned long long> ulls(4);
  DeviceBuffer<long long> lls(2);
  DeviceBuffer<float> f(1);
  DeviceBuffer<double> d(1);
  DeviceBuffer<unsigned short> shorts(2);
  ints.upload({0, 0, -1, 1, 0, -1});
  uints.upload({0, 0, 0xffffffffu, 0, 0});
  ulls.upload({0, 0, ~0ull, 0});
  lls.upload({1, 0});
  f.fill(0.0f);
  d.fill(0.0);
  shorts.upload({0xffff, 3});
  dssim::SimOptions o;
  o.workers = 4;  // more OS threads than cores: real contention
  OptionsScope scope(o);
  launch("simtest_atomics", {blocks, 1, 1}, {block, 1, 1}, 0, ints.ptr(), uints.ptr(), ulls.ptr(), lls.ptr(), f.ptr(),
         d.ptr(), shorts.ptr());
  const auto i = ints.download();
  CHECK_EQ(i[0], static_cast<int>(n));
  CHECK_EQ(i[1], -2 * static_cast<int>(n));
  CHECK_EQ(i[2], static_cast<int>(n - 1));
  CHECK_EQ(i[3], -static_cast<int>(n - 1));
  CHECK_EQ(i[4], static_cast<int>(n));
  CHECK(i[5] >= 0 && i[5] < static_cast<int>(n));
  const auto u = uints.download();
  CHECK_EQ(u[0], 3u * n);
  CHECK_EQ(u[1], 0xffffffffu);
  CHECK_EQ(u[2], 0u);
  CHECK_EQ(u[3], 0u);  // each of the 4 bits toggled n / 4 (even) times
  CHECK_EQ(u[4], n % 1000);
  const auto ul = ulls.download();
  CHECK_EQ(ul[0], static_cast<unsigned long long>(n) * (n - 1) / 2);
  CHECK_EQ(ul[1], 3ull * (n - 1));
  CHECK_EQ(ul[2], 5ull);
  CHECK_EQ(ul[3], ~0ull);
  const auto l = lls.download();
  CHECK_EQ(l[0], 1LL);
  CHECK_EQ(l[1], -static_cast<long long>(n - 1) * 1000000000LL);
  CHECK_EQ(f.download()[0], 0.5f * n);
  CHECK_EQ(d.download()[0], 0.25 * n);
  const auto s = shorts.download();
  CHECK_EQ(s[0], 7);
  CHECK_EQ(s[1], 3);
}
