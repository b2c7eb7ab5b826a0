// Crash modes for the ASan build (registered in tests.cmake): a kernel reads / writes one element
// past a device allocation and AddressSanitizer must report a heap-buffer-overflow. Run as
// `detseg_native_tests asan-oob-read` / `asan-oob-write`; never part of the normal suite.
#include "harness.h"
#include "sim_test_util.h"

using namespace dstest;

MODE(asan_oob_read, "asan-oob-read") {
  const int n = 256;
  DeviceBuffer<float> in(n), out(n);
  launch("simtest_bug_oob_read", {1, 1, 1}, {256, 1, 1}, 0, static_cast<const float*>(in.ptr()), out.ptr(), n);
}

MODE(asan_oob_write, "asan-oob-write") {
  const int n = 100;
  DeviceBuffer<float> out(n);
  launch("simtest_bug_oob_write", {1, 1, 1}, {128, 1, 1}, 0, out.ptr(), n);
}
