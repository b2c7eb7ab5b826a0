// Every kernel that DS_EXPORT_KERNEL registered at load time: the simulator's one module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "sim_abi.h"

namespace dssim {

struct KernelInfo {
  std::string name;
  void (*kernel)();           // the kernel, type-erased; only `thunk` knows its signature
  detail::KernelThunk thunk;  // calls kernel with cuLaunchKernel-style params
  std::vector<size_t> param_sizes;
  bool duplicate = false;     // two kernels exported the same name: launching it is an error
};

class KernelRegistry {
 public:
  static KernelRegistry& instance();

  void add(KernelInfo info);
  // Index of the kernel called `name`, or -1.
  long find(const std::string& name) const;
  const KernelInfo& at(size_t index) const;
  size_t size() const;
  std::vector<std::string> names() const;

 private:
  mutable std::mutex mu_;
  std::vector<KernelInfo> kernels_;
};

}  // namespace dssim
