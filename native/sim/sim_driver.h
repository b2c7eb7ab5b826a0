// The simulated CUDA driver: the C++ side of the CUDA_SIM backend. JNI (native/jni/jni_sim_driver.cpp)
// and the native tests (native/tests/) call it; it mirrors the subset of the CUDA driver API that
// the Java CudaDriver interface exposes, so the Java CUDA backend cannot tell it from JCuda.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace dssim {

// Every failure the simulator detects (bad launch, divergent barrier, redzone overwritten,
// schedule-dependent output, inter-block race, unknown kernel...) is thrown as SimError with a
// message that names the kernel.
struct SimError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class Schedule : int { Forward = 0, Reversed = 1, Shuffled = 2 };

struct SimOptions {
  int workers = 0;                 // OS threads that run blocks; 0 = hardware concurrency
  uint64_t seed = 0x5eed;          // block order shuffle and Shuffled thread schedule
  // Thread orders a launch is run under. More than one: the launch is re-run from a snapshot of
  // all device memory under each order and every allocation must come out bitwise identical.
  std::vector<Schedule> schedules{Schedule::Forward};
  bool poison_shared = true;       // fill each block's shared arena with 0xFF bytes at block start
  bool check_redzones = true;      // verify the guard bytes around every allocation after a launch
  bool racecheck_global = false;   // run blocks one by one and report words changed by two blocks
                                   // where either change was not made by an atomic
};

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

struct LaunchStats {
  uint64_t blocks = 0;
  uint64_t threads = 0;
  uint64_t fiber_switches = 0;
  uint64_t barriers = 0;
};

class Driver {
 public:
  static Driver& instance();

  void set_options(const SimOptions& options);
  SimOptions options() const;

  // Memory. Device pointers are host addresses of simulator-owned blocks.
  uint64_t mem_alloc(size_t bytes);
  void mem_free(uint64_t dptr);
  void memcpy_htod(uint64_t dst, const void* src, size_t bytes);
  void memcpy_dtoh(void* dst, uint64_t src, size_t bytes);
  void memcpy_dtod(uint64_t dst, uint64_t src, size_t bytes);
  void memset_d8(uint64_t dst, unsigned char value, size_t bytes);
  size_t live_allocations() const;
  size_t live_bytes() const;

  // Modules: the simulator's one module, "detseg_kernels", holds every kernel that registered
  // itself with DS_EXPORT_KERNEL. Handles are opaque non-zero values.
  uint64_t module_load(const std::string& name);
  void module_unload(uint64_t module);
  uint64_t module_get_function(uint64_t module, const std::string& kernel_name);
  std::string function_name(uint64_t fn) const;
  void func_set_max_dynamic_shared(uint64_t fn, int bytes);
  std::vector<std::string> kernel_names() const;

  // Launch, synchronous. params is cuLaunchKernel's kernelParams: params[i] points at argument i.
  // param_sizes (may be empty) lets the simulator check the count and byte size of each argument
  // against the kernel's signature, which real CUDA cannot.
  void launch(uint64_t fn, Dim3 grid, Dim3 block, unsigned dynamic_shared_bytes, void** params,
              const std::vector<size_t>& param_sizes);
  LaunchStats last_launch_stats() const;
  void synchronize() {}
};

}  // namespace dssim
