#include "block_runner.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "kernel_registry.h"
#include "sim_util.h"
#include "warp_ops.h"

namespace dssim {

using detail::BarrierKind;
using detail::WarpOp;

namespace {
__thread BlockRunner* tl_runner = nullptr;

const char* barrier_name(BarrierKind k) {
  switch (k) {
    case BarrierKind::Plain: return "__syncthreads";
    case BarrierKind::Count: return "__syncthreads_count";
    case BarrierKind::And: return "__syncthreads_and";
    case BarrierKind::Or: return "__syncthreads_or";
  }
  return "__syncthreads";
}

const char* base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

std::string format_mask(uint32_t mask) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", mask);
  return buf;
}
}  // namespace

BlockRunner::BlockRunner() = default;
BlockRunner::~BlockRunner() = default;

BlockRunner& BlockRunner::current() {
  if (tl_runner == nullptr || tl_runner->current_ == nullptr) {
    std::fprintf(stderr, "detseg simulator: a CUDA built-in was called outside a simulated kernel\n");
    std::abort();
  }
  return *tl_runner;
}

RunnerStats BlockRunner::take_stats() {
  RunnerStats s = stats_;
  stats_ = RunnerStats{};
  return s;
}

// ---- block lifecycle ------------------------------------------------------------------------------

void BlockRunner::run(const GridPlan& plan, uint64_t block_linear) {
  start_block(plan, block_linear);
  for (uint32_t round = 0;; ++round) {
    run_round(round);
    if (failed_) abort_block(error_);
    if (live_ == 0) break;
    if (at_warp_ > 0 && release_warp_groups()) continue;
    if (at_barrier_ == live_) {
      release_barrier();
      continue;
    }
    report_stall();
  }
  current_ = nullptr;
  detail::tl_thread = nullptr;
}

void BlockRunner::start_block(const GridPlan& plan, uint64_t block_linear) {
  tl_runner = this;
  plan_ = &plan;
  block_linear_ = block_linear;
  const uint64_t gx = plan.grid.x, gy = plan.grid.y;
  block_idx_ = uint3{static_cast<unsigned>(block_linear % gx), static_cast<unsigned>(block_linear / gx % gy),
                     static_cast<unsigned>(block_linear / (gx * gy))};
  detail::tl_block = detail::BlockView{block_idx_, dim3(plan.block.x, plan.block.y, plan.block.z),
                                       dim3(plan.grid.x, plan.grid.y, plan.grid.z)};

  threads_ = static_cast<uint32_t>(plan.threads_per_block);
  warps_ = (threads_ + 31) / 32;
  if (fibers_.size() < threads_) fibers_.resize(threads_);
  while (stacks_.size() < threads_) stacks_.emplace_back();
  warp_parked_.assign(warps_, 0);
  arena_.begin_block(plan.dynamic_shared, plan.static_shared_budget, plan.poison_shared);

  const uint32_t bx = plan.block.x, by = plan.block.y;
  for (uint32_t i = 0; i < threads_; ++i) {
    Fiber& f = fibers_[i];
    f.thread_idx = uint3{i % bx, i / bx % by, i / (bx * by)};
    f.linear = i;
    f.state = State::Runnable;
    f.shared_decls = 0;
    f.asan_fake_stack = nullptr;
    if (f.stack_dirty) {
      asan_unpoison(stacks_[i].bottom(), stacks_[i].size());
      f.stack_dirty = false;
    }
    // Stagger the stack tops by cache lines so that the fibers' hot frames spread over cache sets.
    f.sp = fiber_prepare(stacks_[i], (i & 63) * 64, &BlockRunner::fiber_main, &f);
  }
  live_ = threads_;
  at_barrier_ = 0;
  at_warp_ = 0;
  failed_ = false;
  error_.clear();
}

void BlockRunner::run_round(uint32_t round) {
  switch (plan_->schedule) {
    case Schedule::Forward:
      for (uint32_t i = 0; i < threads_ && !failed_; ++i) {
        if (fibers_[i].state == State::Runnable) resume(fibers_[i]);
      }
      break;
    case Schedule::Reversed:
      for (uint32_t i = threads_; i-- > 0 && !failed_;) {
        if (fibers_[i].state == State::Runnable) resume(fibers_[i]);
      }
      break;
    case Schedule::Shuffled: {
      // A fresh permutation every round, reproducible from (seed, block, round) alone.
      order_.resize(threads_);
      for (uint32_t i = 0; i < threads_; ++i) order_[i] = i;
      Rng rng(mix64(plan_->seed ^ mix64(block_linear_ ^ mix64(round))));
      shuffle_indices(order_, rng);
      for (uint32_t i = 0; i < threads_ && !failed_; ++i) {
        if (fibers_[order_[i]].state == State::Runnable) resume(fibers_[order_[i]]);
      }
      break;
    }
  }
}

[[noreturn]] void BlockRunner::abort_block(const std::string& what) {
  // Fibers parked mid-kernel are abandoned (no unwinding: kernels hold no resources); the next
  // block re-prepares their stacks from scratch.
  for (uint32_t i = 0; i < threads_; ++i) {
    if (fibers_[i].state != State::Finished) fibers_[i].stack_dirty = true;
  }
  current_ = nullptr;
  detail::tl_thread = nullptr;
  throw SimError(what);
}

// ---- switching ------------------------------------------------------------------------------------

void BlockRunner::resume(Fiber& f) {
  current_ = &f;
  detail::tl_thread = &f;
  ++stats_.fiber_switches;
  const FiberStack& stack = stacks_[f.linear];
  asan_start_switch(&scheduler_fake_stack_, stack.bottom(), stack.size());
  ds_sim_switch(&scheduler_sp_, f.sp);
  asan_finish_switch(scheduler_fake_stack_, nullptr, nullptr);
}

void BlockRunner::park(Fiber& f) {
  asan_start_switch(&f.asan_fake_stack, scheduler_stack_bottom_, scheduler_stack_size_);
  ds_sim_switch(&f.sp, scheduler_sp_);
  asan_finish_switch(f.asan_fake_stack, nullptr, nullptr);
}

void BlockRunner::fiber_main(void* arg) {
  Fiber& f = *static_cast<Fiber*>(arg);
  BlockRunner& r = *tl_runner;
  // Completes the switch from the scheduler and tells ASan where the scheduler's stack is.
  asan_finish_switch(nullptr, &r.scheduler_stack_bottom_, &r.scheduler_stack_size_);
  try {
    r.plan_->kernel->thunk(r.plan_->kernel->kernel, r.plan_->params);
  } catch (const std::exception& e) {
    r.set_error(f, std::string("the kernel threw an exception: ") + e.what());
  } catch (...) {
    r.set_error(f, "the kernel threw an exception");
  }
  // Outside the handlers: abandoning a fiber inside one would leave the exception "caught" forever
  // in this OS thread's exception state.
  if (r.failed_) r.abandon(f);
  r.exit_fiber(f);
}

void BlockRunner::exit_fiber(Fiber& f) {
  f.state = State::Finished;
  --live_;
  asan_start_switch(nullptr, scheduler_stack_bottom_, scheduler_stack_size_);  // nullptr: gone for good
  ds_sim_switch(&f.sp, scheduler_sp_);
  __builtin_unreachable();
}

void BlockRunner::set_error(const Fiber& f, const std::string& what) {
  if (!failed_) error_ = prefix() + thread_name(f) + ": " + what;
  failed_ = true;
}

void BlockRunner::abandon(Fiber& f) {
  // Callers build the message in a statement of its own (set_error) so no temporary with heap
  // memory is left behind on this stack, which never unwinds.
  f.state = State::Failed;
  asan_start_switch(nullptr, scheduler_stack_bottom_, scheduler_stack_size_);
  ds_sim_switch(&f.sp, scheduler_sp_);
  __builtin_unreachable();
}

// ---- kernel-facing operations -----------------------------------------------------------------------

int BlockRunner::barrier(BarrierKind kind, int predicate, const char* file, int line) {
  Fiber& f = *current_;
  f.state = State::AtBarrier;
  f.barrier_kind = kind;
  f.predicate = predicate;
  f.file = file;
  f.line = line;
  ++at_barrier_;
  park(f);
  return static_cast<int>(f.result);
}

uint64_t BlockRunner::warp_op(WarpOp op, unsigned mask, uint64_t value, int arg, int width) {
  Fiber& f = *current_;
  const uint32_t lane = f.linear & 31, warp = f.linear >> 5;
  if (!(mask >> lane & 1)) {
    set_error(f, std::string(warp_op_name(op)) + " with mask " + format_mask(mask) +
                     " that does not include the calling lane " + std::to_string(lane));
    abandon(f);
  }
  if (width < 1 || width > 32 || (width & (width - 1)) != 0) {
    set_error(f, std::string(warp_op_name(op)) + " with width " + std::to_string(width) +
                     " (must be a power of two from 1 to 32)");
    abandon(f);
  }
  const uint32_t present = lanes_in_warp(warp) == 32 ? ~0u : (1u << lanes_in_warp(warp)) - 1;
  f.state = State::AtWarpOp;
  f.op = op;
  f.mask = mask & present;
  f.value = value;
  f.arg = arg;
  f.width = width;
  ++at_warp_;
  ++warp_parked_[warp];
  park(f);
  return f.result;
}

unsigned BlockRunner::active_mask(const char* file, int line) {
  // Not "lanes not exited right now": lanes run one after another, so that would depend on the
  // schedule. Parking until the round ends gathers exactly the lanes that got here together.
  Fiber& f = *current_;
  f.state = State::AtWarpOp;
  f.op = WarpOp::ActiveMask;
  f.mask = 0;
  f.file = file;
  f.line = line;
  ++at_warp_;
  ++warp_parked_[f.linear >> 5];
  park(f);
  return static_cast<unsigned>(f.result);
}

void* BlockRunner::shared_static(size_t bytes, size_t align) {
  Fiber& f = *current_;
  // The reason goes into a member, not a local: this frame never unwinds if the fiber fails.
  void* p = arena_.allocate_static(f.shared_decls++, bytes, align, &arena_error_);
  if (p == nullptr) {
    set_error(f, arena_error_);
    abandon(f);
  }
  return p;
}

// ---- releasing parked fibers ----------------------------------------------------------------------

uint32_t BlockRunner::lanes_in_warp(uint32_t warp) const {
  const uint32_t rest = threads_ - warp * 32;
  return rest < 32 ? rest : 32;
}

bool BlockRunner::group_ready(const Fiber& f) const {
  const uint32_t base = f.linear & ~31u;
  for (uint32_t m = f.mask; m != 0; m &= m - 1) {
    const Fiber& g = fibers_[base + __builtin_ctz(m)];
    if (g.state != State::AtWarpOp || g.op != f.op || g.mask != f.mask) return false;
  }
  return true;
}

bool BlockRunner::release_warp_groups() {
  bool released = false;
  for (uint32_t w = 0; w < warps_; ++w) {
    if (warp_parked_[w] == 0) continue;
    const uint32_t base = w * 32;
    uint32_t done = 0;
    for (uint32_t lane = 0; lane < lanes_in_warp(w); ++lane) {
      const Fiber& f = fibers_[base + lane];
      if (f.state != State::AtWarpOp || (done >> lane & 1)) continue;
      uint32_t group = 0;
      if (f.op == WarpOp::ActiveMask) {
        // Always releasable at the end of a round: its group is whoever arrived at this site.
        for (uint32_t l = lane; l < lanes_in_warp(w); ++l) {
          const Fiber& g = fibers_[base + l];
          if (g.state == State::AtWarpOp && g.op == WarpOp::ActiveMask && g.line == f.line &&
              (g.file == f.file || std::strcmp(g.file, f.file) == 0)) {
            group |= 1u << l;
          }
        }
      } else if (group_ready(f)) {
        group = f.mask;
      } else {
        done |= 1u << lane;
        continue;
      }
      release_group(w, group, f.op);
      done |= group;
      released = true;
    }
  }
  return released;
}

void BlockRunner::release_group(uint32_t warp, uint32_t group, WarpOp op) {
  LaneInput inputs[32] = {};
  uint64_t results[32];
  const uint32_t base = warp * 32;
  for (uint32_t m = group; m != 0; m &= m - 1) {
    const Fiber& g = fibers_[base + __builtin_ctz(m)];
    inputs[__builtin_ctz(m)] = LaneInput{g.value, g.arg, g.width};
  }
  compute_warp_op(op, group, inputs, results);
  for (uint32_t m = group; m != 0; m &= m - 1) {
    Fiber& g = fibers_[base + __builtin_ctz(m)];
    g.result = results[__builtin_ctz(m)];
    g.state = State::Runnable;
    --at_warp_;
    --warp_parked_[warp];
  }
}

void BlockRunner::release_barrier() {
  const Fiber* first = nullptr;
  for (uint32_t i = 0; i < threads_ && first == nullptr; ++i) {
    if (fibers_[i].state == State::AtBarrier) first = &fibers_[i];
  }
  if (live_ < threads_) {
    const Fiber* exited = nullptr;
    for (uint32_t i = 0; i < threads_ && exited == nullptr; ++i) {
      if (fibers_[i].state == State::Finished) exited = &fibers_[i];
    }
    abort_block(prefix() + "divergent barrier: " + thread_name(*exited) + " exited while " +
                thread_name(*first) + " waits at " + where(*first) + " (" +
                std::to_string(threads_ - live_) + " of " + std::to_string(threads_) + " threads exited)");
  }
  int count = 0;
  for (uint32_t i = 0; i < threads_; ++i) {
    const Fiber& f = fibers_[i];
    const bool same_site = f.barrier_kind == first->barrier_kind && f.line == first->line &&
                           (f.file == first->file || std::strcmp(f.file, first->file) == 0);
    if (!same_site) {
      abort_block(prefix() + "divergent barrier: " + thread_name(*first) + " waits at " + where(*first) +
                  " but " + thread_name(f) + " waits at " + where(f));
    }
    count += f.predicate != 0;
  }
  int result = 0;
  switch (first->barrier_kind) {
    case BarrierKind::Plain: result = 0; break;
    case BarrierKind::Count: result = count; break;
    case BarrierKind::And: result = count == static_cast<int>(threads_); break;
    case BarrierKind::Or: result = count != 0; break;
  }
  for (uint32_t i = 0; i < threads_; ++i) {
    fibers_[i].result = static_cast<uint64_t>(result);
    fibers_[i].state = State::Runnable;
  }
  at_barrier_ = 0;
  ++stats_.barriers;
}

void BlockRunner::report_stall() {
  // Some lane waits at a warp operation that can never complete: find the lane it waits for.
  for (uint32_t i = 0; i < threads_; ++i) {
    const Fiber& f = fibers_[i];
    if (f.state != State::AtWarpOp) continue;
    const uint32_t base = f.linear & ~31u;
    for (uint32_t m = f.mask; m != 0; m &= m - 1) {
      const Fiber& g = fibers_[base + __builtin_ctz(m)];
      std::string problem;
      if (g.state == State::Finished) {
        problem = "which has exited";
      } else if (g.state == State::AtBarrier) {
        problem = "which waits at " + where(g);
      } else if (g.state == State::AtWarpOp && (g.op != f.op || g.mask != f.mask)) {
        problem = "which waits at " + where(g);
      } else {
        continue;
      }
      abort_block(prefix() + thread_name(f) + " waits at " + where(f) + " for lane " +
                  std::to_string(g.linear & 31) + " (" + thread_name(g) + "), " + problem);
    }
  }
  abort_block(prefix() + "deadlock: no thread can make progress");
}

// ---- messages -------------------------------------------------------------------------------------

std::string BlockRunner::prefix() const {
  return "kernel " + plan_->kernel->name + ", block " + format_index(block_idx_) + ": ";
}

std::string BlockRunner::thread_name(const Fiber& f) const { return "thread " + format_index(f.thread_idx); }

std::string BlockRunner::where(const Fiber& f) const {
  if (f.state == State::AtBarrier || f.op == WarpOp::ActiveMask) {
    const char* what = f.state == State::AtBarrier ? barrier_name(f.barrier_kind) : "__activemask";
    return std::string(what) + " at " + base_name(f.file) + ":" + std::to_string(f.line);
  }
  return std::string(warp_op_name(f.op)) + "(mask " + format_mask(f.mask) + ")";
}

}  // namespace dssim
