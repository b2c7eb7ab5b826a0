// CPU matching and sampling (docs/kernels/boxes.md): torchvision's Matcher / SSDMatcher, the balanced
// positive/negative sampler with detseg's seeded keys, and SSD hard negative mining. Selections use
// the keys of kernels/include/detseg/box_sampling.cuh and pick the same sets as the CUDA kernels.
#pragma GCC optimize("fp-contract=off")

#include <algorithm>
#include <cstring>
#include <vector>

#include "boxes_cpu.h"
#include "cpu_simd.h"
#include "detseg/box_sampling.cuh"
#include "detseg/reduce_math.cuh"

namespace detseg {
namespace cpu {
namespace {

constexpr int64_t kColsPerThread = 1 << 12;

// torch.max(dim) order: a NaN beats everything (the first NaN stays), otherwise strictly greater wins,
// so ties keep the first (smallest) index.
inline bool better(float v, float best) { return v > best || (v != v && best == best); }

// Columns [lo, hi) of quality [m, n]: best value and first best row, plus (mode 1) whether the column
// holds some row's maximum.
DS_CPU_INLINE void match_cols_body(const float* q, int64_t m, int64_t n, const float* rowmax, float* best,
                                   int32_t* arg, uint8_t* flag, int64_t lo, int64_t hi) {
  for (int64_t j = lo; j < hi; ++j) {
    best[j] = q[j];
    arg[j] = 0;
  }
  for (int64_t r = 1; r < m; ++r) {
    const float* row = q + r * n;
    for (int64_t j = lo; j < hi; ++j) {
      const float v = row[j];
      const bool b = better(v, best[j]);
      best[j] = b ? v : best[j];
      arg[j] = b ? (int32_t)r : arg[j];
    }
  }
  if (rowmax != nullptr) {
    for (int64_t j = lo; j < hi; ++j) flag[j] = 0;
    for (int64_t r = 0; r < m; ++r) {
      const float* row = q + r * n;
      const float mx = rowmax[r];
      for (int64_t j = lo; j < hi; ++j) flag[j] |= (uint8_t)(row[j] == mx);
    }
  }
}
DS_CPU_VARIANTS(void, match_cols,
                (const float* q, int64_t m, int64_t n, const float* rowmax, float* best, int32_t* arg, uint8_t* flag,
                 int64_t lo, int64_t hi),
                (q, m, n, rowmax, best, arg, flag, lo, hi))

// Keeps the k smallest of keys (key << 32 | index, so ties go to the smaller index): sets mark[i] = 1.
void mark_smallest(std::vector<uint64_t>& keys, int64_t k, uint8_t* mark) {
  if (k <= 0) return;
  if (k < (int64_t)keys.size()) {
    std::nth_element(keys.begin(), keys.begin() + (k - 1), keys.end());
  }
  const int64_t take = std::min<int64_t>(k, keys.size());
  for (int64_t t = 0; t < take; ++t) mark[(uint32_t)keys[t]] = 1;
}

}  // namespace

void match_boxes_f32(const float* quality, int64_t m, int64_t n, float high, float low, int mode, int32_t* out) {
  if (n <= 0) return;
  if (m <= 0) {
    std::fill(out, out + n, -1);
    return;
  }
  static const auto cols = DS_CPU_PICK(match_cols);
  std::vector<float> rowmax, best(n);
  std::vector<int32_t> rowarg;
  std::vector<uint8_t> flag;
  if (mode == 1 || mode == 2) {
    rowmax.resize(m);
    rowarg.resize(m);
    const int nt = detail::threads_for(m * n, kColsPerThread * 4);
#pragma omp parallel for schedule(static) num_threads(nt) if (nt > 1)
    for (int64_t r = 0; r < m; ++r) {
      const float* row = quality + r * n;
      float b = row[0];
      int32_t a = 0;
      for (int64_t j = 1; j < n; ++j) {
        if (better(row[j], b)) {
          b = row[j];
          a = (int32_t)j;
        }
      }
      rowmax[r] = b;
      rowarg[r] = a;
    }
  }
  if (mode == 1) flag.resize(n);
  const int64_t min_cols = std::max<int64_t>(16, kColsPerThread / std::max<int64_t>(m, 1));
  detail::parallel_ranges(n, min_cols, 16, [&](int64_t lo, int64_t hi) {
    cols(quality, m, n, mode == 1 ? rowmax.data() : nullptr, best.data(), out, mode == 1 ? flag.data() : nullptr, lo,
         hi);
    for (int64_t j = lo; j < hi; ++j) {
      const float v = best[j];
      int32_t r = out[j];
      if (v < low) {
        r = -1;  // BELOW_LOW_THRESHOLD
      } else if (v >= low && v < high) {
        r = -2;  // BETWEEN_THRESHOLDS
      }
      out[j] = (mode == 1 && flag[j]) ? out[j] : r;  // allow_low_quality_matches restores the argmax
    }
  });
  if (mode == 2) {  // SSDMatcher: each gt's best prediction is forced to it; the last gt wins
    for (int64_t r = 0; r < m; ++r) out[rowarg[r]] = (int32_t)r;
  }
}

// Marks the k smallest keys (ties to the smaller index) among the candidates `is_cand(i)` of a row
// whose keys are uniform 32-bit values: a first pass keeps only keys below a threshold that about
// 2k + 64 of the count candidates pass, so the selection sorts a short list; if fewer than k pass
// (vanishingly rare) it falls back to all candidates. The set is exactly the k smallest either way.
template <class IsCand>
static void mark_uniform_smallest(int64_t n, int64_t count, int64_t k, unsigned long long stream, const IsCand& is_cand,
                           uint8_t* mark) {
  if (k <= 0) return;
  if (k >= count) {
    for (int64_t i = 0; i < n; ++i) mark[i] = is_cand(i) ? 1 : 0;
    return;
  }
  const double want = 2.0 * (double)k + 64.0;
  uint64_t limit = (uint64_t)1 << 32;  // keys < limit pass
  if (want < (double)count) limit = (uint64_t)(want / (double)count * 4294967296.0) + 1;
  std::vector<uint64_t> keys;
  keys.reserve((size_t)std::min<double>((double)count, want * 1.5));
  for (int pass = 0; pass < 2; ++pass) {
    keys.clear();
    for (int64_t i = 0; i < n; ++i) {
      if (!is_cand(i)) continue;
      const uint64_t key = ds_box_rng_key(stream, (unsigned long long)i);
      if (key < limit) keys.push_back((key << 32) | (uint64_t)i);
    }
    if ((int64_t)keys.size() >= k) break;
    limit = (uint64_t)1 << 32;  // fallback: every candidate
  }
  mark_smallest(keys, k, mark);
}

void sample_pos_neg_i32(const int32_t* labels, int64_t rows, int64_t n, int64_t batch, int64_t max_pos,
                        uint64_t seed, uint8_t* pos_mask, uint8_t* neg_mask) {
  const int nt = (int)std::min<int64_t>(rows, detail::threads_for(rows * n, 1 << 14));
#pragma omp parallel for schedule(static, 1) num_threads(std::max(nt, 1)) if (nt > 1)
  for (int64_t b = 0; b < rows; ++b) {
    const int32_t* lab = labels + b * n;
    uint8_t* pm = pos_mask + b * n;
    uint8_t* nm = neg_mask + b * n;
    std::memset(pm, 0, n);
    std::memset(nm, 0, n);
    const unsigned long long stream = ds_box_rng_stream(seed, (unsigned long long)b);
    int64_t npos = 0, nneg = 0;
    for (int64_t i = 0; i < n; ++i) {
      npos += lab[i] >= 1;
      nneg += lab[i] == 0;
    }
    const int64_t num_pos = std::min<int64_t>(npos, max_pos);
    const int64_t num_neg = std::min<int64_t>(nneg, batch - num_pos);
    mark_uniform_smallest(n, npos, num_pos, stream, [&](int64_t i) { return lab[i] >= 1; }, pm);
    mark_uniform_smallest(n, nneg, num_neg, stream, [&](int64_t i) { return lab[i] == 0; }, nm);
  }
}

void hard_negative_mining_f32(const float* loss, const int32_t* labels, int64_t rows, int64_t n, float ratio,
                              uint8_t* mask, uint8_t* neg_mask) {
  const int nt = (int)std::min<int64_t>(rows, detail::threads_for(rows * n, 1 << 14));
#pragma omp parallel for schedule(static, 1) num_threads(std::max(nt, 1)) if (nt > 1)
  for (int64_t b = 0; b < rows; ++b) {
    const float* ls = loss + b * n;
    const int32_t* lab = labels + b * n;
    uint8_t* mk = mask + b * n;
    uint8_t* nm = neg_mask + b * n;
    std::memset(nm, 0, n);
    std::vector<uint64_t> neg;
    int64_t num_pos = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int32_t l = lab[i];
      num_pos += l > 0;
      mk[i] = (uint8_t)(l > 0);
      if (l == 0) neg.push_back(((uint64_t)ds_box_loss_key_desc(ls[i]) << 32) | (uint64_t)i);
    }
    mark_smallest(neg, ds_box_hnm_count(ratio, num_pos, (long long)neg.size()), nm);
    for (int64_t i = 0; i < n; ++i) mk[i] |= nm[i];
  }
}

}  // namespace cpu
}  // namespace detseg
