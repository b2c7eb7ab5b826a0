// Host memory for tensors (host_blocks.h).
#include "host_blocks.h"

#include <sys/mman.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

namespace detseg {
namespace host {
namespace {

constexpr size_t kGranule = size_t(64) << 10;  // large sizes are rounded to 64 KiB
constexpr size_t kPage = 4096;                 // mmap's alignment; larger alignments use malloc
constexpr size_t kHugePage = size_t(2) << 20;   // x86-64's transparent huge page

struct State {
  std::mutex mu;
  std::unordered_map<void*, size_t> live;  // large blocks handed out, with their mapped size
  std::multimap<size_t, void*> cached;     // released large blocks by size
  size_t cached_bytes = 0;
};

State& state() {
  static State* s = new State();  // never destroyed: releases may come from Cleaner threads at exit
  return *s;
}

void unmap(void* p, size_t size) { munmap(p, size); }

// A fresh mapping of `size` bytes. From 2 MiB up it starts on a 2 MiB boundary and is hinted for
// transparent huge pages: a 4 KiB-aligned mapping of 2-4 MiB holds no whole huge page, and on these
// VMs (nested paging) TLB misses are dear: a 2x2 stride-2 transposed convolution's weight gradient
// ran 27 % slower, its data gradient 20 %, on 4 KiB pages than on huge ones (same process, same data).
// Only the whole 2 MiB pages inside the block can be huge, so the hint wastes no memory.
void* map_block(size_t size) {
  const int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
  if (size < kHugePage) {
    void* p = mmap(nullptr, size, prot, flags, -1, 0);
    return p == MAP_FAILED ? nullptr : p;
  }
  const size_t span = size + kHugePage - kPage;  // room to slide the start to a 2 MiB boundary
  void* raw = mmap(nullptr, span, prot, flags, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t at = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t start = (at + kHugePage - 1) & ~(uintptr_t)(kHugePage - 1);
  if (start > at) munmap(raw, start - at);
  const uintptr_t end = start + size, raw_end = at + span;
  if (raw_end > end) munmap(reinterpret_cast<void*>(end), raw_end - end);
  void* p = reinterpret_cast<void*>(start);
  madvise(p, size, MADV_HUGEPAGE);  // a hint: failure (THP off) only costs speed
  return p;
}

}  // namespace

void* allocate(size_t bytes, size_t alignment) {
  if (bytes < kLargeBlock || alignment > kPage) {
    const size_t rounded = (bytes + alignment - 1) / alignment * alignment;  // aligned_alloc wants a multiple
    return std::aligned_alloc(alignment, rounded);
  }
  const size_t size = (bytes + kGranule - 1) / kGranule * kGranule;
  State& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    // the smallest cached block that fits and wastes at most a quarter of the request
    auto it = s.cached.lower_bound(size);
    if (it != s.cached.end() && it->first <= size + size / 4) {
      void* p = it->second;
      const size_t got = it->first;
      s.cached.erase(it);
      s.cached_bytes -= got;
      s.live.emplace(p, got);
      return p;
    }
  }
  void* p = map_block(size);
  if (p == nullptr) return nullptr;
  std::lock_guard<std::mutex> lock(s.mu);
  s.live.emplace(p, size);
  return p;
}

void release(void* p) {
  if (p == nullptr) return;
  State& s = state();
  std::unique_lock<std::mutex> lock(s.mu);
  auto it = s.live.find(p);
  if (it == s.live.end()) {
    lock.unlock();
    std::free(p);
    return;
  }
  const size_t size = it->second;
  s.live.erase(it);
  s.cached.emplace(size, p);
  s.cached_bytes += size;
  // over the cap: drop the largest blocks first (the cheapest to fault in again per byte)
  while (s.cached_bytes > kMaxCachedBytes) {
    auto last = std::prev(s.cached.end());
    s.cached_bytes -= last->first;
    unmap(last->second, last->first);
    s.cached.erase(last);
  }
}

size_t cached_bytes() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  return s.cached_bytes;
}

void trim() {
  State& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  for (auto& e : s.cached) unmap(e.second, e.first);
  s.cached.clear();
  s.cached_bytes = 0;
}

}  // namespace host
}  // namespace detseg
