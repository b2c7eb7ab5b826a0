// Correct block reductions: match the host and come out bitwise identical under every schedule.
#include "harness.h"
#include "sim_test_util.h"

using namespace dstest;

namespace {
// Small integers: every partial sum is exact, so any summation order gives the host's answer.
std::vector<float> integer_values(int n) {
  std::vector<float> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<float>((i * 7) % 17 - 8);
  return v;
}

void check_block_sums(const char* kernel, int n, unsigned block, unsigned dynamic_shared) {
  const unsigned blocks = (n + block - 1) / block;
  const std::vector<float> in = integer_values(n);
  DeviceBuffer<float> d_in(in), d_out(blocks);
  launch(kernel, {blocks, 1, 1}, {block, 1, 1}, dynamic_shared, static_cast<const float*>(d_in.ptr()), d_out.ptr(), n);
  const std::vector<float> out = d_out.download();
  for (unsigned b = 0; b < blocks; ++b) {
    float want = 0;
    for (unsigned i = b * block; i < (b + 1) * block && i < static_cast<unsigned>(n); ++i) want += in[i];
    CHECK_MSG(out[b] == want, "block " + std::to_string(b) + ": " + describe_pair(out[b], want));
  }
}
}  // namespace

TEST(block_sum_shuffles_match_host) { check_block_sums("simtest_block_sum", 100000, 256, 0); }
TEST(block_sum_partial_warps) { check_block_sums("simtest_block_sum", 1000, 100, 0); }
TEST(tree_sum_dynamic_shared_matches_host) { check_block_sums("simtest_tree_sum", 50000, 512, 512 * 4); }

TEST(block_sum_identical_under_all_schedules) {
  OptionsScope scope(all_schedules());
  check_block_sums("simtest_block_sum", 30000, 256, 0);
  check_block_sums("simtest_tree_sum", 30000, 128, 128 * 4);
  // Non-integer values: the bits themselves must not depend on the schedule either.
  std::vector<float> in(20000);
  for (size_t i = 0; i < in.size(); ++i) in[i] = 1.0f / static_cast<float>(i + 1);
  DeviceBuffer<float> d_in(in), d_out(79);
  launch("simtest_block_sum", {79, 1, 1}, {256, 1, 1}, 0, static_cast<const float*>(d_in.ptr()), d_out.ptr(), 20000);
  CHECK_EQ(driver().last_launch_stats().blocks, 3u * 79);
}

TEST(results_do_not_depend_on_worker_count) {
  std::vector<float> in(40000);
  for (size_t i = 0; i < in.size(); ++i) in[i] = 1.0f / static_cast<float>(i + 3);
  std::vector<std::vector<float>> results;
  for (int workers : {1, 3, 0}) {
    dssim::SimOptions o;
    o.workers = workers;
    OptionsScope scope(o);
    DeviceBuffer<float> d_in(in), d_out(157);
    launch("simtest_block_sum", {157, 1, 1}, {256, 1, 1}, 0, static_cast<const float*>(d_in.ptr()), d_out.ptr(),
           40000);
    results.push_back(d_out.download());
  }
  CHECK(results[0] == results[1]);
  CHECK(results[0] == results[2]);
}
