// Copies of all live device memory, for schedule verification: the launch is re-run from the same
// starting contents under each schedule, and every run must leave memory bitwise identical.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "device_memory.h"

namespace dssim {

class MemorySnapshot {
 public:
  static MemorySnapshot take(const DeviceMemory& memory);
  void restore() const;
  // Compares the live memory with this snapshot: "" when identical, otherwise
  // "allocation 0x.. first differs at byte offset N, values A vs B" (this snapshot's value first).
  std::string first_difference_with_live() const;

 private:
  struct Copy {
    uint64_t base;
    std::vector<uint8_t> bytes;
  };
  std::vector<Copy> copies_;
};

}  // namespace dssim
