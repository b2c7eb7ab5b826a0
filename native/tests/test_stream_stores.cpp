// Streaming stores (cpu_stream.h) change how an output reaches memory, never what it holds: every op
// that uses them gives the same bits, and writes exactly its n elements, with them forced on as with
// them off, for lengths around the chunk size, outputs not aligned to a cache line and outputs that are
// their own input, on 1 and 2 threads. And the size rule: streamed only above the threshold. Chunk
// edges move elements between the bodies' vector lanes and scalar remainders, so this also pins those
// two to the same bits (sigmoid of a NaN once differed in sign between them).
#include <omp.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "cpu_ops.h"
#include "cpu_stream.h"
#include "harness.h"
#include "nn_ops.h"

namespace {

namespace cpu = detseg::cpu;

// out has room for `shift` floats before and 16 after the n the op writes; both margins must keep
// their sentinel.
using Op = std::function<void(float* out, int64_t n)>;

std::vector<float> run(const Op& op, int64_t n, int shift, int mode, int threads) {
  std::vector<float> out((size_t)(n + shift + 16), -12345.0f);
  const int old_mode = cpu::detail::set_stream_stores(mode);
  const int old_threads = omp_get_max_threads();
  omp_set_num_threads(threads);
  op(out.data() + shift, n);
  omp_set_num_threads(old_threads);
  cpu::detail::set_stream_stores(old_mode);
  for (int i = 0; i < shift; ++i) CHECK_EQ(out[(size_t)i], -12345.0f);
  for (int i = 0; i < 16; ++i) CHECK_EQ(out[(size_t)(n + shift + i)], -12345.0f);
  return out;
}

void check_op(const char* name, const Op& op) {
  for (int64_t n : {0L, 1L, 17L, 2047L, 2048L, 2049L, 4101L, 70001L, 300007L})
    for (int shift : {0, 1, 3, 16})
      for (int threads : {1, 2}) {
        const std::vector<float> plain = run(op, n, shift, 0, threads);
        const std::vector<float> streamed = run(op, n, shift, 2, threads);
        if (std::memcmp(plain.data(), streamed.data(), plain.size() * sizeof(float)) != 0)
          dstest::fail(__FILE__, __LINE__,
                       std::string(name) + ": streamed output differs at n=" + std::to_string(n) +
                           " shift=" + std::to_string(shift) + " threads=" + std::to_string(threads));
      }
}

}  // namespace

TEST(stream_stores_give_the_same_bits_as_normal_stores) {
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(0.0f, 3.0f);
  const size_t cap = 300007 + 32;
  std::vector<float> a(cap), b(cap);
  for (auto* v : {&a, &b})
    for (float& e : *v) e = nd(rng);
  a[7] = NAN;
  b[2100] = NAN;
  const float* pa = a.data() + 1;  // inputs not cache-line aligned either
  const float* pb = b.data();
  check_op("add", [&](float* o, int64_t n) { cpu::add_f32(pa, pb, o, n); });
  check_op("mul", [&](float* o, int64_t n) { cpu::mul_f32(pa, pb, o, n); });
  check_op("relu", [&](float* o, int64_t n) { cpu::relu_f32(pa, o, n); });
  check_op("relu_backward", [&](float* o, int64_t n) { cpu::relu_backward_f32(pb, pa, o, n); });
  check_op("fill", [&](float* o, int64_t n) { cpu::fill_f32(o, 0.25f, n); });
  check_op("max_backward", [&](float* o, int64_t n) { cpu::max_backward_f32(3.0f, pa, pa[5], 2, o, n); });
  // in place (out == the first input), as the elementwise contract allows
  check_op("relu in place", [&](float* o, int64_t n) {
    std::memcpy(o, pa, (size_t)n * sizeof(float));
    cpu::relu_f32(o, o, n);
  });
  check_op("add in place", [&](float* o, int64_t n) {
    std::memcpy(o, pa, (size_t)n * sizeof(float));
    cpu::add_f32(o, pb, o, n);
  });
  for (int act = 0; act < 4; ++act) {
    check_op("activation", [&](float* o, int64_t n) { cpu::nn::activation_f32(pa, o, n, act, 0.1f); });
    check_op("activation_backward",
             [&](float* o, int64_t n) { cpu::nn::activation_backward_f32(pb, pa, o, n, act, 0.1f); });
  }
}

TEST(stream_stores_only_above_the_threshold_by_default) {
  const int old = cpu::detail::set_stream_stores(1);
  CHECK(!cpu::detail::stream_stores_for(cpu::detail::kStreamStoreBytes));
  CHECK(cpu::detail::stream_stores_for(cpu::detail::kStreamStoreBytes + 1));
  cpu::detail::set_stream_stores(0);
  CHECK(!cpu::detail::stream_stores_for(int64_t(1) << 40));
  cpu::detail::set_stream_stores(2);
  CHECK(cpu::detail::stream_stores_for(4));
  cpu::detail::set_stream_stores(old);
}
