//===- TileBuilder.cpp - Building tile programs of a scan -----------------===//
//
// The helpers every schedule and forget family builds with, and the
// decay-form chunk algebra (prism-math.md section 5).
//
//===----------------------------------------------------------------------===//

#include "prism/Conversion/RecurrenceToTile/TileBuilder.h"
#include "prism/Dialect/Tile/TileOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace prism;

namespace {
RankedTensorType tileType(ArrayRef<int64_t> shape, Type elem) {
  return RankedTensorType::get(shape, elem);
}

ArrayRef<int64_t> shapeOf(Value tile) {
  return cast<RankedTensorType>(tile.getType()).getShape();
}
} // namespace

//===----------------------------------------------------------------------===//
// Constants and elementwise math
//===----------------------------------------------------------------------===//

Value TileBuilder::idx(int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value TileBuilder::f32(double v) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
}

Value TileBuilder::constantLike(Value like, double v) {
  auto tensor = llvm::dyn_cast<RankedTensorType>(like.getType());
  if (!tensor)
    return f32(v);
  auto type = tileType(tensor.getShape(), b.getF32Type());
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getF32FloatAttr(v)));
}

Value TileBuilder::add(Value x, Value y) {
  return arith::AddFOp::create(b, loc, x, y);
}
Value TileBuilder::sub(Value x, Value y) {
  return arith::SubFOp::create(b, loc, x, y);
}
Value TileBuilder::mul(Value x, Value y) {
  return arith::MulFOp::create(b, loc, x, y);
}
Value TileBuilder::neg(Value x) { return arith::NegFOp::create(b, loc, x); }
Value TileBuilder::exp(Value x) { return math::ExpOp::create(b, loc, x); }
Value TileBuilder::exp2(Value x) { return math::Exp2Op::create(b, loc, x); }
// 1 / sqrt(x): libm has no rsqrtf for the CPU host code, and the GPU mapping
// may still pick rsqrt.approx from the pattern.
Value TileBuilder::rsqrt(Value x) {
  return arith::DivFOp::create(b, loc, constantLike(x, 1.0),
                               math::SqrtOp::create(b, loc, x));
}

Value TileBuilder::gelu(Value x) {
  Value e = math::ErfOp::create(b, loc, mul(x, constantLike(x, M_SQRT1_2)));
  return mul(mul(x, constantLike(x, 0.5)), add(constantLike(x, 1.0), e));
}

Value TileBuilder::silu(Value x) {
  Value one = constantLike(x, 1.0);
  return arith::DivFOp::create(b, loc, x, add(one, exp(neg(x))));
}

Value TileBuilder::cast(Value x, Type elem) {
  Type from = getElementTypeOrSelf(x.getType());
  if (from == elem)
    return x;
  Type to = elem;
  if (auto tensor = llvm::dyn_cast<RankedTensorType>(x.getType()))
    to = tileType(tensor.getShape(), elem);
  if (from.getIntOrFloatBitWidth() < elem.getIntOrFloatBitWidth())
    return arith::ExtFOp::create(b, loc, to, x);
  if (from.getIntOrFloatBitWidth() > elem.getIntOrFloatBitWidth())
    return arith::TruncFOp::create(b, loc, to, x);
  // bf16 <-> f16: through f32.
  return cast(toF32(x), elem);
}

//===----------------------------------------------------------------------===//
// Tile ops
//===----------------------------------------------------------------------===//

Value TileBuilder::splat(Value scalar, ArrayRef<int64_t> shape) {
  return tile::SplatOp::create(b, loc, tileType(shape, scalar.getType()),
                               scalar);
}

Value TileBuilder::broadcast(Value vector, int64_t dim, int64_t size) {
  int64_t n = shapeOf(vector)[0];
  SmallVector<int64_t> shape =
      dim == 0 ? SmallVector<int64_t>{size, n} : SmallVector<int64_t>{n, size};
  Type elem = getElementTypeOrSelf(vector.getType());
  return tile::BroadcastOp::create(b, loc, tileType(shape, elem), vector, dim);
}

Value TileBuilder::dot(Value a, Value bv, bool transposeA, bool transposeB,
                       Value acc, Terms terms) {
  ArrayRef<int64_t> as = shapeOf(a), bs = shapeOf(bv);
  int64_t m = transposeA ? as[1] : as[0];
  int64_t n = transposeB ? bs[0] : bs[1];
  auto type = tileType({m, n}, b.getF32Type());
  auto flag = [&](bool on) { return on ? b.getUnitAttr() : UnitAttr(); };
  return tile::DotOp::create(b, loc, type, a, bv, acc, flag(transposeA),
                             flag(transposeB), flag(terms == Terms::lowerA),
                             flag(terms == Terms::lower));
}

Value TileBuilder::reduceAdd(Value x, int64_t dim) {
  ArrayRef<int64_t> shape = shapeOf(x);
  Type type = shape.size() == 1
                  ? Type(b.getF32Type())
                  : Type(tileType({shape[1 - dim]}, b.getF32Type()));
  return tile::ReduceOp::create(b, loc, type, tile::ReduceKind::add, x, dim);
}

Value TileBuilder::cumsum(Value x, int64_t dim) {
  return tile::CumsumOp::create(b, loc, x.getType(), x,
                                b.getI64IntegerAttr(dim));
}

Value TileBuilder::causalMask(Value x, bool strict, double fill) {
  return tile::CausalMaskOp::create(b, loc, x.getType(), x,
                                    strict ? b.getUnitAttr() : UnitAttr(),
                                    b.getF64FloatAttr(fill));
}

//===----------------------------------------------------------------------===//
// Token spans and states
//===----------------------------------------------------------------------===//

Value TileBuilder::loadTokens(Value tensor, Value t, int64_t rows, Value col,
                              int64_t width) {
  Value memref = memrefOf(tensor);
  Type elem = llvm::cast<MemRefType>(memref.getType()).getElementType();
  SmallVector<Value> at = {batch, t, head, col};
  if (rows == 0)
    return toF32(tile::LoadOp::create(b, loc, tileType({width}, elem), memref,
                                      at, b.getDenseI64ArrayAttr({3}),
                                      Value()));
  return toF32(tile::LoadOp::create(b, loc, tileType({rows, width}, elem),
                                    memref, at, b.getDenseI64ArrayAttr({1, 3}),
                                    seqLen));
}

Value TileBuilder::loadTokenScalars(Value tensor, Value t, int64_t rows) {
  Value memref = memrefOf(tensor);
  Type elem = llvm::cast<MemRefType>(memref.getType()).getElementType();
  SmallVector<Value> at = {batch, t, head};
  if (rows == 0)
    return toF32(memref::LoadOp::create(b, loc, memref, at));
  return toF32(tile::LoadOp::create(b, loc, tileType({rows}, elem), memref, at,
                                    b.getDenseI64ArrayAttr({1}), seqLen));
}

Value TileBuilder::scaleTokens(Value x, Value perToken) {
  ArrayRef<int64_t> shape = shapeOf(x);
  if (!llvm::isa<RankedTensorType>(perToken.getType()))
    return mul(x, splat(perToken, shape));
  return mul(x, broadcast(perToken, 1, shape[1]));
}

Value TileBuilder::normalizeTokens(Value x) {
  ArrayRef<int64_t> shape = shapeOf(x);
  Value squares = mul(x, x);
  Value norm2 =
      shape.size() == 1 ? reduceAdd(squares, 0) : reduceAdd(squares, 1);
  return scaleTokens(x, rsqrt(add(norm2, constantLike(norm2, 1e-12))));
}

void TileBuilder::storeTokens(Value x, Value tensor, Value t, int64_t rows,
                              Value col) {
  Value memref = memrefOf(tensor);
  Type elem = llvm::cast<MemRefType>(memref.getType()).getElementType();
  SmallVector<Value> at = {batch, t, head, col};
  if (rows == 0)
    tile::StoreOp::create(b, loc, cast(x, elem), memref, at,
                          b.getDenseI64ArrayAttr({3}), Value());
  else
    tile::StoreOp::create(b, loc, cast(x, elem), memref, at,
                          b.getDenseI64ArrayAttr({1, 3}), seqLen);
}

Value TileBuilder::loadState(Value tensor, Value v0, int64_t vTile) {
  Value memref = memrefOf(tensor);
  bool kv = info.layout == recurrence::StateLayout::kv;
  Value zero = idx(0);
  SmallVector<Value> at = kv ? SmallVector<Value>{batch, head, zero, v0}
                             : SmallVector<Value>{batch, head, v0, zero};
  auto type = tileType({vTile, info.keyDim}, b.getF32Type());
  return tile::LoadOp::create(
      b, loc, type, memref, at,
      b.getDenseI64ArrayAttr(kv ? ArrayRef<int64_t>{3, 2}
                                : ArrayRef<int64_t>{2, 3}),
      Value());
}

void TileBuilder::storeState(Value state, Value tensor, Value v0) {
  Value memref = memrefOf(tensor);
  bool kv = info.layout == recurrence::StateLayout::kv;
  Value zero = idx(0);
  SmallVector<Value> at = kv ? SmallVector<Value>{batch, head, zero, v0}
                             : SmallVector<Value>{batch, head, v0, zero};
  tile::StoreOp::create(b, loc, state, memref, at,
                        b.getDenseI64ArrayAttr(kv ? ArrayRef<int64_t>{3, 2}
                                                  : ArrayRef<int64_t>{2, 3}),
                        Value());
}

//===----------------------------------------------------------------------===//
// The decay-form chunk algebra
//===----------------------------------------------------------------------===//

ChunkDecay chunk::cumulativeDecay(TileBuilder &tb, Value g) {
  ChunkDecay decay;
  decay.kind = shapeOf(g).size() == 1 ? ChunkDecay::Kind::scalar
                                      : ChunkDecay::Kind::channel;
  Value log2 = tb.mul(g, tb.constantLike(g, M_LOG2E));
  decay.cum = tb.cumsum(log2, 0);
  // Rows past T decay by nothing, so the sum is G at the last token.
  decay.total = tb.reduceAdd(log2, 0);
  return decay;
}

Value chunk::decayedScores(TileBuilder &tb, const ChunkDecay &decay,
                           Value queries, Value keys, bool strict) {
  Value q = tb.operand(queries), k = tb.operand(keys);
  switch (decay.kind) {
  case ChunkDecay::Kind::none:
    return tb.causalMask(
        tb.dot(q, k, false, true, {}, TileBuilder::Terms::lower), strict, 0.0);
  case ChunkDecay::Kind::scalar: {
    // e^{G_i - G_j} for j <= i, the exponents above the diagonal -inf.
    int64_t c = shapeOf(decay.cum)[0];
    Value diff =
        tb.sub(tb.broadcast(decay.cum, 1, c), tb.broadcast(decay.cum, 0, c));
    Value decays = tb.exp2(
        tb.causalMask(diff, strict, -std::numeric_limits<double>::infinity()));
    return tb.mul(tb.dot(q, k, false, true, {}, TileBuilder::Terms::lower),
                  decays);
  }
  case ChunkDecay::Kind::channel: {
    ArrayRef<int64_t> qs = shapeOf(q), ks = shapeOf(k);
    auto type = RankedTensorType::get({qs[0], ks[0]}, tb.b.getF32Type());
    Value p = tile::DecayDotOp::create(tb.b, tb.loc, type, q, k, decay.cum,
                                       decay.cum);
    return strict ? tb.causalMask(p, true, 0.0) : p;
  }
  }
  llvm_unreachable("unknown decay kind");
}

Value chunk::scoresTimes(TileBuilder &tb, Value scores, Value values,
                         Value acc) {
  return tb.dot(tb.operand(scores), tb.operand(values), false, false, acc,
                TileBuilder::Terms::lowerA);
}

Value chunk::decayFromStart(TileBuilder &tb, const ChunkDecay &decay,
                            Value rows) {
  switch (decay.kind) {
  case ChunkDecay::Kind::none:
    return rows;
  case ChunkDecay::Kind::scalar:
    return tb.scaleTokens(rows, tb.exp2(decay.cum));
  case ChunkDecay::Kind::channel:
    return tb.mul(rows, tb.exp2(decay.cum));
  }
  llvm_unreachable("unknown decay kind");
}

Value chunk::decayToEnd(TileBuilder &tb, const ChunkDecay &decay, Value keys) {
  switch (decay.kind) {
  case ChunkDecay::Kind::none:
    return keys;
  case ChunkDecay::Kind::scalar: {
    Value total = tb.splat(decay.total, shapeOf(decay.cum));
    return tb.scaleTokens(keys, tb.exp2(tb.sub(total, decay.cum)));
  }
  case ChunkDecay::Kind::channel: {
    Value total = tb.broadcast(decay.total, 0, shapeOf(decay.cum)[0]);
    return tb.mul(keys, tb.exp2(tb.sub(total, decay.cum)));
  }
  }
  llvm_unreachable("unknown decay kind");
}

Value chunk::decayState(TileBuilder &tb, const ChunkDecay &decay, Value state) {
  ArrayRef<int64_t> shape = shapeOf(state);
  switch (decay.kind) {
  case ChunkDecay::Kind::none:
    return state;
  case ChunkDecay::Kind::scalar:
    return tb.mul(state, tb.splat(tb.exp2(decay.total), shape));
  case ChunkDecay::Kind::channel:
    return tb.mul(state, tb.broadcast(tb.exp2(decay.total), 0, shape[0]));
  }
  llvm_unreachable("unknown decay kind");
}

Value chunk::transitionState(TileBuilder &tb, const ChunkTransition &transition,
                             Value state) {
  Value next = decayState(tb, transition.decay, state);
  if (!transition.response)
    return next;
  Value seen =
      tb.dot(tb.operand(state), tb.operand(transition.response), false, true);
  return tb.dot(tb.operand(seen), tb.operand(transition.endKeys), false, false,
                next);
}

Value chunk::outputs(TileBuilder &tb, const ChunkDecay &decay, Value queries,
                     Value state, ArrayRef<Slot> slots) {
  Value o = tb.dot(tb.operand(decayFromStart(tb, decay, queries)),
                   tb.operand(state), false, true);
  for (const Slot &slot : slots)
    o = scoresTimes(tb, decayedScores(tb, decay, queries, slot.keys, false),
                    slot.values, o);
  return o;
}

Value chunk::update(TileBuilder &tb, const ChunkDecay &decay,
                    ArrayRef<Slot> slots, Value acc) {
  for (const Slot &slot : slots)
    acc =
        tb.dot(tb.operand(slot.values),
               tb.operand(decayToEnd(tb, decay, slot.keys)), true, false, acc);
  return acc;
}

Value chunk::triSolve(TileBuilder &tb, Value l, Value rhs) {
  rhs = tb.toF32(rhs);
  return tile::TriSolveOp::create(tb.b, tb.loc, rhs.getType(), tb.operand(l),
                                  rhs);
}
