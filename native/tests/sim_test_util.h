// Helpers for driving the simulator from tests: typed device buffers, launches by kernel name with
// checked argument sizes, and scoped simulator options.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "sim_driver.h"

namespace dstest {

inline dssim::Driver& driver() { return dssim::Driver::instance(); }

inline uint64_t function(const char* kernel) {
  return driver().module_get_function(driver().module_load("detseg_kernels"), kernel);
}

// Launches `kernel` with the given arguments, passing their sizes so the simulator checks them.
template <class... A>
void launch(const char* kernel, dssim::Dim3 grid, dssim::Dim3 block, unsigned dynamic_shared, A... args) {
  void* params[] = {static_cast<void*>(&args)..., nullptr};
  const std::vector<size_t> sizes{sizeof(A)...};
  driver().launch(function(kernel), grid, block, dynamic_shared, params, sizes);
}

// A device allocation of n elements of T. ptr() is what a kernel parameter of type T* receives.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) : n_(n), dptr_(driver().mem_alloc(n * sizeof(T))) {}
  explicit DeviceBuffer(const std::vector<T>& host) : DeviceBuffer(host.size()) { upload(host); }
  ~DeviceBuffer() {
    try {
      driver().mem_free(dptr_);
    } catch (...) {
      // A test that provoked redzone damage has already checked the error it expected.
    }
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  T* ptr() const { return reinterpret_cast<T*>(dptr_); }
  uint64_t dptr() const { return dptr_; }
  size_t size() const { return n_; }
  void upload(const std::vector<T>& host) { driver().memcpy_htod(dptr_, host.data(), n_ * sizeof(T)); }
  void fill(const T& v) { upload(std::vector<T>(n_, v)); }
  std::vector<T> download() const {
    std::vector<T> host(n_);
    driver().memcpy_dtoh(host.data(), dptr_, n_ * sizeof(T));
    return host;
  }

 private:
  size_t n_;
  uint64_t dptr_;
};

// Sets simulator options for one test and restores the previous ones afterwards.
class OptionsScope {
 public:
  explicit OptionsScope(const dssim::SimOptions& o) : saved_(driver().options()) { driver().set_options(o); }
  ~OptionsScope() { driver().set_options(saved_); }
  OptionsScope(const OptionsScope&) = delete;
  OptionsScope& operator=(const OptionsScope&) = delete;

 private:
  dssim::SimOptions saved_;
};

inline dssim::SimOptions all_schedules() {
  dssim::SimOptions o;
  o.schedules = {dssim::Schedule::Forward, dssim::Schedule::Reversed, dssim::Schedule::Shuffled};
  return o;
}

inline bool same_bits(float a, float b) { return std::memcmp(&a, &b, sizeof a) == 0; }

}  // namespace dstest
