#include "kernel_registry.h"

#include <algorithm>

namespace dssim {

KernelRegistry& KernelRegistry::instance() {
  // Function-local static: registrars run during static initialization, in any TU order.
  static KernelRegistry registry;
  return registry;
}

void KernelRegistry::add(KernelInfo info) {
  std::lock_guard<std::mutex> lock(mu_);
  for (KernelInfo& k : kernels_) {
    if (k.name == info.name) {
      k.duplicate = true;
      return;
    }
  }
  kernels_.push_back(std::move(info));
}

long KernelRegistry::find(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < kernels_.size(); ++i) {
    if (kernels_[i].name == name) return static_cast<long>(i);
  }
  return -1;
}

const KernelInfo& KernelRegistry::at(size_t index) const {
  std::lock_guard<std::mutex> lock(mu_);
  // Elements are only appended during static initialization, so the reference stays valid.
  return kernels_.at(index);
}

size_t KernelRegistry::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return kernels_.size();
}

std::vector<std::string> KernelRegistry::names() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const KernelInfo& k : kernels_) out.push_back(k.name);
  std::sort(out.begin(), out.end());
  return out;
}

namespace detail {
void register_kernel(const char* name, void (*kernel)(), KernelThunk thunk, const size_t* param_sizes,
                     size_t param_count) {
  KernelInfo info;
  info.name = name;
  info.kernel = kernel;
  info.thunk = thunk;
  info.param_sizes.assign(param_sizes, param_sizes + param_count);
  KernelRegistry::instance().add(std::move(info));
}
}  // namespace detail

}  // namespace dssim
