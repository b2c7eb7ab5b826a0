// Device memory: bookkeeping, copies, bounds checks.
#include <cstring>

#include "harness.h"
#include "sim_test_util.h"

using namespace dstest;

TEST(alloc_copy_free) {
  const size_t live = driver().live_allocations(), bytes = driver().live_bytes();
  {
    DeviceBuffer<int> a(100), b(100);
    CHECK_EQ(driver().live_allocations(), live + 2);
    CHECK_EQ(driver().live_bytes(), bytes + 800);
    CHECK_EQ(a.dptr() % 256, 0u);
    std::vector<int> v(100);
    for (int i = 0; i < 100; ++i) v[i] = i * i;
    a.upload(v);
    driver().memcpy_dtod(b.dptr(), a.dptr(), 400);
    CHECK(b.download() == v);
    driver().memset_d8(b.dptr() + 4, 0, 8);
    const auto w = b.download();
    CHECK_EQ(w[0], 0);
    CHECK_EQ(w[1], 0);
    CHECK_EQ(w[2], 0);
    CHECK_EQ(w[3], 9);
    // Copies into the middle of an allocation are fine.
    const int x = 77;
    driver().memcpy_htod(a.dptr() + 99 * 4, &x, 4);
    CHECK_EQ(a.download()[99], 77);
  }
  CHECK_EQ(driver().live_allocations(), live);
  CHECK_EQ(driver().live_bytes(), bytes);
}

TEST(new_memory_is_poisoned) {
  DeviceBuffer<unsigned> a(8);
  for (unsigned v : a.download()) CHECK_EQ(v, 0xffffffffu);
}

TEST(bad_frees_and_copies) {
  DeviceBuffer<float> a(16);
  EXPECT_SIM_ERROR(driver().mem_free(a.dptr() + 4), "not a live allocation");
  EXPECT_SIM_ERROR(driver().mem_free(12345), "not a live allocation");
  EXPECT_SIM_ERROR(driver().mem_alloc(0), "zero");
  std::vector<float> host(17);
  EXPECT_SIM_ERROR(driver().memcpy_htod(a.dptr(), host.data(), 17 * 4), "memcpy_htod", "past the end");
  EXPECT_SIM_ERROR(driver().memcpy_dtoh(host.data(), a.dptr() + 8, 16 * 4), "memcpy_dtoh", "past the end");
  EXPECT_SIM_ERROR(driver().memcpy_dtoh(host.data(), 64, 4), "not inside any live allocation");
  EXPECT_SIM_ERROR(driver().memset_d8(a.dptr() + 60, 0, 5), "memset_d8");
  DeviceBuffer<float> b(8);
  EXPECT_SIM_ERROR(driver().memcpy_dtod(b.dptr(), a.dptr(), 16 * 4), "memcpy_dtod destination");
}
