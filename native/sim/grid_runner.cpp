#include "grid_runner.h"

#include <atomic>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include "kernel_registry.h"
#include "sim_util.h"

namespace dssim {

void run_grid(WorkerPool& pool, const GridPlan& plan, RaceChecker* race, RunnerStats* stats) {
  std::vector<uint32_t> order(plan.total_blocks);
  for (uint64_t i = 0; i < plan.total_blocks; ++i) order[i] = static_cast<uint32_t>(i);
  Rng rng(mix64(plan.seed));
  shuffle_indices(order, rng);

  std::atomic<uint64_t> next{0};
  std::atomic<bool> stop{false};
  std::mutex mu;  // guards error and *stats
  std::string error;

  auto task = [&](BlockRunner& runner) {
    while (!stop.load(std::memory_order_relaxed)) {
      const uint64_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= order.size()) break;
      try {
        if (race != nullptr) race->begin_block();
        runner.run(plan, order[i]);
        if (race != nullptr) race->end_block(order[i]);
      } catch (const std::exception& e) {
        detail::tl_atomic_log = nullptr;
        std::lock_guard<std::mutex> lock(mu);
        if (error.empty()) error = e.what();
        stop.store(true);
      } catch (...) {  // the pool's tasks must not throw
        detail::tl_atomic_log = nullptr;
        std::lock_guard<std::mutex> lock(mu);
        if (error.empty()) error = "kernel " + plan.kernel->name + ": unknown exception while running a block";
        stop.store(true);
      }
    }
    const RunnerStats s = runner.take_stats();
    std::lock_guard<std::mutex> lock(mu);
    stats->fiber_switches += s.fiber_switches;
    stats->barriers += s.barriers;
  };
  const unsigned participants = race != nullptr ? 1u : pool.size();
  pool.run(participants, task);
  if (!error.empty()) throw SimError(error);
}

}  // namespace dssim
