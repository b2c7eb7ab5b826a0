// Tiles of the CPU loss loops over x [n, c, s] (positions as the vector lanes, class rows s apart):
// how many positions a tile takes for c classes, and the block that holds a value per class and
// position of one tile (the softmax's exp(x - max), kept so each element's exp is computed once:
// these loops are bound by the exp, not by memory).
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

namespace detseg {
namespace cpu {

constexpr int64_t kTileScratchFloats = 8192;  // TileScratch's stack block (32 KiB)

// Positions per tile: as many as keep c x tile within the stack block, in whole vectors of 16, at most
// max_tile; past 512 classes 16 (and TileScratch takes the heap).
inline int64_t tile_for_classes(int64_t c, int64_t max_tile) {
  const int64_t fit = kTileScratchFloats / std::max<int64_t>(c, 1) / 16 * 16;
  return std::max<int64_t>(16, std::min(max_tile, fit));
}

// n floats for one tile: the stack block when they fit, else the heap.
struct TileScratch {
  alignas(64) float local[kTileScratchFloats];
  std::unique_ptr<float[]> heap;
  float* get(int64_t n) {
    if (n <= kTileScratchFloats) return local;
    heap.reset(new float[n]);
    return heap.get();
  }
};

}  // namespace cpu
}  // namespace detseg
