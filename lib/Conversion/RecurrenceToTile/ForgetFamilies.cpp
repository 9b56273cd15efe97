//===- ForgetFamilies.cpp - The ForgetAlgebra of each forget family -------===//
//
// One model of the ForgetAlgebra interface per forget op. The decay
// families (identity, scalar, diagonal) only decay; the delta forget is the
// scalar decay of its gate plus a virtual injection (key w_t, value
// x_t = -beta_t e_t), whose values e_t = e^{g_t} S_{t-1} w_t a chunk gets
// from a unit-triangular solve (prism-math.md section 5):
//
//   (I + L) E = (W o e^{G}) S0^T + sum_l strict(W K_l^T o D) D_l,
//   L[t, s] = beta_s <w_t, w_s> e^{G_t - G_s}  (s < t)
//
// A chunk builds L once and solves each right-hand side with tile.tri_solve
// on the program's operand type (a target may share its factors of L
// between the solves).
//
//===----------------------------------------------------------------------===//

#include "prism/Conversion/RecurrenceToTile/ForgetAlgebra.h"
#include "prism/Dialect/Recurrence/RecurrenceOps.h"
#include "prism/Dialect/Tile/TileOps.h"

#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;

#include "prism/Conversion/RecurrenceToTile/ForgetAlgebra.cpp.inc"

namespace {

int64_t keyDimOf(TileBuilder &tb) { return tb.info.keyDim; }

/// The decay families: a chunk adds no injection of its own, and its
/// transition is its decay.
template <typename Concrete, typename Op>
struct DecayAlgebra : ForgetAlgebra::ExternalModel<Concrete, Op> {
  ChunkFactor buildChunkFactor(Operation *, TileBuilder &, Value, int64_t,
                               const ChunkDecay &) const {
    return {};
  }
  void buildChunkSlots(Operation *, TileBuilder &, Value, int64_t,
                       const ChunkDecay &, const ChunkFactor &, Value,
                       SmallVectorImpl<Slot> &) const {}
  ChunkTransition buildChunkSummary(Operation *, TileBuilder &, Value, int64_t,
                                    const ChunkDecay &decay,
                                    const ChunkFactor &,
                                    SmallVectorImpl<Slot> &) const {
    return {decay, Value(), Value(), -1};
  }
  ChunkTransition buildChunkResponse(Operation *, TileBuilder &, Value, int64_t,
                                     const ChunkDecay &decay,
                                     const ChunkFactor &) const {
    return {decay, Value(), Value(), -1};
  }
  bool hasChunkResponse(Operation *) const { return false; }
  int64_t addChunkSlot(Operation *, TileBuilder &, Value, int64_t, Value,
                       SmallVectorImpl<Slot> &) const {
    return -1;
  }
};

/// A_t = I.
struct IdentityAlgebra : DecayAlgebra<IdentityAlgebra, IdentityForgetOp> {
  ChunkDecay::Kind getChunkDecayKind(Operation *) const {
    return ChunkDecay::Kind::none;
  }
  Value buildStep(Operation *, TileBuilder &, Value, Value state) const {
    return state;
  }
  ChunkDecay buildChunkDecay(Operation *, TileBuilder &, Value, int64_t) const {
    return {};
  }
};

/// A_t = e^{g_t} I.
struct ScalarAlgebra : DecayAlgebra<ScalarAlgebra, ScalarForgetOp> {
  ChunkDecay::Kind getChunkDecayKind(Operation *) const {
    return ChunkDecay::Kind::scalar;
  }
  Value buildStep(Operation *op, TileBuilder &tb, Value t, Value state) const {
    Value g = tb.loadTokenScalars(cast<ScalarForgetOp>(op).getLogDecay(), t, 0);
    return tb.scaleTokens(state, tb.exp(g));
  }
  ChunkDecay buildChunkDecay(Operation *op, TileBuilder &tb, Value t0,
                             int64_t chunk) const {
    return chunk::cumulativeDecay(
        tb,
        tb.loadTokenScalars(cast<ScalarForgetOp>(op).getLogDecay(), t0, chunk));
  }
};

/// A_t = diag(e^{g_t}).
struct DiagonalAlgebra : DecayAlgebra<DiagonalAlgebra, DiagonalForgetOp> {
  ChunkDecay::Kind getChunkDecayKind(Operation *) const {
    return ChunkDecay::Kind::channel;
  }
  Value buildStep(Operation *op, TileBuilder &tb, Value t, Value state) const {
    Value g = tb.loadTokens(cast<DiagonalForgetOp>(op).getLogDecay(), t, 0,
                            tb.idx(0), keyDimOf(tb));
    int64_t rows = cast<RankedTensorType>(state.getType()).getDimSize(0);
    return tb.mul(state, tb.broadcast(tb.exp(g), 0, rows));
  }
  ChunkDecay buildChunkDecay(Operation *op, TileBuilder &tb, Value t0,
                             int64_t chunk) const {
    return chunk::cumulativeDecay(
        tb, tb.loadTokens(cast<DiagonalForgetOp>(op).getLogDecay(), t0, chunk,
                          tb.idx(0), keyDimOf(tb)));
  }
};

/// A_t = e^{g_t} (I - beta_t w_t w_t^T).
struct DeltaAlgebra
    : ForgetAlgebra::ExternalModel<DeltaAlgebra, DeltaForgetOp> {
  ChunkDecay::Kind getChunkDecayKind(Operation *op) const {
    return cast<DeltaForgetOp>(op).getGate() ? ChunkDecay::Kind::scalar
                                             : ChunkDecay::Kind::none;
  }
  bool hasChunkResponse(Operation *) const { return true; }

  /// The erase keys of the span (unit norm when the op asks for it).
  static Value eraseKeys(DeltaForgetOp op, TileBuilder &tb, Value t,
                         int64_t rows) {
    Value w = tb.loadTokens(op.getKey(), t, rows, tb.idx(0), keyDimOf(tb));
    return op.getNormalize() ? tb.normalizeTokens(w) : w;
  }

  Value buildStep(Operation *op, TileBuilder &tb, Value t, Value state) const {
    auto delta = cast<DeltaForgetOp>(op);
    Value w = eraseKeys(delta, tb, t, 0);
    Value beta = tb.loadTokenScalars(delta.getStrength(), t, 0);
    int64_t rows = cast<RankedTensorType>(state.getType()).getDimSize(0);
    // S - beta (S w) w^T.
    Value wRows = tb.broadcast(w, 0, rows);
    Value sw = tb.reduceAdd(tb.mul(state, wRows), 1);
    Value erase =
        tb.mul(tb.broadcast(tb.scaleTokens(sw, beta), 1, keyDimOf(tb)), wRows);
    state = tb.sub(state, erase);
    if (Value gate = delta.getGate())
      state = tb.scaleTokens(state, tb.exp(tb.loadTokenScalars(gate, t, 0)));
    return state;
  }

  ChunkDecay buildChunkDecay(Operation *op, TileBuilder &tb, Value t0,
                             int64_t chunk) const {
    Value gate = cast<DeltaForgetOp>(op).getGate();
    if (!gate)
      return {};
    return chunk::cumulativeDecay(tb, tb.loadTokenScalars(gate, t0, chunk));
  }

  /// The chunk's erase keys, strengths and L[t, s] = beta_s <w_t, w_s>
  /// e^{G_t - G_s} (s < t): the family's ChunkFactor.
  struct Erasure {
    Value w, beta, l;
    explicit Erasure(const ChunkFactor &f)
        : w(f.values[0]), beta(f.values[1]), l(f.values[2]) {}
  };
  ChunkFactor buildChunkFactor(Operation *op, TileBuilder &tb, Value t0,
                               int64_t chunk, const ChunkDecay &decay) const {
    auto delta = cast<DeltaForgetOp>(op);
    Value w = eraseKeys(delta, tb, t0, chunk);
    Value beta = tb.loadTokenScalars(delta.getStrength(), t0, chunk);
    Value l = tb.mul(chunk::decayedScores(tb, decay, w, w, /*strict=*/true),
                     tb.broadcast(beta, 0, chunk));
    return {{w, beta, l}};
  }

  /// What the slots inject into w_t before the erasures: sum_l strict(W
  /// K_l^T o D) D_l, added to `acc` (or alone).
  static Value seenBy(TileBuilder &tb, const ChunkDecay &decay, Value w,
                      ArrayRef<Slot> slots, Value acc) {
    for (const Slot &slot : slots)
      acc = chunk::scoresTimes(tb,
                               chunk::decayedScores(tb, decay, w, slot.keys,
                                                    /*strict=*/true),
                               slot.values, acc);
    return acc;
  }

  /// Adds the virtual injection (w_t, x_t) to the slots and returns its
  /// slot. DeltaNet's form (w_t is a key as it is): x_t joins that slot's
  /// values, halving the products; `w` builds the erase keys otherwise.
  static int64_t addSlot(DeltaForgetOp op, TileBuilder &tb,
                         function_ref<Value()> w, Value x,
                         SmallVectorImpl<Slot> &slots) {
    if (!op.getNormalize())
      for (auto [j, key] : llvm::enumerate(tb.info.keys))
        if (key == op.getKey()) {
          slots[j].values = tb.add(slots[j].values, x);
          return j;
        }
    slots.push_back({w(), x});
    return slots.size() - 1;
  }

  /// (I + L)^-1 rhs.
  static Value solve(TileBuilder &tb, const Erasure &e, Value rhs) {
    return chunk::triSolve(tb, e.l, rhs);
  }

  /// (I + L)^-1 applied to what the slots inject into w_t: the solve
  /// meets each slot's scores, sum_l ((I + L)^-1 strict(W K_l^T o D)) D_l,
  /// not the slot's values, so that a chunk solves once however many
  /// V-tiles its values come in (the scores do not depend on them; the
  /// schedules build them once) and each V-tile takes one product, not two
  /// in a chain.
  static Value solvedSeenBy(TileBuilder &tb, const ChunkDecay &decay,
                            const Erasure &e, ArrayRef<Slot> slots) {
    Value acc;
    for (const Slot &slot : slots) {
      Value scores = chunk::decayedScores(tb, decay, e.w, slot.keys,
                                          /*strict=*/true);
      // (I + L)^-1 is lower triangular, so is its product with the
      // strictly lower scores.
      acc = chunk::scoresTimes(tb, solve(tb, e, scores), slot.values, acc);
    }
    return acc;
  }

  void buildChunkSlots(Operation *op, TileBuilder &tb, Value, int64_t,
                       const ChunkDecay &decay, const ChunkFactor &factor,
                       Value state, SmallVectorImpl<Slot> &slots) const {
    auto delta = cast<DeltaForgetOp>(op);
    Erasure e(factor);
    // (I + L) E = (W o e^G) S^T + what the slots inject into w_t.
    Value rhs = tb.dot(tb.operand(chunk::decayFromStart(tb, decay, e.w)),
                       tb.operand(state), false, true);
    Value x = solve(tb, e, seenBy(tb, decay, e.w, slots, rhs));
    addSlot(
        delta, tb, [&] { return e.w; }, tb.neg(tb.scaleTokens(x, e.beta)),
        slots);
  }

  ChunkTransition buildChunkSummary(Operation *op, TileBuilder &tb, Value,
                                    int64_t, const ChunkDecay &decay,
                                    const ChunkFactor &factor,
                                    SmallVectorImpl<Slot> &slots) const {
    auto delta = cast<DeltaForgetOp>(op);
    Erasure e(factor);
    // E = E0 + Psi S^T: E0 from the slots alone (here), Psi the response to
    // the start state (buildChunkResponse).
    Value e0 = solvedSeenBy(tb, decay, e, slots);
    ChunkTransition transition;
    transition.decay = decay;
    transition.values = tb.neg(tb.scaleTokens(e0, e.beta));
    transition.slot = addSlot(
        delta, tb, [&] { return e.w; }, transition.values, slots);
    return transition;
  }

  int64_t addChunkSlot(Operation *op, TileBuilder &tb, Value t0, int64_t chunk,
                       Value values, SmallVectorImpl<Slot> &slots) const {
    auto delta = cast<DeltaForgetOp>(op);
    return addSlot(
        delta, tb, [&] { return eraseKeys(delta, tb, t0, chunk); }, values,
        slots);
  }

  ChunkTransition buildChunkResponse(Operation *, TileBuilder &tb, Value,
                                     int64_t, const ChunkDecay &decay,
                                     const ChunkFactor &factor) const {
    Erasure e(factor);
    Value psi = solve(tb, e, chunk::decayFromStart(tb, decay, e.w));
    ChunkTransition transition;
    transition.decay = decay;
    transition.response = tb.neg(tb.scaleTokens(psi, e.beta));
    transition.endKeys = chunk::decayToEnd(tb, decay, e.w);
    return transition;
  }
};

} // namespace

void prism::registerForgetAlgebraModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, RecurrenceDialect *) {
    IdentityForgetOp::attachInterface<IdentityAlgebra>(*ctx);
    ScalarForgetOp::attachInterface<ScalarAlgebra>(*ctx);
    DiagonalForgetOp::attachInterface<DiagonalAlgebra>(*ctx);
    DeltaForgetOp::attachInterface<DeltaAlgebra>(*ctx);
  });
}
