// racecheck_global: finds 4-byte words of device memory that two blocks changed where at least one
// change was not an atomic. Blocks run one at a time; after each block, live memory is diffed
// against a shadow copy to find the words it changed, and the block's atomics (recorded in an
// AtomicLog through tl_atomic_log) tell atomic updates from plain stores.
//
// It sees writes only: a block reading a word another block writes, or two blocks storing the
// same value, goes unnoticed. The diff costs O(live bytes) per block, so it is a debugging mode.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "device_memory.h"
#include "sim_abi.h"
#include "sim_driver.h"

namespace dssim {

namespace detail {
struct AtomicLog {
  std::unordered_set<uint64_t> words;  // address / 4 of every word an atomic touched
};
}  // namespace detail

class RaceChecker {
 public:
  RaceChecker(const DeviceMemory& memory, std::string kernel, Dim3 grid);

  // Installs the block's atomic log on the calling worker thread.
  void begin_block();
  // Diffs memory against the shadow; throws SimError on an inter-block race.
  void end_block(uint64_t block_linear);

 private:
  struct Shadow {
    uint64_t base;
    std::vector<uint8_t> bytes;
  };
  struct Writer {
    uint64_t block;
    bool atomic;
  };
  void record_change(uint64_t word_addr, const Shadow& shadow, uint64_t block_linear);
  std::string block_name(uint64_t block_linear) const;

  std::string kernel_;
  Dim3 grid_;
  std::vector<Shadow> shadows_;
  std::unordered_map<uint64_t, Writer> writers_;  // by word address
  detail::AtomicLog log_;
};

}  // namespace dssim
