// Warp intrinsics against host-computed expectations: shuffles of every kind and width, votes,
// __syncwarp, __activemask, partial warps.
#include "harness.h"
#include "sim_test_util.h"
#include "warp_ops.h"

using namespace dstest;

namespace {
// CUDA's documented shuffle semantics, written independently of the simulator's PTX-based code.
int expected_source(int mode, int lane, int arg, int width) {
  const int base = lane & ~(width - 1), pos = lane & (width - 1);
  switch (mode) {
    case 0: return base + (arg & (width - 1));
    case 1: return pos >= arg ? lane - arg : lane;
    case 2: return pos + arg < width ? lane + arg : lane;
    default: return lane ^ arg;  // tests use lane masks below the width
  }
}

unsigned lanes_mask(unsigned count) { return count >= 32 ? 0xffffffffu : (1u << count) - 1; }
}  // namespace

TEST(shuffles_all_kinds_and_widths) {
  const unsigned threads = 128;
  std::vector<int> in(threads);
  for (unsigned t = 0; t < threads; ++t) in[t] = static_cast<int>(t * 3 + 1);
  DeviceBuffer<int> d_in(in), d_out(threads);
  const char* names[] = {"idx", "up", "down", "xor"};
  for (int width : {32, 16, 8}) {
    for (int mode = 0; mode < 4; ++mode) {
      for (int arg : {0, 1, 3, 4, 7, 17, 31}) {
        if (mode == 3 && arg >= width) continue;
        if ((mode == 1 || mode == 2) && arg >= 32) continue;
        launch("simtest_shfl_int", {2, 1, 1}, {64, 1, 1}, 0, static_cast<const int*>(d_in.ptr()), d_out.ptr(), mode,
               arg, width);
        const std::vector<int> out = d_out.download();
        for (unsigned t = 0; t < threads; ++t) {
          const int lane = t & 31;
          const int want = in[(t & ~31u) + expected_source(mode, lane, arg, width)];
          CHECK_MSG(out[t] == want, std::string(names[mode]) + " arg " + std::to_string(arg) + " width " +
                                        std::to_string(width) + " thread " + std::to_string(t) + ": " +
                                        describe_pair(out[t], want));
        }
      }
    }
  }
}

TEST(shuffles_of_every_type) {
  std::vector<double> in(32);
  for (unsigned t = 0; t < 32; ++t) in[t] = t * 1.125 + 0.1;
  DeviceBuffer<double> d_in(in), d_d(32);
  DeviceBuffer<float> d_f(32);
  DeviceBuffer<long long> d_ll(32);
  DeviceBuffer<unsigned long long> d_ull(32);
  DeviceBuffer<unsigned> d_u(32);
  launch("simtest_shfl_types", {1, 1, 1}, {32, 1, 1}, 0, static_cast<const double*>(d_in.ptr()), d_f.ptr(), d_d.ptr(),
         d_ll.ptr(), d_ull.ptr(), d_u.ptr());
  const auto f = d_f.download();
  const auto d = d_d.download();
  const auto ll = d_ll.download();
  const auto ull = d_ull.download();
  const auto u = d_u.download();
  for (unsigned t = 0; t < 32; ++t) {
    CHECK(same_bits(f[t], static_cast<float>(in[t + 3 < 32 ? t + 3 : t])));
    CHECK_EQ(d[t], in[t ^ 5]);
    CHECK_EQ(ll[t], static_cast<long long>(t >= 2 ? t - 2 : t) * -1000000000000LL);
    CHECK_EQ(ull[t], static_cast<unsigned long long>(31 - t) << 40);
    CHECK_EQ(u[t], (t & ~7u) + 7);
  }
}

TEST(shuffle_ptx_segment_rules) {
  using dssim::detail::WarpOp;
  // xor may read from a lower segment but never from a higher one (PTX shfl.bfly clamp).
  CHECK_EQ(dssim::shuffle_source_lane(WarpOp::ShflXor, 0, 16, 16), 0);
  CHECK_EQ(dssim::shuffle_source_lane(WarpOp::ShflXor, 16, 16, 16), 0);
  // Offsets are taken modulo 32.
  CHECK_EQ(dssim::shuffle_source_lane(WarpOp::ShflIdx, 3, 35, 32), 3);
  CHECK_EQ(dssim::shuffle_source_lane(WarpOp::ShflIdx, 3, -1, 32), 31);
  CHECK_EQ(dssim::shuffle_source_lane(WarpOp::ShflDown, 30, 1, 32), 31);
  CHECK_EQ(dssim::shuffle_source_lane(WarpOp::ShflDown, 31, 1, 32), 31);
  CHECK_EQ(dssim::shuffle_source_lane(WarpOp::ShflUp, 8, 1, 8), 8);
  CHECK_EQ(dssim::shuffle_source_lane(WarpOp::ShflUp, 9, 1, 8), 8);
  // A source outside the group reads as all one bits.
  dssim::LaneInput in[32] = {};
  uint64_t out[32] = {};
  for (int l = 0; l < 2; ++l) in[l] = dssim::LaneInput{static_cast<uint64_t>(l + 5), 2, 32};
  dssim::compute_warp_op(WarpOp::ShflIdx, 0x3, in, out);
  CHECK_EQ(out[0], dssim::kUndefinedLaneValue);
}

namespace {
void check_votes(unsigned blocks, unsigned block) {
  const unsigned n = blocks * block;
  std::vector<int> pred(n);
  for (unsigned t = 0; t < n; ++t) {
    const unsigned warp = (t % block) / 32;
    pred[t] = warp % 3 == 0 ? (t % 3 == 0) : (warp % 3 == 1 ? 1 : 0);
  }
  DeviceBuffer<int> d_pred(pred);
  DeviceBuffer<unsigned> d_out(n * 6);
  launch("simtest_votes", {blocks, 1, 1}, {block, 1, 1}, 0, static_cast<const int*>(d_pred.ptr()), d_out.ptr());
  const std::vector<unsigned> out = d_out.download();
  for (unsigned t = 0; t < n; ++t) {
    const unsigned lane = t % block % 32, warp_first = t - lane;
    const unsigned present = lanes_mask(block - (t % block - lane));
    unsigned ballot = 0;
    for (unsigned l = 0; l < 32; ++l) {
      if ((present >> l & 1) && pred[warp_first + l]) ballot |= 1u << l;
    }
    const unsigned half = (lane & 16) ? 0xffff0000u & present : 0x0000ffffu & present;
    const unsigned want[6] = {ballot, ballot != 0, ballot == present, ballot & half, (ballot & half) == half, present};
    for (int k = 0; k < 6; ++k) {
      CHECK_MSG(out[t * 6 + k] == want[k], "thread " + std::to_string(t) + " value " + std::to_string(k) + ": " +
                                               describe_pair(out[t * 6 + k], want[k]));
    }
  }
}
}  // namespace

TEST(votes_and_syncwarp) { check_votes(3, 128); }
TEST(votes_partial_warp) { check_votes(2, 40); }

TEST(activemask_after_lanes_exit) {
  OptionsScope scope(all_schedules());
  for (unsigned block : {64u, 40u}) {
    DeviceBuffer<unsigned> out(2 * block);
    launch("simtest_activemask", {1, 1, 1}, {block, 1, 1}, 0, out.ptr());
    const std::vector<unsigned> v = out.download();
    for (unsigned t = 0; t < block; ++t) {
      const unsigned lane = t & 31, present = lanes_mask(block - (t - lane));
      const unsigned active = 0x000fffffu & present, lanes = __builtin_popcount(active);
      CHECK_EQ(v[t], lane >= 20 ? 0u : active);
      CHECK_EQ(v[block + t], lane >= 20 ? 0u : (lane + 1) % lanes);
    }
  }
}
