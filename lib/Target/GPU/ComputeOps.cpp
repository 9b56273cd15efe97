//===- ComputeOps.cpp - Reductions across threads ------------------------===//
//
// Per-thread code for the tile ops that combine elements of several
// threads: reductions (within the thread, then butterfly shuffles across
// the lanes that hold other elements of the row, then across warps through
// scratch rows). The matrix products are Products.cpp's; the in-place
// scans, the triangular inverse and the solve are ColumnOps.cpp's.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "prism/Dialect/Tile/TileOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

using namespace mlir;
using namespace prism;
using namespace prism::gpumap;
using tilegpu::Layout;

namespace {

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

Value combine(OpBuilder &b, Location loc, tile::ReduceKind kind, Value x,
              Value y) {
  if (kind == tile::ReduceKind::add)
    return arith::AddFOp::create(b, loc, x, y);
  return arith::MaximumFOp::create(b, loc, x, y);
}

/// A reduction within each warp: each thread combines its elements of a
/// row (or of the whole 1-d tile), then the lanes holding the rest exchange
/// by xor shuffles. Returns the kept coordinates' offsets and partials.
std::pair<SmallVector<int64_t>, SmallVector<Value>>
reduceInWarp(OpBuilder &b, Location loc, const Layout &in, int64_t dim,
             tile::ReduceKind kind, Value x) {
  SmallVector<int64_t> keys;
  SmallVector<SmallVector<Value>> groups;
  for (int64_t e = 0; e < in.numSlots(); ++e) {
    int64_t key = in.rank() == 2 ? in.offset(e, 1 - dim) : 0;
    auto it = llvm::find(keys, key);
    if (it == keys.end()) {
      keys.push_back(key);
      groups.emplace_back();
      it = keys.end() - 1;
    }
    groups[it - keys.begin()].push_back(elementAt(b, loc, x, e));
  }
  SmallVector<Value> partial;
  for (SmallVector<Value> &group : groups) {
    // Pairwise, so that the additions do not form one long chain.
    while (group.size() > 1) {
      SmallVector<Value> next;
      for (size_t i = 0; i + 1 < group.size(); i += 2)
        next.push_back(combine(b, loc, kind, group[i], group[i + 1]));
      if (group.size() % 2)
        next.push_back(group.back());
      group = std::move(next);
    }
    partial.push_back(group.front());
  }
  for (int64_t mask : in.laneMasksAlong(dim))
    for (Value &acc : partial) {
      Value other =
          gpu::ShuffleOp::create(b, loc, acc, mask, 32, gpu::ShuffleMode::XOR)
              .getShuffleResult();
      acc = combine(b, loc, kind, acc, other);
    }
  return {keys, partial};
}

/// The reduction's result from the partials: the scalar, or the slice's
/// slots in order.
Value reduceResult(OpBuilder &b, Location loc, Type resultType,
                   ArrayRef<int64_t> keys, ArrayRef<Value> partial) {
  auto tensor = dyn_cast<RankedTensorType>(resultType);
  if (!tensor)
    return partial.front();
  Layout out = layoutOf(tensor);
  SmallVector<Value> parts;
  for (int64_t e = 0; e < out.numSlots(); ++e)
    parts.push_back(partial[llvm::find(keys, out.offset(e, 0)) - keys.begin()]);
  return vector::FromElementsOp::create(
      b, loc, VectorType::get({out.numSlots()}, tensor.getElementType()),
      parts);
}

/// tile.reduce: no warp holds part of another's row (AssignLayouts).
struct ReduceLowering : OpConversionPattern<tile::ReduceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::ReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Layout in = layoutOf(op.getInput().getType());
    if (in.warpsAlong(op.getDim()) > 1)
      return rewriter.notifyMatchFailure(op, "reduces across warps");
    auto [keys, partial] = reduceInWarp(rewriter, op.getLoc(), in, op.getDim(),
                                        op.getKind(), adaptor.getInput());
    rewriter.replaceOp(op,
                       reduceResult(rewriter, op.getLoc(),
                                    op.getResult().getType(), keys, partial));
    return success();
  }
};

/// tilegpu.reduce: within each warp, then across the warps through the
/// scratch rows (one barrier between the writes and the reads).
struct WarpsReduceLowering : OpConversionPattern<tilegpu::ReduceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tilegpu::ReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Layout in = layoutOf(op.getInput().getType());
    int64_t dim = op.getDim();
    auto kind = op.getMax() ? tile::ReduceKind::max : tile::ReduceKind::add;
    auto [keys, partial] =
        reduceInWarp(rewriter, loc, in, dim, kind, adaptor.getInput());
    Thread t = Thread::at(rewriter, loc);
    Value w = in.warpAlong(rewriter, loc, t.warp, dim);
    Value kept;
    if (in.rank() == 2)
      kept = in.base(rewriter, loc, t.warp, t.lane)[1 - dim];
    Value scratch = adaptor.getScratch();
    auto at = [&](Value row, int64_t key) {
      SmallVector<Value> indices = {row};
      if (kept)
        indices.push_back(arith::AddIOp::create(
            rewriter, loc, kept, indexConst(rewriter, loc, key)));
      return indices;
    };
    for (auto [key, value] : llvm::zip(keys, partial))
      memref::StoreOp::create(rewriter, loc, value, scratch, at(w, key));
    gpu::BarrierOp::create(rewriter, loc);
    for (auto [key, value] : llvm::zip(keys, partial)) {
      value = memref::LoadOp::create(rewriter, loc, scratch,
                                     at(indexConst(rewriter, loc, 0), key));
      for (int64_t other = 1; other < in.warpsAlong(dim); ++other)
        value = combine(
            rewriter, loc, kind, value,
            memref::LoadOp::create(rewriter, loc, scratch,
                                   at(indexConst(rewriter, loc, other), key)));
    }
    rewriter.replaceOp(op, reduceResult(rewriter, loc, op.getResult().getType(),
                                        keys, partial));
    return success();
  }
};

} // namespace

void gpumap::populateComputePatterns(TileTypeConverter &converter,
                                     RewritePatternSet &patterns) {
  patterns.add<ReduceLowering, WarpsReduceLowering>(converter,
                                                    patterns.getContext());
  populateProductPatterns(converter, patterns);
  populateColumnPatterns(converter, patterns);
}
