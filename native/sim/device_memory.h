// Simulated device memory: the allocation table behind mem_alloc / mem_free / memcpy.
//
// Normal build: every allocation is 256-byte aligned (like cuMemAlloc) with 64-byte redzones
// before and after it, filled with a pattern that check_redzones() verifies after each launch and
// mem_free verifies on release. ASan build (DS_SIM_ASAN): every allocation is its own exact-size
// heap block, so AddressSanitizer reports any out-of-bounds access the moment it happens.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace dssim {

class DeviceMemory {
 public:
  DeviceMemory() = default;
  ~DeviceMemory();
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;

  // New memory is filled with 0xFF bytes (NaN / -1), so a kernel reading what nobody wrote shows.
  uint64_t alloc(size_t bytes);
  // Throws SimError for a pointer that is not a live allocation. Returns a description of redzone
  // damage found on release ("" if none); the memory is released either way.
  std::string free(uint64_t ptr);

  // Throws SimError unless [ptr, ptr + bytes) lies inside one live allocation.
  void check_range(uint64_t ptr, size_t bytes, const char* what) const;

  size_t live_count() const;
  size_t live_bytes() const;

  struct Region {
    uint64_t base;
    size_t bytes;
  };
  // Live allocations in address order. Kernels cannot allocate, so during a launch this is fixed.
  std::vector<Region> regions() const;

  // Verifies every redzone and repairs damage so one bug is reported once. Returns a description
  // of the first damaged allocation ("4 bytes after allocation of 1024 bytes at 0x..."), or "".
  std::string check_redzones();

 private:
  struct Allocation {
    size_t bytes;
    void* block;  // what was allocated (the user pointer is inside it in the normal build)
  };
  static std::string check_and_repair(uint64_t base, const Allocation& a);

  mutable std::mutex mu_;
  std::map<uint64_t, Allocation> live_;
  size_t live_bytes_ = 0;
};

}  // namespace dssim
