// Host memory for tensors: small blocks from malloc, large ones from a cache of mappings.
//
// Why the cache: a JVM thread mallocs from a per-thread glibc arena whose heaps hold at most 64 MiB
// each; an op whose tensors do not fit gets a fresh heap, which is unmapped again when they are freed,
// so every call page-faults its outputs in anew (measured: conv 3x3 64->64 at 256x256, 16 MiB output,
// 26 ms per forward in a JMH loop against 20 ms with the blocks reused). Blocks of 1 MiB and up are
// therefore mmapped by us and kept after release, up to kMaxCachedBytes, for the next request of about
// the same size (PyTorch's CPU allocator gets the same effect from glibc's main arena). Blocks of
// 2 MiB and up start on a 2 MiB boundary, hinted for transparent huge pages (host_blocks.cpp: why).
#pragma once

#include <cstddef>

namespace detseg {
namespace host {

// A block of at least `bytes` bytes aligned to `alignment` (a power of two), or null.
void* allocate(size_t bytes, size_t alignment);
// Returns a block from allocate (null is ignored).
void release(void* p);
// Bytes held in the cache of released large blocks.
size_t cached_bytes();
// Unmaps every cached block.
void trim();

constexpr size_t kLargeBlock = size_t(1) << 20;
constexpr size_t kMaxCachedBytes = size_t(256) << 20;

}  // namespace host
}  // namespace detseg
