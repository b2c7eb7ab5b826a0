#include "warp_ops.h"

namespace dssim {

using detail::WarpOp;

int shuffle_source_lane(WarpOp op, int lane, int arg, int width) {
  // CUDA passes c = ((32 - width) << 8) | clamp to shfl.sync, clamp = 0 for up and 31 otherwise;
  // segmask selects the bits of the lane id that name its segment.
  const int segmask = (32 - width) & 31;
  const int b = arg & 31;
  const int clamp = op == WarpOp::ShflUp ? 0 : 31;
  const int min_lane = lane & segmask;
  const int max_lane = min_lane | (clamp & ~segmask);
  int j = lane;
  bool in_range = false;
  switch (op) {
    case WarpOp::ShflUp:
      j = lane - b;
      in_range = j >= max_lane;
      break;
    case WarpOp::ShflDown:
      j = lane + b;
      in_range = j <= max_lane;
      break;
    case WarpOp::ShflXor:
      j = lane ^ b;
      in_range = j <= max_lane;
      break;
    case WarpOp::ShflIdx:
      j = min_lane | (b & ~segmask);
      in_range = j <= max_lane;
      break;
    default:
      break;
  }
  return in_range ? j : lane;
}

void compute_warp_op(WarpOp op, uint32_t group, const LaneInput inputs[32], uint64_t results[32]) {
  uint32_t ballot = 0;
  for (int lane = 0; lane < 32; ++lane) {
    if ((group >> lane & 1) && inputs[lane].value != 0) ballot |= 1u << lane;
  }
  for (int lane = 0; lane < 32; ++lane) {
    if (!(group >> lane & 1)) continue;
    uint64_t r = 0;
    switch (op) {
      case WarpOp::ShflIdx:
      case WarpOp::ShflUp:
      case WarpOp::ShflDown:
      case WarpOp::ShflXor: {
        const int src = shuffle_source_lane(op, lane, inputs[lane].arg, inputs[lane].width);
        r = (group >> src & 1) ? inputs[src].value : kUndefinedLaneValue;
        break;
      }
      case WarpOp::Ballot:
        r = ballot;
        break;
      case WarpOp::Any:
        r = ballot != 0;
        break;
      case WarpOp::All:
        r = ballot == group;
        break;
      case WarpOp::Sync:
        r = 0;
        break;
      case WarpOp::ActiveMask:
        r = group;
        break;
    }
    results[lane] = r;
  }
}

const char* warp_op_name(WarpOp op) {
  switch (op) {
    case WarpOp::ShflIdx: return "__shfl_sync";
    case WarpOp::ShflUp: return "__shfl_up_sync";
    case WarpOp::ShflDown: return "__shfl_down_sync";
    case WarpOp::ShflXor: return "__shfl_xor_sync";
    case WarpOp::Ballot: return "__ballot_sync";
    case WarpOp::Any: return "__any_sync";
    case WarpOp::All: return "__all_sync";
    case WarpOp::Sync: return "__syncwarp";
    case WarpOp::ActiveMask: return "__activemask";
  }
  return "warp operation";
}

}  // namespace dssim
