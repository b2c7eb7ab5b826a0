// Planted bugs (kernels/testing/sim_planted_bugs.cu): each must be reported as a SimError that
// names the kernel, never a hang or a silently wrong answer.
#include <cmath>

#include "harness.h"
#include "sim_test_util.h"

using namespace dstest;

namespace {
std::vector<float> ramp(size_t n) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i % 1000) + 0.5f;
  return v;
}
}  // namespace

// (a) Missing __syncthreads between a shared write and a read of another thread's slot.
TEST(bug_missing_barrier_poisoned_output) {
  const unsigned blocks = 4, block = 256;
  DeviceBuffer<float> in(ramp(blocks * block)), out(blocks * block);
  launch("simtest_bug_missing_sync", {blocks, 1, 1}, {block, 1, 1}, 0, static_cast<const float*>(in.ptr()), out.ptr());
  // Forward schedule, no barrier: thread t reads slot 255-t, written only if thread 255-t ran first.
  const auto v = out.download();
  for (unsigned g = 0; g < blocks * block; ++g) CHECK_EQ(std::isnan(v[g]), g % block < block / 2);
}

TEST(bug_missing_barrier_schedule_mismatch) {
  const unsigned blocks = 4, block = 256;
  DeviceBuffer<float> in(ramp(blocks * block)), out(blocks * block);
  dssim::SimOptions o;
  o.schedules = {dssim::Schedule::Forward, dssim::Schedule::Reversed};
  o.poison_shared = false;  // even without poison, the schedules disagree
  OptionsScope scope(o);
  EXPECT_SIM_ERROR(launch("simtest_bug_missing_sync", {blocks, 1, 1}, {block, 1, 1}, 0,
                          static_cast<const float*>(in.ptr()), out.ptr()),
                   "kernel simtest_bug_missing_sync", "output depends on the thread schedule (Forward vs Reversed)",
                   "first differs at byte offset");
  // The fixed kernel passes under all three schedules.
  OptionsScope all(all_schedules());
  launch("simtest_fixed_missing_sync", {blocks, 1, 1}, {block, 1, 1}, 0, static_cast<const float*>(in.ptr()),
         out.ptr());
  const auto v = out.download();
  const auto r = ramp(blocks * block);
  for (unsigned g = 0; g < blocks * block; ++g) CHECK_EQ(v[g], r[g - g % block + (block - 1 - g % block)]);
}

// (b) Out-of-bounds write: the redzone after the allocation catches it (ASan does in its build).
#if !defined(DS_SIM_ASAN)
TEST(bug_out_of_bounds_write_hits_redzone) {
  const int n = 1000;
  DeviceBuffer<float> out(n);
  EXPECT_SIM_ERROR(launch("simtest_bug_oob_write", {4, 1, 1}, {256, 1, 1}, 0, out.ptr(), n),
                                           "kernel simtest_bug_oob_write wrote out of bounds",
                                           "4 bytes after allocation of 4000 bytes", "byte offset 4000");
  // Redzones are repaired once reported: the next launch of a correct kernel is clean.
  launch("simtest_bug_oob_write", {4, 1, 1}, {256, 1, 1}, 0, out.ptr(), n - 1);
}

TEST(bug_out_of_bounds_write_found_at_free) {
  dssim::SimOptions o;
  o.check_redzones = false;
  OptionsScope scope(o);
  const int n = 64;
  const uint64_t p = driver().mem_alloc(n * sizeof(float));
  launch("simtest_bug_oob_write", {1, 1, 1}, {128, 1, 1}, 0, reinterpret_cast<float*>(p), n);
  EXPECT_SIM_ERROR(driver().mem_free(p), "kernel simtest_bug_oob_write wrote out of bounds", "found by mem_free");
  EXPECT_SIM_ERROR(driver().mem_free(p), "not a live allocation");  // released despite the error
}
#endif

// (c) Divergent barriers and broken warp operations are errors, not hangs.
TEST(bug_divergent_barrier) {
  DeviceBuffer<int> out(2 * 64);
  EXPECT_SIM_ERROR(launch("simtest_bug_divergent_barrier", {2, 1, 1}, {64, 1, 1}, 0, out.ptr()),
                   "kernel simtest_bug_divergent_barrier", "block (", "divergent barrier", "thread (16,0,0) exited",
                   "waits at __syncthreads at sim_planted_bugs.cu:");
  // The worker recovers: abandoned fibers' stacks are reused by the next launch.
  OptionsScope all(all_schedules());
  DeviceBuffer<float> in(std::vector<float>(512, 1.0f)), sums(2);
  launch("simtest_block_sum", {2, 1, 1}, {256, 1, 1}, 0, static_cast<const float*>(in.ptr()), sums.ptr(), 512);
  CHECK(sums.download() == std::vector<float>(2, 256.0f));
}

TEST(bug_barriers_at_different_sites) {
  DeviceBuffer<int> out(64);
  EXPECT_SIM_ERROR(launch("simtest_bug_barrier_sites", {1, 1, 1}, {64, 1, 1}, 0, out.ptr()),
                   "kernel simtest_bug_barrier_sites", "block (0,0,0)", "divergent barrier", "thread (0,0,0)",
                   "thread (1,0,0)");
}

TEST(bug_shuffle_waits_for_exited_lane) {
  DeviceBuffer<int> out(32);
  EXPECT_SIM_ERROR(launch("simtest_bug_shfl_exited", {1, 1, 1}, {32, 1, 1}, 0, out.ptr()),
                   "kernel simtest_bug_shfl_exited", "__shfl_sync(mask 0xffffffff)", "lane 5", "exited");
}

TEST(bug_shuffle_waits_for_lane_at_barrier) {
  DeviceBuffer<int> out(32);
  EXPECT_SIM_ERROR(launch("simtest_bug_shfl_vs_barrier", {1, 1, 1}, {32, 1, 1}, 0, out.ptr()),
                   "kernel simtest_bug_shfl_vs_barrier", "__shfl_xor_sync", "waits at __syncthreads");
}

TEST(bug_mixed_warp_operations) {
  DeviceBuffer<int> out(32);
  EXPECT_SIM_ERROR(launch("simtest_bug_mixed_warp_ops", {1, 1, 1}, {32, 1, 1}, 0, out.ptr()),
                   "kernel simtest_bug_mixed_warp_ops", "__ballot_sync", "__shfl_sync");
}

TEST(bug_mask_without_calling_lane) {
  DeviceBuffer<int> out(32);
  EXPECT_SIM_ERROR(launch("simtest_bug_mask_without_self", {1, 1, 1}, {32, 1, 1}, 0, out.ptr()),
                   "kernel simtest_bug_mask_without_self", "does not include the calling lane");
}

// (d) Non-atomic accumulation across blocks: racecheck_global names the word and the two blocks.
TEST(bug_inter_block_race_detected) {
  const unsigned blocks = 8, block = 128;
  DeviceBuffer<float> in(std::vector<float>(blocks * block, 1.0f)), out(1);
  out.fill(0.0f);
  dssim::SimOptions o;
  o.racecheck_global = true;
  OptionsScope scope(o);
  EXPECT_SIM_ERROR(launch("simtest_bug_racy_accumulate", {blocks, 1, 1}, {block, 1, 1}, 0,
                          static_cast<const float*>(in.ptr()), out.ptr()),
                   "kernel simtest_bug_racy_accumulate: inter-block race: word at allocation", "+ 0 changed by block (",
                   "without atomics");
}

TEST(atomic_accumulation_passes_racecheck) {
  const unsigned blocks = 8, block = 128;
  DeviceBuffer<float> in(std::vector<float>(blocks * block, 1.0f)), out(1), partials(blocks);
  out.fill(0.0f);
  dssim::SimOptions o;
  o.racecheck_global = true;
  OptionsScope scope(o);
  launch("simtest_atomic_accumulate", {blocks, 1, 1}, {block, 1, 1}, 0, static_cast<const float*>(in.ptr()),
         out.ptr());
  CHECK_EQ(out.download()[0], static_cast<float>(blocks * block));
  launch("simtest_block_partials", {blocks, 1, 1}, {block, 1, 1}, 0, static_cast<const float*>(in.ptr()),
         partials.ptr());
  CHECK(partials.download() == std::vector<float>(blocks, static_cast<float>(block)));
}
