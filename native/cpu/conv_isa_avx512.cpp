// The conv family's AVX-512 kernels: conv_isa_impl.inc compiled for 16-wide vectors. The standard
// headers come before the target pragma so none of their inline functions is compiled for AVX-512.
#include <algorithm>
#include <cstdint>

#include <immintrin.h>

#include "conv_isa.h"

// GCC 12 reports its own _mm512_undefined_ps() inside _mm512_shuffle_f32x4 as "may be used
// uninitialized" once the 16x16 transpose is inlined; the intrinsic's result is fully defined.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,fma")
#define DS_CONV_ISA 2
#define DS_CONV_TABLE_FN conv_isa_avx512
#include "conv_isa_impl.inc"
#pragma GCC pop_options
