// The conv family's baseline x86-64 (SSE2) kernels: conv_isa_impl.inc with 4-wide vectors, no FMA.
#include <algorithm>
#include <cstdint>

#include <immintrin.h>

#include "conv_isa.h"

#define DS_CONV_ISA 0
#define DS_CONV_TABLE_FN conv_isa_scalar
#include "conv_isa_impl.inc"
