// The out-of-line entry points kernel code calls (declared in sim_abi.h). Being out of line is the
// point: the compiler must assume each call reads and writes any memory, so shared and global
// values are reloaded after every barrier and warp operation, as on a GPU.
#include "block_runner.h"
#include "sim_abi.h"

namespace dssim {
namespace detail {

__thread const ThreadView* tl_thread = nullptr;
__thread BlockView tl_block{};
__thread AtomicLog* tl_atomic_log = nullptr;

int block_barrier(BarrierKind kind, int predicate, const char* file, int line) {
  return BlockRunner::current().barrier(kind, predicate, file, line);
}

uint64_t warp_op(WarpOp op, unsigned mask, uint64_t value, int arg, int width) {
  return BlockRunner::current().warp_op(op, mask, value, arg, width);
}

unsigned active_mask(const char* file, int line) { return BlockRunner::current().active_mask(file, line); }

void* shared_static_bytes(size_t bytes, size_t align) { return BlockRunner::current().shared_static(bytes, align); }

void* shared_dynamic_base() { return BlockRunner::current().shared_dynamic(); }

}  // namespace detail
}  // namespace dssim
