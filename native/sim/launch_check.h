// Launch validation: CUDA's limits on grid, block and shared memory, plus what real CUDA cannot
// check, the argument count and sizes against the kernel's signature.
#pragma once

#include <cstddef>
#include <vector>

#include "kernel_registry.h"
#include "sim_driver.h"

namespace dssim {

// Throws SimError naming the kernel when the launch is invalid. optin_bytes is the kernel's
// func_set_max_dynamic_shared value (0 = never set).
void check_launch(const KernelInfo& kernel, Dim3 grid, Dim3 block, size_t dynamic_shared, size_t optin_bytes,
                  void** params, const std::vector<size_t>& param_sizes);

}  // namespace dssim
