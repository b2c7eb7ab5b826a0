// The boundary between kernel code and the simulator runtime.
//
// Kernel translation units see this through cuda_sim.h (force-included); runtime files include it
// directly. Everything a kernel does that involves other threads (barriers, warp operations,
// shared memory, atomics under racecheck) goes through the functions declared here, which are
// defined out of line in the runtime so the compiler must assume they touch memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

// CUDA's vector types for indices, in the global namespace as in CUDA.
struct uint3 {
  unsigned x, y, z;
};

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
  constexpr operator uint3() const { return uint3{x, y, z}; }
};

namespace dssim {
namespace detail {

// What kernel code may know about the running thread. The runtime's Fiber extends this.
struct ThreadView {
  uint3 thread_idx;
};

// What kernel code may know about the running block. One per worker thread: a worker runs one
// block at a time and all of that block's fibers run on it.
struct BlockView {
  uint3 block_idx;
  dim3 block_dim;
  dim3 grid_dim;
};

// __thread (not thread_local): plain TLS access, no init-wrapper call on every threadIdx read.
// Fibers never migrate between OS threads, so a fiber always sees its own worker's values.
extern __thread const ThreadView* tl_thread;
extern __thread BlockView tl_block;
// Non-null only while racecheck_global is on: the running block's set of atomically touched words.
struct AtomicLog;
extern __thread AtomicLog* tl_atomic_log;

inline const BlockView& block_view() { return tl_block; }

enum class WarpOp : uint8_t { ShflIdx, ShflUp, ShflDown, ShflXor, Ballot, Any, All, Sync, ActiveMask };
enum class BarrierKind : uint8_t { Plain, Count, And, Or };

// Parks the calling fiber at a block barrier until every thread of the block arrives at the same
// call site (file/line identify it: see README, "why not the return address"). Returns the
// count/and/or of the predicates for the _count/_and/_or variants, 0 for the plain barrier.
int block_barrier(BarrierKind kind, int predicate, const char* file, int line);

// Parks the calling fiber until every lane named in mask has reached a warp operation of the same
// kind and mask; returns this lane's result (shuffled value bits, ballot, any/all, 0 for sync).
uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int arg, int width);

// Parks until the end of the scheduler round; returns the lanes of the calling warp that reached
// this same call site (file/line) in that round, i.e. the lanes converged here (see README).
unsigned active_mask(const char* file, int line);

void* shared_static_bytes(size_t bytes, size_t align);
void* shared_dynamic_base();

void note_atomic_slow(const volatile void* addr, size_t bytes);
// Atomics call this so racecheck_global can tell atomic updates from plain stores; one predictable
// branch when the mode is off.
inline void note_atomic(const volatile void* addr, size_t bytes) {
  if (__builtin_expect(tl_atomic_log != nullptr, 0)) note_atomic_slow(addr, bytes);
}

using KernelThunk = void (*)(void (*kernel)(), void** params);
void register_kernel(const char* name, void (*kernel)(), KernelThunk thunk, const size_t* param_sizes,
                     size_t param_count);

}  // namespace detail

// DS_SHARED / DS_SHARED_DYNAMIC (kernel_api.cuh) expand to these.
template <class T>
T* shared_static(size_t count) {
  constexpr size_t align = alignof(T) > 16 ? alignof(T) : 16;
  return static_cast<T*>(detail::shared_static_bytes(count * sizeof(T), align));
}

template <class T>
T* shared_dynamic() {
  return static_cast<T*>(detail::shared_dynamic_base());
}

// DS_EXPORT_KERNEL(name) defines a static KernelRegistrar: at load time it records the kernel's
// name, a thunk that unpacks cuLaunchKernel-style params for exactly this signature, and the byte
// size of every parameter so launches can be checked against it.
class KernelRegistrar {
 public:
  template <class... A>
  KernelRegistrar(const char* name, void (*kernel)(A...)) {
    static constexpr size_t sizes[sizeof...(A) + 1] = {sizeof(A)..., 0};
    detail::register_kernel(name, reinterpret_cast<void (*)()>(kernel), &invoke<A...>, sizes, sizeof...(A));
  }

 private:
  template <class... A>
  static void invoke(void (*kernel)(), void** params) {
    call<A...>(reinterpret_cast<void (*)(A...)>(kernel), params, std::index_sequence_for<A...>{});
  }
  template <class... A, size_t... I>
  static void call(void (*kernel)(A...), void** params, std::index_sequence<I...>) {
    kernel(*static_cast<std::remove_cv_t<A>*>(params[I])...);
  }
};

}  // namespace dssim
