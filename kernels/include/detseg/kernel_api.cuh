// The small portability layer every kernel source includes. The same .cu file is compiled by nvcc
// (into the fatbin) and by g++ for the simulator (DETSEG_SIM defined, native/sim/cuda_sim.h
// force-included), and the shared math headers are included by the CPU backend too.
#pragma once

#if defined(__CUDACC__)
  // Real CUDA: shared memory and exports are what CUDA spells them.
  #define DS_SHARED(T, name, count) __shared__ T name[count]
  #define DS_SHARED_DYNAMIC(T, name) extern __shared__ T name[]
  #define DS_EXPORT_KERNEL(name)
  #define DS_HD __host__ __device__ __forceinline__
#elif defined(DETSEG_SIM)
  // Simulator: cuda_sim.h gives every block its own poisoned shared arena, so declarations go
  // through the runtime; exports register the kernel by name so cuModuleGetFunction can find it.
  #define DS_SHARED(T, name, count) T* name = ::dssim::shared_static<T>(count)
  #define DS_SHARED_DYNAMIC(T, name) T* name = ::dssim::shared_dynamic<T>()
  #define DS_EXPORT_KERNEL(name) static ::dssim::KernelRegistrar ds_registrar_##name(#name, &name);
  #define DS_HD inline
#else
  // Plain C++ (the CPU backend) including the shared math headers.
  #define DS_HD inline
#endif
