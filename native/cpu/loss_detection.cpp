// CPU building blocks of the composite detector losses; same contracts as kernels/loss_detection.cu,
// shared formulas (hard-negative order key, YOLOv1 cell loss) from detseg/loss_math.cuh.
#pragma GCC optimize("fp-contract=off", "no-trapping-math")

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

#include "cpu_simd.h"
#include "detseg/loss_math.cuh"
#include "loss_ops.h"

namespace detseg {
namespace cpu {

int64_t gather_by_label_f32(const float* src, const int32_t* labels, int64_t r, int64_t c, int64_t k, float* dst) {
  int64_t bad = -1;
  for (int64_t i = 0; i < r; ++i) {
    const int32_t l = labels[i];
    const bool ok = l >= 0 && l < c;
    if (!ok && bad < 0) bad = i;
    for (int64_t j = 0; j < k; ++j) dst[i * k + j] = ok ? src[(i * c + l) * k + j] : 0.0f;
  }
  return bad;
}

void scatter_by_label_f32(const float* src, const int32_t* labels, int64_t r, int64_t c, int64_t k, float* dst) {
  detail::parallel_ranges(r, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, c * k)), 1,
                          [&](int64_t lo, int64_t hi) {
                            for (int64_t i = lo; i < hi; ++i) {
                              float* d = dst + i * c * k;
                              std::fill(d, d + c * k, 0.0f);
                              const int32_t l = labels[i];
                              if (l >= 0 && l < c) std::copy(src + i * k, src + i * k + k, d + l * k);
                            }
                          });
}

void label_masks_f32(const int32_t* labels, int64_t r, int mode, float* target, float* weight) {
  for (int64_t i = 0; i < r; ++i) {
    const int32_t l = labels[i];
    if (mode == 0) {
      weight[i] = l >= 1 ? 1.0f : 0.0f;
    } else {
      target[i] = l == 1 ? 1.0f : 0.0f;
      weight[i] = l >= 0 ? 1.0f : 0.0f;
    }
  }
}

void hard_negative_mining_f32(const float* loss, const int32_t* labels, int64_t n, int64_t a, int ratio, float* used) {
  const int nt = detail::threads_for(n * a, 1 << 14);
#pragma omp parallel num_threads(nt > 0 ? nt : 1)
  {
    std::vector<std::pair<unsigned, int64_t>> neg;
#pragma omp for schedule(static)
    for (int64_t img = 0; img < n; ++img) {
      const float* li = loss + img * a;
      const int32_t* lab = labels + img * a;
      float* out = used + img * a;
      neg.clear();
      int64_t pos = 0;
      for (int64_t i = 0; i < a; ++i) {
        out[i] = lab[i] > 0 ? 1.0f : 0.0f;
        pos += lab[i] > 0;
        if (lab[i] == 0) neg.emplace_back(ds_loss_hnm_key(li[i]), i);
      }
      const int64_t k = std::min<int64_t>((int64_t)ratio * pos, (int64_t)neg.size());
      if (k <= 0) continue;
      // Largest key first, then the lower index: the same total order as the CUDA radix select.
      auto before = [](const std::pair<unsigned, int64_t>& x, const std::pair<unsigned, int64_t>& y) {
        return x.first != y.first ? x.first > y.first : x.second < y.second;
      };
      std::nth_element(neg.begin(), neg.begin() + (k - 1), neg.end(), before);
      const auto kth = neg[k - 1];
      for (const auto& e : neg) {
        if (!before(kth, e)) out[e.second] = 1.0f;  // e is kth or ranks before it
      }
    }
  }
}

void yolo_loss_fwd_f32(const float* pred, const float* tgt, int64_t n, int grid, int nb, int nc, float lambda_coord,
                       float lambda_noobj, int iou_target, float* out_img) {
  const int cells = grid * grid;
  const int pw = 5 * nb + nc, tw = 5 + nc;
  detail::parallel_ranges(n, std::max<int64_t>(1, (1 << 12) / std::max(1, cells)), 1, [&](int64_t lo, int64_t hi) {
    for (int64_t img = lo; img < hi; ++img) {
      double acc = 0.0;
      for (int cell = 0; cell < cells; ++cell) {
        const int64_t ci = img * cells + cell;
        acc += ds_loss_yolo_cell(pred + ci * pw, tgt + ci * tw, cell / grid, cell % grid, grid, nb, nc, lambda_coord,
                                 lambda_noobj, iou_target, 0.0f, nullptr);
      }
      out_img[img] = (float)acc;
    }
  });
}

void yolo_loss_bwd_f32(const float* pred, const float* tgt, int64_t n, int grid, int nb, int nc, float lambda_coord,
                       float lambda_noobj, int iou_target, const float* grad_out, int grad_elementwise, float divisor,
                       float* grad_in) {
  const int cells = grid * grid;
  const int pw = 5 * nb + nc, tw = 5 + nc;
  detail::parallel_ranges(n * cells, 1 << 10, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t ci = lo; ci < hi; ++ci) {
      const int64_t img = ci / cells;
      const int cell = (int)(ci - img * cells);
      const float scale = grad_out[grad_elementwise ? img : 0] / divisor;
      ds_loss_yolo_cell(pred + ci * pw, tgt + ci * tw, cell / grid, cell % grid, grid, nb, nc, lambda_coord,
                        lambda_noobj, iou_target, scale, grad_in + ci * pw);
    }
  });
}

}  // namespace cpu
}  // namespace detseg
