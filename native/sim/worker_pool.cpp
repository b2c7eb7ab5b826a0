#include "worker_pool.h"

namespace dssim {

WorkerPool::WorkerPool(unsigned workers) {
  threads_.reserve(workers);
  for (unsigned i = 0; i < workers; ++i) threads_.emplace_back(&WorkerPool::worker_main, this, i);
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void WorkerPool::run(unsigned participants, const std::function<void(BlockRunner&)>& task) {
  if (participants > size()) participants = size();
  if (participants == 0) return;
  std::unique_lock<std::mutex> lock(mu_);
  task_ = &task;
  participants_ = participants;
  pending_ = participants;
  ++generation_;
  wake_.notify_all();
  done_.wait(lock, [&] { return pending_ == 0; });
  task_ = nullptr;
}

void WorkerPool::worker_main(unsigned index) {
  BlockRunner runner;  // constructed on this thread: its stacks and arena belong to it
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(BlockRunner&)>* task = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      if (index >= participants_) continue;
      task = task_;
    }
    (*task)(runner);
    std::lock_guard<std::mutex> lock(mu_);
    if (--pending_ == 0) done_.notify_one();
  }
}

}  // namespace dssim
