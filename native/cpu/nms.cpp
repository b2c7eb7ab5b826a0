// CPU greedy NMS (torchvision.ops.nms / batched_nms semantics, plus a score threshold and a cap) and
// ONNX NonMaxSuppression. Rules from kernels/include/detseg/nms_math.cuh; docs/kernels/nms.md.
//
// How one class is processed (greedy_segment):
//   1. candidates (non-NaN score, above the optional threshold) get the 32-bit descending score key
//      and are ordered by a stable LSD radix sort, so equal scores stay in index order;
//   2. the sorted boxes are gathered into structure-of-arrays (x1, y1, x2, y2, area, tag), the area
//      computed once per box;
//   3. the alive candidates are walked in blocks of kBlock. Inside a block the greedy decisions are
//      made one by one (each kept box tests the rest of the block with the vectorized IoU loop).
//      The block's kept boxes then test every later alive candidate at once: a vectorized loop over
//      candidates (unit stride, chunked to stay in L1) per kept box, and the survivors are compacted
//      in place. Suppressed boxes are never looked at again, which is where most of the speed over a
//      flag-per-box loop comes from; the walk stops as soon as nothing is alive or the cap is reached.
//   4. with many candidates, two threads share the walk without a barrier per block: a leader walks
//      the first 2/3 and publishes its kept boxes, a follower applies them to the last third as they
//      come (greedy_segment).
// The kept set and order are exactly those of the one-box-at-a-time greedy algorithm: a candidate is
// tested against every earlier kept box before it is decided.
//
// Batched NMS sorts once by score, partitions the sorted order stably by class (so each class is in
// score order), runs the classes (in parallel over classes when the work is large; a class large
// enough for the two-thread walk runs alone with it), then walks the global score order emitting the
// kept boxes. The coordinate-offset trick is not used: measured ~21x slower here (one quadratic pass
// over all boxes instead of small per-class ones) and it changes IoUs by rounding; docs/kernels/nms.md.

// No FMA contraction: the IoU must round exactly as torchvision's and the CUDA kernels' does.
#pragma GCC optimize("fp-contract=off")

#include <omp.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <utility>

#include "cpu_simd.h"
#include "detseg/nms_math.cuh"
#include "nms_ops.h"

namespace detseg {
namespace cpu {
namespace {

// Alive candidates decided one by one before the batch test of the later ones. 64 keeps the in-block
// work (<= 64 * 63 / 2 pairs) small next to the batch test while a block still has enough kept boxes
// to make the loop over the later candidates efficient.
constexpr int64_t kBlock = 64;
// Candidates per L1 chunk in the batch test: 6 arrays * 4 bytes * 1024 = 24 KiB.
constexpr int64_t kChunk = 1024;
// Threads only pay when the work is long next to waking a second thread (and, on a machine busy with
// other processes, next to libgomp's idle threads competing for the cores). Measured on the 2-core dev
// machine: one thread does ~2.5 IoU pairs per ns, so 5 000 benchmark boxes (4 M pairs) take ~2 ms
// alone; the leader/follower split starts paying from ~8 000 candidates of one class.
constexpr int64_t kMinParallelCandidates = 8192;
// The leader's share of the candidates in a parallel round (it also decides the blocks).
constexpr int64_t kLeaderShareNum = 2, kLeaderShareDen = 3;
// Classes (batched) or (batch, class) segments (ONNX) run in parallel only when the estimated pair
// work (sum of len^2 / 2) is at least this: 20 000 boxes in 80 classes is ~2.5 M pairs, ~1 ms alone.
constexpr int64_t kMinParallelPairs = int64_t(8) << 20;

struct Soa {
  float* x1;
  float* y1;
  float* x2;
  float* y2;
  float* area;
  int32_t* tag;

  Soa offset(int64_t k) const { return Soa{x1 + k, y1 + k, x2 + k, y2 + k, area + k, tag + k}; }
};

// Owns one structure-of-arrays buffer of `cap` boxes.
class SoaStore {
 public:
  explicit SoaStore(int64_t cap)
      : f_(new float[5 * std::max<int64_t>(cap, 1)]), t_(new int32_t[std::max<int64_t>(cap, 1)]), cap_(cap) {}
  Soa soa() const {
    float* f = f_.get();
    return Soa{f, f + cap_, f + 2 * cap_, f + 3 * cap_, f + 4 * cap_, t_.get()};
  }

 private:
  std::unique_ptr<float[]> f_;
  std::unique_ptr<int32_t[]> t_;
  int64_t cap_;
};

// The kept boxes of one block (at most kBlock).
struct KeptBlock {
  float x1[kBlock], y1[kBlock], x2[kBlock], y2[kBlock], area[kBlock];
  int64_t n;
};

// ---- the vectorized candidate test ----------------------------------------------------------------
// dead[j - lo] |= (some box q < nk of (kx1.., karea) suppresses candidate j), j in [lo, hi).
template <int Rule>
DS_CPU_INLINE void cross_body(const float* kx1, const float* ky1, const float* kx2, const float* ky2,
                              const float* karea, int64_t nk, Soa c, int64_t lo, int64_t hi, float thr,
                              int32_t* dead) {
  const float* __restrict__ x1 = c.x1;
  const float* __restrict__ y1 = c.y1;
  const float* __restrict__ x2 = c.x2;
  const float* __restrict__ y2 = c.y2;
  const float* __restrict__ ar = c.area;
  int32_t* __restrict__ d = dead - lo;
  for (int64_t c0 = lo; c0 < hi; c0 += kChunk) {
    const int64_t c1 = std::min(hi, c0 + kChunk);
    for (int64_t q = 0; q < nk; ++q) {
      const float ax1 = kx1[q], ay1 = ky1[q], ax2 = kx2[q], ay2 = ky2[q], aa = karea[q];
      for (int64_t j = c0; j < c1; ++j) {
        const bool s = Rule == DS_NMS_RULE_ONNX
                           ? ds_nms_onnx_suppresses(ax1, ay1, ax2, ay2, aa, x1[j], y1[j], x2[j], y2[j], ar[j], thr)
                           : ds_nms_suppresses(ax1, ay1, ax2, ay2, aa, x1[j], y1[j], x2[j], y2[j], ar[j], thr);
        d[j] |= (int32_t)s;
      }
    }
  }
}

DS_CPU_INLINE void cross_tv_body(const float* kx1, const float* ky1, const float* kx2, const float* ky2,
                                 const float* karea, int64_t nk, Soa c, int64_t lo, int64_t hi, float thr,
                                 int32_t* dead) {
  cross_body<DS_NMS_RULE_TORCHVISION>(kx1, ky1, kx2, ky2, karea, nk, c, lo, hi, thr, dead);
}
DS_CPU_INLINE void cross_onnx_body(const float* kx1, const float* ky1, const float* kx2, const float* ky2,
                                   const float* karea, int64_t nk, Soa c, int64_t lo, int64_t hi, float thr,
                                   int32_t* dead) {
  cross_body<DS_NMS_RULE_ONNX>(kx1, ky1, kx2, ky2, karea, nk, c, lo, hi, thr, dead);
}

#define DS_NMS_CROSS_PARAMS                                                                                   \
  (const float* kx1, const float* ky1, const float* kx2, const float* ky2, const float* karea, int64_t nk, \
   Soa c, int64_t lo, int64_t hi, float thr, int32_t* dead)
#define DS_NMS_CROSS_ARGS (kx1, ky1, kx2, ky2, karea, nk, c, lo, hi, thr, dead)
DS_CPU_VARIANTS(void, cross_tv, DS_NMS_CROSS_PARAMS, DS_NMS_CROSS_ARGS)
DS_CPU_VARIANTS(void, cross_onnx, DS_NMS_CROSS_PARAMS, DS_NMS_CROSS_ARGS)

typedef void (*CrossFn)(const float*, const float*, const float*, const float*, const float*, int64_t, Soa,
                        int64_t, int64_t, float, int32_t*);

CrossFn cross_fn(int rule) {
  static const CrossFn tv = DS_CPU_PICK(cross_tv);
  static const CrossFn onnx = DS_CPU_PICK(cross_onnx);
  return rule == DS_NMS_RULE_ONNX ? onnx : tv;
}

// ---- one class ------------------------------------------------------------------------------------
struct Greedy {
  CrossFn cross;
  float thr;
  int64_t max_keep;
};

// Decides candidates [0, bsz) of cur in order; appends kept tags to out (from *total) and the kept
// boxes to blk. Stops when *total reaches max_keep.
inline void resolve_block(const Greedy& g, Soa cur, int64_t bsz, KeptBlock& blk, int32_t* out, int64_t* total) {
  int32_t sup[kBlock];
  std::memset(sup, 0, sizeof(int32_t) * bsz);
  blk.n = 0;
  for (int64_t i = 0; i < bsz && *total < g.max_keep; ++i) {
    if (sup[i]) continue;
    out[(*total)++] = cur.tag[i];
    const int64_t q = blk.n++;
    blk.x1[q] = cur.x1[i];
    blk.y1[q] = cur.y1[i];
    blk.x2[q] = cur.x2[i];
    blk.y2[q] = cur.y2[i];
    blk.area[q] = cur.area[i];
    if (i + 1 < bsz) g.cross(&cur.x1[i], &cur.y1[i], &cur.x2[i], &cur.y2[i], &cur.area[i], 1, cur, i + 1, bsz, g.thr,
                             sup + i + 1);
  }
}

// Tests candidates [lo, hi) of cur against nk kept boxes, compacts the survivors in place to
// [lo, lo + survivors) (order kept) and returns their number. dead: scratch of hi - lo ints.
inline int64_t test_and_compact(const Greedy& g, const float* kx1, const float* ky1, const float* kx2,
                                const float* ky2, const float* karea, int64_t nk, Soa cur, int64_t lo, int64_t hi,
                                int32_t* dead) {
  if (lo >= hi) return 0;
  std::memset(dead, 0, sizeof(int32_t) * (hi - lo));
  g.cross(kx1, ky1, kx2, ky2, karea, nk, cur, lo, hi, g.thr, dead);
  int64_t at = lo;
  for (int64_t j = lo; j < hi; ++j) {
    if (dead[j - lo]) continue;
    cur.x1[at] = cur.x1[j];
    cur.y1[at] = cur.y1[j];
    cur.x2[at] = cur.x2[j];
    cur.y2[at] = cur.y2[j];
    cur.area[at] = cur.area[j];
    cur.tag[at] = cur.tag[j];
    ++at;
  }
  return at - lo;
}

// Kept boxes a leader thread publishes to a follower: entries [0, count) are complete (release /
// acquire); done: the leader has finished; stop: the cap is reached, the follower may quit.
struct KeptLog {
  float *x1, *y1, *x2, *y2, *area;
  std::atomic<int64_t> count{0};
  std::atomic<bool> done{false};
  std::atomic<bool> stop{false};
};

// One-at-a-time greedy over candidates [0, alive) of cur, in blocks of kBlock, compacting in place.
// Appends kept tags to out (from *total); with a log, also publishes each block's kept boxes.
void greedy_serial(const Greedy& g, Soa cur, int64_t alive, int32_t* dead, int32_t* out, int64_t* total,
                   KeptLog* log) {
  KeptBlock blk;
  int64_t published = 0;
  while (alive > 0 && *total < g.max_keep) {
    const int64_t bsz = std::min(kBlock, alive);
    resolve_block(g, cur, bsz, blk, out, total);
    if (log != nullptr) {
      for (int64_t q = 0; q < blk.n; ++q) {
        log->x1[published + q] = blk.x1[q];
        log->y1[published + q] = blk.y1[q];
        log->x2[published + q] = blk.x2[q];
        log->y2[published + q] = blk.y2[q];
        log->area[published + q] = blk.area[q];
      }
      published += blk.n;
      log->count.store(published, std::memory_order_release);
    }
    if (*total >= g.max_keep) break;
    const int64_t left = test_and_compact(g, blk.x1, blk.y1, blk.x2, blk.y2, blk.area, blk.n, cur, bsz, alive, dead);
    cur = cur.offset(bsz);
    alive = left;
  }
}

// Applies the leader's kept boxes, as they are published, to candidates [0, alive) of cur (compacted
// in place); returns the survivors once the leader is done (or 0 when it reached the cap).
int64_t follow(const Greedy& g, Soa cur, int64_t alive, int32_t* dead, KeptLog& log) {
  int64_t applied = 0;
  int spins = 0;
  for (;;) {
    if (log.stop.load(std::memory_order_acquire)) return 0;
    const bool finished = log.done.load(std::memory_order_acquire);  // read before count: then count is final
    const int64_t avail = log.count.load(std::memory_order_acquire);
    if (avail > applied) {
      alive = test_and_compact(g, log.x1 + applied, log.y1 + applied, log.x2 + applied, log.y2 + applied,
                               log.area + applied, avail - applied, cur, 0, alive, dead);
      applied = avail;
      spins = 0;
    } else if (finished) {
      return alive;
    } else if (++spins < 256) {
      __builtin_ia32_pause();
    } else {
      sched_yield();  // the leader may be descheduled on a busy machine: give it the core
    }
  }
}

// Greedy NMS over m candidates in visiting order in a (compacted in place; dead: m ints of scratch;
// log: 5 * m floats). Writes the kept tags in order to out and returns their number.
//
// With nt > 1 and enough candidates, two threads share the work without a barrier per block: the
// leader runs the one-at-a-time greedy over the first 2/3 of the candidates and publishes every
// block's kept boxes; the follower applies them, as they come, to the last third (they can only
// suppress it; nothing there can affect the leader). When the leader is done, the follower's
// survivors are the new candidate list and the split repeats. One join per round, a few rounds.
int64_t greedy_segment(const Greedy& g, Soa a, int32_t* dead, float* log_buf, int64_t m, int32_t* out, int nt) {
  int64_t total = 0;
  Soa list = a;
  int64_t alive = m;
  while (alive > 0 && total < g.max_keep) {
    if (nt <= 1 || alive < kMinParallelCandidates) {
      greedy_serial(g, list, alive, dead, out, &total, nullptr);
      break;
    }
    const int64_t split = alive * kLeaderShareNum / kLeaderShareDen;
    KeptLog log;
    log.x1 = log_buf;
    log.y1 = log_buf + m;
    log.x2 = log_buf + 2 * m;
    log.y2 = log_buf + 3 * m;
    log.area = log_buf + 4 * m;
    int64_t left = 0;
#pragma omp parallel num_threads(2)
    {
      const int t = omp_get_thread_num();
      if (t == 0) {
        greedy_serial(g, list, split, dead, out, &total, &log);
        if (total >= g.max_keep) log.stop.store(true, std::memory_order_release);
        log.done.store(true, std::memory_order_release);
        if (omp_get_num_threads() == 1) left = follow(g, list.offset(split), alive - split, dead + split, log);
      } else if (t == 1) {
        left = follow(g, list.offset(split), alive - split, dead + split, log);
      }
    }
    list = list.offset(split);
    alive = left;
  }
  return total;
}

// ---- sorting --------------------------------------------------------------------------------------
// Stable LSD radix sort of 32-bit keys carrying an int32 payload, 8-bit digits; a pass whose digit is
// the same for every key is skipped. tk / tv: scratch of n entries. The result is in (keys, vals).
void radix_sort_u32(uint32_t* keys, int32_t* vals, int64_t n, uint32_t* tk, int32_t* tv) {
  if (n <= 1) return;
  int64_t hist[4][256];
  std::memset(hist, 0, sizeof hist);
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t k = keys[i];
    ++hist[0][k & 255u];
    ++hist[1][(k >> 8) & 255u];
    ++hist[2][(k >> 16) & 255u];
    ++hist[3][k >> 24];
  }
  uint32_t *sk = keys, *dk = tk;
  int32_t *sv = vals, *dv = tv;
  for (int pass = 0; pass < 4; ++pass) {
    const int shift = 8 * pass;
    const int64_t* h = hist[pass];
    if (h[(sk[0] >> shift) & 255u] == n) continue;
    int64_t off[256];
    int64_t sum = 0;
    for (int d = 0; d < 256; ++d) {
      off[d] = sum;
      sum += h[d];
    }
    for (int64_t i = 0; i < n; ++i) {
      const int64_t p = off[(sk[i] >> shift) & 255u]++;
      dk[p] = sk[i];
      dv[p] = sv[i];
    }
    std::swap(sk, dk);
    std::swap(sv, dv);
  }
  if (sk != keys) {
    std::memcpy(keys, sk, sizeof(uint32_t) * n);
    std::memcpy(vals, sv, sizeof(int32_t) * n);
  }
}

// Candidates of scores[0, n) in visiting order: writes their indices to order, returns their count.
int64_t sorted_candidates(const float* scores, int64_t n, int use_thr, float thr, int32_t* order, uint32_t* keys,
                          uint32_t* tk, int32_t* tv) {
  int64_t m = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float s = scores[i];
    if (!ds_nms_is_candidate(s, use_thr, thr)) continue;
    keys[m] = ds_nms_desc_key(s);
    order[m] = (int32_t)i;
    ++m;
  }
  radix_sort_u32(keys, order, m, tk, tv);
  return m;
}

// Scratch for one class of up to cap candidates.
struct Scratch {
  explicit Scratch(int64_t cap)
      : a(cap), log(new float[5 * std::max<int64_t>(cap, 1)]), dead(new int32_t[std::max<int64_t>(cap, 1)]), order(new int32_t[std::max<int64_t>(cap, 1)]),
        keys(new uint32_t[std::max<int64_t>(cap, 1)]), tk(new uint32_t[std::max<int64_t>(cap, 1)]),
        tv(new int32_t[std::max<int64_t>(cap, 1)]), kept(new int32_t[std::max<int64_t>(cap, 1)]) {}
  SoaStore a;
  std::unique_ptr<float[]> log;  // greedy_segment's kept-box log
  std::unique_ptr<int32_t[]> dead, order;
  std::unique_ptr<uint32_t[]> keys, tk;
  std::unique_ptr<int32_t[]> tv, kept;
};

inline void put_box(Soa s, int64_t k, float x1, float y1, float x2, float y2, int32_t tag) {
  s.x1[k] = x1;
  s.y1[k] = y1;
  s.x2[k] = x2;
  s.y2[k] = y2;
  s.area[k] = ds_box_area(x1, y1, x2, y2);
  s.tag[k] = tag;
}

}  // namespace

int64_t nms_f32(const float* boxes, const float* scores, const int32_t* idxs, int64_t n, float iou_threshold,
                int use_score_threshold, float score_threshold, int64_t max_output, int32_t* keep) {
  const int64_t max_keep = max_output < 0 ? std::numeric_limits<int64_t>::max() : max_output;
  if (n <= 0 || max_keep == 0) return 0;
  const int nt = omp_get_max_threads();
  Scratch s(n);
  const int64_t m = sorted_candidates(scores, n, use_score_threshold, score_threshold, s.order.get(), s.keys.get(),
                                      s.tk.get(), s.tv.get());
  if (m == 0) return 0;
  const Greedy g{cross_fn(DS_NMS_RULE_TORCHVISION), iou_threshold, max_keep};
  Soa a = s.a.soa();
  const int32_t* order = s.order.get();

  if (idxs == nullptr) {
    for (int64_t r = 0; r < m; ++r) {
      const float* b = boxes + 4 * (int64_t)order[r];
      put_box(a, r, b[0], b[1], b[2], b[3], order[r]);
    }
    return greedy_segment(g, a, s.dead.get(), s.log.get(), m, keep, nt);
  }

  // Per class: partition the ranks stably by class (radix sort on the class id, sign bit flipped so
  // negative ids order correctly), so each class's ranks stay in score order.
  uint32_t* ck = s.keys.get();
  int32_t* ranks = s.kept.get();  // reused: rank payload, later the kept ranks
  for (int64_t r = 0; r < m; ++r) {
    ck[r] = (uint32_t)idxs[order[r]] ^ 0x80000000u;
    ranks[r] = (int32_t)r;
  }
  radix_sort_u32(ck, ranks, m, s.tk.get(), s.tv.get());
  for (int64_t p = 0; p < m; ++p) {
    const int32_t r = ranks[p];
    const float* b = boxes + 4 * (int64_t)order[r];
    put_box(a, p, b[0], b[1], b[2], b[3], r);
  }
  // Segments [seg_start[k], seg_start[k + 1]) of equal class.
  std::unique_ptr<int64_t[]> seg_start(new int64_t[m + 1]);
  int64_t nseg = 0;
  for (int64_t p = 0; p < m; ++p) {
    if (p == 0 || ck[p] != ck[p - 1]) seg_start[nseg++] = p;
  }
  seg_start[nseg] = m;
  std::unique_ptr<int64_t[]> seg_kept(new int64_t[nseg]);
  int32_t* kept = s.tv.get();  // kept ranks of class k at kept[seg_start[k] ...]
  int32_t* dead = s.dead.get();
  float* log = s.log.get();
  // Classes large enough for the two-thread greedy run one at a time with it; the others in parallel
  // over classes (dynamic schedule) when their total work is worth it.
  int64_t small_pairs = 0;
  for (int64_t k = 0; k < nseg; ++k) {
    const int64_t lo = seg_start[k], len = seg_start[k + 1] - lo;
    if (len >= kMinParallelCandidates) {
      seg_kept[k] = greedy_segment(g, a.offset(lo), dead + lo, log + 5 * lo, len, kept + lo, nt);
    } else {
      small_pairs += len * len / 2;
    }
  }
  const int par = small_pairs >= kMinParallelPairs ? nt : 1;
#pragma omp parallel for schedule(dynamic, 1) num_threads(par)
  for (int64_t k = 0; k < nseg; ++k) {
    const int64_t lo = seg_start[k], len = seg_start[k + 1] - lo;
    if (len < kMinParallelCandidates) {
      seg_kept[k] = greedy_segment(g, a.offset(lo), dead + lo, log + 5 * lo, len, kept + lo, 1);
    }
  }
  // Mark kept ranks, then emit them in global score order.
  uint8_t* is_kept = reinterpret_cast<uint8_t*>(s.tk.get());
  std::memset(is_kept, 0, (size_t)m);
  for (int64_t k = 0; k < nseg; ++k) {
    for (int64_t q = 0; q < seg_kept[k]; ++q) is_kept[kept[seg_start[k] + q]] = 1;
  }
  int64_t out = 0;
  for (int64_t r = 0; r < m && out < max_keep; ++r) {
    if (is_kept[r]) keep[out++] = order[r];
  }
  return out;
}

int64_t onnx_nms_f32(const float* boxes, const float* scores, int64_t batches, int64_t classes, int64_t n,
                     int center_point_box, int64_t max_per_class, float iou_threshold, int use_score_threshold,
                     float score_threshold, int32_t* triples) {
  const int64_t segs = batches * classes;
  if (n <= 0 || segs <= 0 || max_per_class <= 0) return 0;
  const int64_t cap = std::min(n, max_per_class);
  // Boxes of every batch in xyxy once (shared by the classes).
  std::unique_ptr<float[]> xyxy(new float[4 * batches * n]);
  for (int64_t i = 0; i < batches * n; ++i) {
    const float* v = boxes + 4 * i;
    const DsBox b = ds_nms_onnx_box(v[0], v[1], v[2], v[3], center_point_box);
    xyxy[4 * i] = b.x1;
    xyxy[4 * i + 1] = b.y1;
    xyxy[4 * i + 2] = b.x2;
    xyxy[4 * i + 3] = b.y2;
  }
  const Greedy g{cross_fn(DS_NMS_RULE_ONNX), iou_threshold, cap};
  const int nt = omp_get_max_threads();
  // One segment with many boxes: the parallel candidate test; otherwise segments in parallel.
  const int outer = segs > 1 && segs * (n * n / 2) >= kMinParallelPairs ? (int)std::min<int64_t>(nt, segs) : 1;
  const int inner = outer == 1 ? nt : 1;
  std::unique_ptr<std::unique_ptr<Scratch>[]> scratch(new std::unique_ptr<Scratch>[outer]);
  for (int t = 0; t < outer; ++t) scratch[t].reset(new Scratch(n));  // allocated outside the team
  std::unique_ptr<int32_t[]> seg_box(new int32_t[segs * cap]);
  std::unique_ptr<int64_t[]> seg_count(new int64_t[segs]);
#pragma omp parallel for schedule(dynamic, 1) num_threads(outer)
  for (int64_t sidx = 0; sidx < segs; ++sidx) {
    Scratch& s = *scratch[omp_get_thread_num()];
    const int64_t batch = sidx / classes;
    const int64_t m = sorted_candidates(scores + sidx * n, n, use_score_threshold, score_threshold, s.order.get(),
                                        s.keys.get(), s.tk.get(), s.tv.get());
    Soa a = s.a.soa();
    for (int64_t r = 0; r < m; ++r) {
      const float* b = xyxy.get() + 4 * (batch * n + s.order[r]);
      put_box(a, r, b[0], b[1], b[2], b[3], s.order[r]);
    }
    seg_count[sidx] = greedy_segment(g, a, s.dead.get(), s.log.get(), m, seg_box.get() + sidx * cap, inner);
  }
  int64_t out = 0;
  for (int64_t sidx = 0; sidx < segs; ++sidx) {
    for (int64_t q = 0; q < seg_count[sidx]; ++q) {
      triples[3 * out] = (int32_t)(sidx / classes);
      triples[3 * out + 1] = (int32_t)(sidx % classes);
      triples[3 * out + 2] = seg_box[sidx * cap + q];
      ++out;
    }
  }
  return out;
}

}  // namespace cpu
}  // namespace detseg
