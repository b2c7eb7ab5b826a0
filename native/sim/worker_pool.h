// The persistent OS threads that run blocks. Each worker owns a BlockRunner (fiber stacks and a
// shared-memory arena) that lives as long as the thread, so launches create no threads and map no
// stacks once the pool is warm.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "block_runner.h"

namespace dssim {

class WorkerPool {
 public:
  explicit WorkerPool(unsigned workers);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(threads_.size()); }

  // Calls task(runner) on the first `participants` workers, each with its own runner, and returns
  // when all of them have returned. task must not throw. One job at a time (the driver serializes
  // launches).
  void run(unsigned participants, const std::function<void(BlockRunner&)>& task);

 private:
  void worker_main(unsigned index);

  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  uint64_t generation_ = 0;
  unsigned participants_ = 0;
  unsigned pending_ = 0;
  bool stopping_ = false;
  const std::function<void(BlockRunner&)>* task_ = nullptr;
  std::vector<std::thread> threads_;
};

}  // namespace dssim
