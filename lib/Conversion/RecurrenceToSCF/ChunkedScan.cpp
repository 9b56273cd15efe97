//===- ChunkedScan.cpp - Chunked schedules of a scan ----------------------===//
//
// The chunked-fused schedule (prism-math.md section 5): one program per
// (batch, head, V-tile) walks the chunks of C tokens in order and keeps its
// V-tile x K block of the state in registers. Per chunk, with G the in-chunk
// cumulative log decay (per key channel for the diagonal family):
//
//   P_l    = (Q K_l^T) o e^{G_i - G_j} o [j <= i]               (C x C)
//   O      = scale * ((Q o e^{G_i}) S^T + sum_l P_l D_l)         (C x Vt)
//   S     <- S o e^{G_end} + sum_l D_l^T (K_l o e^{G_end - G_j})  (Vt x K)
//
// where D_l holds the injection values beta_l delta_l (refined in-kernel when
// the write path is a refinement). Every exponent is a difference of
// cumulative log decays that is never positive; for the diagonal family the
// off-diagonal 16 x 16 blocks of P are products of operands rescaled to the
// end of the key block, and the diagonal blocks are summed directly.
//
// The delta forget (optionally gated) becomes the same computation with one
// more, virtual, injection: key w_t and value x_t = -beta_t e^{g_t} S_{t-1}
// w_t, whose values a blocked triangular solve produces per chunk (see "The
// delta forget" below).
//
// The kernel is written once as a block of `warps` x 32 lanes running phases
// separated by barriers. Operands of the matrix products live in a shared
// scratch buffer, accumulators in per-lane register files, and each product
// is a sequence of m16n8k16 tiles with the fragment ownership of mma.sync.
// On the GPU the lanes are the threads of a block, a phase ends with a
// barrier, the scratch is dynamic shared memory and 16-bit tiles are loaded
// by ldmatrix (.trans for operands stored reduction index first) and
// multiplied by nvvm.mma.sync. On the CPU the lanes of a phase are a loop
// and each tile is the same fragment computed with scalar fused
// multiply-adds (its operands rounded exactly as the tensor cores see them),
// so CPU tests check the very index algebra the GPU runs.
//
//===----------------------------------------------------------------------===//

#include "prism/Conversion/ChunkedScan.h"
#include "Emitter.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

#include <functional>

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;
using namespace prism::lowering;

namespace {

/// Element type of the matrix-product operands: the inputs' 16-bit type when
/// all of them share it (tensor cores), else f32 (exact fused multiply-adds).
Type operandType(RecurrenceInfo &info) {
  SmallVector<Value> inputs = {info.query};
  inputs.append(info.keys.begin(), info.keys.end());
  if (info.refine) {
    inputs.push_back(info.refine.getAnchor());
    inputs.push_back(info.refine.getValue());
    for (Value p : info.refine.getGains())
      inputs.push_back(p);
  } else {
    inputs.append(info.values.begin(), info.values.end());
  }
  Type common;
  for (Value v : inputs) {
    Type elem = cast<ShapedType>(v.getType()).getElementType();
    if (!common)
      common = elem;
    else if (common != elem)
      return Float32Type::get(v.getContext());
  }
  return common.isF16() || common.isBF16()
             ? common
             : Float32Type::get(info.query.getContext());
}

/// Row padding of a scratch tile, in elements: 16 bytes, so that rows start
/// on different banks and stay 16-byte aligned.
int64_t padOf(Type elem) { return 16 / (elem.getIntOrFloatBitWidth() / 8); }

/// How the state decays within a chunk: not at all, by a scalar per token
/// (the scalar family and the gate of the delta forget), or per key channel.
enum class Decay { none, scalar, diagonal };

Decay decayOf(RecurrenceInfo &info) {
  switch (info.family) {
  case ForgetFamily::identity:
    return Decay::none;
  case ForgetFamily::scalar:
    return Decay::scalar;
  case ForgetFamily::diagonal:
    return Decay::diagonal;
  case ForgetFamily::delta:
    return info.logDecay ? Decay::scalar : Decay::none;
  }
  llvm_unreachable("unknown forget family");
}

/// Which kernel a ChunkedFused object builds: the fused walk (outputs and
/// state update per chunk), or one of the two-pass schedule's kernels:
/// - summaries: per chunk in parallel, its update D^T K~ from a zero state
///   (and its total log decay): the decay families;
/// - scan: the composition of the summaries over the chunks in order, an
///   elementwise walk that writes each chunk's start state;
/// - factors: the delta forget's chunk summaries, per chunk in parallel:
///   the triangular solve from a zero state (values X0) and its response to
///   the start state (Psi, K wide), so that X = X0 + S0 Psi; the chunk's
///   update from a zero state B0 = sum_l D_l^T K~_l + X0^T W~, its erase
///   keys decayed to its end (W~) and its log decay: with them the chunk's
///   transition is S -> e^{G_end} S + B0 + (S Psi^T) W~;
/// - states: the delta forget's scan, a walk over the chunks that composes
///   those transitions (two products a chunk, every operand loaded one chunk
///   ahead with two stages) and writes the start states and X = X0 + S0 Psi;
/// - outputs: the outputs of one chunk from its start state.
enum class Pass { fused, summaries, scan, factors, states, outputs };

/// What a pass keeps in scratch.
bool readsQueries(Pass p) { return p == Pass::fused || p == Pass::outputs; }
/// The passes with a separate buffer of keys rescaled to the chunk end (the
/// factors pass rescales its keys in place once its solve is done; the
/// state walk loads them rescaled).
bool rescalesKeys(Pass p) { return p == Pass::fused || p == Pass::summaries; }
bool keepsStateCopy(Pass p) {
  return p != Pass::summaries && p != Pass::scan && p != Pass::factors;
}
/// The passes that run the delta forget's triangular solve.
bool solves(Pass p) { return p == Pass::fused || p == Pass::factors; }
/// The passes that read or write the response Psi of the solved values to
/// the chunk's start state (the delta forget's two-pass schedule).
bool usesResponses(Pass p) { return p == Pass::factors || p == Pass::states; }
/// The passes that walk a program's chunks in order (and may load the next
/// chunk's queries and keys ahead).
bool walks(Pass p) { return p == Pass::fused || p == Pass::states; }

/// The delta forget whose erase key w_t is one of the injection keys (the
/// same value, not normalised by the kernel), as in DeltaNet and Gated
/// DeltaNet: S_t = e^{g_t} S_{t-1} (I - beta_t k_t k_t^T) + beta_t v_t k_t^T.
/// The solved values x_t then share that key, so the fused kernel folds them
/// into its slot's values (u_t = d_t + x_t) instead of giving them a slot:
/// half the score, output and state-update products. Returns that slot, or
/// -1. The two-pass schedule merges them in its summaries (which write
/// u0_t = d_t + x0_t), its walk (u_t = u0_t + S0 psi_t) and its outputs
/// (which read u_t as that slot's values).
int64_t sharedEraseSlot(RecurrenceInfo &info, Pass pass) {
  if (info.family != ForgetFamily::delta || info.normalizeEraseKey ||
      (pass != Pass::fused && pass != Pass::factors && pass != Pass::outputs))
    return -1;
  for (auto [j, key] : llvm::enumerate(info.keys))
    if (key == info.eraseKey)
      return j;
  return -1;
}

/// Injection slots of the kernel: the L injections, plus for the delta
/// forget one virtual injection (key w_t, value x_t = -beta_t e_t, where
/// e_t is the decayed S_{t-1} w_t that the triangular solve produces)
/// unless it shares a slot (sharedEraseSlot).
int64_t slotsOf(RecurrenceInfo &info, Pass pass) {
  // The delta forget's state walk has one: values S0 Psi^T, keys W~.
  if (pass == Pass::states)
    return 1;
  if (info.family != ForgetFamily::delta || sharedEraseSlot(info, pass) >= 0)
    return info.rank;
  return info.rank + 1;
}

/// Byte layout of one program's scratch (a buffer a pass does not use takes
/// no bytes).
struct ScratchLayout {
  int64_t q = 0, k = 0, d = 0, kT = 0, p = 0, sb = 0, g = 0;
  // Two stages (walks): the second buffers of the queries and keys, which
  // the next chunk's loads fill while this chunk computes.
  bool staged = false;
  int64_t q2 = 0, k2 = 0, g2 = 0;
  // Diagonal decay with rescaled operands: Q rescaled to the start of its
  // row block (scores) and to the chunk start (outputs), and per row block a
  // the keys before it rescaled to its start.
  bool rescaled = false;
  int64_t qt = 0, qh = 0, ka = 0;
  // Delta forget only: W K_l^T and W W^T (strict, decayed), the blocks of
  // the solve's right-hand side, the inverted diagonal blocks, and beta;
  // the two-pass schedule's response Psi (chunk x K) of the solved values
  // to the start state.
  int64_t w = 0, y = 0, t = 0, beta = 0, psi = 0;
  // The delta forget's state walk: the chunk's zero-state update B0 (V-tile
  // x K; two stages: b02, psi2, d2 beside k2), and S0 Psi^T (chunk x V-tile).
  // gEnd: the chunk's log decay (per stage: g, g2).
  int64_t b0 = 0, b02 = 0, psi2 = 0, d2 = 0, xs = 0;
  int64_t bytes = 0;
};

/// Rows of the keys rescaled per row block: row block a (of 16 rows) needs
/// the 16 a key rows before it.
int64_t rescaledKeyRows(int64_t chunk) {
  int64_t m = chunk / 16;
  return 8 * m * (m - 1);
}

ScratchLayout layoutScratchAs(RecurrenceInfo &info, const ChunkedParams &params,
                              Type elem, Pass pass, bool rescaled) {
  const int64_t c = params.chunk, k = info.keyDim, vt = params.vTile;
  const int64_t l = slotsOf(info, pass);
  const int64_t eb = elem.getIntOrFloatBitWidth() / 8, pad = padOf(elem);
  ScratchLayout s;
  int64_t at = 0;
  auto take = [&](int64_t bytes) {
    int64_t start = at;
    at += (bytes + 127) / 128 * 128;
    return start;
  };
  if (pass == Pass::scan)
    return s; // Registers only.
  if (pass == Pass::states) {
    // Per stage W~ (k), Psi, X0 (d), B0 and the log decay (g); then
    // S0 Psi^T and the state.
    auto stage = [&](int64_t &kAt, int64_t &psiAt, int64_t &dAt, int64_t &b0At,
                     int64_t &gAt) {
      kAt = take(c * (k + pad) * eb);
      psiAt = take(c * (k + pad) * eb);
      dAt = take(c * (vt + pad) * eb);
      b0At = take(vt * (k + pad) * eb);
      gAt = take(16);
    };
    stage(s.k, s.psi, s.d, s.b0, s.g);
    if (params.stages == 2) {
      s.staged = true;
      stage(s.k2, s.psi2, s.d2, s.b02, s.g2);
    }
    s.xs = take(c * (vt + pad) * eb);
    s.sb = take(vt * (k + pad) * eb);
    s.bytes = at;
    return s;
  }
  const bool outputs = readsQueries(pass);
  s.q = take(outputs ? c * (k + pad) * eb : 0);
  s.k = take(l * c * (k + pad) * eb);
  if (params.stages == 2 && walks(pass)) {
    s.staged = true;
    s.q2 = take(outputs ? c * (k + pad) * eb : 0);
    s.k2 = take(l * c * (k + pad) * eb);
  }
  s.d = take(l * c * (vt + pad) * eb);
  s.kT = take(rescalesKeys(pass) ? l * c * (k + pad) * eb : 0);
  s.p = take(outputs ? l * c * (c + pad) * eb : 0);
  s.sb = take(keepsStateCopy(pass) ? vt * (k + pad) * eb : 0);
  bool diagonal = info.family == ForgetFamily::diagonal;
  s.g = take(diagonal ? c * (k + 4) * 4 : c * 4);
  if (info.family == ForgetFamily::delta && solves(pass)) {
    s.w = take(l * c * (c + pad) * eb);
    // The factors pass solves for Psi (K wide) in the same block buffer.
    int64_t width = pass == Pass::factors ? std::max(vt, k) : vt;
    s.y = take(16 * (width + pad) * eb);
    s.t = take(c * (16 + pad) * eb);
    s.beta = take(c * 4);
  }
  if (info.family == ForgetFamily::delta && usesResponses(pass))
    s.psi = take(c * (k + pad) * eb);
  if (rescaled) {
    s.rescaled = true;
    s.qt = take(c * (k + pad) * eb);
    s.qh = take(c * (k + pad) * eb);
    s.ka = take(std::max<int64_t>(1, l * rescaledKeyRows(c)) * (k + pad) * eb);
  }
  s.bytes = at;
  return s;
}

/// The layout of a pass. The diagonal family's scores and outputs take
/// rescaled operands (plain tensor-core tiles instead of tiles whose every
/// element is rescaled as it is loaded) wherever their scratch fits.
ScratchLayout layoutScratch(RecurrenceInfo &info, const ChunkedParams &params,
                            Type elem, Pass pass) {
  if (info.family == ForgetFamily::diagonal && readsQueries(pass)) {
    ScratchLayout s = layoutScratchAs(info, params, elem, pass, true);
    if (s.bytes <= params.target->sharedBytesPerBlock)
      return s;
  }
  return layoutScratchAs(info, params, elem, pass, false);
}

/// A tile operand of an m16n8k16 product in scratch: element (r, x) of an A
/// tile is buf[lead.., row0 + r, col0 + x]; element (x, n) of a B tile is
/// buf[lead.., row0 + n, col0 + x]: the reduction index x is innermost,
/// unless the operand is `trans`.
/// `scale`, when set, multiplies each element (an exponential of decays).
using ScaleFn =
    std::function<Value(OpBuilder &, Location, Value row, Value col)>;
struct Operand {
  Value buf;
  SmallVector<Value, 1> lead;
  Value row0, col0;
  ScaleFn scale;
  /// The buffer holds the tile reduction-index first: element (r, x) is
  /// buf[lead.., col0 + x, row0 + r] (loaded by ldmatrix .trans).
  bool trans = false;
};

Operand transposed(Operand op) {
  op.trans = true;
  return op;
}

/// The four f32 accumulators a lane owns in a 16 x 8 tile: (grp, 2 tig),
/// (grp, 2 tig + 1), (grp + 8, 2 tig), (grp + 8, 2 tig + 1).
using Acc = std::array<Value, 4>;

/// A lane's position: warp, and within the warp the mma.sync group (row) and
/// thread-in-group (column pair).
struct Lane {
  Value lane, warp, grp, tig;
};

class ChunkedFused {
public:
  ChunkedFused(RecurrenceInfo &info, llvm::function_ref<Value(Value)> memrefOf,
               bool gpu, const ChunkedParams &params, Pass pass = Pass::fused,
               ChunkedWorkspaces workspaces = {})
      : info(info), memrefOf(memrefOf), gpu(gpu), c(params.chunk),
        k(info.keyDim), vt(params.vTile), nw(params.warps), nt(32 * nw),
        stages(walks(pass) ? params.stages : 1), rank(info.rank),
        slots(slotsOf(info, pass)), merged(sharedEraseSlot(info, pass) >= 0),
        eraseSlot(merged ? sharedEraseSlot(info, pass) : info.rank),
        delta(info.family == ForgetFamily::delta), decay(decayOf(info)),
        pass(pass), workspaces(workspaces) {}

  void emit(OpBuilder &b);

private:
  // Index arithmetic.
  Value idx(OpBuilder &b, int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v);
  }
  Value add(OpBuilder &b, Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y);
  }
  Value add(OpBuilder &b, Value x, int64_t y) {
    return y == 0 ? x : add(b, x, idx(b, y));
  }
  Value mul(OpBuilder &b, Value x, int64_t y) {
    return arith::MulIOp::create(b, loc, x, idx(b, y));
  }
  Value div(OpBuilder &b, Value x, int64_t y) {
    return arith::DivUIOp::create(b, loc, x, idx(b, y));
  }
  Value rem(OpBuilder &b, Value x, int64_t y) {
    return arith::RemUIOp::create(b, loc, x, idx(b, y));
  }
  Value lt(OpBuilder &b, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, x, y);
  }
  Value le(OpBuilder &b, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, x, y);
  }

  Lane laneOf(OpBuilder &b, Value lane) {
    Value lid = rem(b, lane, 32);
    return {lane, div(b, lane, 32), div(b, lid, 4), rem(b, lid, 4)};
  }

  /// Runs `body` once per lane, then synchronises the block.
  void phase(OpBuilder &b, llvm::function_ref<void(OpBuilder &, Lane)> body);
  /// `body(i)` for i in [0, count), spread over the lanes of a phase.
  void strided(OpBuilder &b, Value lane, int64_t count,
               llvm::function_ref<void(OpBuilder &, Value)> body);
  /// A loop with f32 accumulators carried through it.
  Acc forAcc(OpBuilder &b, Value lb, Value ub, Acc init,
             llvm::function_ref<Acc(OpBuilder &, Value, Acc)> body);

  // Register files (per lane): on the GPU a private array whose constant
  // indices become registers; on the CPU one row per lane.
  Value regLoad(OpBuilder &b, Lane l, int64_t i) {
    Value at = idx(b, i);
    if (gpu)
      return memref::LoadOp::create(b, loc, regs, ValueRange{at});
    return memref::LoadOp::create(b, loc, regs, ValueRange{l.lane, at});
  }
  void regStore(OpBuilder &b, Lane l, int64_t i, Value v) {
    Value at = idx(b, i);
    if (gpu)
      memref::StoreOp::create(b, loc, v, regs, ValueRange{at});
    else
      memref::StoreOp::create(b, loc, v, regs, ValueRange{l.lane, at});
  }

  // Scratch access.
  Value loadF32(OpBuilder &b, Value buf, ValueRange at) {
    return Emitter{b, loc}.toF32(memref::LoadOp::create(b, loc, buf, at));
  }
  void storePair(OpBuilder &b, Value buf, ValueRange at, Value x, Value y,
                 Type elem);
  Value elementOf(OpBuilder &b, const Operand &op, Value row, Value col);
  /// `pair` (elements (row, col), (row, col + 1)) times the operand's scale.
  Value scalePair(OpBuilder &b, const Operand &op, Value pair, Value row,
                  Value col);
  /// A pair of 16-bit elements as mma.sync takes it.
  Value mmaWord(OpBuilder &b, Value pair);
  /// The lane's registers of an A (tiles = 4) or B (tiles = 2) fragment at
  /// (row, col) of the operand, loaded by ldmatrix.
  SmallVector<Value> fragment(OpBuilder &b, Lane l, const Operand &op,
                              Value row, Value col, int64_t tiles);
  /// acc += A (16 x 16) * B (16 x 8), with the lane's fragment of the tile.
  Acc mma(OpBuilder &b, Lane l, const Operand &a, const Operand &bOp, Acc acc);
  /// acc[s] += A * B[s] for tiles sharing their A operand (on the tensor
  /// cores the A fragment is loaded once).
  SmallVector<Acc> mmaRow(OpBuilder &b, Lane l, const Operand &a,
                          ArrayRef<Operand> bs, ArrayRef<Acc> accs);
  /// accs[p] += lefts[pairs[p].first] * rights[pairs[p].second] for every
  /// pair p. On the tensor cores every fragment is loaded once, before any
  /// product, so that the pairs' independent mma chains interleave.
  SmallVector<Acc> mmaPairs(OpBuilder &b, Lane l, ArrayRef<Operand> lefts,
                            ArrayRef<Operand> rights,
                            ArrayRef<std::pair<int64_t, int64_t>> pairs,
                            ArrayRef<Acc> accs);
  /// One mma.sync of loaded fragments.
  Acc mmaSync(OpBuilder &b, ArrayRef<Value> fa, ArrayRef<Value> fb, Acc acc);
  /// The (row, column) of accumulator e of the tile at (row0, col0).
  std::pair<Value, Value> accAt(OpBuilder &b, Lane l, Value row0, Value col0,
                                int e) {
    return {add(b, add(b, row0, l.grp), e / 2 ? 8 : 0),
            add(b, add(b, col0, mul(b, l.tig, 2)), e % 2)};
  }

  /// 2^x (x a scalar or vector of f32): the decay factor of an exponent in
  /// the base-2 units gCum holds. Every exponent of the chunked algebra is a
  /// difference of cumulative log decays that is never positive; on the GPU
  /// it is one ex2.approx.ftz per element (relative error about 2^-22,
  /// factors below 2^-126 flushed to zero), on the CPU libm's exp2f.
  Value exp(OpBuilder &b, Value x) {
    if (!gpu)
      return math::Exp2Op::create(b, loc, x);
    auto ex2 = [&](Value v) -> Value {
      return LLVM::CallIntrinsicOp::create(
                 b, loc, b.getF32Type(),
                 b.getStringAttr("llvm.nvvm.ex2.approx.ftz.f32"), ValueRange{v})
          .getResult(0);
    };
    auto type = dyn_cast<VectorType>(x.getType());
    if (!type)
      return ex2(x);
    SmallVector<Value> parts;
    for (int64_t i = 0; i < type.getNumElements(); ++i)
      parts.push_back(ex2(vector::ExtractOp::create(b, loc, x, i)));
    return vector::FromElementsOp::create(b, loc, type, parts);
  }
  /// log2(e): cumulative log decays are kept in base 2, so that every decay
  /// factor is one 2^x.
  static constexpr double kLog2E = 1.4426950408889634;
  Value expDiff(OpBuilder &b, Value x, Value y) {
    return exp(b, Emitter{b, loc}.sub(x, y));
  }
  /// Stores element (key, v) of a state [B, H, K, V] (kv layout) or
  /// [B, H, V, K] (vk) of batch `bi`, head `h`.
  void storeStateElement(OpBuilder &b, Value state, Value bi, Value h,
                         Value key, Value v, Value value) {
    SmallVector<Value, 4> at = {bi, h, key, v};
    if (info.layout != StateLayout::kv)
      std::swap(at[2], at[3]);
    memref::StoreOp::create(b, loc, value, state, at);
  }
  /// Cumulative log decay at in-chunk row `row` (and key `key`, diagonal).
  Value cumDecay(OpBuilder &b, Value row, Value key) {
    if (decay == Decay::diagonal)
      return memref::LoadOp::create(b, loc, gCum, ValueRange{row, key});
    return memref::LoadOp::create(b, loc, gCum, ValueRange{row});
  }
  bool hasDecay() const { return decay != Decay::none; }

  void emitLoads(OpBuilder &b, Lane l, Value t0, Value numSteps, Value bi,
                 Value h, Value v0);
  /// Rows [t0, t0 + c) of a [B, T, H, D] sequence (`width` columns from
  /// `col0`, or 0) into the scratch rows of `dst` (after the `lead`
  /// indices), converted to `dstElem`; rows past T read as zeros. `async`:
  /// cp.async copies (no conversion) that the caller commits and waits for.
  void loadRows(OpBuilder &b, Lane l, Value t0, Value numSteps, Value bi,
                Value h, Value src, Value dst, SmallVector<Value, 1> lead,
                int64_t width, Type dstElem, Value col0, bool async);
  /// The chunk's queries (when the pass reads them) and keys (and erase
  /// keys) into `qDst` and `kDst`; `async` where no conversion is needed
  /// (on the GPU).
  void emitQueryKeyLoads(OpBuilder &b, Lane l, Value t0, Value numSteps,
                         Value bi, Value h, Value qDst, Value kDst, bool async);
  void emitScores(OpBuilder &b, Lane l);
  /// Keys K_l o e^{G_end - G_j}, rescaled to the chunk end, into `dst` (may
  /// be kS itself).
  void emitRescaledKeys(OpBuilder &b, Lane l, Value dst);
  /// Diagonal decay: the rescaled operands of the scores and outputs.
  void emitRescales(OpBuilder &b, Lane l);
  /// dst[j] = (left K_j^T) o e^{G_i - G_j}, masked to j <= i (or j < i).
  void emitScoreTiles(OpBuilder &b, Lane l, Value left,
                      SmallVector<Value, 1> leftLead, Value dst, int64_t j,
                      bool strict);
  /// Delta forget: w_t normalised in place (optional), the inverted 16 x 16
  /// diagonal blocks of the solve, and the solve itself.
  void emitNormalizeEraseKeys(OpBuilder &b, Lane l);
  void emitBlockInverses(OpBuilder &b, Lane l);
  /// The right-hand side columns of a solve: the values x_t (V-tile wide,
  /// with the start state's term, or from a zero state) or the response
  /// Psi (K wide: the start state's term with the state replaced by I).
  struct SolveColumns {
    int64_t width;
    bool fromState, fromKeys, injections;
    /// Where the solved rows go (and the earlier blocks are read).
    Value x;
    SmallVector<Value, 1> xLead;
  };
  void emitSolveBlock(OpBuilder &b, int64_t blk, const SolveColumns &cols);
  /// Two-pass delta forget, the state walk: X = X0 + S0 Psi in place of
  /// X0 (the virtual injection's values).
  void emitResponses(OpBuilder &b, Lane l);
  /// Two-pass delta forget, the chunk summaries: Psi to its workspace.
  void emitResponsesOut(OpBuilder &b, Lane l, Value t0, Value numSteps,
                        Value bi, Value h);
  /// Runs `body` once per lane, then synchronises the warp only (the CPU:
  /// like a phase).
  void warpStep(OpBuilder &b, llvm::function_ref<void(OpBuilder &, Lane)> body);
  /// A column tile n of a warp, and whether it is real (null: always).
  struct WarpTile {
    Value n, live;
  };
  SmallVector<WarpTile> warpTiles(OpBuilder &b, Lane l, int64_t count,
                                  Value first);
  /// Stores the tiles' accumulators (rows row0 - rowOffset..) to dst after
  /// the `lead` indices; `accumulate` adds what dst held.
  void storeRows(OpBuilder &b, Lane l, ArrayRef<WarpTile> tiles,
                 ArrayRef<Acc> accs, Value row0, Value dst,
                 ArrayRef<Value> lead, int64_t rowOffset, bool accumulate);
  /// first + stride s for s < ceil(count / stride), each clamped below
  /// `count` and flagged (live) when the clamp may apply.
  struct Spread {
    Value i, live;
  };
  SmallVector<Spread> spread(OpBuilder &b, Value first, int64_t stride,
                             int64_t count);
  void emitOutputs(OpBuilder &b, Lane l, Value t0, Value numSteps, Value bi,
                   Value h, Value v0);
  /// Moves `b` into an scf.if taken when sequence row `time` is below
  /// `numSteps` (and `live`, when set); the caller's InsertionGuard ends it.
  void guardRow(OpBuilder &b, Value time, Value numSteps, Value live) {
    Value store = lt(b, time, numSteps);
    if (live)
      store = arith::AndIOp::create(b, loc, store, live);
    auto inRange = scf::IfOp::create(b, loc, store, false);
    b.setInsertionPointToStart(inRange.thenBlock());
  }
  /// Two-pass: the scratch copy of the state (V-tile x K) to the chunk-start
  /// workspace (`out`), or from it.
  void emitStateCopy(OpBuilder &b, Lane l, Value bi, Value h, Value ci,
                     Value v0, bool out);
  /// Rows [t0, t0 + c) of scratch `src` (after `lead`; `width` columns) to
  /// the [B, T, H, D] workspace `dst` from column `col0`; rows past T are
  /// not stored.
  void emitRowsOut(OpBuilder &b, Lane l, Value t0, Value numSteps, Value bi,
                   Value h, Value src, ArrayRef<Value> lead, int64_t width,
                   Value dst, Value col0);
  /// Two-pass, delta forget: the solved values x_t to their workspace.
  void emitSolvedValuesOut(OpBuilder &b, Lane l, Value t0, Value numSteps,
                           Value bi, Value h, Value v0);
  /// The program of the fused walk or of the two-pass state walk, and the
  /// two-pass output program.
  void emitWalk(OpBuilder &b, const ScratchLayout &layout, Attribute space);
  void emitChunkPrograms(OpBuilder &b, const ScratchLayout &layout,
                         Attribute space);
  /// Two-pass, delta forget: a chunk's summary in factored form (X0, Psi)
  /// after its loads.
  void emitFactors(OpBuilder &b, Value t0, Value numSteps, Value bi, Value h,
                   Value ci, Value v0);
  /// Two-pass, decay families: the scan over the chunk summaries.
  void emitSummaryScan(OpBuilder &b);
  /// One scf.parallel with a "program" dimension per bound of `programs`
  /// and, on the GPU, a "lane" dimension for the block's threads (`lane`);
  /// `body` gets the program indices.
  void forPrograms(OpBuilder &b, ArrayRef<Value> programs,
                   llvm::function_ref<void(OpBuilder &, ValueRange)> body);
  /// The scratch of a program (dynamic shared memory on the GPU) and its
  /// views; the CPU's allocation is returned for deallocation.
  Value makeScratch(OpBuilder &b, const ScratchLayout &layout, Attribute space);
  /// A view of the scratch at byte `offset`.
  Value viewAt(OpBuilder &b, Value offset, ArrayRef<int64_t> shape, Type type);
  /// The buffers a walk loads one chunk ahead: queries and keys (the fused
  /// walk), or W~ (as keys), Psi, X0 (as values) and B0 (the delta forget's
  /// state walk); null where the pass has none.
  struct StageViews {
    Value q, k, psi, d, b0, g;
  };
  /// Two stages: the views of stage 0 or 1 (`stage`, an index).
  StageViews stageViews(OpBuilder &b, Value stage);
  /// Makes `views` the buffers the chunk's phases use.
  void useStage(const StageViews &views);
  /// Two stages: the inputs of chunk `ci` (at `t0`) into the buffers of
  /// `stage`, as one cp.async group on the GPU (its token returned) and
  /// plain loads on the CPU (null).
  Value emitPrefetch(OpBuilder &b, Lane l, Value t0, Value numSteps, Value bi,
                     Value h, Value ci, Value v0, Value stage);
  /// The delta forget's state walk: the inputs of chunk `ci` into `dst`
  /// (`async`: cp.async copies; a chunk past the last reads the last's B0).
  void emitStateWalkLoads(OpBuilder &b, Lane l, Value t0, Value numSteps,
                          Value bi, Value h, Value ci, Value v0,
                          const StageViews &dst, bool async);
  /// S <- S o e^{G_end} + sum_l D_l^T K~_l on the lane's state tiles; with
  /// `summaryAt` = (batch, head, chunk, v0), the summaries pass: from a zero
  /// state, stored to the summary workspace (and the chunk's log decay by
  /// the first V-tile's program). The delta forget's state walk (`walkAt` =
  /// (batch, head, chunk)): S <- S e^{G_end} + B0 + (S0 Psi^T) W~, its log
  /// decay from the summaries pass.
  void emitStateUpdate(OpBuilder &b, Lane l, ValueRange summaryAt = {},
                       ValueRange walkAt = {});
  /// The state tile of register slot `s`: (row of V, column of K) origins.
  std::pair<Value, Value> stateTile(OpBuilder &b, Lane l, int64_t s) {
    Value tau = add(b, mul(b, l.warp, stateSlots), s);
    return {mul(b, div(b, tau, k / 8), 16), mul(b, rem(b, tau, k / 8), 8)};
  }
  void writeStateCopy(OpBuilder &b, Lane l, int64_t s, Acc acc);

  RecurrenceInfo &info;
  llvm::function_ref<Value(Value)> memrefOf;
  bool gpu;
  /// c: chunk, k: key width, vt: V-tile, nw: warps, nt: lanes; rank: L;
  /// slots: injection slots (L, plus the delta forget's virtual one).
  /// stages: chunks whose query and key loads are in flight at once (1 or
  /// 2; 2 only for the walks).
  const int64_t c, k, vt, nw, nt, stages, rank, slots;
  /// The delta forget: whether x_t is folded into a key's slot
  /// (sharedEraseSlot), and the slot of the erase key w_t.
  const bool merged;
  const int64_t eraseSlot;
  const bool delta;
  const Decay decay;
  const Pass pass;
  const ChunkedWorkspaces workspaces;
  Location loc = UnknownLoc::get(info.scan.getContext());
  Type elem;
  bool tensorCores = false;
  /// State tiles (16 x 8) per warp.
  int64_t stateSlots = 0;

  // Inside a program.
  ScratchLayout scratch;
  Value scratchBase;
  Attribute scratchSpace;
  Value regs, lane;
  Value qS, kS, dS, kTS, pS, sbS, gCum;
  /// Diagonal decay, rescaled operands (ScratchLayout::rescaled).
  bool rescaled = false;
  Value qtS, qhS, kaS;
  Value wS, yS, tS, betaS;
  /// Two-pass delta forget: the response Psi (chunk x K); the state walk's
  /// B0 (V-tile x K) and S0 Psi^T (chunk x V-tile).
  Value psiS, b0S, xsS;
};

void ChunkedFused::phase(OpBuilder &b,
                         llvm::function_ref<void(OpBuilder &, Lane)> body) {
  if (gpu) {
    body(b, laneOf(b, lane));
    gpu::BarrierOp::create(b, loc);
    return;
  }
  scf::ForOp::create(b, loc, idx(b, 0), idx(b, nt), idx(b, 1), ValueRange{},
                     [&](OpBuilder &fb, Location, Value l, ValueRange) {
                       body(fb, laneOf(fb, l));
                       scf::YieldOp::create(fb, loc);
                     });
}

void ChunkedFused::strided(OpBuilder &b, Value l, int64_t count,
                           llvm::function_ref<void(OpBuilder &, Value)> body) {
  int64_t iters = (count + nt - 1) / nt;
  scf::ForOp::create(b, loc, idx(b, 0), idx(b, iters), idx(b, 1), ValueRange{},
                     [&](OpBuilder &fb, Location, Value it, ValueRange) {
                       Value i = add(fb, mul(fb, it, nt), l);
                       if (count % nt == 0) {
                         body(fb, i);
                       } else {
                         auto guard = scf::IfOp::create(
                             fb, loc, lt(fb, i, idx(fb, count)),
                             /*withElseRegion=*/false);
                         OpBuilder::InsertionGuard g(fb);
                         fb.setInsertionPointToStart(guard.thenBlock());
                         body(fb, i);
                       }
                       scf::YieldOp::create(fb, loc);
                     });
}

Acc ChunkedFused::forAcc(
    OpBuilder &b, Value lb, Value ub, Acc init,
    llvm::function_ref<Acc(OpBuilder &, Value, Acc)> body) {
  auto loop = scf::ForOp::create(
      b, loc, lb, ub, idx(b, 1), ValueRange(init),
      [&](OpBuilder &fb, Location, Value i, ValueRange carried) {
        Acc in = {carried[0], carried[1], carried[2], carried[3]};
        Acc out = body(fb, i, in);
        scf::YieldOp::create(fb, loc, ValueRange(out));
      });
  return {loop.getResult(0), loop.getResult(1), loop.getResult(2),
          loop.getResult(3)};
}

void ChunkedFused::storePair(OpBuilder &b, Value buf, ValueRange at, Value x,
                             Value y, Type type) {
  Value pair = vector::FromElementsOp::create(
      b, loc, VectorType::get({2}, b.getF32Type()), ValueRange{x, y});
  if (!type.isF32())
    pair = arith::TruncFOp::create(b, loc, VectorType::get({2}, type), pair);
  vector::StoreOp::create(b, loc, pair, buf, at);
}

Value ChunkedFused::elementOf(OpBuilder &b, const Operand &op, Value row,
                              Value col) {
  SmallVector<Value> at(op.lead.begin(), op.lead.end());
  at.push_back(op.trans ? col : row);
  at.push_back(op.trans ? row : col);
  Value v = loadF32(b, op.buf, at);
  if (!op.scale)
    return v;
  Emitter e{b, loc};
  v = e.mul(v, op.scale(b, loc, row, col));
  // A rescaled operand reaches the tensor cores rounded to 16 bits.
  if (!elem.isF32())
    v = e.toF32(arith::TruncFOp::create(b, loc, elem, v));
  return v;
}

Value ChunkedFused::scalePair(OpBuilder &b, const Operand &op, Value pair,
                              Value row, Value col) {
  if (!op.scale)
    return pair;
  Emitter e{b, loc};
  Value wide = e.toF32(pair);
  Value factors = vector::FromElementsOp::create(
      b, loc, VectorType::get({2}, b.getF32Type()),
      ValueRange{op.scale(b, loc, row, col),
                 op.scale(b, loc, row, add(b, col, 1))});
  return arith::TruncFOp::create(b, loc, pair.getType(), e.mul(wide, factors));
}

Value ChunkedFused::mmaWord(OpBuilder &b, Value pair) {
  if (elem.isF16())
    return pair;
  Value word = vector::BitCastOp::create(
      b, loc, VectorType::get({1}, b.getI32Type()), pair);
  return vector::ExtractOp::create(b, loc, word, int64_t(0));
}

SmallVector<Value> ChunkedFused::fragment(OpBuilder &b, Lane l,
                                          const Operand &op, Value row,
                                          Value col, int64_t tiles) {
  // ldmatrix: lane i gives the address of row i % 8 of 8 x 8 matrix i / 8;
  // matrix m is rows (m % 2) * 8.., columns (m / 2) * 8.. (A, four), or
  // columns m * 8.. (B, two), so that register m is the fragment's m-th.
  // Transposed, matrix m is read from rows (of the buffer) x.., each row
  // giving 8 elements r..; .trans hands each lane the same fragment.
  Value lid = add(b, mul(b, l.grp, 4), l.tig);
  Value r, c0;
  Value i = rem(b, lid, 8), m = div(b, lid, 8);
  if (tiles == 4) {
    // Matrix m: rows (m % 2) * 8 + i, columns (m / 2) * 8.
    Value dr = mul(b, rem(b, m, 2), 8), dc = mul(b, div(b, m, 2), 8);
    if (op.trans) {
      r = add(b, col, add(b, dc, i));
      c0 = add(b, row, dr);
    } else {
      r = add(b, row, add(b, dr, i));
      c0 = add(b, col, dc);
    }
  } else {
    // Matrix m (of two; lanes 16.. repeat 0..15): columns (m % 2) * 8.
    Value dc = mul(b, rem(b, m, 2), 8);
    if (op.trans) {
      r = add(b, col, add(b, dc, i));
      c0 = row;
    } else {
      r = add(b, row, i);
      c0 = add(b, col, dc);
    }
  }
  SmallVector<Value> at(op.lead.begin(), op.lead.end());
  at.append({r, c0});
  Value regs = nvgpu::LdMatrixOp::create(
      b, loc, VectorType::get({tiles, 2}, elem), op.buf, at,
      /*transpose=*/op.trans, /*numTiles=*/tiles);
  SmallVector<Value> words;
  Value tig2 = mul(b, l.tig, 2);
  for (int64_t m = 0; m < tiles; ++m) {
    Value pair = vector::ExtractOp::create(b, loc, regs, m);
    if (op.scale) {
      int64_t dr = tiles == 4 ? (m % 2) * 8 : 0;
      int64_t dc = tiles == 4 ? (m / 2) * 8 : m * 8;
      pair = scalePair(b, op, pair, add(b, add(b, row, l.grp), dr),
                       add(b, add(b, col, tig2), dc));
    }
    words.push_back(mmaWord(b, pair));
  }
  return words;
}

Acc ChunkedFused::mmaSync(OpBuilder &b, ArrayRef<Value> fa, ArrayRef<Value> fb,
                          Acc acc) {
  Type f32 = b.getF32Type();
  auto resultType =
      LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  NVVM::MMATypes type =
      elem.isF16() ? NVVM::MMATypes::f16 : NVVM::MMATypes::bf16;
  Value d = NVVM::MmaOp::create(
      b, loc, resultType, fa, fb, ValueRange(acc), {16, 8, 16}, std::nullopt,
      std::nullopt, std::array<NVVM::MMATypes, 2>{type, type},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  Acc out;
  for (int e = 0; e < 4; ++e)
    out[e] = LLVM::ExtractValueOp::create(b, loc, d, ArrayRef<int64_t>{e});
  return out;
}

SmallVector<Acc> ChunkedFused::mmaRow(OpBuilder &b, Lane l, const Operand &a,
                                      ArrayRef<Operand> bs,
                                      ArrayRef<Acc> accs) {
  SmallVector<Acc> out;
  if (!tensorCores) {
    for (auto [bOp, acc] : llvm::zip(bs, accs))
      out.push_back(mma(b, l, a, bOp, acc));
    return out;
  }
  SmallVector<Value> fa = fragment(b, l, a, a.row0, a.col0, 4);
  for (auto [bOp, acc] : llvm::zip(bs, accs))
    out.push_back(
        mmaSync(b, fa, fragment(b, l, bOp, bOp.row0, bOp.col0, 2), acc));
  return out;
}

SmallVector<Acc> ChunkedFused::mmaPairs(
    OpBuilder &b, Lane l, ArrayRef<Operand> lefts, ArrayRef<Operand> rights,
    ArrayRef<std::pair<int64_t, int64_t>> pairs, ArrayRef<Acc> accs) {
  SmallVector<Acc> out;
  if (!tensorCores) {
    for (auto [p, acc] : llvm::zip(pairs, accs))
      out.push_back(mma(b, l, lefts[p.first], rights[p.second], acc));
    return out;
  }
  SmallVector<SmallVector<Value>> fa, fb;
  for (const Operand &a : lefts)
    fa.push_back(fragment(b, l, a, a.row0, a.col0, 4));
  for (const Operand &r : rights)
    fb.push_back(fragment(b, l, r, r.row0, r.col0, 2));
  for (auto [p, acc] : llvm::zip(pairs, accs))
    out.push_back(mmaSync(b, fa[p.first], fb[p.second], acc));
  return out;
}

Acc ChunkedFused::mma(OpBuilder &b, Lane l, const Operand &a,
                      const Operand &bOp, Acc acc) {
  if (tensorCores)
    return mmaSync(b, fragment(b, l, a, a.row0, a.col0, 4),
                   fragment(b, l, bOp, bOp.row0, bOp.col0, 2), acc);
  // The same fragment from scalar products, in order of the reduction.
  Value ra = add(b, a.row0, l.grp), ra8 = add(b, ra, 8);
  Value nb = add(b, bOp.row0, mul(b, l.tig, 2)), nb1 = add(b, nb, 1);
  return forAcc(b, idx(b, 0), idx(b, 16), acc,
                [&](OpBuilder &fb, Value x, Acc in) -> Acc {
                  Emitter e{fb, loc};
                  Value ca = add(fb, a.col0, x), cb = add(fb, bOp.col0, x);
                  Value a0 = elementOf(fb, a, ra, ca);
                  Value a1 = elementOf(fb, a, ra8, ca);
                  Value b0 = elementOf(fb, bOp, nb, cb);
                  Value b1 = elementOf(fb, bOp, nb1, cb);
                  return {
                      e.add(in[0], e.mul(a0, b0)), e.add(in[1], e.mul(a0, b1)),
                      e.add(in[2], e.mul(a1, b0)), e.add(in[3], e.mul(a1, b1))};
                });
}

//===----------------------------------------------------------------------===//
// Phases of a chunk
//===----------------------------------------------------------------------===//

void ChunkedFused::loadRows(OpBuilder &b, Lane l, Value t0, Value numSteps,
                            Value bi, Value h, Value src, Value dst,
                            SmallVector<Value, 1> lead, int64_t width,
                            Type dstElem, Value col0, bool async) {
  Type srcElem = cast<MemRefType>(src.getType()).getElementType();
  const int64_t vec = 16 / (srcElem.getIntOrFloatBitWidth() / 8);
  const int64_t perRow = width / vec;
  auto type = VectorType::get({vec}, dstElem);
  Value lastStep = arith::SubIOp::create(b, loc, numSteps, idx(b, 1));
  SmallVector<Spread> items = spread(b, l.lane, nt, c * perRow);
  Emitter e{b, loc};
  // The scratch position and the (clamped) sequence position of an item,
  // and whether its row is within T.
  struct At {
    SmallVector<Value> dst, src;
    Value valid;
  };
  auto at = [&](OpBuilder &fb, Value i) {
    At a;
    Value row = div(fb, i, perRow), col = mul(fb, rem(fb, i, perRow), vec);
    Value t = add(fb, t0, row);
    a.valid = lt(fb, t, numSteps);
    a.dst.assign(lead.begin(), lead.end());
    a.dst.append({row, col});
    a.src = {bi, arith::MinUIOp::create(fb, loc, t, lastStep), h,
             col0 ? add(fb, col0, col) : col};
    return a;
  };
  auto storeIfLive = [&](Value live, llvm::function_ref<void(OpBuilder &)> f) {
    if (!live)
      return f(b);
    OpBuilder::InsertionGuard g(b);
    auto guard = scf::IfOp::create(b, loc, live, false);
    b.setInsertionPointToStart(guard.thenBlock());
    f(b);
  };
  if (async) {
    // 16-byte cp.async copies, zero-filled past T (0 source elements).
    assert(srcElem == dstElem && "cp.async copies without converting");
    for (Spread item : items)
      storeIfLive(item.live, [&](OpBuilder &fb) {
        At a = at(fb, item.i);
        Value n =
            arith::SelectOp::create(fb, loc, a.valid, idx(fb, vec), idx(fb, 0));
        nvgpu::DeviceAsyncCopyOp::create(
            fb, loc, nvgpu::DeviceAsyncTokenType::get(fb.getContext()), dst,
            a.dst, src, a.src, fb.getIndexAttr(vec), n, fb.getUnitAttr());
      });
    return;
  }
  // Every load first, then the stores.
  SmallVector<Value> values;
  for (Spread item : items) {
    At a = at(b, item.i);
    Value raw = e.loadRawVector(src, a.src, vec);
    Value zero = arith::ConstantOp::create(
        b, loc, cast<TypedAttr>(b.getZeroAttr(raw.getType())));
    values.push_back(arith::SelectOp::create(b, loc, a.valid, raw, zero));
  }
  for (auto [item, raw] : llvm::zip(items, values)) {
    Value v = raw;
    if (srcElem != dstElem) {
      v = e.toF32(v);
      if (!dstElem.isF32())
        v = arith::TruncFOp::create(b, loc, type, v);
    }
    storeIfLive(item.live, [&](OpBuilder &fb) {
      vector::StoreOp::create(fb, loc, v, dst, at(fb, item.i).dst);
    });
  }
}

void ChunkedFused::emitQueryKeyLoads(OpBuilder &b, Lane l, Value t0,
                                     Value numSteps, Value bi, Value h,
                                     Value qDst, Value kDst, bool async) {
  // cp.async copies bytes: only operands already in the scratch's type.
  auto asyncFor = [&](Value src) {
    return async && cast<MemRefType>(src.getType()).getElementType() == elem;
  };
  auto rows = [&](Value src, Value dst, SmallVector<Value, 1> lead) {
    loadRows(b, l, t0, numSteps, bi, h, src, dst, lead, k, elem, {},
             asyncFor(src));
  };
  if (readsQueries(pass))
    rows(memrefOf(info.query), qDst, {});
  for (int64_t j = 0; j < rank; ++j)
    rows(memrefOf(info.keys[j]), kDst, {idx(b, j)});
  if (delta && !merged)
    rows(memrefOf(info.eraseKey), kDst, {idx(b, rank)});
}

/// Every load of a phase is issued before any of its values is used, from
/// row indices clamped into [0, T) (rows past T then read as zeros), so that
/// a lane has all of its global loads in flight at once.
void ChunkedFused::emitLoads(OpBuilder &b, Lane l, Value t0, Value numSteps,
                             Value bi, Value h, Value v0) {
  Value lastStep = arith::SubIOp::create(b, loc, numSteps, idx(b, 1));
  // The sequence row of in-chunk row `row`, clamped, and whether it is real.
  auto rowAt = [&](OpBuilder &fb, Value row) -> std::pair<Value, Value> {
    Value t = add(fb, t0, row);
    return {arith::MinUIOp::create(fb, loc, t, lastStep), lt(fb, t, numSteps)};
  };
  auto zeroIfNot = [&](OpBuilder &fb, Value valid, Value v) -> Value {
    Value zero = arith::ConstantOp::create(
        fb, loc, cast<TypedAttr>(fb.getZeroAttr(v.getType())));
    return arith::SelectOp::create(fb, loc, valid, v, zero);
  };
  // The items [0, count) of this lane, unrolled: lane + NT * it. With a
  // count that is not a multiple of NT, the last items are clamped to
  // count - 1 (loaded again) and flagged as not to be stored.
  struct Item {
    Value i, live;
  };
  auto itemsOf = [&](OpBuilder &fb, int64_t count) {
    SmallVector<Item> items;
    for (Spread item : spread(fb, l.lane, nt, count))
      items.push_back({item.i, item.live});
    return items;
  };
  auto storeIfLive = [&](OpBuilder &fb, Value live,
                         llvm::function_ref<void(OpBuilder &)> store) {
    if (!live)
      return store(fb);
    auto guard = scf::IfOp::create(fb, loc, live, false);
    OpBuilder::InsertionGuard g(fb);
    fb.setInsertionPointToStart(guard.thenBlock());
    store(fb);
  };

  // Queries and keys (two stages: loaded one chunk ahead, emitPrefetch).
  if (stages == 1)
    emitQueryKeyLoads(b, l, t0, numSteps, bi, h, qS, kS, /*async=*/false);
  // The two-pass outputs of the delta forget: the values x_t the state walk
  // solved for (merged: u_t = d_t + x_t, the erase key's slot's values).
  if (delta && pass == Pass::outputs)
    loadRows(b, l, t0, numSteps, bi, h, workspaces.values, dS,
             {idx(b, eraseSlot)}, vt, elem, v0, /*async=*/false);

  // Cumulative log decays, summed in registers as they arrive: one row per
  // lane (scalar: G_i = sum_{j <= i} g_j over the whole chunk), or one key
  // channel per lane walking the rows (diagonal); stored in base 2 (G
  // log2 e), the unit of `exp`.
  Emitter e{b, loc};
  if (decay == Decay::scalar && gpu) {
    // Warp 0 alone: rows lane + 32 m, an inclusive scan by shuffles per 32
    // rows, carried from one 32 to the next.
    Value g = memrefOf(info.logDecay);
    Value lid = rem(b, l.lane, 32);
    auto warp0 = scf::IfOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, l.warp,
                              idx(b, 0)),
        false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(warp0.thenBlock());
    Emitter w{b, loc};
    const int64_t parts = (c + 31) / 32;
    SmallVector<Value> rows, xs;
    for (int64_t m = 0; m < parts; ++m) {
      Value row = add(b, lid, m * 32);
      Value inChunk = lt(b, row, idx(b, c));
      auto [t, valid] =
          rowAt(b, arith::MinUIOp::create(b, loc, row, idx(b, c - 1)));
      Value real = arith::AndIOp::create(b, loc, valid, inChunk);
      rows.push_back(row);
      xs.push_back(zeroIfNot(b, real, loadF32(b, g, {bi, t, h})));
    }
    Value width = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(32));
    auto i32 = [&](int64_t v) {
      return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v))
          .getResult();
    };
    Value carry = w.f32(0.0);
    for (int64_t m = 0; m < parts; ++m) {
      Value x = xs[m];
      for (int64_t off = 1; off < 32; off *= 2) {
        Value up = gpu::ShuffleOp::create(b, loc, x, i32(off), width,
                                          gpu::ShuffleMode::UP)
                       .getShuffleResult();
        x = arith::SelectOp::create(b, loc, le(b, idx(b, off), lid),
                                    w.add(x, up), x);
      }
      x = w.add(x, carry);
      auto inChunk =
          scf::IfOp::create(b, loc, lt(b, rows[m], idx(b, c)), false);
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(inChunk.thenBlock());
        memref::StoreOp::create(b, loc, w.mul(x, w.f32(kLog2E)), gCum,
                                ValueRange{rows[m]});
      }
      if (m + 1 < parts)
        carry = gpu::ShuffleOp::create(b, loc, x, i32(31), width,
                                       gpu::ShuffleMode::IDX)
                    .getShuffleResult();
    }
  } else if (decay == Decay::scalar) {
    // The CPU: lanes run one after another, each sums its row's prefix.
    Value g = memrefOf(info.logDecay);
    SmallVector<Value> gs;
    for (int64_t j = 0; j < c; ++j) {
      auto [t, valid] = rowAt(b, idx(b, j));
      gs.push_back(zeroIfNot(b, valid, loadF32(b, g, {bi, t, h})));
    }
    for (Item item : itemsOf(b, c)) {
      Value sum = e.f32(0.0);
      for (int64_t j = 0; j < c; ++j)
        sum =
            e.add(sum, arith::SelectOp::create(b, loc, le(b, idx(b, j), item.i),
                                               gs[j], e.f32(0.0)));
      storeIfLive(b, item.live, [&](OpBuilder &sb) {
        memref::StoreOp::create(sb, loc, e.mul(sum, e.f32(kLog2E)), gCum,
                                ValueRange{item.i});
      });
    }
  } else if (decay == Decay::diagonal) {
    Value g = memrefOf(info.logDecay);
    for (Item item : itemsOf(b, k)) {
      SmallVector<Value> gs;
      for (int64_t j = 0; j < c; ++j) {
        auto [t, valid] = rowAt(b, idx(b, j));
        gs.push_back(zeroIfNot(b, valid, loadF32(b, g, {bi, t, h, item.i})));
      }
      storeIfLive(b, item.live, [&](OpBuilder &sb) {
        Emitter se{sb, loc};
        Value sum = se.f32(0.0);
        for (int64_t j = 0; j < c; ++j) {
          sum = se.add(sum, gs[j]);
          memref::StoreOp::create(sb, loc, se.mul(sum, se.f32(kLog2E)), gCum,
                                  ValueRange{idx(sb, j), item.i});
        }
      });
    }
  }

  // The erase strengths beta_t of the delta forget (for its solve).
  if (delta && solves(pass)) {
    Value beta = memrefOf(info.eraseStrength);
    SmallVector<Item> rows = itemsOf(b, c);
    SmallVector<Value> betas;
    for (Item item : rows) {
      auto [t, valid] = rowAt(b, item.i);
      betas.push_back(zeroIfNot(b, valid, loadF32(b, beta, {bi, t, h})));
    }
    for (auto [item, v] : llvm::zip(rows, betas))
      storeIfLive(b, item.live, [&](OpBuilder &sb) {
        memref::StoreOp::create(sb, loc, v, betaS, ValueRange{item.i});
      });
  }

  // Injection values d_l = gate_l * delta_l (the refinement path fused),
  // stored by rows: D_l[j][v]. The merged two-pass outputs read the erase
  // key's slot's values (u_t) from the walk: with L = 1 no d_l is needed.
  const bool readsMergedValues = pass == Pass::outputs && merged;
  if (readsMergedValues && rank == 1)
    return;
  Value firstValue = info.refine ? memrefOf(info.refine.getValue())
                                 : memrefOf(info.values.front());
  Type valueElem = cast<MemRefType>(firstValue.getType()).getElementType();
  const int64_t vec =
      std::min<int64_t>(vt, 16 / (valueElem.getIntOrFloatBitWidth() / 8));
  const int64_t perRow = vt / vec;
  SmallVector<Item> items = itemsOf(b, c * perRow);
  // Loads first (every input of every item), then the write path.
  SmallVector<SmallVector<Value>> loaded;
  for (Item item : items) {
    auto [t, valid] = rowAt(b, div(b, item.i, perRow));
    Value col = mul(b, rem(b, item.i, perRow), vec);
    SmallVector<Value> at = {bi, t, h, add(b, v0, col)};
    SmallVector<Value> in;
    auto load = [&](Value memref) {
      in.push_back(zeroIfNot(b, valid, e.loadVector(memref, at, vec)));
    };
    if (info.refine) {
      load(memrefOf(info.refine.getValue()));
      load(memrefOf(info.refine.getAnchor()));
      for (Value gain : info.refine.getGains())
        load(memrefOf(gain));
    } else {
      for (Value value : info.values)
        load(memrefOf(value));
    }
    for (Value gate : info.injectGates)
      in.push_back(
          zeroIfNot(b, valid, e.loadScalar(memrefOf(gate), {bi, t, h})));
    loaded.push_back(std::move(in));
  }
  for (auto [item, in] : llvm::zip(items, loaded)) {
    SmallVector<Value> deltas;
    size_t next = 0;
    if (info.refine) {
      Value r = e.sub(in[0], in[1]);
      next = 2;
      for (size_t j = 0; j < info.refine.getGains().size(); ++j) {
        Value pr = e.mul(in[next++], r);
        Value d =
            info.refine.getActivation() == Activation::gelu ? e.gelu(pr) : pr;
        deltas.push_back(d);
        r = e.sub(r, d);
      }
    } else {
      for (size_t j = 0; j < info.values.size(); ++j)
        deltas.push_back(in[next++]);
    }
    for (size_t j = 0; j < info.injectGates.size(); ++j)
      deltas[j] = e.mul(deltas[j], e.splat(in[next++], vec));
    storeIfLive(b, item.live, [&](OpBuilder &sb) {
      Value row = div(sb, item.i, perRow);
      Value col = mul(sb, rem(sb, item.i, perRow), vec);
      for (int64_t j = 0; j < rank; ++j) {
        if (readsMergedValues && j == eraseSlot)
          continue;
        Value d = deltas[j];
        if (!elem.isF32())
          d = arith::TruncFOp::create(sb, loc, VectorType::get({vec}, elem), d);
        vector::StoreOp::create(sb, loc, d, dS,
                                ValueRange{idx(sb, j), row, col});
      }
    });
  }
}

void ChunkedFused::emitRescaledKeys(OpBuilder &b, Lane l, Value dst) {
  Value last = idx(b, c - 1);
  // Keys rescaled to the chunk end, KT_l[j][key]. A lane takes a 16-byte
  // piece of a key row.
  const int64_t vec = padOf(elem);
  for (int64_t j = 0; j < slots; ++j) {
    Value lj = idx(b, j);
    strided(b, l.lane, c * (k / vec), [&](OpBuilder &fb, Value i) {
      Value row = div(fb, i, k / vec), key0 = mul(fb, rem(fb, i, k / vec), vec);
      Emitter e{fb, loc};
      Value keys =
          e.toF32(vector::LoadOp::create(fb, loc, VectorType::get({vec}, elem),
                                         kS, ValueRange{lj, row, key0}));
      if (decay == Decay::scalar) {
        keys = e.mul(keys, e.splat(expDiff(fb, cumDecay(fb, last, {}),
                                           cumDecay(fb, row, {})),
                                   vec));
      } else if (decay == Decay::diagonal) {
        auto gType = VectorType::get({vec}, fb.getF32Type());
        Value gEnd = vector::LoadOp::create(fb, loc, gType, gCum,
                                            ValueRange{last, key0});
        Value gRow =
            vector::LoadOp::create(fb, loc, gType, gCum, ValueRange{row, key0});
        keys = e.mul(keys, exp(fb, e.sub(gEnd, gRow)));
      }
      if (!elem.isF32())
        keys = arith::TruncFOp::create(fb, loc, VectorType::get({vec}, elem),
                                       keys);
      vector::StoreOp::create(fb, loc, keys, dst, ValueRange{lj, row, key0});
    });
  }
}

void ChunkedFused::emitScores(OpBuilder &b, Lane l) {
  if (rescalesKeys(pass))
    emitRescaledKeys(b, l, kTS);

  // Scores P_l = Q K_l^T (causal) and, for the delta forget, W K_l^T
  // (strict), decayed: one 16 x 8 tile at a time, spread over the warps;
  // tiles above the diagonal blocks are never read.
  for (int64_t j = 0; j < slots && readsQueries(pass); ++j)
    emitScoreTiles(b, l, qS, {}, pS, j, /*strict=*/false);
  if (delta && solves(pass))
    for (int64_t j = 0; j < slots; ++j)
      emitScoreTiles(b, l, kS, {idx(b, eraseSlot)}, wS, j, /*strict=*/true);
}

void ChunkedFused::emitRescales(OpBuilder &b, Lane l) {
  // 16-byte pieces of rows; every exponent is a cumulative log decay minus
  // an earlier one (or the chunk start's zero), never positive.
  const int64_t vec = padOf(elem), perRow = k / vec;
  auto narrow = VectorType::get({vec}, elem);
  auto wide = VectorType::get({vec}, b.getF32Type());
  auto store = [&](OpBuilder &fb, Value v, Value buf, ValueRange at) {
    if (!elem.isF32())
      v = arith::TruncFOp::create(fb, loc, narrow, v);
    vector::StoreOp::create(fb, loc, v, buf, at);
  };
  // Q~ = Q o e^{G_i - G_n} (n: the first row of i's block), Q^ = Q o e^{G_i}.
  strided(b, l.lane, c * perRow, [&](OpBuilder &fb, Value i) {
    Emitter e{fb, loc};
    Value row = div(fb, i, perRow), key0 = mul(fb, rem(fb, i, perRow), vec);
    Value ref = mul(fb, div(fb, row, 16), 16);
    Value q = e.toF32(
        vector::LoadOp::create(fb, loc, narrow, qS, ValueRange{row, key0}));
    Value g =
        vector::LoadOp::create(fb, loc, wide, gCum, ValueRange{row, key0});
    Value gRef =
        vector::LoadOp::create(fb, loc, wide, gCum, ValueRange{ref, key0});
    store(fb, e.mul(q, exp(fb, e.sub(g, gRef))), qtS, {row, key0});
    store(fb, e.mul(q, exp(fb, g)), qhS, {row, key0});
  });
  // K~(a) = K_j o e^{G_n - G_j} for the rows j < n = 16 a, row block a >= 1
  // at rows 8 a (a - 1).. of kaS.
  const int64_t m = c / 16, rows = rescaledKeyRows(c);
  for (int64_t j = 0; j < slots && rows > 0; ++j) {
    Value lj = idx(b, j);
    strided(b, l.lane, rows * perRow, [&](OpBuilder &fb, Value i) {
      Emitter e{fb, loc};
      Value r = div(fb, i, perRow), key0 = mul(fb, rem(fb, i, perRow), vec);
      // a = 1 + #{a' in [2, m) : r >= 8 a' (a' - 1)}.
      Value a = idx(fb, 1);
      for (int64_t a2 = 2; a2 < m; ++a2)
        a = arith::SelectOp::create(
            fb, loc, le(fb, idx(fb, 8 * a2 * (a2 - 1)), r), idx(fb, a2), a);
      Value first = arith::MulIOp::create(
          fb, loc,
          arith::MulIOp::create(fb, loc, a,
                                arith::SubIOp::create(fb, loc, a, idx(fb, 1))),
          idx(fb, 8));
      Value key = arith::SubIOp::create(fb, loc, r, first);
      Value n = mul(fb, a, 16);
      Value kv = e.toF32(vector::LoadOp::create(fb, loc, narrow, kS,
                                                ValueRange{lj, key, key0}));
      Value gj =
          vector::LoadOp::create(fb, loc, wide, gCum, ValueRange{key, key0});
      Value gn =
          vector::LoadOp::create(fb, loc, wide, gCum, ValueRange{n, key0});
      store(fb, e.mul(kv, exp(fb, e.sub(gn, gj))), kaS, {lj, r, key0});
    });
  }
}

void ChunkedFused::emitScoreTiles(OpBuilder &b, Lane l, Value left,
                                  SmallVector<Value, 1> leftLead, Value dst,
                                  int64_t j, bool strict) {
  bool diagonal = decay == Decay::diagonal;
  assert(!(diagonal && strict) && "strict scores are the delta forget's");
  Value lj = idx(b, j);
  Emitter e{b, loc};
  Acc zero = {e.f32(0), e.f32(0), e.f32(0), e.f32(0)};
  auto storeTile = [&](OpBuilder &sb, Value row0, Value col0, Acc acc,
                       Value live) {
    OpBuilder::InsertionGuard g(sb);
    if (live) {
      auto guard = scf::IfOp::create(sb, loc, live, false);
      sb.setInsertionPointToStart(guard.thenBlock());
    }
    auto [r0, c0] = accAt(sb, l, row0, col0, 0);
    auto [r8, c8] = accAt(sb, l, row0, col0, 2);
    storePair(sb, dst, {lj, r0, c0}, acc[0], acc[1], elem);
    storePair(sb, dst, {lj, r8, c8}, acc[2], acc[3], elem);
  };
  // Row block a has 2a + 2 column tiles up to its diagonal block.
  const int64_t m = c / 16;
  if (!diagonal) {
    // Decay by scalars: the m (m + 1) tiles, row block major, go round the
    // warps (warp w: tiles w + NW s), up to four of a warp at a time, whose
    // independent mma chains interleave.
    SmallVector<Spread> all = spread(b, l.warp, nw, m * (m + 1));
    for (size_t g0 = 0; g0 < all.size(); g0 += 4) {
      ArrayRef<Spread> group =
          ArrayRef(all).slice(g0, std::min<size_t>(4, all.size() - g0));
      SmallVector<Value> row0s, col0s;
      SmallVector<std::pair<int64_t, int64_t>> pairs;
      for (auto [p, tile] : llvm::enumerate(group)) {
        // Row block a = #{a' in [1, m) : a' (a' + 1) <= i}.
        Value a = idx(b, 0);
        for (int64_t a2 = 1; a2 < m; ++a2)
          a = arith::SelectOp::create(
              b, loc, le(b, idx(b, a2 * (a2 + 1)), tile.i), idx(b, a2), a);
        Value before = arith::MulIOp::create(b, loc, a, add(b, a, 1));
        row0s.push_back(mul(b, a, 16));
        col0s.push_back(
            mul(b, arith::SubIOp::create(b, loc, tile.i, before), 8));
        pairs.push_back({int64_t(p), int64_t(p)});
      }
      SmallVector<Acc> accs(group.size(), zero);
      for (int64_t x = 0; x < k / 16; ++x) {
        SmallVector<Operand> lefts, rights;
        for (auto [row0, col0] : llvm::zip(row0s, col0s)) {
          lefts.push_back({left, leftLead, row0, idx(b, x * 16), nullptr});
          rights.push_back({kS, {lj}, col0, idx(b, x * 16), nullptr});
        }
        accs = mmaPairs(b, l, lefts, rights, pairs, accs);
      }
      for (auto [tile, row0, col0, acc] :
           llvm::zip(group, row0s, col0s, accs)) {
        for (int x = 0; x < 4; ++x) {
          auto [r, cc] = accAt(b, l, row0, col0, x);
          Value causal = strict ? lt(b, cc, r) : le(b, cc, r);
          // The exponent is masked before the exp: above the diagonal it
          // would be positive (and may overflow).
          Value factor =
              hasDecay()
                  ? exp(b, arith::SelectOp::create(
                               b, loc, causal,
                               e.sub(cumDecay(b, r, {}), cumDecay(b, cc, {})),
                               e.f32(0.0)))
                  : e.f32(1.0);
          acc[x] = arith::SelectOp::create(b, loc, causal,
                                           e.mul(acc[x], factor), e.f32(0.0));
        }
        storeTile(b, row0, col0, acc, tile.live);
      }
    }
    return;
  }
  // Diagonal decay: warp w takes tile w (+ NW s) of every row block, so
  // that the two costly diagonal-block tiles of successive row blocks go to
  // different warps.
  for (int64_t a = 0; a < m; ++a) {
    SmallVector<WarpTile> tiles = warpTiles(b, l, 2 * a + 2, l.warp);
    Value row0 = idx(b, a * 16);
    for (WarpTile t : tiles) {
      OpBuilder::InsertionGuard guard(b);
      if (t.live) {
        auto ifLive = scf::IfOp::create(b, loc, t.live, false);
        b.setInsertionPointToStart(ifLive.thenBlock());
      }
      Value n = t.n, col0 = mul(b, n, 8);
      // Diagonal decay. Blocks left of the diagonal: both operands rescaled
      // to the last row of the key block, exponents <= 0.
      auto split = scf::IfOp::create(b, loc, lt(b, n, idx(b, 2 * a)), true);
      if (rescaled) {
        // Q~ of the row block times K~(a): plain tiles.
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(split.thenBlock());
        Value keyRow0 = add(b, col0, 8 * a * (a - 1));
        Acc acc = zero;
        for (int64_t x = 0; x < k / 16; ++x)
          acc = mma(b, l, {qtS, {}, row0, idx(b, x * 16), nullptr},
                    {kaS, {lj}, keyRow0, idx(b, x * 16), nullptr}, acc);
        storeTile(b, row0, col0, acc, {});
      } else {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(split.thenBlock());
        Value ref = add(b, mul(b, div(b, n, 2), 16), 15);
        ScaleFn qScale = [&, ref](OpBuilder &sb, Location, Value r, Value key) {
          return expDiff(sb, cumDecay(sb, r, key), cumDecay(sb, ref, key));
        };
        ScaleFn kScale = [&, ref](OpBuilder &sb, Location, Value r, Value key) {
          return expDiff(sb, cumDecay(sb, ref, key), cumDecay(sb, r, key));
        };
        Acc acc = zero;
        for (int64_t x = 0; x < k / 16; ++x)
          acc = mma(b, l, {left, leftLead, row0, idx(b, x * 16), qScale},
                    {kS, {lj}, col0, idx(b, x * 16), kScale}, acc);
        storeTile(b, row0, col0, acc, {});
      }
      // Diagonal blocks: sum_k q_ik k_jk e^{G_ik - G_jk} for j <= i.
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(split.elseBlock());
      Acc acc;
      for (int x = 0; x < 4; ++x) {
        auto [r, cc] = accAt(b, l, row0, col0, x);
        auto causal = scf::IfOp::create(b, loc, TypeRange{b.getF32Type()},
                                        le(b, cc, r), true);
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(causal.thenBlock());
        // Eight keys a step: 16-byte loads of q and k, 32-byte ones of G.
        const int64_t vec = 8;
        auto wide = VectorType::get({vec}, b.getF32Type());
        auto dot = scf::ForOp::create(
            b, loc, idx(b, 0), idx(b, k), idx(b, vec),
            ValueRange{e.splat(e.f32(0), vec)},
            [&](OpBuilder &db, Location, Value key, ValueRange sum) {
              Emitter d{db, loc};
              auto narrow = VectorType::get({vec}, elem);
              SmallVector<Value> at(leftLead.begin(), leftLead.end());
              at.append({r, key});
              Value qv =
                  d.toF32(vector::LoadOp::create(db, loc, narrow, left, at));
              Value kv = d.toF32(vector::LoadOp::create(
                  db, loc, narrow, kS, ValueRange{lj, cc, key}));
              Value gi = vector::LoadOp::create(db, loc, wide, gCum,
                                                ValueRange{r, key});
              Value gj = vector::LoadOp::create(db, loc, wide, gCum,
                                                ValueRange{cc, key});
              Value term = d.mul(d.mul(qv, kv), exp(db, d.sub(gi, gj)));
              scf::YieldOp::create(db, loc, ValueRange{d.add(sum[0], term)});
            });
        scf::YieldOp::create(
            b, loc,
            ValueRange{vector::ReductionOp::create(
                b, loc, vector::CombiningKind::ADD, dot.getResult(0))});
        b.setInsertionPointToStart(causal.elseBlock());
        scf::YieldOp::create(b, loc, ValueRange{e.f32(0.0)});
        acc[x] = causal.getResult(0);
      }
      storeTile(b, row0, col0, acc, {});
    }
  }
}

//===----------------------------------------------------------------------===//
// The delta forget: the chunk's triangular solve
//===----------------------------------------------------------------------===//
//
// With x_t = -beta_t e_t and e_t = e^{g_t} S_{t-1} w_t, the delta step is
// S_t = e^{g_t} S_{t-1} + x_t w_t^T + sum_l d_t^l k_t^lT: a decay recurrence
// with one more (virtual) injection, whose values solve, inside a chunk,
//
//   x_t = -beta_t (R_t + sum_{s<t} M_ts x_s),
//   R_t = e^{G_t} S0 w_t + sum_l sum_{s<t} N^l_ts d_s^l,
//   M_ts = (w_t . w_s) e^{G_t - G_s},  N^l_ts = (w_t . k_s^l) e^{G_t - G_s}.
//
// By blocks of 16 rows, in order: Y_i = R_i + sum_{j<i} M_ij X_j, then
// X_i = T_i Y_i with T_i = -(I + diag(beta_i) M_ii)^{-1} diag(beta_i), the
// inverted unit lower-triangular diagonal block. Each warp solves whole
// columns (V) of X, so blocks follow each other with warp barriers only.

void ChunkedFused::emitNormalizeEraseKeys(OpBuilder &b, Lane l) {
  const int64_t vec = padOf(elem);
  Value slot = idx(b, eraseSlot);
  auto type = VectorType::get({vec}, elem);
  strided(b, l.lane, c, [&](OpBuilder &fb, Value row) {
    Emitter e{fb, loc};
    SmallVector<Value> pieces;
    Value sq = e.f32(0.0);
    for (int64_t x = 0; x < k; x += vec) {
      Value piece = e.toF32(vector::LoadOp::create(
          fb, loc, type, kS, ValueRange{slot, row, idx(fb, x)}));
      pieces.push_back(piece);
      sq = e.add(sq, e.dot(piece, piece));
    }
    // As the sequential schedule: w / sqrt(|w|^2 + 1e-12).
    Value inv = e.div(e.f32(1.0),
                      math::SqrtOp::create(fb, loc, e.add(sq, e.f32(1e-12))));
    for (auto [n, piece] : llvm::enumerate(pieces)) {
      Value v = e.mul(piece, e.splat(inv, vec));
      if (!elem.isF32())
        v = arith::TruncFOp::create(fb, loc, type, v);
      vector::StoreOp::create(fb, loc, v, kS,
                              ValueRange{slot, row, idx(fb, n * vec)});
    }
  });
}

void ChunkedFused::emitBlockInverses(OpBuilder &b, Lane l) {
  // One lane per column j of a diagonal block: forward substitution of
  // (I + diag(beta) M) z = e_j, then column j of T is -beta_j z.
  strided(b, l.lane, c, [&](OpBuilder &fb, Value i) {
    Emitter e{fb, loc};
    Value base = mul(fb, div(fb, i, 16), 16), j = rem(fb, i, 16);
    Value slot = idx(fb, eraseSlot);
    SmallVector<Value> z;
    for (int64_t t = 0; t < 16; ++t) {
      Value row = add(fb, base, t);
      Value sum = e.f32(0.0);
      for (int64_t s = 0; s < t; ++s)
        sum = e.add(
            sum, e.mul(loadF32(fb, wS, {slot, row, add(fb, base, s)}), z[s]));
      Value unit = arith::SelectOp::create(
          fb, loc,
          arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::eq, j,
                                idx(fb, t)),
          e.f32(1.0), e.f32(0.0));
      Value beta = memref::LoadOp::create(fb, loc, betaS, ValueRange{row});
      z.push_back(e.sub(unit, e.mul(beta, sum)));
    }
    Value factor = arith::NegFOp::create(
        fb, loc, memref::LoadOp::create(fb, loc, betaS, ValueRange{i}));
    for (int64_t t = 0; t < 16; ++t)
      memref::StoreOp::create(fb, loc, e.fromF32(e.mul(z[t], factor), elem), tS,
                              ValueRange{add(fb, base, t), j});
  });
}

void ChunkedFused::warpStep(OpBuilder &b,
                            llvm::function_ref<void(OpBuilder &, Lane)> body) {
  if (!gpu)
    return phase(b, body);
  body(b, laneOf(b, lane));
  NVVM::SyncWarpOp::create(
      b, loc,
      arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(-1)).getResult());
}

void ChunkedFused::storeRows(OpBuilder &b, Lane l, ArrayRef<WarpTile> tiles,
                             ArrayRef<Acc> accs, Value row0, Value dst,
                             ArrayRef<Value> lead, int64_t rowOffset,
                             bool accumulate) {
  for (auto [t, acc] : llvm::zip(tiles, accs)) {
    OpBuilder::InsertionGuard g(b);
    if (t.live) {
      auto guard = scf::IfOp::create(b, loc, t.live, false);
      b.setInsertionPointToStart(guard.thenBlock());
    }
    for (int half = 0; half < 2; ++half) {
      auto [r, cc] = accAt(b, l, row0, mul(b, t.n, 8), 2 * half);
      SmallVector<Value> at(lead.begin(), lead.end());
      at.append({add(b, r, rowOffset), cc});
      Value x = acc[2 * half], y = acc[2 * half + 1];
      if (accumulate) {
        Emitter e{b, loc};
        Value held = e.toF32(vector::LoadOp::create(
            b, loc, VectorType::get({2}, elem), dst, at));
        x = e.add(x, vector::ExtractOp::create(b, loc, held, int64_t(0)));
        y = e.add(y, vector::ExtractOp::create(b, loc, held, int64_t(1)));
      }
      storePair(b, dst, at, x, y, elem);
    }
  }
}

void ChunkedFused::emitSolveBlock(OpBuilder &b, int64_t blk,
                                  const SolveColumns &cols) {
  Value slot = idx(b, eraseSlot);
  // The warp's column tiles (8 wide; past the width clamped, not stored)
  // share every left fragment, and their mma chains interleave.
  auto rightsOf = [&](OpBuilder &fb, ArrayRef<WarpTile> tiles, Value buf,
                      SmallVector<Value, 1> lead, Value col, bool trans) {
    SmallVector<Operand> ops;
    for (WarpTile t : tiles)
      ops.push_back({buf, lead, mul(fb, t.n, 8), col, nullptr, trans});
    return ops;
  };
  // A warp step on the warp's tiles of the block's rows, from zero.
  using TileBody = llvm::function_ref<void(
      OpBuilder &, Lane, ArrayRef<WarpTile>, Value, SmallVector<Acc> &)>;
  auto tileStep = [&](TileBody body) {
    warpStep(b, [&](OpBuilder &fb, Lane l) {
      Emitter e{fb, loc};
      SmallVector<WarpTile> tiles = warpTiles(fb, l, cols.width / 8, l.warp);
      SmallVector<Acc> accs(tiles.size(),
                            Acc{e.f32(0), e.f32(0), e.f32(0), e.f32(0)});
      body(fb, l, tiles, idx(fb, blk * 16), accs);
    });
  };
  // Y_i, by rows: the right operand of T_i Y_i (read transposed).
  tileStep([&](OpBuilder &fb, Lane l, ArrayRef<WarpTile> tiles, Value row0,
               SmallVector<Acc> &accs) {
    Emitter e{fb, loc};
    // The start state's term, decayed: e^{G_t} S0 w_t (or e^{G_t} w_t, the
    // response to the start state).
    if (cols.fromState) {
      for (int64_t x = 0; x < k / 16; ++x) {
        Value col = idx(fb, x * 16);
        accs = mmaRow(fb, l, {kS, {slot}, row0, col, nullptr},
                      rightsOf(fb, tiles, sbS, {}, col, false), accs);
      }
    } else if (cols.fromKeys) {
      for (auto [t, acc] : llvm::zip(tiles, accs))
        for (int x = 0; x < 4; ++x) {
          auto [r, cc] = accAt(fb, l, row0, mul(fb, t.n, 8), x);
          acc[x] = loadF32(fb, kS, {slot, r, cc});
        }
    }
    if (decay == Decay::scalar && (cols.fromState || cols.fromKeys))
      for (auto [t, acc] : llvm::zip(tiles, accs))
        for (int x = 0; x < 4; ++x)
          acc[x] = e.mul(
              acc[x],
              exp(fb, cumDecay(fb, accAt(fb, l, row0, mul(fb, t.n, 8), x).first,
                               {})));
    for (int64_t j = 0; j < slots; ++j) {
      // N^l up to the diagonal block; M only left of it (T_i has the rest).
      // Merged, the erase key's slot holds U_j = D_j + X_j left of the
      // diagonal block and D_i on it, so its N term carries both. The
      // response Psi has no injections: only M (the erase key's scores)
      // with its own earlier blocks.
      bool injection = j < rank;
      if (injection != cols.injections && j != eraseSlot)
        continue;
      if (!cols.injections)
        injection = false;
      int64_t blocks = injection ? blk + 1 : blk;
      Value lj = idx(fb, j);
      Value right = injection ? dS : cols.x;
      SmallVector<Value, 1> lead;
      if (injection)
        lead.push_back(lj);
      else
        lead.assign(cols.xLead.begin(), cols.xLead.end());
      for (int64_t x = 0; x < blocks; ++x) {
        Value col = idx(fb, x * 16);
        accs = mmaRow(fb, l, {wS, {lj}, row0, col, nullptr},
                      rightsOf(fb, tiles, right, lead, col, true), accs);
      }
    }
    storeRows(fb, l, tiles, accs, row0, yS, {}, -blk * 16, false);
  });
  // X_i = T_i Y_i: the virtual injection's values, stored like every D, or
  // (merged) added to the values of the erase key's slot: U_i = D_i + X_i.
  tileStep([&](OpBuilder &fb, Lane l, ArrayRef<WarpTile> tiles, Value row0,
               SmallVector<Acc> &accs) {
    accs = mmaRow(fb, l, {tS, {}, row0, idx(fb, 0), nullptr},
                  rightsOf(fb, tiles, yS, {}, idx(fb, 0), true), accs);
    storeRows(fb, l, tiles, accs, row0, cols.x, cols.xLead, 0,
              merged && cols.injections);
  });
}

/// Column tiles (8 wide) of `count` for this lane's warp: n = first + NW s.
/// Past `count` the tile is clamped to the last one (computed again, so that
/// the code stays straight) and flagged as not to be stored.
SmallVector<ChunkedFused::WarpTile>
ChunkedFused::warpTiles(OpBuilder &b, Lane l, int64_t count, Value first) {
  SmallVector<WarpTile> tiles;
  for (Spread tile : spread(b, first, nw, count))
    tiles.push_back({tile.i, tile.live});
  return tiles;
}

SmallVector<ChunkedFused::Spread>
ChunkedFused::spread(OpBuilder &b, Value first, int64_t stride, int64_t count) {
  SmallVector<Spread> out;
  for (int64_t s = 0; s < (count + stride - 1) / stride; ++s) {
    Value i = add(b, first, s * stride);
    Value live;
    if ((s + 1) * stride > count) {
      live = lt(b, i, idx(b, count));
      i = arith::MinUIOp::create(b, loc, i, idx(b, count - 1));
    }
    out.push_back({i, live});
  }
  return out;
}

void ChunkedFused::emitOutputs(OpBuilder &b, Lane l, Value t0, Value numSteps,
                               Value bi, Value h, Value v0) {
  Value out = memrefOf(info.scan.getOutput());
  Type outElem = cast<MemRefType>(out.getType()).getElementType();
  bool diagonal = decay == Decay::diagonal;
  Emitter e{b, loc};
  Acc zero = {e.f32(0), e.f32(0), e.f32(0), e.f32(0)};
  ScaleFn qScale;
  if (diagonal)
    qScale = [&](OpBuilder &sb, Location, Value r, Value key) {
      return exp(sb, cumDecay(sb, r, key));
    };
  // Each warp its column tiles of the V-tile, for a group of row blocks at
  // once: a (row block, tile) pair is an mma chain independent of the
  // others, so the chains interleave, and the right fragments (state,
  // values) are loaded once for the group. At most 4 chains (16 registers of
  // accumulators) at a time.
  SmallVector<WarpTile> tiles = warpTiles(b, l, vt / 8, l.warp);
  const int64_t m = c / 16, nTiles = tiles.size();
  const int64_t group = std::max<int64_t>(1, std::min<int64_t>(m, 4 / nTiles));
  auto rightOf = [&](Value buf, Value lead, int64_t col, bool trans) {
    SmallVector<Operand> ops;
    for (WarpTile t : tiles) {
      Operand op{buf, {}, mul(b, t.n, 8), idx(b, col), nullptr, trans};
      if (lead)
        op.lead.push_back(lead);
      ops.push_back(op);
    }
    return ops;
  };
  // The pairs of row blocks [a0, a1) with every tile, row block major.
  auto pairsOf = [&](int64_t a0, int64_t a1) {
    SmallVector<std::pair<int64_t, int64_t>> pairs;
    for (int64_t a = a0; a < a1; ++a)
      for (int64_t t = 0; t < nTiles; ++t)
        pairs.push_back({a - a0, t});
    return pairs;
  };
  for (int64_t g0 = 0; g0 < m; g0 += group) {
    const int64_t g1 = std::min(m, g0 + group);
    SmallVector<Acc> accs((g1 - g0) * nTiles, zero);
    // From the chunk-start state: (Q o e^{G_i}) S^T.
    for (int64_t x = 0; x < k / 16; ++x) {
      SmallVector<Operand> lefts;
      for (int64_t a = g0; a < g1; ++a)
        lefts.push_back(
            rescaled ? Operand{qhS, {}, idx(b, a * 16), idx(b, x * 16), nullptr}
                     : Operand{qS, {}, idx(b, a * 16), idx(b, x * 16), qScale});
      accs = mmaPairs(b, l, lefts, rightOf(sbS, {}, x * 16, false),
                      pairsOf(g0, g1), accs);
    }
    if (decay == Decay::scalar)
      for (int64_t a = g0; a < g1; ++a)
        for (auto [t, tile] : llvm::enumerate(tiles)) {
          Acc &acc = accs[(a - g0) * nTiles + t];
          for (int x = 0; x < 4; ++x)
            acc[x] = e.mul(
                acc[x],
                exp(b,
                    cumDecay(
                        b,
                        accAt(b, l, idx(b, a * 16), mul(b, tile.n, 8), x).first,
                        {})));
        }
    // Within the chunk: sum_l P_l D_l over key blocks up to the diagonal;
    // key block `blk` serves the group's row blocks from max(g0, blk) on.
    for (int64_t j = 0; j < slots; ++j)
      for (int64_t blk = 0; blk < g1; ++blk) {
        const int64_t a0 = std::max(g0, blk);
        SmallVector<Operand> lefts;
        for (int64_t a = a0; a < g1; ++a)
          lefts.push_back(
              {pS, {idx(b, j)}, idx(b, a * 16), idx(b, blk * 16), nullptr});
        ArrayRef<Acc> part = ArrayRef(accs).drop_front((a0 - g0) * nTiles);
        SmallVector<Acc> sums =
            mmaPairs(b, l, lefts, rightOf(dS, idx(b, j), blk * 16, true),
                     pairsOf(a0, g1), part);
        llvm::copy(sums, accs.begin() + (a0 - g0) * nTiles);
      }
    // o = scale * acc, rows within T.
    Value scale = e.f32(info.scale);
    for (int64_t a = g0; a < g1; ++a)
      for (auto [t, tile] : llvm::enumerate(tiles)) {
        Acc acc = accs[(a - g0) * nTiles + t];
        Value col0 = mul(b, tile.n, 8);
        for (int half = 0; half < 2; ++half) {
          auto [r, cc] = accAt(b, l, idx(b, a * 16), col0, 2 * half);
          Value time = add(b, t0, r);
          OpBuilder::InsertionGuard g2(b);
          guardRow(b, time, numSteps, tile.live);
          Emitter w{b, loc};
          storePair(b, out, {bi, time, h, add(b, v0, cc)},
                    w.mul(acc[2 * half], scale),
                    w.mul(acc[2 * half + 1], scale), outElem);
        }
      }
  }
}

void ChunkedFused::emitStateCopy(OpBuilder &b, Lane l, Value bi, Value h,
                                 Value ci, Value v0, bool out) {
  // 16-byte pieces of the V-tile's rows (K wide), every load issued first.
  const int64_t vec = padOf(elem), perRow = k / vec;
  auto type = VectorType::get({vec}, elem);
  Value states = workspaces.states;
  SmallVector<Spread> items = spread(b, l.lane, nt, vt * perRow);
  SmallVector<std::pair<Value, Value>> at;
  SmallVector<Value> values;
  for (Spread item : items) {
    Value row = div(b, item.i, perRow),
          col = mul(b, rem(b, item.i, perRow), vec);
    at.push_back({row, col});
    values.push_back(
        out ? vector::LoadOp::create(b, loc, type, sbS, ValueRange{row, col})
                  .getResult()
            : vector::LoadOp::create(
                  b, loc, type, states,
                  ValueRange{bi, h, ci, add(b, v0, row), col})
                  .getResult());
  }
  for (auto [item, where, value] : llvm::zip(items, at, values)) {
    OpBuilder::InsertionGuard guard(b);
    if (item.live) {
      auto ifLive = scf::IfOp::create(b, loc, item.live, false);
      b.setInsertionPointToStart(ifLive.thenBlock());
    }
    auto [row, col] = where;
    if (out)
      vector::StoreOp::create(b, loc, value, states,
                              ValueRange{bi, h, ci, add(b, v0, row), col});
    else
      vector::StoreOp::create(b, loc, value, sbS, ValueRange{row, col});
  }
}

void ChunkedFused::emitRowsOut(OpBuilder &b, Lane l, Value t0, Value numSteps,
                               Value bi, Value h, Value src,
                               ArrayRef<Value> lead, int64_t width, Value dst,
                               Value col0) {
  const int64_t vec = padOf(elem), perRow = width / vec;
  auto type = VectorType::get({vec}, elem);
  SmallVector<Spread> items = spread(b, l.lane, nt, c * perRow);
  SmallVector<Value> values;
  for (Spread item : items) {
    SmallVector<Value> at(lead.begin(), lead.end());
    at.append({div(b, item.i, perRow), mul(b, rem(b, item.i, perRow), vec)});
    values.push_back(vector::LoadOp::create(b, loc, type, src, at));
  }
  for (auto [item, value] : llvm::zip(items, values)) {
    Value row = div(b, item.i, perRow),
          col = mul(b, rem(b, item.i, perRow), vec);
    Value time = add(b, t0, row);
    OpBuilder::InsertionGuard guard(b);
    guardRow(b, time, numSteps, item.live);
    vector::StoreOp::create(b, loc, value, dst,
                            ValueRange{bi, time, h, add(b, col0, col)});
  }
}

void ChunkedFused::emitSolvedValuesOut(OpBuilder &b, Lane l, Value t0,
                                       Value numSteps, Value bi, Value h,
                                       Value v0) {
  // The state walk keeps them in its one slot; merged, the summaries hold
  // u0 = d + x0 in the erase key's slot.
  Value slot = idx(b, pass == Pass::states ? 0 : eraseSlot);
  emitRowsOut(b, l, t0, numSteps, bi, h, dS, {slot}, vt, workspaces.values, v0);
}

void ChunkedFused::emitResponsesOut(OpBuilder &b, Lane l, Value t0,
                                    Value numSteps, Value bi, Value h) {
  emitRowsOut(b, l, t0, numSteps, bi, h, psiS, {}, k, workspaces.responses,
              idx(b, 0));
}

void ChunkedFused::emitResponses(OpBuilder &b, Lane l) {
  // Per row block, the warp's column tiles of V share the Psi fragments;
  // the reduction runs over K against the state copy (V-tile x K). S0 Psi^T
  // is the left operand of the state update; X = X0 + S0 Psi^T replaces X0.
  for (int64_t a = 0; a < c / 16; ++a) {
    Emitter e{b, loc};
    Value row0 = idx(b, a * 16);
    SmallVector<WarpTile> tiles = warpTiles(b, l, vt / 8, l.warp);
    SmallVector<Acc> accs(tiles.size(),
                          Acc{e.f32(0), e.f32(0), e.f32(0), e.f32(0)});
    for (int64_t x = 0; x < k / 16; ++x) {
      Value col = idx(b, x * 16);
      SmallVector<Operand> rights;
      for (WarpTile t : tiles)
        rights.push_back({sbS, {}, mul(b, t.n, 8), col, nullptr});
      accs = mmaRow(b, l, {psiS, {}, row0, col, nullptr}, rights, accs);
    }
    storeRows(b, l, tiles, accs, row0, xsS, {}, 0, /*accumulate=*/false);
    storeRows(b, l, tiles, accs, row0, dS, {idx(b, 0)}, 0,
              /*accumulate=*/true);
  }
}

void ChunkedFused::writeStateCopy(OpBuilder &b, Lane l, int64_t s, Acc acc) {
  auto [row0, col0] = stateTile(b, l, s);
  auto [r0, c0] = accAt(b, l, row0, col0, 0);
  auto [r8, c8] = accAt(b, l, row0, col0, 2);
  storePair(b, sbS, {r0, c0}, acc[0], acc[1], elem);
  storePair(b, sbS, {r8, c8}, acc[2], acc[3], elem);
}

void ChunkedFused::emitStateUpdate(OpBuilder &b, Lane l, ValueRange summaryAt,
                                   ValueRange walkAt) {
  Value last = idx(b, c - 1);
  const bool summary = !summaryAt.empty();
  // The delta forget's state walk: the chunk's log decay and B0 from the
  // summaries pass, one slot (S0 Psi^T, W~).
  const bool composes = !walkAt.empty();
  Value decayEnd;
  if (composes && hasDecay())
    decayEnd = memref::LoadOp::create(b, loc, gCum, ValueRange{idx(b, 0)});
  else if (decay == Decay::scalar)
    decayEnd = cumDecay(b, last, {});
  // Consecutive state tiles of a warp that share their 16 rows (of V) share
  // the A fragments (D^T) of every reduction step.
  const int64_t perRow = k / 8;
  const int64_t group = stateSlots % perRow == 0 || perRow % stateSlots == 0
                            ? std::min(stateSlots, perRow)
                            : 1;
  Emitter e{b, loc};
  for (int64_t s0 = 0; s0 < stateSlots; s0 += group) {
    Value row0 = stateTile(b, l, s0).first;
    SmallVector<Value> col0s;
    SmallVector<Acc> accs;
    for (int64_t s = s0; s < s0 + group; ++s) {
      Value col0 = stateTile(b, l, s).second;
      col0s.push_back(col0);
      Acc acc;
      for (int x = 0; x < 4 && summary; ++x)
        acc[x] = e.f32(0.0);
      for (int x = 0; x < 4 && !summary; ++x) {
        acc[x] = regLoad(b, l, 4 * s + x);
        if (decay == Decay::scalar)
          acc[x] = e.mul(acc[x], exp(b, decayEnd));
        else if (decay == Decay::diagonal)
          acc[x] = e.mul(
              acc[x],
              exp(b, cumDecay(b, last, accAt(b, l, row0, col0, x).second)));
        if (composes) {
          auto [v, key] = accAt(b, l, row0, col0, x);
          acc[x] = e.add(acc[x], loadF32(b, b0S, {v, key}));
        }
      }
      accs.push_back(acc);
    }
    for (int64_t j = 0; j < slots; ++j) {
      Value lj = idx(b, j);
      for (int64_t blk = 0; blk < c / 16; ++blk) {
        SmallVector<Operand> rights;
        for (Value col0 : col0s)
          rights.push_back(
              transposed({kTS, {lj}, col0, idx(b, blk * 16), nullptr}));
        Operand values =
            composes ? transposed({xsS, {}, row0, idx(b, blk * 16), nullptr})
                     : transposed({dS, {lj}, row0, idx(b, blk * 16), nullptr});
        accs = mmaRow(b, l, values, rights, accs);
      }
    }
    for (int64_t s = s0; s < s0 + group; ++s) {
      if (summary) {
        // Pairs of the summary [B, H, chunks, V, K] (f32; the delta
        // forget's in the operand type).
        auto [row0, col0] = stateTile(b, l, s);
        Acc acc = accs[s - s0];
        Type sumElem =
            cast<MemRefType>(workspaces.summaries.getType()).getElementType();
        for (int half = 0; half < 2; ++half) {
          auto [v, key] = accAt(b, l, row0, col0, 2 * half);
          storePair(b, workspaces.summaries,
                    {summaryAt[0], summaryAt[1], summaryAt[2],
                     add(b, summaryAt[3], v), key},
                    acc[2 * half], acc[2 * half + 1], sumElem);
        }
        continue;
      }
      for (int x = 0; x < 4; ++x)
        regStore(b, l, 4 * s + x, accs[s - s0][x]);
      writeStateCopy(b, l, s, accs[s - s0]);
    }
  }
  // The chunk's log decay G_end (rows past T added zeros), from the program
  // of the first V-tile.
  if (summary && hasDecay()) {
    Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        summaryAt[3], idx(b, 0));
    auto ifFirst = scf::IfOp::create(b, loc, first, false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifFirst.thenBlock());
    if (decay == Decay::diagonal) {
      for (Spread item : spread(b, l.lane, nt, k)) {
        OpBuilder::InsertionGuard g2(b);
        if (item.live) {
          auto ifLive = scf::IfOp::create(b, loc, item.live, false);
          b.setInsertionPointToStart(ifLive.thenBlock());
        }
        memref::StoreOp::create(
            b, loc, cumDecay(b, last, item.i), workspaces.decays,
            ValueRange{summaryAt[0], summaryAt[1], summaryAt[2], item.i});
      }
    } else {
      auto ifLane0 = scf::IfOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, l.lane,
                                idx(b, 0)),
          false);
      b.setInsertionPointToStart(ifLane0.thenBlock());
      memref::StoreOp::create(
          b, loc, cumDecay(b, last, {}), workspaces.decays,
          ValueRange{summaryAt[0], summaryAt[1], summaryAt[2]});
    }
  }
}

//===----------------------------------------------------------------------===//
// The program
//===----------------------------------------------------------------------===//

void ChunkedFused::emit(OpBuilder &b) {
  loc = info.scan.getLoc();
  elem = operandType(info);
  tensorCores = gpu && !elem.isF32();
  stateSlots = (vt / 16) * (k / 8) / nw;
  ScratchLayout layout = layoutScratch(info, {c, vt, nw, stages}, elem, pass);
  MLIRContext *ctx = b.getContext();

  // The GPU scratch: one dynamic shared buffer per module.
  Attribute space;
  if (gpu) {
    space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
    auto module =
        b.getInsertionBlock()->getParentOp()->getParentOfType<ModuleOp>();
    if (!module.lookupSymbol(kSharedScratchName)) {
      OpBuilder mb(ctx);
      mb.setInsertionPointToStart(module.getBody());
      memref::GlobalOp::create(
          mb, loc, kSharedScratchName, mb.getStringAttr("public"),
          MemRefType::get({0}, mb.getI8Type(), AffineMap(), space), Attribute(),
          /*constant=*/false, mb.getI64IntegerAttr(16));
    }
  }
  if (pass == Pass::outputs || pass == Pass::summaries || pass == Pass::factors)
    emitChunkPrograms(b, layout, space);
  else if (pass == Pass::scan)
    emitSummaryScan(b);
  else
    emitWalk(b, layout, space);
}

void ChunkedFused::forPrograms(
    OpBuilder &b, ArrayRef<Value> programs,
    llvm::function_ref<void(OpBuilder &, ValueRange)> body) {
  SmallVector<Value> ubs(programs.begin(), programs.end());
  SmallVector<StringRef> roles(ubs.size(), "program");
  if (gpu) {
    ubs.push_back(idx(b, nt));
    roles.push_back("lane");
  }
  SmallVector<Value> lbs(ubs.size(), idx(b, 0)), steps(ubs.size(), idx(b, 1));
  auto loop = scf::ParallelOp::create(
      b, loc, lbs, ubs, steps, [&](OpBuilder &nb, Location, ValueRange iv) {
        lane = gpu ? iv[programs.size()] : Value();
        body(nb, iv.take_front(programs.size()));
      });
  setLoopRoles(loop, roles);
  // Every vector access of the kernels is a piece of a row at a multiple of
  // its own size, in buffers whose rows start on 16-byte boundaries (global
  // rows of K or V elements, K and V multiples of 16; padded scratch rows):
  // say so, or the GPU backend splits 16-byte accesses into 2-byte ones.
  auto align = [&](Operation *op, VectorType type) {
    int64_t bytes = type.getNumElements() * type.getElementTypeBitWidth() / 8;
    if (!op->hasAttr("alignment") && bytes >= 2 && llvm::isPowerOf2_64(bytes))
      op->setAttr("alignment",
                  b.getI64IntegerAttr(std::min<int64_t>(bytes, 16)));
  };
  loop.walk([&](Operation *op) {
    if (auto load = dyn_cast<vector::LoadOp>(op))
      align(op, load.getVectorType());
    else if (auto store = dyn_cast<vector::StoreOp>(op))
      align(op, store.getVectorType());
  });
}

Value ChunkedFused::viewAt(OpBuilder &b, Value offset, ArrayRef<int64_t> shape,
                           Type type) {
  return memref::ViewOp::create(
             b, loc, MemRefType::get(shape, type, AffineMap(), scratchSpace),
             scratchBase, offset, ValueRange{})
      .getResult();
}

ChunkedFused::StageViews ChunkedFused::stageViews(OpBuilder &b, Value stage) {
  const int64_t pad = padOf(elem);
  auto at = [&](int64_t first, int64_t second) {
    return add(b, idx(b, first), mul(b, stage, second - first));
  };
  StageViews v;
  if (readsQueries(pass))
    v.q = viewAt(b, at(scratch.q, scratch.q2), {c, k + pad}, elem);
  v.k = viewAt(b, at(scratch.k, scratch.k2), {slots, c, k + pad}, elem);
  if (pass == Pass::states) {
    v.psi = viewAt(b, at(scratch.psi, scratch.psi2), {c, k + pad}, elem);
    v.d = viewAt(b, at(scratch.d, scratch.d2), {1, c, vt + pad}, elem);
    v.b0 = viewAt(b, at(scratch.b0, scratch.b02), {vt, k + pad}, elem);
    v.g = viewAt(b, at(scratch.g, scratch.g2), {4}, b.getF32Type());
  }
  return v;
}

void ChunkedFused::useStage(const StageViews &views) {
  qS = views.q;
  kS = views.k;
  if (pass == Pass::states) {
    kTS = views.k;
    psiS = views.psi;
    dS = views.d;
    b0S = views.b0;
    gCum = views.g;
  }
}

Value ChunkedFused::emitPrefetch(OpBuilder &b, Lane l, Value t0, Value numSteps,
                                 Value bi, Value h, Value ci, Value v0,
                                 Value stage) {
  StageViews dst = stageViews(b, stage);
  if (pass == Pass::states)
    emitStateWalkLoads(b, l, t0, numSteps, bi, h, ci, v0, dst, /*async=*/gpu);
  else
    emitQueryKeyLoads(b, l, t0, numSteps, bi, h, dst.q, dst.k, /*async=*/gpu);
  if (!gpu)
    return {};
  return nvgpu::DeviceAsyncCreateGroupOp::create(
      b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), ValueRange{});
}

void ChunkedFused::emitStateWalkLoads(OpBuilder &b, Lane l, Value t0,
                                      Value numSteps, Value bi, Value h,
                                      Value ci, Value v0, const StageViews &dst,
                                      bool async) {
  loadRows(b, l, t0, numSteps, bi, h, workspaces.erasedKeys, dst.k, {idx(b, 0)},
           k, elem, Value(), async);
  loadRows(b, l, t0, numSteps, bi, h, workspaces.responses, dst.psi, {}, k,
           elem, Value(), async);
  loadRows(b, l, t0, numSteps, bi, h, workspaces.values, dst.d, {idx(b, 0)}, vt,
           elem, v0, async);
  // B0: the V-tile's rows of the chunk's [V, K] summary, 16 bytes a piece;
  // the chunk's log decay by lane 0.
  Value chunks = arith::CeilDivUIOp::create(b, loc, numSteps, idx(b, c));
  Value chunk = arith::MinUIOp::create(
      b, loc, ci, arith::SubIOp::create(b, loc, chunks, idx(b, 1)));
  if (hasDecay()) {
    OpBuilder::InsertionGuard guard(b);
    auto lane0 = scf::IfOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, l.lane,
                              idx(b, 0)),
        false);
    b.setInsertionPointToStart(lane0.thenBlock());
    ValueRange from{bi, h, chunk};
    if (async)
      nvgpu::DeviceAsyncCopyOp::create(
          b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), dst.g,
          ValueRange{idx(b, 0)}, workspaces.decays, from, b.getIndexAttr(1),
          Value(), UnitAttr());
    else
      memref::StoreOp::create(
          b, loc, memref::LoadOp::create(b, loc, workspaces.decays, from),
          dst.g, ValueRange{idx(b, 0)});
  }
  const int64_t vec = padOf(elem), perRow = k / vec;
  auto type = VectorType::get({vec}, elem);
  Value src = workspaces.summaries;
  SmallVector<Spread> items = spread(b, l.lane, nt, vt * perRow);
  SmallVector<Value> values;
  auto srcAt = [&](OpBuilder &fb, Value i) -> SmallVector<Value> {
    return {bi, h, chunk, add(fb, v0, div(fb, i, perRow)),
            mul(fb, rem(fb, i, perRow), vec)};
  };
  auto dstAt = [&](OpBuilder &fb, Value i) -> SmallVector<Value> {
    return {div(fb, i, perRow), mul(fb, rem(fb, i, perRow), vec)};
  };
  if (!async)
    for (Spread item : items)
      values.push_back(
          vector::LoadOp::create(b, loc, type, src, srcAt(b, item.i)));
  for (auto [n, item] : llvm::enumerate(items)) {
    OpBuilder::InsertionGuard guard(b);
    if (item.live) {
      auto ifLive = scf::IfOp::create(b, loc, item.live, false);
      b.setInsertionPointToStart(ifLive.thenBlock());
    }
    if (async)
      nvgpu::DeviceAsyncCopyOp::create(
          b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), dst.b0,
          dstAt(b, item.i), src, srcAt(b, item.i), b.getIndexAttr(vec), Value(),
          b.getUnitAttr());
    else
      vector::StoreOp::create(b, loc, values[n], dst.b0, dstAt(b, item.i));
  }
}

Value ChunkedFused::makeScratch(OpBuilder &nb, const ScratchLayout &layout,
                                Attribute space) {
  const int64_t pad = padOf(elem);
  Value base, owned;
  if (gpu) {
    auto global = memref::GetGlobalOp::create(
        nb, loc, MemRefType::get({0}, nb.getI8Type(), AffineMap(), space),
        kSharedScratchName);
    global->setAttr(kSharedBytesAttr, nb.getI64IntegerAttr(layout.bytes));
    base = global;
  } else {
    base = owned = memref::AllocOp::create(
        nb, loc, MemRefType::get({layout.bytes}, nb.getI8Type()));
  }
  scratch = layout;
  scratchBase = base;
  scratchSpace = space;
  auto view = [&](int64_t offset, ArrayRef<int64_t> shape, Type type) {
    return viewAt(nb, idx(nb, offset), shape, type);
  };
  if (readsQueries(pass)) {
    qS = view(layout.q, {c, k + pad}, elem);
    pS = view(layout.p, {slots, c, c + pad}, elem);
  }
  kS = view(layout.k, {slots, c, k + pad}, elem);
  dS = view(layout.d, {slots, c, vt + pad}, elem);
  // The factors pass rescales its keys in place; the state walk loads them
  // rescaled.
  if (pass == Pass::factors || pass == Pass::states)
    kTS = kS;
  if (pass == Pass::states) {
    b0S = view(layout.b0, {vt, k + pad}, elem);
    xsS = view(layout.xs, {c, vt + pad}, elem);
  }
  if (rescalesKeys(pass))
    kTS = view(layout.kT, {slots, c, k + pad}, elem);
  if (keepsStateCopy(pass))
    sbS = view(layout.sb, {vt, k + pad}, elem);
  Type f32 = nb.getF32Type();
  if (pass == Pass::states)
    gCum = view(layout.g, {4}, f32); // The chunk's log decay.
  else if (decay == Decay::diagonal)
    gCum = view(layout.g, {c, k + 4}, f32);
  else
    gCum = view(layout.g, {c}, f32);
  if (delta && solves(pass)) {
    wS = view(layout.w, {slots, c, c + pad}, elem);
    yS = view(layout.y,
              {16, (pass == Pass::factors ? std::max(vt, k) : vt) + pad}, elem);
    tS = view(layout.t, {c, 16 + pad}, elem);
    betaS = view(layout.beta, {c}, f32);
  }
  if (delta && usesResponses(pass))
    psiS = view(layout.psi, {c, k + pad}, elem);
  rescaled = layout.rescaled;
  if (rescaled) {
    qtS = view(layout.qt, {c, k + pad}, elem);
    qhS = view(layout.qh, {c, k + pad}, elem);
    kaS =
        view(layout.ka,
             {slots, std::max<int64_t>(1, rescaledKeyRows(c)), k + pad}, elem);
  }
  return owned;
}

void ChunkedFused::emitWalk(OpBuilder &b, const ScratchLayout &layout,
                            Attribute space) {
  Value q = memrefOf(info.query);
  Value init = info.initialState ? memrefOf(info.initialState) : Value();
  Value fin =
      info.scan.getFinalState() ? memrefOf(info.scan.getFinalState()) : Value();
  bool kv = info.layout == StateLayout::kv;

  forPrograms(
      b, {dimOf(b, loc, q, 2), dimOf(b, loc, q, 0), idx(b, info.valueDim / vt)},
      [&](OpBuilder &nb, ValueRange iv) {
        Value h = iv[0], bi = iv[1];
        Value v0 = mul(nb, iv[2], vt);

        // Register file and scratch.
        const int64_t numRegs = 4 * stateSlots;
        if (gpu)
          regs = memref::AllocaOp::create(
              nb, loc, MemRefType::get({numRegs}, nb.getF32Type()));
        else
          regs = memref::AllocOp::create(
              nb, loc, MemRefType::get({nt, numRegs}, nb.getF32Type()));
        Value owned = makeScratch(nb, layout, space);

        // S_{-1}: the lane's state tiles, and their copy in scratch.
        phase(nb, [&](OpBuilder &pb, Lane l) {
          for (int64_t s = 0; s < stateSlots; ++s) {
            auto [row0, col0] = stateTile(pb, l, s);
            Acc acc;
            for (int x = 0; x < 4; ++x) {
              auto [v, key] = accAt(pb, l, row0, col0, x);
              if (!init) {
                acc[x] = Emitter{pb, loc}.f32(0.0);
              } else {
                Value vg = add(pb, v0, v);
                acc[x] = kv ? loadF32(pb, init, {bi, h, key, vg})
                            : loadF32(pb, init, {bi, h, vg, key});
              }
              regStore(pb, l, 4 * s + x, acc[x]);
            }
            writeStateCopy(pb, l, s, acc);
          }
        });

        Value numSteps = dimOf(nb, loc, q, 1);
        Value chunks =
            arith::CeilDivUIOp::create(nb, loc, numSteps, idx(nb, c));
        // Two stages: chunk ci computes from the buffers of stage ci % 2
        // while chunk ci + 1's queries and keys arrive in the other's.
        // Chunk 0's are loaded ahead of the walk.
        const bool staged = layout.staged;
        if (staged)
          phase(nb, [&](OpBuilder &pb, Lane l) {
            OpBuilder::InsertionGuard g(pb);
            auto any =
                scf::IfOp::create(pb, loc, lt(pb, idx(pb, 0), numSteps), false);
            pb.setInsertionPointToStart(any.thenBlock());
            emitPrefetch(pb, l, idx(pb, 0), numSteps, bi, h, idx(pb, 0), v0,
                         idx(pb, 0));
          });
        scf::ForOp::create(
            nb, loc, idx(nb, 0), chunks, idx(nb, 1), ValueRange{},
            [&](OpBuilder &cb, Location, Value ci, ValueRange) {
              Value t0 = mul(cb, ci, c);
              Value stage = staged ? rem(cb, ci, 2) : Value();
              if (staged)
                useStage(stageViews(cb, stage));
              const bool composes = pass == Pass::states;
              phase(cb, [&](OpBuilder &pb, Lane l) {
                if (staged) {
                  // The next chunk's group, then the wait for all but it:
                  // this chunk's rows have landed (for this lane; the
                  // phase's barrier publishes them).
                  Value next =
                      arith::SubIOp::create(pb, loc, idx(pb, 1), stage);
                  Value group = emitPrefetch(pb, l, add(pb, t0, c), numSteps,
                                             bi, h, add(pb, ci, 1), v0, next);
                  if (group)
                    nvgpu::DeviceAsyncWaitOp::create(pb, loc, group,
                                                     pb.getI32IntegerAttr(1));
                }
                if (composes && !staged)
                  emitStateWalkLoads(pb, l, t0, numSteps, bi, h, ci, v0,
                                     {qS, kS, psiS, dS, b0S, gCum},
                                     /*async=*/false);
                if (!composes)
                  emitLoads(pb, l, t0, numSteps, bi, h, v0);
                // Two-pass: the chunk's start state for the output kernel.
                if (pass == Pass::states)
                  emitStateCopy(pb, l, bi, h, ci, v0, /*out=*/true);
              });
              if (composes) {
                // The chunk's transition in factored form: S0 Psi^T (and
                // X = X0 + S0 Psi^T), then S <- S e^{G_end} + B0 +
                // (S0 Psi^T) W~, X out.
                phase(cb, [&](OpBuilder &pb, Lane l) { emitResponses(pb, l); });
                phase(cb, [&](OpBuilder &pb, Lane l) {
                  emitStateUpdate(pb, l, {}, ValueRange{bi, h, ci});
                  emitSolvedValuesOut(pb, l, t0, numSteps, bi, h, v0);
                });
                scf::YieldOp::create(cb, loc);
                return;
              }
              if (delta && info.normalizeEraseKey)
                phase(cb, [&](OpBuilder &pb, Lane l) {
                  emitNormalizeEraseKeys(pb, l);
                });
              if (rescaled)
                phase(cb, [&](OpBuilder &pb, Lane l) { emitRescales(pb, l); });
              phase(cb, [&](OpBuilder &pb, Lane l) { emitScores(pb, l); });
              if (delta && solves(pass)) {
                phase(cb,
                      [&](OpBuilder &pb, Lane l) { emitBlockInverses(pb, l); });
                SolveColumns values{vt,   true, false,
                                    true, dS,   {idx(cb, eraseSlot)}};
                for (int64_t blk = 0; blk < c / 16; ++blk)
                  emitSolveBlock(cb, blk, values);
                if (gpu)
                  gpu::BarrierOp::create(cb, loc);
              }
              if (pass == Pass::fused)
                phase(cb, [&](OpBuilder &pb, Lane l) {
                  emitOutputs(pb, l, t0, numSteps, bi, h, v0);
                });
              phase(cb, [&](OpBuilder &pb, Lane l) { emitStateUpdate(pb, l); });
              scf::YieldOp::create(cb, loc);
            });

        if (fin) {
          Type finElem = cast<MemRefType>(fin.getType()).getElementType();
          phase(nb, [&](OpBuilder &pb, Lane l) {
            for (int64_t s = 0; s < stateSlots; ++s) {
              auto [row0, col0] = stateTile(pb, l, s);
              for (int x = 0; x < 4; ++x) {
                auto [v, key] = accAt(pb, l, row0, col0, x);
                Value vg = add(pb, v0, v);
                Value val = Emitter{pb, loc}.fromF32(regLoad(pb, l, 4 * s + x),
                                                     finElem);
                storeStateElement(pb, fin, bi, h, key, vg, val);
              }
            }
          });
        }
        if (!gpu) {
          memref::DeallocOp::create(nb, loc, owned);
          memref::DeallocOp::create(nb, loc, regs);
        }
      });
}

void ChunkedFused::emitSummaryScan(OpBuilder &b) {
  Value q = memrefOf(info.query);
  Value init = info.initialState ? memrefOf(info.initialState) : Value();
  Value fin =
      info.scan.getFinalState() ? memrefOf(info.scan.getFinalState()) : Value();
  bool kv = info.layout == StateLayout::kv;
  // A lane owns 4 consecutive keys of one state row (V x K elements per
  // head), for every chunk in turn.
  const int64_t per = 4, total = info.valueDim * k;
  const int64_t perProgram = nt * per;
  const int64_t programs = (total + perProgram - 1) / perProgram;
  Type f32 = b.getF32Type();
  auto wide = VectorType::get({per}, f32);
  forPrograms(
      b, {dimOf(b, loc, q, 2), dimOf(b, loc, q, 0), idx(b, programs)},
      [&](OpBuilder &nb, ValueRange iv) {
        Value h = iv[0], bi = iv[1], p = iv[2];
        Value numSteps = dimOf(nb, loc, q, 1);
        Value chunks =
            arith::CeilDivUIOp::create(nb, loc, numSteps, idx(nb, c));
        phase(nb, [&](OpBuilder &pb, Lane l) {
          Value e0 = mul(pb, add(pb, mul(pb, p, nt), l.lane), per);
          OpBuilder::InsertionGuard guard(pb);
          if (total % perProgram != 0) {
            auto ifLive =
                scf::IfOp::create(pb, loc, lt(pb, e0, idx(pb, total)), false);
            pb.setInsertionPointToStart(ifLive.thenBlock());
          }
          Emitter e{pb, loc};
          Value v = div(pb, e0, k), key = rem(pb, e0, k);
          // The state before the first chunk.
          Value s0 = e.splat(e.f32(0.0), per);
          if (init) {
            SmallVector<Value> xs;
            for (int64_t i = 0; i < per; ++i) {
              Value kk = add(pb, key, i);
              xs.push_back(kv ? loadF32(pb, init, {bi, h, kk, v})
                              : loadF32(pb, init, {bi, h, v, kk}));
            }
            s0 = vector::FromElementsOp::create(pb, loc, wide, xs);
          }
          auto walk = scf::ForOp::create(
              pb, loc, idx(pb, 0), chunks, idx(pb, 1), ValueRange{s0},
              [&](OpBuilder &fb, Location, Value ci, ValueRange carried) {
                Emitter f{fb, loc};
                Value st = carried[0];
                // The chunk's start state, in the operands' type.
                Value out = st;
                if (!elem.isF32())
                  out = arith::TruncFOp::create(
                      fb, loc, VectorType::get({per}, elem), st);
                vector::StoreOp::create(fb, loc, out, workspaces.states,
                                        ValueRange{bi, h, ci, v, key});
                // S <- S o e^{G_end} + the chunk's summary.
                Value next =
                    vector::LoadOp::create(fb, loc, wide, workspaces.summaries,
                                           ValueRange{bi, h, ci, v, key});
                if (decay == Decay::scalar) {
                  Value g = memref::LoadOp::create(fb, loc, workspaces.decays,
                                                   ValueRange{bi, h, ci});
                  st = f.mul(st, f.splat(exp(fb, g), per));
                } else if (decay == Decay::diagonal) {
                  Value g =
                      vector::LoadOp::create(fb, loc, wide, workspaces.decays,
                                             ValueRange{bi, h, ci, key});
                  st = f.mul(st, exp(fb, g));
                }
                scf::YieldOp::create(fb, loc, ValueRange{f.add(st, next)});
              });
          if (fin) {
            Type finElem = cast<MemRefType>(fin.getType()).getElementType();
            for (int64_t i = 0; i < per; ++i) {
              Value x = e.fromF32(
                  vector::ExtractOp::create(pb, loc, walk.getResult(0), i),
                  finElem);
              Value kk = add(pb, key, i);
              storeStateElement(pb, fin, bi, h, kk, v, x);
            }
          }
        });
      });
}

void ChunkedFused::emitFactors(OpBuilder &b, Value t0, Value numSteps, Value bi,
                               Value h, Value ci, Value v0) {
  if (info.normalizeEraseKey)
    phase(b, [&](OpBuilder &pb, Lane l) { emitNormalizeEraseKeys(pb, l); });
  phase(b, [&](OpBuilder &pb, Lane l) { emitScores(pb, l); });
  phase(b, [&](OpBuilder &pb, Lane l) { emitBlockInverses(pb, l); });
  // X0 (this program's V-tile) and Psi (K wide: the program of the first
  // V-tile), block after block; each warp solves its own columns.
  const bool oneTile = vt == info.valueDim;
  Value first =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, v0, idx(b, 0));
  SolveColumns values{vt, false, false, true, dS, {idx(b, eraseSlot)}};
  SolveColumns responses{k, false, true, false, psiS, {}};
  for (int64_t blk = 0; blk < c / 16; ++blk) {
    emitSolveBlock(b, blk, values);
    OpBuilder::InsertionGuard guard(b);
    if (!oneTile) {
      auto ifFirst = scf::IfOp::create(b, loc, first, false);
      b.setInsertionPointToStart(ifFirst.thenBlock());
    }
    emitSolveBlock(b, blk, responses);
  }
  if (gpu)
    gpu::BarrierOp::create(b, loc);
  // X0 and Psi out; the keys (no longer read by the solve) rescaled to the
  // chunk end in place.
  phase(b, [&](OpBuilder &pb, Lane l) {
    emitSolvedValuesOut(pb, l, t0, numSteps, bi, h, v0);
    emitRescaledKeys(pb, l, kS);
    OpBuilder::InsertionGuard guard(pb);
    if (!oneTile) {
      auto ifFirst = scf::IfOp::create(pb, loc, first, false);
      pb.setInsertionPointToStart(ifFirst.thenBlock());
    }
    emitResponsesOut(pb, l, t0, numSteps, bi, h);
  });
  // B0 = sum_l D_l^T K~_l + X0^T W~ (and the chunk's log decay), and W~.
  phase(b, [&](OpBuilder &pb, Lane l) {
    emitStateUpdate(pb, l, ValueRange{bi, h, ci, v0});
    OpBuilder::InsertionGuard guard(pb);
    if (!oneTile) {
      auto ifFirst = scf::IfOp::create(pb, loc, first, false);
      pb.setInsertionPointToStart(ifFirst.thenBlock());
    }
    emitRowsOut(pb, l, t0, numSteps, bi, h, kS, {idx(pb, eraseSlot)}, k,
                workspaces.erasedKeys, idx(pb, 0));
  });
}

void ChunkedFused::emitChunkPrograms(OpBuilder &b, const ScratchLayout &layout,
                                     Attribute space) {
  Value q = memrefOf(info.query);
  const int64_t tiles = info.valueDim / vt;
  Value numSteps = dimOf(b, loc, q, 1);
  Value chunks = arith::CeilDivUIOp::create(b, loc, numSteps, idx(b, c));
  // Programs: (chunk, V-tile) first (the GPU's x, whose grid limit is
  // 2^31 - 1, where y and z stop at 65535), then head and batch.
  forPrograms(
      b, {mul(b, chunks, tiles), dimOf(b, loc, q, 2), dimOf(b, loc, q, 0)},
      [&](OpBuilder &nb, ValueRange iv) {
        Value h = iv[1], bi = iv[2];
        Value ci = div(nb, iv[0], tiles);
        Value v0 = mul(nb, rem(nb, iv[0], tiles), vt);
        Value owned = makeScratch(nb, layout, space);
        Value t0 = mul(nb, ci, c);
        phase(nb, [&](OpBuilder &pb, Lane l) {
          emitLoads(pb, l, t0, numSteps, bi, h, v0);
          if (pass == Pass::outputs)
            emitStateCopy(pb, l, bi, h, ci, v0, /*out=*/false);
        });
        if (pass == Pass::factors) {
          emitFactors(nb, t0, numSteps, bi, h, ci, v0);
          if (!gpu)
            memref::DeallocOp::create(nb, loc, owned);
          return;
        }
        if (pass == Pass::summaries) {
          // K~ (keys rescaled to the chunk end), then D^T K~ and the
          // chunk's log decay.
          phase(nb, [&](OpBuilder &pb, Lane l) { emitScores(pb, l); });
          phase(nb, [&](OpBuilder &pb, Lane l) {
            emitStateUpdate(pb, l, ValueRange{bi, h, ci, v0});
          });
          if (!gpu)
            memref::DeallocOp::create(nb, loc, owned);
          return;
        }
        if (delta && info.normalizeEraseKey)
          phase(nb,
                [&](OpBuilder &pb, Lane l) { emitNormalizeEraseKeys(pb, l); });
        if (rescaled)
          phase(nb, [&](OpBuilder &pb, Lane l) { emitRescales(pb, l); });
        phase(nb, [&](OpBuilder &pb, Lane l) { emitScores(pb, l); });
        phase(nb, [&](OpBuilder &pb, Lane l) {
          emitOutputs(pb, l, t0, numSteps, bi, h, v0);
        });
        if (!gpu)
          memref::DeallocOp::create(nb, loc, owned);
      });
}

} // namespace

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

Type prism::lowering::chunkedOperandType(RecurrenceInfo &info) {
  return operandType(info);
}

/// All of V up to 128 as the V-tile of a per-chunk kernel `pass` when its
/// scratch fits (the chunk's work on keys is then done once), else
/// `params.vTile`.
static int64_t wholeVTile(RecurrenceInfo &info, const ChunkedParams &params,
                          Pass pass) {
  ChunkedParams wide = params;
  wide.vTile = info.valueDim;
  if (info.valueDim <= 128 &&
      layoutScratch(info, wide, operandType(info), pass).bytes <=
          params.target->sharedBytesPerBlock)
    return info.valueDim;
  return params.vTile;
}

int64_t prism::lowering::chunkedOutputVTile(RecurrenceInfo &info,
                                            const ChunkedParams &params) {
  return wholeVTile(info, params, Pass::outputs);
}

/// The V-tile of the delta forget's chunk summaries (Psi is solved once per
/// chunk when it is all of V).
static int64_t factorsVTile(RecurrenceInfo &info, const ChunkedParams &params) {
  return wholeVTile(info, params, Pass::factors);
}

int64_t prism::lowering::chunkedScratchBytes(RecurrenceInfo &info,
                                             const ChunkedParams &params) {
  Type elem = operandType(info);
  if (!params.twoPass)
    return layoutScratch(info, params, elem, Pass::fused).bytes;
  ChunkedParams out = params;
  out.vTile = chunkedOutputVTile(info, params);
  int64_t bytes = layoutScratch(info, out, elem, Pass::outputs).bytes;
  if (info.family != ForgetFamily::delta)
    return std::max(bytes,
                    layoutScratch(info, params, elem, Pass::summaries).bytes);
  ChunkedParams factors = params;
  factors.vTile = factorsVTile(info, params);
  return std::max({bytes, layoutScratch(info, params, elem, Pass::states).bytes,
                   layoutScratch(info, factors, elem, Pass::factors).bytes});
}

LogicalResult prism::lowering::checkChunkedScan(RecurrenceInfo &info,
                                                const ChunkedParams &params,
                                                bool gpu) {
  ScanOp scan = info.scan;
  if (params.chunk % 16 != 0 || params.chunk < 16 || params.chunk > 128)
    return scan.emitOpError() << "chunk must be a multiple of 16 in [16, 128], "
                                 "got "
                              << params.chunk;
  if (info.keyDim % 16 != 0)
    return scan.emitOpError()
           << "chunked schedules need K to be a multiple of 16, got K = "
           << info.keyDim;
  if (params.vTile % 16 != 0 || info.valueDim % params.vTile != 0)
    return scan.emitOpError()
           << "chunked schedules need a v_tile that is a multiple of 16 and "
              "divides V = "
           << info.valueDim << ", got v_tile = " << params.vTile;
  if (params.warps < 1 || params.warps > 8 ||
      (params.warps & (params.warps - 1)) != 0)
    return scan.emitOpError() << "chunked schedules take 1, 2, 4 or 8 warps, "
                                 "got "
                              << params.warps;
  int64_t stateTiles = (params.vTile / 16) * (info.keyDim / 8);
  if (stateTiles % params.warps != 0)
    return scan.emitOpError()
           << "the state tile (" << params.vTile << " x " << info.keyDim
           << ") has " << stateTiles << " 16x8 tiles, not a multiple of "
           << params.warps << " warps";
  if (stateTiles / params.warps * 4 > 128)
    return scan.emitOpError()
           << "a lane would hold " << stateTiles / params.warps * 4
           << " floats of state (at most 128): use more warps or a smaller "
              "v_tile";
  if (params.stages != 1 && params.stages != 2)
    return scan.emitOpError()
           << "chunked schedules take 1 or 2 stages (2: a walk loads the next "
              "chunk's queries and keys while it computes one), got "
           << params.stages;
  if (params.stages == 2 && params.twoPass &&
      info.family != ForgetFamily::delta)
    return scan.emitOpError()
           << "stages = 2 needs a walk over the chunks; the two-pass schedule "
              "of the decay families has none (its kernels take one chunk "
              "each): use stages = 1";
  int64_t bytes = chunkedScratchBytes(info, params);
  if (gpu && bytes > params.target->sharedBytesPerBlock)
    return scan.emitOpError()
           << "the chunked schedule needs " << bytes
           << " bytes of shared memory per program, more than the "
           << params.target->sharedBytesPerBlock << " a block may use on "
           << params.target->chip << ": lower chunk, v_tile or the rank";
  return success();
}

void prism::lowering::emitChunkedScan(OpBuilder &b, RecurrenceInfo &info,
                                      llvm::function_ref<Value(Value)> memrefOf,
                                      bool gpu, const ChunkedParams &params,
                                      ChunkedWorkspaces workspaces) {
  if (!params.twoPass) {
    ChunkedFused(info, memrefOf, gpu, params).emit(b);
    return;
  }
  bool delta = info.family == ForgetFamily::delta;
  bool decays = info.family == ForgetFamily::scalar ||
                info.family == ForgetFamily::diagonal;
  assert(
      workspaces.states && workspaces.summaries &&
      ((workspaces.values && workspaces.responses && workspaces.erasedKeys) ||
       !delta) &&
      (workspaces.decays || !decays) &&
      "the two-pass schedule needs its workspaces");
  (void)decays;
  if (delta) {
    // Chunk summaries in factored form, in parallel, then their composition
    // over the chunks in order (the transition is K x K: a walk of matrix
    // products, not an elementwise scan).
    ChunkedParams factors = params;
    factors.vTile = factorsVTile(info, params);
    ChunkedFused(info, memrefOf, gpu, factors, Pass::factors, workspaces)
        .emit(b);
    ChunkedFused(info, memrefOf, gpu, params, Pass::states, workspaces).emit(b);
  } else {
    ChunkedFused(info, memrefOf, gpu, params, Pass::summaries, workspaces)
        .emit(b);
    ChunkedFused(info, memrefOf, gpu, params, Pass::scan, workspaces).emit(b);
  }
  ChunkedParams out = params;
  out.vTile = chunkedOutputVTile(info, params);
  ChunkedFused(info, memrefOf, gpu, out, Pass::outputs, workspaces).emit(b);
}
