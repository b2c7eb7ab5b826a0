#include "device_memory.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "sim_driver.h"
#include "sim_util.h"

namespace dssim {

namespace {
constexpr size_t kAlign = 256;  // cuMemAlloc's guarantee; float4 / double2 loads rely on >= 16

#if defined(DS_SIM_ASAN)
constexpr size_t kRedzone = 0;  // ASan's own redzones surround each exact-size block
#else
constexpr size_t kRedzone = 64;
#endif
constexpr size_t kHeader = kRedzone == 0 ? 0 : kAlign;  // keeps the user pointer 256-aligned

// Position-dependent, so a kernel that happens to store one constant byte value cannot match it.
inline uint8_t redzone_byte(size_t i) { return static_cast<uint8_t>(0xa5 ^ (i * 0x3b)); }

void fill_redzone(uint8_t* p, size_t first_index) {
  for (size_t i = 0; i < kRedzone; ++i) p[i] = redzone_byte(first_index + i);
}

// Number of damaged bytes and the index of the first one; repairs them.
size_t repair_redzone(uint8_t* p, size_t first_index, size_t* first_bad) {
  size_t bad = 0;
  for (size_t i = 0; i < kRedzone; ++i) {
    if (p[i] != redzone_byte(first_index + i)) {
      if (bad++ == 0) *first_bad = i;
      p[i] = redzone_byte(first_index + i);
    }
  }
  return bad;
}
}  // namespace

DeviceMemory::~DeviceMemory() {
  for (auto& entry : live_) std::free(entry.second.block);
}

uint64_t DeviceMemory::alloc(size_t bytes) {
  if (bytes == 0) throw SimError("mem_alloc: zero bytes (cuMemAlloc rejects this too)");
  void* block = nullptr;
  if (posix_memalign(&block, kAlign, kHeader + bytes + kRedzone) != 0) {
    throw SimError("mem_alloc: out of host memory for " + std::to_string(bytes) + " bytes");
  }
  uint8_t* user = static_cast<uint8_t*>(block) + kHeader;
  std::memset(user, 0xff, bytes);
  if (kRedzone != 0) {
    fill_redzone(user - kRedzone, 0);
    fill_redzone(user + bytes, kRedzone);
  }
  const uint64_t ptr = reinterpret_cast<uint64_t>(user);
  std::lock_guard<std::mutex> lock(mu_);
  live_[ptr] = Allocation{bytes, block};
  live_bytes_ += bytes;
  return ptr;
}

std::string DeviceMemory::free(uint64_t ptr) {
  Allocation a;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = live_.find(ptr);
    if (it == live_.end()) throw SimError("mem_free: " + format_hex(ptr) + " is not a live allocation");
    a = it->second;
    live_.erase(it);
    live_bytes_ -= a.bytes;
  }
  std::string damage = check_and_repair(ptr, a);
  std::free(a.block);
  return damage;
}

void DeviceMemory::check_range(uint64_t ptr, size_t bytes, const char* what) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.upper_bound(ptr);
  if (it == live_.begin() || ptr - std::prev(it)->first >= std::prev(it)->second.bytes) {
    throw SimError(std::string(what) + ": " + format_hex(ptr) + " is not inside any live allocation");
  }
  --it;
  const size_t offset = ptr - it->first, size = it->second.bytes;
  if (bytes > size - offset) {
    throw SimError(std::string(what) + ": " + std::to_string(bytes) + " bytes at offset " + std::to_string(offset) +
                   " run past the end of the allocation of " + std::to_string(size) + " bytes at " +
                   format_hex(it->first));
  }
}

size_t DeviceMemory::live_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_.size();
}

size_t DeviceMemory::live_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return live_bytes_;
}

std::vector<DeviceMemory::Region> DeviceMemory::regions() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Region> out;
  out.reserve(live_.size());
  for (const auto& entry : live_) out.push_back(Region{entry.first, entry.second.bytes});
  return out;
}

std::string DeviceMemory::check_redzones() {
  if (kRedzone == 0) return "";
  std::lock_guard<std::mutex> lock(mu_);
  std::string first;
  for (const auto& entry : live_) {
    std::string damage = check_and_repair(entry.first, entry.second);
    if (first.empty()) first = std::move(damage);
  }
  return first;
}

std::string DeviceMemory::check_and_repair(uint64_t base, const Allocation& a) {
  if (kRedzone == 0) return "";
  uint8_t* user = reinterpret_cast<uint8_t*>(base);
  size_t first_before = 0, first_after = 0;
  const size_t before = repair_redzone(user - kRedzone, 0, &first_before);
  const size_t after = repair_redzone(user + a.bytes, kRedzone, &first_after);
  const std::string allocation = "allocation of " + std::to_string(a.bytes) + " bytes at " + format_hex(base);
  std::string out;
  if (after != 0) {
    out = std::to_string(after) + " bytes after " + allocation + " (first at byte offset " +
          std::to_string(a.bytes + first_after) + ")";
  }
  if (before != 0) {
    if (!out.empty()) out += "; ";
    out += std::to_string(before) + " bytes before " + allocation + " (first at byte offset -" +
           std::to_string(kRedzone - first_before) + ")";
  }
  return out;
}

}  // namespace dssim
