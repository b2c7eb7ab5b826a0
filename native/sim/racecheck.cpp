#include "racecheck.h"

#include <cstring>

#include "sim_util.h"

namespace dssim {

namespace detail {
void note_atomic_slow(const volatile void* addr, size_t bytes) {
  const uint64_t a = reinterpret_cast<uint64_t>(addr);
  for (uint64_t w = a / 4; w <= (a + bytes - 1) / 4; ++w) tl_atomic_log->words.insert(w);
}
}  // namespace detail

RaceChecker::RaceChecker(const DeviceMemory& memory, std::string kernel, Dim3 grid)
    : kernel_(std::move(kernel)), grid_(grid) {
  for (const DeviceMemory::Region& r : memory.regions()) {
    const auto* p = reinterpret_cast<const uint8_t*>(r.base);
    shadows_.push_back(Shadow{r.base, std::vector<uint8_t>(p, p + r.bytes)});
  }
}

void RaceChecker::begin_block() {
  log_.words.clear();
  detail::tl_atomic_log = &log_;
}

void RaceChecker::end_block(uint64_t block_linear) {
  detail::tl_atomic_log = nullptr;
  constexpr size_t kChunk = 64;
  for (Shadow& s : shadows_) {
    auto* live = reinterpret_cast<uint8_t*>(s.base);
    const size_t n = s.bytes.size();
    // memcmp in chunks to skip unchanged memory quickly; words inside a changed chunk one by one.
    for (size_t chunk = 0; chunk < n; chunk += kChunk) {
      const size_t len = n - chunk < kChunk ? n - chunk : kChunk;
      if (std::memcmp(live + chunk, s.bytes.data() + chunk, len) == 0) continue;
      for (size_t off = chunk; off < chunk + len; off += 4) {
        const size_t wlen = n - off < 4 ? n - off : 4;
        if (std::memcmp(live + off, s.bytes.data() + off, wlen) != 0) record_change(s.base + off, s, block_linear);
      }
      std::memcpy(s.bytes.data() + chunk, live + chunk, len);
    }
  }
}

void RaceChecker::record_change(uint64_t word_addr, const Shadow& shadow, uint64_t block_linear) {
  const bool atomic = log_.words.count(word_addr / 4) != 0;
  auto it = writers_.find(word_addr);
  if (it == writers_.end()) {
    writers_.emplace(word_addr, Writer{block_linear, atomic});
    return;
  }
  Writer& w = it->second;
  if (w.block != block_linear && !(w.atomic && atomic)) {
    throw SimError("kernel " + kernel_ + ": inter-block race: word at allocation " + format_hex(shadow.base) +
                   " + " + std::to_string(word_addr - shadow.base) + " changed by block " + block_name(w.block) +
                   " and block " + block_name(block_linear) + " without atomics");
  }
  w.atomic = w.atomic && atomic;
}

std::string RaceChecker::block_name(uint64_t b) const {
  const uint64_t gx = grid_.x, gy = grid_.y;
  return format_index(uint3{static_cast<unsigned>(b % gx), static_cast<unsigned>(b / gx % gy),
                            static_cast<unsigned>(b / (gx * gy))});
}

}  // namespace dssim
