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

/// A_t = I.
struct IdentityAlgebra
    : ForgetAlgebra::ExternalModel<IdentityAlgebra, IdentityForgetOp> {
  Value buildStep(Operation *, TileBuilder &, Value, Value state) const {
    return state;
  }
  ChunkDecay buildChunkDecay(Operation *, TileBuilder &, Value, int64_t) const {
    return {};
  }
  void buildChunkSlots(Operation *, TileBuilder &, Value, int64_t,
                       const ChunkDecay &, Value,
                       SmallVectorImpl<Slot> &) const {}
};

/// A_t = e^{g_t} I.
struct ScalarAlgebra
    : ForgetAlgebra::ExternalModel<ScalarAlgebra, ScalarForgetOp> {
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
  void buildChunkSlots(Operation *, TileBuilder &, Value, int64_t,
                       const ChunkDecay &, Value,
                       SmallVectorImpl<Slot> &) const {}
};

/// A_t = diag(e^{g_t}).
struct DiagonalAlgebra
    : ForgetAlgebra::ExternalModel<DiagonalAlgebra, DiagonalForgetOp> {
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
  void buildChunkSlots(Operation *, TileBuilder &, Value, int64_t,
                       const ChunkDecay &, Value,
                       SmallVectorImpl<Slot> &) const {}
};

/// A_t = e^{g_t} (I - beta_t w_t w_t^T).
struct DeltaAlgebra
    : ForgetAlgebra::ExternalModel<DeltaAlgebra, DeltaForgetOp> {
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

  void buildChunkSlots(Operation *op, TileBuilder &tb, Value t0, int64_t chunk,
                       const ChunkDecay &decay, Value state,
                       SmallVectorImpl<Slot> &slots) const {
    auto delta = cast<DeltaForgetOp>(op);
    Value w = eraseKeys(delta, tb, t0, chunk);
    Value beta = tb.loadTokenScalars(delta.getStrength(), t0, chunk);

    // L[t, s] = beta_s <w_t, w_s> e^{G_t - G_s} for s < t.
    Value l = tb.mul(chunk::decayedScores(tb, decay, w, w, /*strict=*/true),
                     tb.broadcast(beta, 0, chunk));
    // The right-hand side: what S_{t-1} w_t would be without the erasures.
    Value rhs = tb.dot(tb.operand(chunk::decayFromStart(tb, decay, w)),
                       tb.operand(state), false, true);
    for (const Slot &slot : slots)
      rhs = tb.dot(tb.operand(chunk::decayedScores(tb, decay, w, slot.keys,
                                                   /*strict=*/true)),
                   tb.operand(slot.values), false, false, rhs);
    Value e = tile::TriSolveOp::create(tb.b, tb.loc, rhs.getType(), l, rhs);
    Value x = tb.neg(tb.scaleTokens(e, beta));

    // DeltaNet's form (w_t is the first key, as it is): the virtual values
    // join that slot's, halving the products.
    if (!delta.getNormalize())
      for (auto [j, key] : llvm::enumerate(tb.info.keys))
        if (key == delta.getKey()) {
          slots[j].values = tb.add(slots[j].values, x);
          return;
        }
    slots.push_back({w, x});
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
