// A block's shared memory: one arena per worker, handed to each block it runs.
//
// Layout: the launch's dynamic shared bytes first, then every DS_SHARED declaration in the order
// the kernel executes them, 16-byte aligned. All threads of a block execute the same declarations,
// so the k-th declaration of every thread maps to the same slot; the first thread to reach it
// creates the slot, the others get its address (and a mismatch in size is reported).
// Under ASan, unused bytes and a redzone after every slot are poisoned, so out-of-bounds shared
// accesses are caught too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dssim {

constexpr size_t kSharedDefaultLimit = 48 * 1024;  // static + dynamic without an opt-in
constexpr size_t kSharedOptInLimit = 227 * 1024;   // the largest opt-in of any current GPU

// How much static shared memory a block may declare given its dynamic bytes and the kernel's
// opt-in (cuFuncSetAttribute MAX_DYNAMIC_SHARED_SIZE_BYTES, 0 = none), mirroring CUDA:
// without opt-in, static + dynamic <= 48 KiB; with it, static + max(dynamic, opt-in) <= 227 KiB.
// The launch has already checked that dynamic fits, so the result is never negative.
size_t static_shared_budget(size_t dynamic_bytes, size_t optin_bytes);

class SharedArena {
 public:
  SharedArena();
  ~SharedArena();
  SharedArena(const SharedArena&) = delete;
  SharedArena& operator=(const SharedArena&) = delete;

  void begin_block(size_t dynamic_bytes, size_t static_budget, bool poison);
  char* dynamic_base() const { return base_; }

  // The k-th static declaration of the running thread. Returns nullptr and explains in *error
  // when the block's declarations overflow the budget or differ between threads.
  void* allocate_static(uint32_t k, size_t bytes, size_t align, std::string* error);

 private:
  struct Slot {
    size_t offset;
    size_t bytes;
  };
  char* base_ = nullptr;
  size_t capacity_ = 0;
  size_t dynamic_ = 0;
  size_t budget_ = 0;
  size_t static_used_ = 0;  // what CUDA would count: aligned sizes, no redzones
  size_t end_ = 0;          // physical end of the last slot (includes ASan redzones)
  size_t touched_end_ = 0;  // how far the previous block used the arena (ASan re-poisons it)
  bool poison_ = false;
  std::vector<Slot> slots_;
};

}  // namespace dssim
