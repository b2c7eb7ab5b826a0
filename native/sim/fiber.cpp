#include "fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <new>

namespace dssim {

namespace {
size_t page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}
}  // namespace

FiberStack::FiberStack() {
  const size_t guard = page_size();
  // MAP_NORESERVE: only the pages a fiber really touches cost memory.
  void* m = mmap(nullptr, guard + kFiberStackBytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  if (mprotect(m, guard, PROT_NONE) != 0) {
    munmap(m, guard + kFiberStackBytes);
    throw std::bad_alloc();
  }
  mapping_ = m;
  usable_ = static_cast<char*>(m) + guard;
}

FiberStack::FiberStack(FiberStack&& other) noexcept : mapping_(other.mapping_), usable_(other.usable_) {
  other.mapping_ = nullptr;
  other.usable_ = nullptr;
}

FiberStack::~FiberStack() {
  if (mapping_ != nullptr) munmap(mapping_, page_size() + kFiberStackBytes);
}

void* fiber_prepare(const FiberStack& stack, size_t stagger, FiberEntry entry, void* arg) {
  // Layout consumed by ds_sim_switch (see fiber_switch.S), top of stack T 16-byte aligned:
  //   T-8, T-16: unused     T-24: return address = ds_sim_fiber_start
  //   T-32..T-72: rbp, rbx, r12 (= arg), r13 (= entry), r14, r15
  //   T-88: MXCSR, T-84: x87 control word
  // After the final `ret`, rsp = T-16 (16-aligned) so the `call` in ds_sim_fiber_start enters
  // the entry function with the ABI's alignment.
  uintptr_t top = reinterpret_cast<uintptr_t>(stack.top()) - stagger;
  top &= ~uintptr_t{15};
  auto* slot = reinterpret_cast<uint64_t*>(top);
  slot[-1] = 0;
  slot[-2] = 0;
  slot[-3] = reinterpret_cast<uint64_t>(&ds_sim_fiber_start);
  slot[-4] = 0;                                     // rbp
  slot[-5] = 0;                                     // rbx
  slot[-6] = reinterpret_cast<uint64_t>(arg);       // r12
  slot[-7] = reinterpret_cast<uint64_t>(entry);     // r13
  slot[-8] = 0;                                     // r14
  slot[-9] = 0;                                     // r15
  const uint32_t mxcsr = 0x1f80;                    // all exceptions masked, round to nearest
  const uint16_t fpucw = 0x037f;                    // x87 default: extended precision, masked
  auto* fp = reinterpret_cast<char*>(top - 88);
  std::memcpy(fp, &mxcsr, sizeof mxcsr);
  std::memcpy(fp + 4, &fpucw, sizeof fpucw);
  return fp;
}

}  // namespace dssim
