// What a warp operation returns to each lane, computed centrally once every lane of the group has
// arrived. Pure functions: no fibers, no scheduler.
#pragma once

#include <cstdint>

#include "sim_abi.h"

namespace dssim {

// Returned for a shuffle whose source lane is not taking part (outside the mask, or absent in a
// partial warp): undefined on a GPU, all one bits here (NaN for float/double, -1 for integers)
// so the use of such a value shows.
constexpr uint64_t kUndefinedLaneValue = ~uint64_t{0};

struct LaneInput {
  uint64_t value;  // shuffled bits, or the vote predicate (0/1)
  int arg;         // source lane, delta or lane mask
  int width;       // shuffle segment width
};

// The lane a shuffle reads from, by PTX's shfl.sync rules (srcLane/delta masked to 5 bits, width
// segments, out-of-segment sources read the lane's own value).
int shuffle_source_lane(detail::WarpOp op, int lane, int arg, int width);

// Fills results[lane] for every lane set in `group` from inputs[lane] of the same lanes
// (ActiveMask: every lane gets the group itself).
void compute_warp_op(detail::WarpOp op, uint32_t group, const LaneInput inputs[32], uint64_t results[32]);

const char* warp_op_name(detail::WarpOp op);

}  // namespace dssim
