// Fibers: mmap'd stacks and the hand-rolled context switch (fiber_switch.S), plus the
// AddressSanitizer annotations that let ASan follow execution from one stack to another.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define DSSIM_ASAN_FIBERS 1
#endif

extern "C" {
// Saves the running context's stack pointer to *save_sp and resumes the context at load_sp.
__attribute__((visibility("hidden"))) void ds_sim_switch(void** save_sp, void* load_sp);
__attribute__((visibility("hidden"))) void ds_sim_fiber_start();
}

namespace dssim {

#if defined(DS_SIM_ASAN)
constexpr size_t kFiberStackBytes = 256 * 1024;  // ASan's stack redzones need room
#else
constexpr size_t kFiberStackBytes = 64 * 1024;
#endif

// One fiber stack with a PROT_NONE guard page below it: stacks grow down, so an overflow faults
// at once instead of silently corrupting the neighbouring stack.
class FiberStack {
 public:
  FiberStack();
  ~FiberStack();
  FiberStack(FiberStack&& other) noexcept;
  FiberStack& operator=(FiberStack&&) = delete;
  FiberStack(const FiberStack&) = delete;

  char* bottom() const { return usable_; }
  size_t size() const { return kFiberStackBytes; }
  char* top() const { return usable_ + kFiberStackBytes; }

 private:
  void* mapping_ = nullptr;
  char* usable_ = nullptr;
};

using FiberEntry = void (*)(void* arg);

// Lays out a fresh frame on `stack` so that ds_sim_switch to the returned stack pointer calls
// entry(arg) with default MXCSR / x87 control words. `stagger` (bytes, a multiple of 64) offsets
// the top of stack so that the hot top frames of many fibers do not all share cache sets.
void* fiber_prepare(const FiberStack& stack, size_t stagger, FiberEntry entry, void* arg);

// ---- AddressSanitizer fiber annotations (no-ops in normal builds) ----------------------------------
inline void asan_start_switch(void** fake_stack_save, const void* bottom, size_t size) {
#if DSSIM_ASAN_FIBERS
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
#else
  (void)fake_stack_save, (void)bottom, (void)size;
#endif
}
inline void asan_finish_switch(void* fake_stack_save, const void** old_bottom, size_t* old_size) {
#if DSSIM_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(fake_stack_save, old_bottom, old_size);
#else
  (void)fake_stack_save, (void)old_bottom, (void)old_size;
#endif
}
inline void asan_poison(const volatile void* p, size_t n) {
#if DSSIM_ASAN_FIBERS
  ASAN_POISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n;
#endif
}
inline void asan_unpoison(const volatile void* p, size_t n) {
#if DSSIM_ASAN_FIBERS
  ASAN_UNPOISON_MEMORY_REGION(p, n);
#else
  (void)p, (void)n;
#endif
}

}  // namespace dssim
