//===- Emitter.h - Arithmetic helpers for the scan lowerings ----*- C++ -*-===//
//
// Small builders shared by the sequential and the chunked lowerings of a
// scan: f32 arithmetic, widening loads, and the write path's activations.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_CONVERSION_RECURRENCETOSCF_EMITTER_H
#define PRISM_CONVERSION_RECURRENCETOSCF_EMITTER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

namespace prism {
namespace lowering {
using namespace mlir;

//===----------------------------------------------------------------------===//
// Small builder for the per-row algebra
//===----------------------------------------------------------------------===//

/// Arithmetic helpers over f32 scalars and vector<Kxf32>.
struct Emitter {
  OpBuilder &b;
  Location loc;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }
  Value toF32(Value v) {
    Type elem = getElementTypeOrSelf(v.getType());
    if (elem.isF32())
      return v;
    Type target = b.getF32Type();
    if (auto vec = dyn_cast<VectorType>(v.getType()))
      target = VectorType::get(vec.getShape(), target);
    return arith::ExtFOp::create(b, loc, target, v);
  }
  Value fromF32(Value v, Type elem) {
    if (elem.isF32())
      return v;
    return arith::TruncFOp::create(b, loc, elem, v);
  }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value exp(Value x) { return math::ExpOp::create(b, loc, x); }
  Value splat(Value scalar, int64_t n) {
    return vector::BroadcastOp::create(
        b, loc, VectorType::get({n}, scalar.getType()), scalar);
  }
  /// <x, y> with a reassociating reduction (a tree, not a serial chain).
  Value dot(Value x, Value y) {
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                       mul(x, y), Value(),
                                       arith::FastMathFlags::reassoc);
  }
  /// A constant shaped like `like` (a scalar or a vector of f32).
  Value like(Value like, double v) {
    if (auto vec = dyn_cast<VectorType>(like.getType()))
      return splat(f32(v), vec.getNumElements());
    return f32(v);
  }
  /// GELU, erf form: x/2 (1 + erf(x / sqrt 2)), on scalars or vectors.
  Value gelu(Value x) {
    Value e = math::ErfOp::create(b, loc, mul(x, like(x, M_SQRT1_2)));
    return mul(mul(x, like(x, 0.5)), add(like(x, 1.0), e));
  }
  /// SiLU: x / (1 + exp(-x)).
  Value silu(Value x) {
    Value neg = arith::NegFOp::create(b, loc, x);
    return div(x, add(f32(1.0), exp(neg)));
  }

  Value loadScalar(Value memref, ValueRange indices) {
    return toF32(memref::LoadOp::create(b, loc, memref, indices));
  }
  /// Loads the contiguous innermost vector at `indices`, widened to f32.
  Value loadVector(Value memref, ValueRange indices, int64_t n) {
    return toF32(loadRawVector(memref, indices, n));
  }
  /// Loads the contiguous innermost vector at `indices` as stored.
  Value loadRawVector(Value memref, ValueRange indices, int64_t n) {
    auto type = cast<MemRefType>(memref.getType());
    Type elem = type.getElementType();
    unsigned bytes = elem.getIntOrFloatBitWidth() / 8;
    // Host backends legalise 16-bit float vectors only at power-of-two
    // widths: other widths are gathered element by element, widened.
    if (bytes == 2 && !llvm::isPowerOf2_64(n)) {
      SmallVector<Value> elems;
      SmallVector<Value> at(indices.begin(), indices.end());
      Value base = at.back();
      for (int64_t i = 0; i < n; ++i) {
        at.back() = arith::AddIOp::create(b, loc, base, idx(i));
        elems.push_back(toF32(memref::LoadOp::create(b, loc, memref, at)));
      }
      return vector::FromElementsOp::create(
          b, loc, VectorType::get({n}, b.getF32Type()), elems);
    }
    llvm::MaybeAlign align;
    // Rows of n elements start on 16-byte boundaries when n * bytes is a
    // multiple of 16 (buffers themselves are at least 256-byte aligned).
    if ((n * bytes) % 16 == 0)
      align = llvm::Align(16);
    return vector::LoadOp::create(b, loc, VectorType::get({n}, elem), memref,
                                  indices, /*nontemporal=*/false, align);
  }
};

/// Upper bound for a dimension of `memref`: constant or memref.dim.
inline Value dimOf(OpBuilder &b, Location loc, Value memref, int64_t index) {
  auto type = cast<MemRefType>(memref.getType());
  if (!type.isDynamicDim(index))
    return arith::ConstantIndexOp::create(b, loc, type.getDimSize(index));
  return memref::DimOp::create(b, loc, memref, index);
}

/// Tags a parallel loop with the roles ("program", "lane") of its dimensions.
inline void setLoopRoles(scf::ParallelOp loop, ArrayRef<StringRef> roles) {
  OpBuilder b(loop);
  SmallVector<Attribute> attrs;
  for (StringRef role : roles)
    attrs.push_back(b.getStringAttr(role));
  loop->setAttr("prism.loop_roles", b.getArrayAttr(attrs));
}

} // namespace lowering
} // namespace prism

#endif // PRISM_CONVERSION_RECURRENCETOSCF_EMITTER_H
