// The conv family's AVX2 + FMA kernels: conv_isa_impl.inc compiled for 8-wide vectors. The standard
// headers come before the target pragma so none of their inline functions is compiled for AVX2.
#include <algorithm>
#include <cstdint>

#include <immintrin.h>

#include "conv_isa.h"

#pragma GCC push_options
#pragma GCC target("avx2,fma")
#define DS_CONV_ISA 1
#define DS_CONV_TABLE_FN conv_isa_avx2
#include "conv_isa_impl.inc"
#pragma GCC pop_options
