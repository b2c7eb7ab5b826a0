// The conv family's GEMM-shaped kernels: SGEMM, conv2d forward, data gradient and weight gradient as
// implicit GEMMs. Contracts (arguments, launch shapes): docs/kernels/conv.md.
//
// One tile engine serves all four (ds_convg_mainloop): a block of 256 threads computes a 64 x 64 tile
// of C = A * B over K in steps of 16. Each thread owns a 4 x 4 register block of C (rows ty*4.., columns
// tx*4.., tx = tid % 16, ty = tid / 16), so a k step costs it two float4 shared loads for 16 FMAs.
// A and B tiles are double buffered in shared memory: while the block multiplies tile t from one
// buffer, each thread has already fetched its 4 + 4 elements of tile t+1 into registers, and stores
// them into the other buffer afterwards; one barrier per k step. Operands are only seen through a
// loader (load: global -> registers, store: registers -> shared), so the same engine runs on dense
// matrices (float4 loads when aligned) and on implicit im2col views (a gather whose pixel decoding is
// done once per thread, not per element). Every C element sums its k terms in one fixed order, so all
// results are deterministic; nothing here uses atomics.
//
// Thread -> element mappings of a loader (256 threads x 4 elements = one 64 x 16 tile):
//   "k-major"  for an operand contiguous along k: row (m or n) = tid / 4, k = (tid % 4) * 4 + i;
//   "mn-major" for an operand contiguous along m / n: k = tid / 16, m or n = (tid % 16) * 4 + i.
// Consecutive threads then read consecutive addresses in both cases (coalesced).
#include "detseg/conv_math.cuh"
#include "detseg/kernel_api.cuh"

#define DS_CONVG_BM 64
#define DS_CONVG_BN 64
#define DS_CONVG_BK 16
#define DS_CONVG_LDS 68  // shared row stride (64 + 4): float4-aligned, breaks the 4-way store bank conflicts
#define DS_CONVG_THREADS 256

DS_HD bool ds_convg_aligned16(const void* p) { return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0; }

// Writes one loader's 4 A and 4 B values into the shared tiles (As[k][m], Bs[k][n]).
__device__ __forceinline__ void ds_convg_store(float* __restrict__ as, float* __restrict__ bs, const float (&ra)[4],
                                               const float (&rb)[4], bool a_kmajor, bool b_kmajor) {
  const int tid = threadIdx.x;
  if (a_kmajor) {
    const int m = tid >> 2, k = (tid & 3) << 2;
DS_CONV_UNROLL
    for (int i = 0; i < 4; ++i) as[(k + i) * DS_CONVG_LDS + m] = ra[i];
  } else {
    const int k = tid >> 4, m = (tid & 15) << 2;
DS_CONV_UNROLL
    for (int i = 0; i < 4; ++i) as[k * DS_CONVG_LDS + m + i] = ra[i];
  }
  if (b_kmajor) {
    const int n = tid >> 2, k = (tid & 3) << 2;
DS_CONV_UNROLL
    for (int i = 0; i < 4; ++i) bs[(k + i) * DS_CONVG_LDS + n] = rb[i];
  } else {
    const int k = tid >> 4, n = (tid & 15) << 2;
DS_CONV_UNROLL
    for (int i = 0; i < 4; ++i) bs[k * DS_CONVG_LDS + n + i] = rb[i];
  }
}

// The double-buffered main loop over numK k-tiles. L provides: a_kmajor, b_kmajor (bool members) and
// load(kt, ra, rb) fetching this thread's elements of k-tile kt (zeros outside the matrices).
// acc[i][j] ends as C[ty*4 + i][tx*4 + j] of the tile. Every thread of the block must call it.
template <class L>
__device__ __forceinline__ void ds_convg_mainloop(L& ld, long long numK, float (&acc)[4][4]) {
  DS_SHARED(float, s_a, 2 * DS_CONVG_BK * DS_CONVG_LDS);
  DS_SHARED(float, s_b, 2 * DS_CONVG_BK * DS_CONVG_LDS);
  const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
DS_CONV_UNROLL
  for (int i = 0; i < 4; ++i)
DS_CONV_UNROLL
    for (int j = 0; j < 4; ++j) acc[i][j] = 0.0f;
  float ra[4], rb[4];
  if (numK > 0) {
    ld.load(0, ra, rb);
    ds_convg_store(s_a, s_b, ra, rb, ld.a_kmajor, ld.b_kmajor);
  }
  __syncthreads();
  for (long long kt = 0; kt < numK; ++kt) {
    const int cur = (int)(kt & 1);
    const bool more = kt + 1 < numK;
    if (more) ld.load(kt + 1, ra, rb);  // in flight while this tile is multiplied
    const float* __restrict__ a = s_a + cur * DS_CONVG_BK * DS_CONVG_LDS + ty * 4;
    const float* __restrict__ b = s_b + cur * DS_CONVG_BK * DS_CONVG_LDS + tx * 4;
DS_CONV_UNROLL
    for (int k = 0; k < DS_CONVG_BK; ++k) {
      const float4 av = *reinterpret_cast<const float4*>(a + k * DS_CONVG_LDS);
      const float4 bv = *reinterpret_cast<const float4*>(b + k * DS_CONVG_LDS);
      const float ai[4] = {av.x, av.y, av.z, av.w};
      const float bj[4] = {bv.x, bv.y, bv.z, bv.w};
DS_CONV_UNROLL
      for (int i = 0; i < 4; ++i)
DS_CONV_UNROLL
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(ai[i], bj[j], acc[i][j]);
    }
    if (more) {
      ds_convg_store(s_a + (cur ^ 1) * DS_CONVG_BK * DS_CONVG_LDS, s_b + (cur ^ 1) * DS_CONVG_BK * DS_CONVG_LDS, ra, rb,
                     ld.a_kmajor, ld.b_kmajor);
    }
    __syncthreads();  // the next step reads the buffer just written and overwrites the one just read
  }
}

// ---- SGEMM --------------------------------------------------------------------------------------------

// op(A) [M x K] and op(B) [K x N] of row-major matrices; the k-major mapping where the matrix is
// contiguous along k (A not transposed, B transposed), with float4 loads when aligned.
struct DsConvgDenseLoader {
  const float* __restrict__ A;
  const float* __restrict__ B;
  long long lda, ldb, M, N, K, m0, n0;
  bool a_kmajor, b_kmajor, a_vec, b_vec;

  __device__ __forceinline__ void load(long long kt, float (&ra)[4], float (&rb)[4]) const {
    const long long k0 = kt * DS_CONVG_BK;
    const int tid = threadIdx.x;
    if (a_kmajor) {  // A[m][k] at A + m*lda + k
      const long long m = m0 + (tid >> 2), k = k0 + ((tid & 3) << 2);
      load4(A, m < M, m * lda + k, K - k, a_vec, ra);
    } else {  // op(A)[m][k] = A[k][m] at A + k*lda + m
      const long long k = k0 + (tid >> 4), m = m0 + ((tid & 15) << 2);
      load4(A, k < K, k * lda + m, M - m, a_vec, ra);
    }
    if (b_kmajor) {  // op(B)[k][n] = B[n][k] at B + n*ldb + k
      const long long n = n0 + (tid >> 2), k = k0 + ((tid & 3) << 2);
      load4(B, n < N, n * ldb + k, K - k, b_vec, rb);
    } else {  // B[k][n] at B + k*ldb + n
      const long long k = k0 + (tid >> 4), n = n0 + ((tid & 15) << 2);
      load4(B, k < K, k * ldb + n, N - n, b_vec, rb);
    }
  }

  // r[i] = p[off + i] for i < avail (when ok), else 0; one float4 when all 4 exist and vec allows.
  static __device__ __forceinline__ void load4(const float* __restrict__ p, bool ok, long long off, long long avail,
                                               bool vec, float (&r)[4]) {
    if (ok && vec && avail >= 4) {
      const float4 v = __ldg(reinterpret_cast<const float4*>(p + off));
      r[0] = v.x;
      r[1] = v.y;
      r[2] = v.z;
      r[3] = v.w;
    } else {
DS_CONV_UNROLL
      for (int i = 0; i < 4; ++i) r[i] = (ok && i < avail) ? __ldg(p + off + i) : 0.0f;
    }
  }
};

// Bound: compute (2*64*64*16 flops per 2 x 1024 loaded floats per k step). Block 256 = 16 x 16 threads of
// 4 x 4 outputs: a 64 x 64 C tile per block; grid (ceil(N/64), min(ceil(M/64), 65535)), the M tiles
// grid-striding so any M works. C = alpha * op(A) op(B) + beta * C; beta == 0 never reads C.
extern "C" __global__ void __launch_bounds__(DS_CONVG_THREADS, 2)
    ds_conv_sgemm_f32(int trans_a, int trans_b, long long M, long long N, long long K, float alpha,
                      const float* __restrict__ A, long long lda, const float* __restrict__ B, long long ldb, float beta,
                      float* __restrict__ C, long long ldc) {
  const long long tiles_m = (M + DS_CONVG_BM - 1) / DS_CONVG_BM;
  const int tx = threadIdx.x & 15, ty = threadIdx.x >> 4;
  for (long long tm = blockIdx.y; tm < tiles_m; tm += gridDim.y) {
    DsConvgDenseLoader ld;
    ld.A = A;
    ld.B = B;
    ld.lda = lda;
    ld.ldb = ldb;
    ld.M = M;
    ld.N = N;
    ld.K = K;
    ld.m0 = tm * DS_CONVG_BM;
    ld.n0 = (long long)blockIdx.x * DS_CONVG_BN;
    ld.a_kmajor = !trans_a;
    ld.b_kmajor = trans_b != 0;
    ld.a_vec = ds_convg_aligned16(A) && (lda & 3) == 0;
    ld.b_vec = ds_convg_aligned16(B) && (ldb & 3) == 0;
    float acc[4][4];
    ds_convg_mainloop(ld, (K + DS_CONVG_BK - 1) / DS_CONVG_BK, acc);
DS_CONV_UNROLL
    for (int i = 0; i < 4; ++i) {
      const long long m = ld.m0 + ty * 4 + i;
      if (m >= M) continue;
DS_CONV_UNROLL
      for (int j = 0; j < 4; ++j) {
        const long long n = ld.n0 + tx * 4 + j;
        if (n >= N) continue;
        float* c = C + m * ldc + n;
        *c = beta == 0.0f ? alpha * acc[i][j] : fmaf(beta, *c, alpha * acc[i][j]);
      }
    }
  }
}
DS_EXPORT_KERNEL(ds_conv_sgemm_f32)

// ---- forward ---------------------------------------------------------------------------------------------

// Y_g [Cout/g x (n*Ho*Wo)] = W_g [Cout/g x K] * col [K x (n*Ho*Wo)], K = Cin/g*kh*kw. A (weights) is
// k-major dense; B is the implicit im2col, mn-major: a thread's 4 columns (output pixels) are fixed for
// the whole k loop, so their (image, iy0, ix0) are decoded once; per k tile it decodes one k into
// (channel, ky, kx) and gathers 4 pixels (consecutive along x: coalesced for stride 1).
struct DsConvgFwdLoader {
  const float* __restrict__ w;  // this group's [Cout/g x K]
  long long M, m0, plane;
  int K, kernel_area, kw, dh, dw, h, wdt;  // K < 2^31 and every spatial size < 2^31 (CudaConvKernels checks)
  bool a_kmajor, b_kmajor, a_vec;
  const float* __restrict__ xcol[4];  // this thread's pixel columns: x of (image, group) or null
  int iy0[4], ix0[4];

  __device__ __forceinline__ void load(long long kt, float (&ra)[4], float (&rb)[4]) const {
    const int k0 = (int)kt * DS_CONVG_BK;
    const int tid = threadIdx.x;
    {
      const long long m = m0 + (tid >> 2);
      const int k = k0 + ((tid & 3) << 2);
      DsConvgDenseLoader::load4(w, m < M, m * K + k, K - k, a_vec, ra);
    }
    const int k = k0 + (tid >> 4);
    if (k < K) {
      const int c = k / kernel_area, r = k - c * kernel_area;
      const int ky = r / kw, kx = r - ky * kw;
      const float* __restrict__ xc = nullptr;
      DS_CONV_UNROLL
      for (int i = 0; i < 4; ++i) {
        const int iy = iy0[i] + ky * dh, ix = ix0[i] + kx * dw;
        xc = xcol[i];
        rb[i] = (xc != nullptr && iy >= 0 && iy < h && ix >= 0 && ix < wdt)
                    ? __ldg(xc + c * plane + (long long)iy * wdt + ix) : 0.0f;
      }
    } else {
      DS_CONV_UNROLL
      for (int i = 0; i < 4; ++i) rb[i] = 0.0f;
    }
  }
};

// Bound: compute for the usual layer shapes (K = Cin*kh*kw in the hundreds; the im2col gather hits L1/L2).
// Block 256 (64 x 64 tile of output channels x output pixels of the whole batch, 4 x 4 per thread);
// grid (ceil(n*Ho*Wo/64), min(ceil((Cout/g)/64), 65535), groups), channel tiles grid-striding.
extern "C" __global__ void __launch_bounds__(DS_CONVG_THREADS, 2)
    ds_conv_fwd_f32(DS_CONV_GEOM_PARAMS, const float* __restrict__ x, const float* __restrict__ w,
                    const float* __restrict__ bias, float* __restrict__ y) {
  const DsConvGeom g = DS_CONV_GEOM_MAKE;
  const long long cig = g.c_in / g.groups, cog = g.c_out / g.groups;
  const long long K = cig * g.kh * g.kw, P = g.h_out * g.w_out, NP = g.n * P;
  const long long gr = blockIdx.z;
  const long long n0 = (long long)blockIdx.x * DS_CONVG_BN;
  const long long tiles_m = (cog + DS_CONVG_BM - 1) / DS_CONVG_BM;
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  DsConvgFwdLoader ld;
  ld.w = w + gr * cog * K;
  ld.M = cog;
  ld.K = (int)K;
  ld.kernel_area = (int)(g.kh * g.kw);
  ld.kw = (int)g.kw;
  ld.dh = (int)g.dh;
  ld.dw = (int)g.dw;
  ld.h = (int)g.h;
  ld.wdt = (int)g.w;
  ld.plane = g.h * g.w;
  ld.a_kmajor = true;
  ld.b_kmajor = false;
  ld.a_vec = ds_convg_aligned16(w) && (K & 3) == 0 && ((gr * cog * K) & 3) == 0;
DS_CONV_UNROLL
  for (int i = 0; i < 4; ++i) {
    const long long col = n0 + ((tid & 15) << 2) + i;
    if (col < NP) {
      const long long b = col / P, p = col - b * P, oy = p / g.w_out, ox = p - oy * g.w_out;
      ld.xcol[i] = x + (b * g.c_in + gr * cig) * g.h * g.w;
      ld.iy0[i] = (int)(oy * g.sh - g.ph);
      ld.ix0[i] = (int)(ox * g.sw - g.pw);
    } else {
      ld.xcol[i] = nullptr;
      ld.iy0[i] = 0;
      ld.ix0[i] = 0;
    }
  }
  // this thread's output columns, decoded once
  float* yrow[4];
DS_CONV_UNROLL
  for (int j = 0; j < 4; ++j) {
    const long long col = n0 + tx * 4 + j;
    if (col < NP) {
      const long long b = col / P, p = col - b * P;
      yrow[j] = y + (b * g.c_out + gr * cog) * P + p;
    } else {
      yrow[j] = nullptr;
    }
  }
  for (long long tm = blockIdx.y; tm < tiles_m; tm += gridDim.y) {
    ld.m0 = tm * DS_CONVG_BM;
    float acc[4][4];
    ds_convg_mainloop(ld, (K + DS_CONVG_BK - 1) / DS_CONVG_BK, acc);
DS_CONV_UNROLL
    for (int i = 0; i < 4; ++i) {
      const long long m = ld.m0 + ty * 4 + i;
      if (m >= cog) continue;
      const float bv = bias != nullptr ? __ldg(bias + gr * cog + m) : 0.0f;
DS_CONV_UNROLL
      for (int j = 0; j < 4; ++j) {
        if (yrow[j] != nullptr) yrow[j][m * P] = acc[i][j] + bv;
      }
    }
  }
}
DS_EXPORT_KERNEL(ds_conv_fwd_f32)

// ---- data gradient (and conv_transpose2d forward) ------------------------------------------------------

// One stride phase (ry, rx) of one group (conv_math.cuh): dX_phase [Cin/g x (n*Th*Tw)] =
// Wt [Cin/g x (Cout/g * taps)] * shift(dy). The taps of the phase are the progressions
// ky0 + jy*ystep (jy < nky), kx0 + jx*xstep (jx < nkx); k = (co, jy, jx). A gathers weights (small,
// cached); B reads dy at fixed per-tap offsets from the phase point, 4 consecutive points per thread.
struct DsConvgDataLoader {
  const float* __restrict__ w;  // weight of this group's first output channel: w[co][ci][ky][kx]
  long long M, m0, out_plane;
  int K, taps, nkx, ky0, kx0, ystep, xstep, ry, rx, ph, pw, sh, sw, dh, dw;  // all < 2^31 (checked in Java)
  int cig_area, kernel_area, kw, ho, wo;
  bool a_kmajor, b_kmajor;
  const float* __restrict__ dycol[4];  // dy of (image, group) for this thread's points, or null
  int t[4], u[4];

  __device__ __forceinline__ void load(long long kt, float (&ra)[4], float (&rb)[4]) const {
    const int k0 = (int)kt * DS_CONVG_BK;
    const int tid = threadIdx.x;
    {
      const long long m = m0 + (tid >> 2);
      const int kb = k0 + ((tid & 3) << 2);
      DS_CONV_UNROLL
      for (int i = 0; i < 4; ++i) {
        const int k = kb + i;
        float v = 0.0f;
        if (m < M && k < K) {
          const int co = k / taps, j = k - co * taps, jy = j / nkx, jx = j - jy * nkx;
          const int ky = ky0 + jy * ystep, kx = kx0 + jx * xstep;
          v = __ldg(w + (long long)co * cig_area + m * kernel_area + ky * kw + kx);
        }
        ra[i] = v;
      }
    }
    const int k = k0 + (tid >> 4);
    if (k < K) {
      const int co = k / taps, j = k - co * taps, jy = j / nkx, jx = j - jy * nkx;
      const int ky = ky0 + jy * ystep, kx = kx0 + jx * xstep;
      const int oy_off = (ry + ph - ky * dh) / sh;  // ds_conv_phase_offset, exact for a tap of the phase
      const int ox_off = (rx + pw - kx * dw) / sw;
      DS_CONV_UNROLL
      for (int i = 0; i < 4; ++i) {
        const int oy = t[i] + oy_off, ox = u[i] + ox_off;
        rb[i] = (dycol[i] != nullptr && oy >= 0 && oy < ho && ox >= 0 && ox < wo)
                    ? __ldg(dycol[i] + co * out_plane + (long long)oy * wo + ox) : 0.0f;
      }
    } else {
      DS_CONV_UNROLL
      for (int i = 0; i < 4; ++i) rb[i] = 0.0f;
    }
  }
};

// Bound: compute for wide layers, the dy gather coming from L1/L2. Block 256 (64 input channels x 64
// phase points of the batch, 4 x 4 per thread); grid (ceil(n*ceil(h/sh)*ceil(w/sw)/64),
// min(ceil((Cin/g)/64), 65535), groups*sh*sw): one z per (group, phase), so no tap is ever zero and
// no input point is written twice (a gather: no atomics).
extern "C" __global__ void __launch_bounds__(DS_CONVG_THREADS, 2)
    ds_conv_bwd_data_f32(DS_CONV_GEOM_PARAMS, const float* __restrict__ dy, const float* __restrict__ w,
                         float* __restrict__ dx) {
  const DsConvGeom g = DS_CONV_GEOM_MAKE;
  const long long cig = g.c_in / g.groups, cog = g.c_out / g.groups;
  const long long phases = g.sh * g.sw;
  const long long gr = blockIdx.z / phases, phase = blockIdx.z - gr * phases;
  const long long ry = phase / g.sw, rx = phase - ry * g.sw;
  const long long th = ds_conv_phase_len(g.h, ry, g.sh), tw = ds_conv_phase_len(g.w, rx, g.sw);
  const long long NP = g.n * th * tw;
  const long long n0 = (long long)blockIdx.x * DS_CONVG_BN;
  // Whole block leaves together (uniform): a phase smaller than this column tile has nothing here.
  if (n0 >= NP) return;
  const DsConvPhaseTaps ty_taps = ds_conv_phase_taps(ry, g.ph, g.kh, g.sh, g.dh);
  const DsConvPhaseTaps tx_taps = ds_conv_phase_taps(rx, g.pw, g.kw, g.sw, g.dw);
  const long long taps = ty_taps.count * tx_taps.count;
  const long long K = cog * taps;
  const long long tiles_m = (cig + DS_CONVG_BM - 1) / DS_CONVG_BM;
  const long long out_plane = g.h_out * g.w_out, in_plane = g.h * g.w;
  const int tid = threadIdx.x, tx = tid & 15, tyy = tid >> 4;
  DsConvgDataLoader ld;
  ld.w = w + gr * cog * cig * g.kh * g.kw;
  ld.M = cig;
  ld.K = (int)K;
  ld.taps = taps > 0 ? (int)taps : 1;
  ld.nkx = tx_taps.count > 0 ? (int)tx_taps.count : 1;
  ld.ky0 = (int)ty_taps.ky0;
  ld.kx0 = (int)tx_taps.ky0;
  ld.ystep = (int)ty_taps.step;
  ld.xstep = (int)tx_taps.step;
  ld.ry = (int)ry;
  ld.rx = (int)rx;
  ld.ph = (int)g.ph;
  ld.pw = (int)g.pw;
  ld.sh = (int)g.sh;
  ld.sw = (int)g.sw;
  ld.dh = (int)g.dh;
  ld.dw = (int)g.dw;
  ld.cig_area = (int)(cig * g.kh * g.kw);
  ld.kernel_area = (int)(g.kh * g.kw);
  ld.kw = (int)g.kw;
  ld.ho = (int)g.h_out;
  ld.wo = (int)g.w_out;
  ld.out_plane = out_plane;
  ld.a_kmajor = true;
  ld.b_kmajor = false;
  const long long tp = th * tw;
DS_CONV_UNROLL
  for (int i = 0; i < 4; ++i) {
    const long long col = n0 + ((tid & 15) << 2) + i;
    if (col < NP) {
      const long long b = col / tp, q = col - b * tp, t = q / tw;
      ld.dycol[i] = dy + (b * g.c_out + gr * cog) * out_plane;
      ld.t[i] = (int)t;
      ld.u[i] = (int)(q - t * tw);
    } else {
      ld.dycol[i] = nullptr;
      ld.t[i] = 0;
      ld.u[i] = 0;
    }
  }
  float* xrow[4];
DS_CONV_UNROLL
  for (int j = 0; j < 4; ++j) {
    const long long col = n0 + tx * 4 + j;
    if (col < NP) {
      const long long b = col / tp, q = col - b * tp, t = q / tw, u = q - t * tw;
      xrow[j] = dx + (b * g.c_in + gr * cig) * in_plane + (ry + t * g.sh) * g.w + (rx + u * g.sw);
    } else {
      xrow[j] = nullptr;
    }
  }
  for (long long tm = blockIdx.y; tm < tiles_m; tm += gridDim.y) {
    ld.m0 = tm * DS_CONVG_BM;
    float acc[4][4];
    ds_convg_mainloop(ld, (K + DS_CONVG_BK - 1) / DS_CONVG_BK, acc);
DS_CONV_UNROLL
    for (int i = 0; i < 4; ++i) {
      const long long m = ld.m0 + tyy * 4 + i;
      if (m >= cig) continue;
DS_CONV_UNROLL
      for (int j = 0; j < 4; ++j) {
        if (xrow[j] != nullptr) xrow[j][m * in_plane] = acc[i][j];
      }
    }
  }
}
DS_EXPORT_KERNEL(ds_conv_bwd_data_f32)

// ---- weight gradient ---------------------------------------------------------------------------------------

// dW_g [Cout/g x K] = dY_g [Cout/g x R] * col^T [R x K] over R = n*Ho*Wo output pixels (the reduction).
// A (dy) is k-major: 4 consecutive pixels per thread; B (col^T) is k-major too: the thread's column
// (channel, ky, kx) is fixed and decoded once, its 4 consecutive pixels decoded per k tile.
struct DsConvgWeightLoader {
  const float* __restrict__ dy;  // dy + group's first channel plane of image 0
  const float* __restrict__ x;   // x + group's first channel plane of image 0
  long long M, N, r_end, r_begin, m0, P, wo, sh, sw, dy_image, x_image, h, wdt;
  bool a_kmajor, b_kmajor;
  long long b_col_off, b_dy, b_dx;  // column's channel offset and tap offsets (ky*dh - ph, kx*dw - pw)
  bool b_col_ok;

  __device__ __forceinline__ void load(long long kt, float (&ra)[4], float (&rb)[4]) const {
    const int tid = threadIdx.x;
    const long long r = r_begin + kt * DS_CONVG_BK + ((tid & 3) << 2);
    const long long m = m0 + (tid >> 2);
    // decode the first of 4 consecutive pixels, then step (wrapping rows and images)
    long long b = r / P, p = r - b * P;
    long long oy = p / wo, ox = p - oy * wo;
DS_CONV_UNROLL
    for (int i = 0; i < 4; ++i) {
      const bool ok = r + i < r_end;
      ra[i] = (ok && m < M) ? __ldg(dy + b * dy_image + m * P + p) : 0.0f;
      float v = 0.0f;
      if (ok && b_col_ok) {
        const long long iy = oy * sh + b_dy, ix = ox * sw + b_dx;
        if (iy >= 0 && iy < h && ix >= 0 && ix < wdt) v = __ldg(x + b * x_image + b_col_off + iy * wdt + ix);
      }
      rb[i] = v;
      ++p;
      if (++ox == wo) {
        ox = 0;
        ++oy;
      }
      if (p == P) {
        p = 0;
        oy = 0;
        ox = 0;
        ++b;
      }
    }
  }
};

// Bound: compute; the reduction over n*Ho*Wo is long, so it is split: z = group * splits + split, each
// split reducing a contiguous range of pixels (a multiple of 16) for the whole 64 x 64 tile and writing
// it to its own slice of partial (or straight to dw when splits == 1); ds_conv_sum_splits_f32 then adds
// the slices in split order: deterministic, no atomics. Block 256 (4 x 4 per thread); grid
// (ceil(K/64), min(ceil((Cout/g)/64), 65535), groups*splits).
extern "C" __global__ void __launch_bounds__(DS_CONVG_THREADS, 2)
    ds_conv_bwd_weight_f32(DS_CONV_GEOM_PARAMS, const float* __restrict__ x, const float* __restrict__ dy, int splits,
                           long long split_len, float* __restrict__ out) {
  const DsConvGeom g = DS_CONV_GEOM_MAKE;
  const long long cig = g.c_in / g.groups, cog = g.c_out / g.groups;
  const long long area = g.kh * g.kw, K = cig * area, P = g.h_out * g.w_out, R = g.n * P;
  const long long gr = blockIdx.z / splits, split = blockIdx.z - gr * splits;
  const long long r_begin = split * split_len;
  const long long r_end = r_begin + split_len < R ? r_begin + split_len : R;
  const long long n0 = (long long)blockIdx.x * DS_CONVG_BN;
  const long long tiles_m = (cog + DS_CONVG_BM - 1) / DS_CONVG_BM;
  const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
  DsConvgWeightLoader ld;
  ld.dy = dy + gr * cog * P;
  ld.x = x + gr * cig * g.h * g.w;
  ld.M = cog;
  ld.N = K;
  ld.r_begin = r_begin;
  ld.r_end = r_end;
  ld.P = P;
  ld.wo = g.w_out;
  ld.sh = g.sh;
  ld.sw = g.sw;
  ld.dy_image = g.c_out * P;
  ld.x_image = g.c_in * g.h * g.w;
  ld.h = g.h;
  ld.wdt = g.w;
  ld.a_kmajor = true;
  ld.b_kmajor = true;
  {
    const long long col = n0 + (tid >> 2);
    ld.b_col_ok = col < K;
    const long long c = ld.b_col_ok ? col / area : 0, rr = ld.b_col_ok ? col - c * area : 0;
    const long long ky = rr / g.kw, kx = rr - ky * g.kw;
    ld.b_col_off = c * g.h * g.w;
    ld.b_dy = ky * g.dh - g.ph;
    ld.b_dx = kx * g.dw - g.pw;
  }
  float* dst = out + (split * g.groups + gr) * cog * K;  // this split's slice (the result when splits == 1)
  const long long numK = r_end > r_begin ? (r_end - r_begin + DS_CONVG_BK - 1) / DS_CONVG_BK : 0;
  for (long long tm = blockIdx.y; tm < tiles_m; tm += gridDim.y) {
    ld.m0 = tm * DS_CONVG_BM;
    float acc[4][4];
    ds_convg_mainloop(ld, numK, acc);
DS_CONV_UNROLL
    for (int i = 0; i < 4; ++i) {
      const long long m = ld.m0 + ty * 4 + i;
      if (m >= cog) continue;
DS_CONV_UNROLL
      for (int j = 0; j < 4; ++j) {
        const long long n = n0 + tx * 4 + j;
        if (n < K) dst[m * K + n] = acc[i][j];
      }
    }
  }
}
DS_EXPORT_KERNEL(ds_conv_bwd_weight_f32)
