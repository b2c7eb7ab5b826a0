#include "shared_arena.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "fiber.h"  // asan_poison / asan_unpoison

namespace dssim {

namespace {
#if defined(DS_SIM_ASAN)
constexpr size_t kRedzone = 32;
constexpr size_t kSlack = 64 * 1024;  // room for the redzones of up to 2048 declarations
#else
constexpr size_t kRedzone = 0;
constexpr size_t kSlack = 0;
#endif

size_t align_up(size_t v, size_t a) { return (v + a - 1) / a * a; }
}  // namespace

size_t static_shared_budget(size_t dynamic_bytes, size_t optin_bytes) {
  if (optin_bytes == 0) return kSharedDefaultLimit - dynamic_bytes;
  return kSharedOptInLimit - (dynamic_bytes > optin_bytes ? dynamic_bytes : optin_bytes);
}

SharedArena::SharedArena() : capacity_(kSharedOptInLimit + kSlack) {
  void* p = nullptr;
  if (posix_memalign(&p, 256, capacity_) != 0) throw std::bad_alloc();
  base_ = static_cast<char*>(p);
  asan_poison(base_, capacity_);
}

SharedArena::~SharedArena() {
  asan_unpoison(base_, capacity_);
  std::free(base_);
}

void SharedArena::begin_block(size_t dynamic_bytes, size_t static_budget, bool poison) {
  asan_poison(base_, touched_end_);
  dynamic_ = dynamic_bytes;
  budget_ = static_budget;
  poison_ = poison;
  static_used_ = 0;
  end_ = dynamic_bytes;
  touched_end_ = dynamic_bytes;
  slots_.clear();
  asan_unpoison(base_, dynamic_bytes);
  // 0xFF bytes: a float NaN and an int -1, so reading shared memory before writing it shows.
  if (poison) std::memset(base_, 0xff, dynamic_bytes);
}

void* SharedArena::allocate_static(uint32_t k, size_t bytes, size_t align, std::string* error) {
  if (k < slots_.size()) {
    if (slots_[k].bytes != bytes) {
      *error = "threads of the block declared shared memory differently (declaration #" + std::to_string(k) +
               ": " + std::to_string(slots_[k].bytes) + " vs " + std::to_string(bytes) + " bytes)";
      return nullptr;
    }
    return base_ + slots_[k].offset;
  }
  const size_t used = align_up(static_used_, align) + bytes;
  if (used > budget_) {
    *error = "shared memory overflow: " + std::to_string(dynamic_) + " bytes dynamic + " + std::to_string(used) +
             " bytes static exceed the limit of " + std::to_string(dynamic_ + budget_) +
             " bytes (48 KiB without func_set_max_dynamic_shared, 227 KiB with it)";
    return nullptr;
  }
  const size_t offset = align_up(end_ + kRedzone, align);
  if (offset + bytes > capacity_) {
    *error = "too many shared memory declarations for the simulator's arena";
    return nullptr;
  }
  static_used_ = used;
  end_ = offset + bytes;
  touched_end_ = end_;
  slots_.push_back(Slot{offset, bytes});
  asan_unpoison(base_ + offset, bytes);
  if (poison_) std::memset(base_ + offset, 0xff, bytes);
  return base_ + offset;
}

}  // namespace dssim
