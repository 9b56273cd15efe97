//===- TileBuilder.h - Building tile programs of a scan ----------*- C++
//-*-===//
//
// What the schedules (one file each) and the forget families share when they
// write a scan at the tile level: one program's coordinates, loads of the
// specification's sequences, elementwise math that works on tiles and
// scalars alike, and the chunk algebra of prism-math.md section 5 in its
// decay form.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_CONVERSION_RECURRENCETOTILE_TILEBUILDER_H
#define PRISM_CONVERSION_RECURRENCETOTILE_TILEBUILDER_H

#include "prism/Analysis/RecurrenceInfo.h"

#include "mlir/IR/Builders.h"

#include <functional>

namespace prism {

/// Builds tile-level IR for one program of a kernel: `batch` and `head` are
/// its coordinates, `seqLen` is T. Elementwise helpers take tiles (tensors)
/// or scalars. A token span of `rows` = 0 is one step (1-d tiles of a
/// token's vector, scalars of its scalars); rows > 0 is a chunk of that many
/// tokens (2-d tiles [rows, width], 1-d tiles of scalars), masked past T.
struct TileBuilder {
  mlir::OpBuilder &b;
  mlir::Location loc;
  RecurrenceInfo &info;
  std::function<mlir::Value(mlir::Value)> memrefOf;
  mlir::Value batch, head, seqLen;
  /// Element type of the matrix products' operands.
  mlir::Type operandType;

  // Constants.
  mlir::Value idx(int64_t v);
  mlir::Value f32(double v);
  /// A constant with the shape of `like` (a tile or a scalar).
  mlir::Value constantLike(mlir::Value like, double v);

  // Elementwise math on tiles or scalars (f32).
  mlir::Value add(mlir::Value x, mlir::Value y);
  mlir::Value sub(mlir::Value x, mlir::Value y);
  mlir::Value mul(mlir::Value x, mlir::Value y);
  mlir::Value neg(mlir::Value x);
  mlir::Value exp(mlir::Value x);
  mlir::Value exp2(mlir::Value x);
  mlir::Value rsqrt(mlir::Value x);
  /// GELU, erf form; SiLU.
  mlir::Value gelu(mlir::Value x);
  mlir::Value silu(mlir::Value x);
  /// Converts the elements of `x` to `elem` (extf or truncf; none if equal).
  mlir::Value cast(mlir::Value x, mlir::Type elem);
  mlir::Value toF32(mlir::Value x) { return cast(x, b.getF32Type()); }
  /// `x` as a matrix-product operand.
  mlir::Value operand(mlir::Value x) { return cast(x, operandType); }

  // Tile ops.
  mlir::Value splat(mlir::Value scalar, llvm::ArrayRef<int64_t> shape);
  /// A 1-d tile repeated along the new dimension `dim` of size `size`.
  mlir::Value broadcast(mlir::Value vector, int64_t dim, int64_t size);
  /// Which terms of a product exist (tile.dot's causal forms).
  enum class Terms { all, lowerA, lower };
  mlir::Value dot(mlir::Value a, mlir::Value b, bool transposeA,
                  bool transposeB, mlir::Value acc = {},
                  Terms terms = Terms::all);
  mlir::Value reduceAdd(mlir::Value x, int64_t dim);
  mlir::Value cumsum(mlir::Value x, int64_t dim);
  mlir::Value causalMask(mlir::Value x, bool strict, double fill);

  // Token spans.
  /// The `width` entries from column `col` of the vectors of sequence
  /// `tensor` ([B, T, H, D]) at the tokens of the span from `t`, f32.
  mlir::Value loadTokens(mlir::Value tensor, mlir::Value t, int64_t rows,
                         mlir::Value col, int64_t width);
  /// The scalars of sequence `tensor` ([B, T, H]) at the span's tokens, f32.
  mlir::Value loadTokenScalars(mlir::Value tensor, mlir::Value t, int64_t rows);
  /// Scales each token's vector (rows of `x`) by its scalar in `perToken`.
  mlir::Value scaleTokens(mlir::Value x, mlir::Value perToken);
  /// Normalises each token's vector (rows of `x`) to unit L2 norm.
  mlir::Value normalizeTokens(mlir::Value x);
  /// Stores `x` (converted to the buffer's element type) as the vectors of
  /// `tensor` from column `col` at the span's tokens, rows past T skipped.
  void storeTokens(mlir::Value x, mlir::Value tensor, mlir::Value t,
                   int64_t rows, mlir::Value col);

  // State tiles [v-tile, K] from column v0 of V, in either state layout.
  mlir::Value loadState(mlir::Value tensor, mlir::Value v0, int64_t vTile);
  void storeState(mlir::Value state, mlir::Value tensor, mlir::Value v0);
};

/// A chunk's in-chunk decay: none, per token (scalar), or per token and key
/// channel. `cum` holds the cumulative log2 decays G_i ([C] or [C, K], f32)
/// and `total` the chunk's G_end (an f32 scalar or [K]).
struct ChunkDecay {
  enum class Kind { none, scalar, channel };
  Kind kind = Kind::none;
  mlir::Value cum, total;
};

/// What a forget family builds once per chunk from its keys alone, before
/// any V-tile's values (ForgetAlgebra::buildChunkFactor): the delta
/// forget's erase keys, strengths and in-chunk triangular inverse. Opaque
/// to the schedules; empty for the decay families.
struct ChunkFactor {
  llvm::SmallVector<mlir::Value, 3> values;
};

/// One injection of a chunk: keys [C, K] and values [C, V-tile] (f32, the
/// per-injection gates applied) of `sum_j d_j k_j^T`.
struct Slot {
  mlir::Value keys, values;
};

/// How the state S at a chunk's start enters the chunk, beyond its decay:
/// the values of slot `slot` respond to it as `+ response S^T` ([C, K]), and
/// the chunk maps it to `S e^{G_end} + (S response^T) endKeys + B`, B the
/// update from a zero state. The decay families have no response.
struct ChunkTransition {
  ChunkDecay decay;
  mlir::Value response, endKeys;
  int64_t slot = -1;
  /// From buildChunkSummary: the family's own injection values as seen from
  /// a zero start state ([C, V-tile], f32), before they joined `slot`.
  mlir::Value values;
};

/// The decay-form chunk algebra (prism-math.md section 5): every exponent a
/// non-positive difference of cumulative log2 decays.
namespace chunk {
/// P[i, j] = <q_i e^{G_i - G_j}, k_j> for j <= i (j < i with `strict`),
/// else 0, f32.
mlir::Value decayedScores(TileBuilder &tb, const ChunkDecay &decay,
                          mlir::Value queries, mlir::Value keys, bool strict);
/// acc + scores values: the product of causal scores (zero above the
/// diagonal) and a chunk's values, which reads only their lower triangle.
mlir::Value scoresTimes(TileBuilder &tb, mlir::Value scores, mlir::Value values,
                        mlir::Value acc = {});
/// q_i e^{G_i}: the queries (or erase keys) seen from the chunk's start.
mlir::Value decayFromStart(TileBuilder &tb, const ChunkDecay &decay,
                           mlir::Value rows);
/// k_j e^{G_end - G_j}: the keys decayed to the chunk's end.
mlir::Value decayToEnd(TileBuilder &tb, const ChunkDecay &decay,
                       mlir::Value keys);
/// S e^{G_end}: the state decayed over the whole chunk.
mlir::Value decayState(TileBuilder &tb, const ChunkDecay &decay,
                       mlir::Value state);
/// The state at a chunk's start carried to its end, without the chunk's
/// injections: S e^{G_end} + (S response^T) endKeys.
mlir::Value transitionState(TileBuilder &tb, const ChunkTransition &transition,
                            mlir::Value state);
/// The chunk's outputs from its start state and its slots, unscaled:
/// (Q o e^{G}) S^T + sum_s P_s D_s.
mlir::Value outputs(TileBuilder &tb, const ChunkDecay &decay,
                    mlir::Value queries, mlir::Value state,
                    llvm::ArrayRef<Slot> slots);
/// The chunk's slots' update of the state: sum_s D_s^T (K_s o e^{G_end -
/// G}), added to `acc`.
mlir::Value update(TileBuilder &tb, const ChunkDecay &decay,
                   llvm::ArrayRef<Slot> slots, mlir::Value acc);
/// (I + strictly_lower(l))^-1 rhs for the delta forget's solve (l [C, C]
/// f32, rhs [C, N]): a tile.tri_solve whose products take the program's
/// operand type.
mlir::Value triSolve(TileBuilder &tb, mlir::Value l, mlir::Value rhs);
/// The cumulative log2 decays of per-token log decays `g` ([C] or [C, K],
/// natural log, f32).
ChunkDecay cumulativeDecay(TileBuilder &tb, mlir::Value g);
} // namespace chunk

} // namespace prism

#endif // PRISM_CONVERSION_RECURRENCETOTILE_TILEBUILDER_H
