// dssim::Driver: the simulated CUDA driver API. This file holds the process-wide state and the
// launch sequence (validate, copy arguments, run under each schedule, check redzones, compare);
// the work itself lives in device_memory, kernel_registry, grid_runner and block_runner.
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "device_memory.h"
#include "grid_runner.h"
#include "kernel_registry.h"
#include "launch_check.h"
#include "memory_snapshot.h"
#include "racecheck.h"
#include "shared_arena.h"
#include "sim_driver.h"
#include "sim_util.h"
#include "worker_pool.h"

namespace dssim {

namespace {

constexpr uint64_t kModuleHandle = 0xd5e60001;
constexpr uint64_t kFunctionBase = 0xf0000000;  // function handle = base + registry index
constexpr const char* kModuleName = "detseg_kernels";

struct DriverState {
  mutable std::mutex mu;  // options, opt-ins, stats, last kernel
  SimOptions options;
  std::vector<size_t> max_dynamic_shared;  // per kernel index, 0 = no opt-in
  LaunchStats last_stats;
  std::string last_kernel = "(none)";

  DeviceMemory memory;

  std::mutex launch_mu;  // one launch at a time: the pool runs one job
  std::unique_ptr<WorkerPool> pool;

  WorkerPool& pool_for(int workers) {
    unsigned n = workers > 0 ? static_cast<unsigned>(workers) : std::thread::hardware_concurrency();
    if (n == 0) n = 1;
    if (!pool || pool->size() != n) {
      pool.reset();
      pool = std::make_unique<WorkerPool>(n);
    }
    return *pool;
  }
};

DriverState& state() {
  // Never destroyed: worker threads and JNI callers may outlive static destruction order.
  static DriverState* s = new DriverState();
  return *s;
}

size_t function_index(uint64_t fn) {
  const size_t count = KernelRegistry::instance().size();
  if (fn < kFunctionBase || fn - kFunctionBase >= count) {
    throw SimError("unknown function handle " + format_hex(fn));
  }
  return static_cast<size_t>(fn - kFunctionBase);
}

void check_module(uint64_t module) {
  if (module != kModuleHandle) throw SimError("unknown module handle " + format_hex(module));
}

// Kernel arguments copied at launch, as cuLaunchKernel does, so the caller's buffers are only read
// once and every fiber unpacks from stable, 16-byte aligned storage.
class ArgumentCopy {
 public:
  ArgumentCopy(const KernelInfo& k, void** params) {
    size_t total = 0;
    for (size_t s : k.param_sizes) total += (s + 15) / 16 * 16;
    storage_.resize(total / 16 + 1);
    char* at = reinterpret_cast<char*>(storage_.data());
    for (size_t i = 0; i < k.param_sizes.size(); ++i) {
      std::memcpy(at, params[i], k.param_sizes[i]);
      pointers_.push_back(at);
      at += (k.param_sizes[i] + 15) / 16 * 16;
    }
  }
  void** params() { return pointers_.empty() ? nullptr : pointers_.data(); }

 private:
  struct alignas(16) Chunk {
    char bytes[16];
  };
  std::vector<Chunk> storage_;
  std::vector<void*> pointers_;
};

}  // namespace

Driver& Driver::instance() {
  static Driver driver;
  return driver;
}

void Driver::set_options(const SimOptions& options) {
  if (options.workers < 0 || options.workers > 1024) {
    throw SimError("set_options: workers must be 0 (hardware concurrency) to 1024, got " +
                   std::to_string(options.workers));
  }
  DriverState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.options = options;
  if (s.options.schedules.empty()) s.options.schedules.push_back(Schedule::Forward);
}

SimOptions Driver::options() const {
  DriverState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.options;
}

// ---- memory -----------------------------------------------------------------------------------

uint64_t Driver::mem_alloc(size_t bytes) { return state().memory.alloc(bytes); }

void Driver::mem_free(uint64_t dptr) {
  DriverState& s = state();
  const std::string damage = s.memory.free(dptr);
  if (!damage.empty()) {
    std::lock_guard<std::mutex> lock(s.mu);
    throw SimError("kernel " + s.last_kernel + " wrote out of bounds: " + damage + " (found by mem_free)");
  }
}

void Driver::memcpy_htod(uint64_t dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  state().memory.check_range(dst, bytes, "memcpy_htod destination");
  std::memcpy(reinterpret_cast<void*>(dst), src, bytes);
}

void Driver::memcpy_dtoh(void* dst, uint64_t src, size_t bytes) {
  if (bytes == 0) return;
  state().memory.check_range(src, bytes, "memcpy_dtoh source");
  std::memcpy(dst, reinterpret_cast<const void*>(src), bytes);
}

void Driver::memcpy_dtod(uint64_t dst, uint64_t src, size_t bytes) {
  if (bytes == 0) return;
  state().memory.check_range(src, bytes, "memcpy_dtod source");
  state().memory.check_range(dst, bytes, "memcpy_dtod destination");
  std::memmove(reinterpret_cast<void*>(dst), reinterpret_cast<const void*>(src), bytes);
}

void Driver::memset_d8(uint64_t dst, unsigned char value, size_t bytes) {
  if (bytes == 0) return;
  state().memory.check_range(dst, bytes, "memset_d8 destination");
  std::memset(reinterpret_cast<void*>(dst), value, bytes);
}

size_t Driver::live_allocations() const { return state().memory.live_count(); }
size_t Driver::live_bytes() const { return state().memory.live_bytes(); }

// ---- modules and functions --------------------------------------------------------------------

uint64_t Driver::module_load(const std::string& name) {
  // Accept the bare name or a path to the fatbin (".../detseg_kernels.fatbin"): the simulator's
  // module is whatever was linked in, whatever file the caller would have loaded on a GPU.
  std::string stem = name.substr(name.find_last_of('/') == std::string::npos ? 0 : name.find_last_of('/') + 1);
  stem = stem.substr(0, stem.find('.'));
  if (stem != kModuleName) throw SimError("module_load: no module '" + name + "' (the simulator has detseg_kernels)");
  return kModuleHandle;
}

void Driver::module_unload(uint64_t module) { check_module(module); }

uint64_t Driver::module_get_function(uint64_t module, const std::string& kernel_name) {
  check_module(module);
  const long index = KernelRegistry::instance().find(kernel_name);
  if (index < 0) throw SimError("module_get_function: no kernel named '" + kernel_name + "' in detseg_kernels");
  return kFunctionBase + static_cast<uint64_t>(index);
}

std::string Driver::function_name(uint64_t fn) const { return KernelRegistry::instance().at(function_index(fn)).name; }

void Driver::func_set_max_dynamic_shared(uint64_t fn, int bytes) {
  const size_t index = function_index(fn);
  if (bytes < 0 || static_cast<size_t>(bytes) > kSharedOptInLimit) {
    throw SimError("kernel " + KernelRegistry::instance().at(index).name + ": func_set_max_dynamic_shared(" +
                   std::to_string(bytes) + ") is outside 0.." + std::to_string(kSharedOptInLimit));
  }
  DriverState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  if (s.max_dynamic_shared.size() <= index) s.max_dynamic_shared.resize(index + 1, 0);
  s.max_dynamic_shared[index] = static_cast<size_t>(bytes);
}

std::vector<std::string> Driver::kernel_names() const { return KernelRegistry::instance().names(); }

// ---- launch -----------------------------------------------------------------------------------

void Driver::launch(uint64_t fn, Dim3 grid, Dim3 block, unsigned dynamic_shared_bytes, void** params,
                    const std::vector<size_t>& param_sizes) {
  DriverState& s = state();
  const size_t index = function_index(fn);
  const KernelInfo& kernel = KernelRegistry::instance().at(index);
  SimOptions opt;
  size_t optin = 0;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    opt = s.options;
    optin = index < s.max_dynamic_shared.size() ? s.max_dynamic_shared[index] : 0;
    s.last_kernel = kernel.name;
  }
  check_launch(kernel, grid, block, dynamic_shared_bytes, optin, params, param_sizes);

  std::lock_guard<std::mutex> launch_lock(s.launch_mu);
  ArgumentCopy args(kernel, params);
  GridPlan plan;
  plan.kernel = &kernel;
  plan.params = args.params();
  plan.grid = grid;
  plan.block = block;
  plan.threads_per_block = uint64_t{block.x} * block.y * block.z;
  plan.total_blocks = uint64_t{grid.x} * grid.y * grid.z;
  plan.dynamic_shared = dynamic_shared_bytes;
  plan.static_shared_budget = static_shared_budget(dynamic_shared_bytes, optin);
  plan.seed = opt.seed;
  plan.poison_shared = opt.poison_shared;
  WorkerPool& pool = s.pool_for(opt.workers);

  // Stats cover every run of this call (one per schedule), including a run that failed.
  LaunchStats stats;
  auto publish = [&] {
    std::lock_guard<std::mutex> lock(s.mu);
    s.last_stats = stats;
  };
  const bool verify = opt.schedules.size() > 1;
  MemorySnapshot initial;
  MemorySnapshot reference;
  if (verify) initial = MemorySnapshot::take(s.memory);
  for (size_t run = 0; run < opt.schedules.size(); ++run) {
    plan.schedule = opt.schedules[run];
    if (run > 0) initial.restore();
    RunnerStats rs;
    try {
      std::unique_ptr<RaceChecker> race;
      if (opt.racecheck_global) race = std::make_unique<RaceChecker>(s.memory, kernel.name, grid);
      run_grid(pool, plan, race.get(), &rs);
    } catch (const SimError& e) {
      publish();
      if (!verify) throw;
      throw SimError(std::string(e.what()) + " [schedule " + schedule_name(plan.schedule) + "]");
    }
    stats.blocks += plan.total_blocks;
    stats.threads += plan.total_blocks * plan.threads_per_block;
    stats.fiber_switches += rs.fiber_switches;
    stats.barriers += rs.barriers;
    publish();
    if (opt.check_redzones) {
      const std::string damage = s.memory.check_redzones();
      if (!damage.empty()) throw SimError("kernel " + kernel.name + " wrote out of bounds: " + damage);
    }
    if (!verify) continue;
    if (run == 0) {
      reference = MemorySnapshot::take(s.memory);
    } else {
      const std::string diff = reference.first_difference_with_live();
      if (!diff.empty()) {
        throw SimError("kernel " + kernel.name + ": output depends on the thread schedule (" +
                       schedule_name(opt.schedules[0]) + " vs " + schedule_name(plan.schedule) + "): " + diff);
      }
    }
  }
}

LaunchStats Driver::last_launch_stats() const {
  DriverState& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.last_stats;
}

}  // namespace dssim
