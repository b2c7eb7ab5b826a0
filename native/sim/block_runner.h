// Runs one thread block: its threads are cooperative fibers on the calling worker thread.
//
// The scheduler works in rounds. In a round every runnable fiber runs, in the order the launch's
// Schedule gives, until it parks (block barrier or warp operation) or finishes. Then nothing is
// runnable, and the runner releases what it can: first every warp group whose lanes have all
// arrived at the same warp operation (results computed centrally), otherwise the block barrier
// once every live thread waits at the same one. If nothing can be released the block is stuck:
// the runner names the cause (divergent barrier, warp op waiting for an exited lane, ...) and
// throws SimError; the parked fibers are simply abandoned and their stacks reused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fiber.h"
#include "shared_arena.h"
#include "sim_abi.h"
#include "sim_driver.h"

namespace dssim {

struct KernelInfo;

// Everything a block needs from its launch; read-only while blocks run.
struct GridPlan {
  const KernelInfo* kernel = nullptr;
  void** params = nullptr;
  Dim3 grid;
  Dim3 block;
  uint64_t threads_per_block = 0;
  uint64_t total_blocks = 0;
  size_t dynamic_shared = 0;
  size_t static_shared_budget = 0;
  Schedule schedule = Schedule::Forward;
  uint64_t seed = 0;
  bool poison_shared = true;
};

struct RunnerStats {
  uint64_t fiber_switches = 0;
  uint64_t barriers = 0;
};

class BlockRunner {
 public:
  BlockRunner();
  ~BlockRunner();
  BlockRunner(const BlockRunner&) = delete;
  BlockRunner& operator=(const BlockRunner&) = delete;

  // Runs block `block_linear` (x fastest) of the plan to completion, or throws SimError.
  void run(const GridPlan& plan, uint64_t block_linear);
  RunnerStats take_stats();

  // ---- called by kernel code, on a fiber of the running block -----------------------------------
  static BlockRunner& current();
  int barrier(detail::BarrierKind kind, int predicate, const char* file, int line);
  uint64_t warp_op(detail::WarpOp op, unsigned mask, uint64_t value, int arg, int width);
  unsigned active_mask(const char* file, int line);
  void* shared_static(size_t bytes, size_t align);
  void* shared_dynamic() const { return arena_.dynamic_base(); }

 private:
  enum class State : uint8_t { Runnable, AtBarrier, AtWarpOp, Finished, Failed };

  struct Fiber : detail::ThreadView {
    void* sp = nullptr;  // saved stack pointer while not running
    State state = State::Finished;
    bool stack_dirty = false;  // abandoned mid-kernel: ASan's shadow of its stack is stale
    uint32_t linear = 0;       // thread index in the block, x fastest
    uint32_t shared_decls = 0; // DS_SHARED declarations executed so far
    // Parked at a block barrier or __activemask (file/line identify the call site):
    detail::BarrierKind barrier_kind = detail::BarrierKind::Plain;
    int predicate = 0;
    const char* file = nullptr;
    int line = 0;
    // Parked at a warp operation (mask already restricted to the lanes present):
    detail::WarpOp op = detail::WarpOp::Sync;
    uint32_t mask = 0;
    uint64_t value = 0;
    int arg = 0;
    int width = 32;
    uint64_t result = 0;  // what the barrier / warp op returns when released
    void* asan_fake_stack = nullptr;
  };

  static void fiber_main(void* arg);
  void start_block(const GridPlan& plan, uint64_t block_linear);
  void run_round(uint32_t round);
  void resume(Fiber& f);
  void park(Fiber& f);
  [[noreturn]] void exit_fiber(Fiber& f);
  void set_error(const Fiber& f, const std::string& what);
  [[noreturn]] void abandon(Fiber& f);

  uint32_t lanes_in_warp(uint32_t warp) const;
  bool group_ready(const Fiber& f) const;
  void release_group(uint32_t warp, uint32_t group, detail::WarpOp op);
  bool release_warp_groups();
  void release_barrier();
  [[noreturn]] void report_stall();
  [[noreturn]] void abort_block(const std::string& what);

  std::string prefix() const;
  std::string thread_name(const Fiber& f) const;
  std::string where(const Fiber& f) const;  // "__syncthreads at file:line" / "__shfl_sync(mask 0x..)"

  const GridPlan* plan_ = nullptr;
  uint64_t block_linear_ = 0;
  uint3 block_idx_{0, 0, 0};
  uint32_t threads_ = 0;
  uint32_t warps_ = 0;

  std::vector<Fiber> fibers_;
  std::vector<FiberStack> stacks_;
  std::vector<uint32_t> order_;        // Shuffled schedule: this round's permutation
  std::vector<uint32_t> warp_parked_;  // per warp: lanes parked at a warp op

  uint32_t live_ = 0;  // fibers not finished
  uint32_t at_barrier_ = 0;
  uint32_t at_warp_ = 0;
  bool failed_ = false;
  std::string error_;
  std::string arena_error_;

  Fiber* current_ = nullptr;
  void* scheduler_sp_ = nullptr;
  void* scheduler_fake_stack_ = nullptr;
  const void* scheduler_stack_bottom_ = nullptr;  // for ASan's switch annotations
  size_t scheduler_stack_size_ = 0;

  SharedArena arena_;
  RunnerStats stats_;
};

}  // namespace dssim
