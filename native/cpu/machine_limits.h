// Machine-limit microbenchmarks for the benchmark harness (bench/, `detseg bench --limits`): the fp32
// FMA peak of this CPU (per instruction set, on 1 thread and on N threads) and the STREAM triad
// memory bandwidth. They measure the machine, not detseg: the harness divides op throughput by them.
#pragma once

#include <cstdint>

namespace detseg {
namespace limits {

enum class Isa : int { Avx2 = 0, Avx512 = 1 };

// True when this CPU and OS can run the instruction set (AVX2+FMA; AVX-512F).
bool supports(Isa isa);

// fp32 FMA throughput in GFLOP/s (an FMA counts 2 flops) of `threads` threads each running
// independent FMA chains held in registers. Each timed run lasts at least min_seconds; the best of
// `reps` runs is returned. Returns -1 when the instruction set is unsupported.
double fma_peak_gflops(Isa isa, int threads, double min_seconds, int reps);

// STREAM triad a[i] = b[i] + s * c[i] over float arrays of n elements each, on `threads` threads
// (static split, arrays first-touched by the thread that later streams them). Bandwidth counts
// 3 * 4 * n bytes per pass (STREAM's convention: no write-allocate traffic). Fills best and median
// GB/s over `reps` passes (after one untimed pass). Throws std::bad_alloc when the arrays do not fit.
void stream_triad(int64_t n, int threads, int reps, double* best_gbs, double* median_gbs);

// The compiler that built this library, e.g. "g++ 12.2.0".
const char* compiler();

}  // namespace limits
}  // namespace detseg
