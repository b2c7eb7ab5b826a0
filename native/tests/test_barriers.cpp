// __syncthreads_count / _and / _or in a 3-D block.
#include "harness.h"
#include "sim_test_util.h"

using namespace dstest;

TEST(syncthreads_count_and_or) {
  const dssim::Dim3 block{8, 4, 3};
  const unsigned threads = 8 * 4 * 3, blocks = 4;
  std::vector<int> pred(threads * blocks);
  for (unsigned b = 0; b < blocks; ++b) {
    for (unsigned t = 0; t < threads; ++t) {
      // block 0: every third; block 1: all; block 2: none; block 3: only the last thread
      const int p[4] = {t % 3 == 0, 1, 0, t == threads - 1};
      pred[b * threads + t] = p[b] ? static_cast<int>(t + 1) : 0;  // any non-zero value counts
    }
  }
  DeviceBuffer<int> d_pred(pred), d_out(threads * blocks * 3);
  OptionsScope scope(all_schedules());
  launch("simtest_sync_votes", {blocks, 1, 1}, block, 0, static_cast<const int*>(d_pred.ptr()), d_out.ptr());
  const std::vector<int> out = d_out.download();
  const int counts[4] = {(threads + 2) / 3, static_cast<int>(threads), 0, 1};
  for (unsigned b = 0; b < blocks; ++b) {
    for (unsigned t = 0; t < threads; ++t) {
      const int* o = &out[(b * threads + t) * 3];
      CHECK_EQ(o[0], counts[b]);
      CHECK_EQ(o[1], counts[b] == static_cast<int>(threads) ? 1 : 0);
      CHECK_EQ(o[2], counts[b] > 0 ? 1 : 0);
    }
  }
}
