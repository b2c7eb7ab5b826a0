#include "memory_snapshot.h"

#include <cstdio>
#include <cstring>

#include "sim_util.h"

namespace dssim {

namespace {
// The 4-byte word holding the differing byte, as hex and as float (most kernel outputs are float).
std::string describe_word(const uint8_t* bytes, size_t size, size_t offset) {
  const size_t word = offset & ~size_t{3};
  char buf[64];
  if (word + 4 <= size) {
    uint32_t u;
    float f;
    std::memcpy(&u, bytes + word, 4);
    std::memcpy(&f, bytes + word, 4);
    std::snprintf(buf, sizeof buf, "0x%08x (float %g)", u, static_cast<double>(f));
  } else {
    std::snprintf(buf, sizeof buf, "byte 0x%02x", bytes[offset]);
  }
  return buf;
}
}  // namespace

MemorySnapshot MemorySnapshot::take(const DeviceMemory& memory) {
  MemorySnapshot s;
  for (const DeviceMemory::Region& r : memory.regions()) {
    const auto* p = reinterpret_cast<const uint8_t*>(r.base);
    s.copies_.push_back(Copy{r.base, std::vector<uint8_t>(p, p + r.bytes)});
  }
  return s;
}

void MemorySnapshot::restore() const {
  for (const Copy& c : copies_) std::memcpy(reinterpret_cast<void*>(c.base), c.bytes.data(), c.bytes.size());
}

std::string MemorySnapshot::first_difference_with_live() const {
  for (const Copy& c : copies_) {
    const auto* live = reinterpret_cast<const uint8_t*>(c.base);
    if (std::memcmp(live, c.bytes.data(), c.bytes.size()) == 0) continue;
    size_t off = 0;
    while (live[off] == c.bytes[off]) ++off;
    return "allocation " + format_hex(c.base) + " (" + std::to_string(c.bytes.size()) +
           " bytes) first differs at byte offset " + std::to_string(off) + ", values " +
           describe_word(c.bytes.data(), c.bytes.size(), off) + " vs " + describe_word(live, c.bytes.size(), off);
  }
  return "";
}

}  // namespace dssim
