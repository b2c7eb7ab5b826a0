#include "launch_check.h"

#include <cstdint>
#include <string>

#include "shared_arena.h"
#include "sim_util.h"

namespace dssim {

void check_launch(const KernelInfo& kernel, Dim3 grid, Dim3 block, size_t dynamic_shared, size_t optin_bytes,
                  void** params, const std::vector<size_t>& param_sizes) {
  const std::string k = "kernel " + kernel.name + ": ";
  if (kernel.duplicate) throw SimError(k + "two kernels were exported under this name");

  const uint64_t threads = uint64_t{block.x} * block.y * block.z;
  if (block.x == 0 || block.y == 0 || block.z == 0 || block.x > 1024 || block.y > 1024 || block.z > 64 ||
      threads > 1024) {
    throw SimError(k + "invalid block dimensions " + format_dim(block) +
                   " (each >= 1, x and y <= 1024, z <= 64, x*y*z <= 1024)");
  }
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.x > 2147483647u || grid.y > 65535 || grid.z > 65535) {
    throw SimError(k + "invalid grid dimensions " + format_dim(grid) +
                   " (each >= 1, x <= 2^31-1, y and z <= 65535)");
  }
  // The shuffled block order is an array of 32-bit block indices.
  const uint64_t blocks = uint64_t{grid.x} * grid.y * grid.z;
  if (blocks > UINT32_MAX) {
    throw SimError(k + "grid " + format_dim(grid) + " has more blocks than the simulator runs (2^32-1)");
  }

  const size_t dynamic_limit = optin_bytes != 0 ? optin_bytes : kSharedDefaultLimit;
  if (dynamic_shared > dynamic_limit) {
    throw SimError(k + std::to_string(dynamic_shared) + " bytes of dynamic shared memory exceed the limit of " +
                   std::to_string(dynamic_limit) +
                   (optin_bytes != 0 ? " set by func_set_max_dynamic_shared"
                                     : " (48 KiB; opt in with func_set_max_dynamic_shared, up to 227 KiB)"));
  }

  if (!kernel.param_sizes.empty() && params == nullptr) throw SimError(k + "params is null");
  for (size_t i = 0; i < kernel.param_sizes.size(); ++i) {
    if (params[i] == nullptr) throw SimError(k + "params[" + std::to_string(i) + "] (argument " + std::to_string(i) + ") is null");
  }
  if (param_sizes.empty()) return;
  if (param_sizes.size() != kernel.param_sizes.size()) {
    throw SimError(k + "launched with " + std::to_string(param_sizes.size()) + " arguments, but it takes " +
                   std::to_string(kernel.param_sizes.size()));
  }
  for (size_t i = 0; i < param_sizes.size(); ++i) {
    if (param_sizes[i] != kernel.param_sizes[i]) {
      throw SimError(k + "argument " + std::to_string(i) + " has " + std::to_string(param_sizes[i]) +
                     " bytes, but the kernel's parameter " + std::to_string(i) + " has " +
                     std::to_string(kernel.param_sizes[i]));
    }
  }
}

}  // namespace dssim
