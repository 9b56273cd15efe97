//===- TileToLoops.cpp - The CPU mapping of the tile dialect --------------===//
//
// The CPU runs a tile program as loops: every tile.kernel becomes an scf.for
// nest over its grid (programs one after the other) and every other tile op
// becomes the upstream op on tensors that computes it element by element.
// Tiles stay SSA tensors here; prism-tile-cpu-mapping then bufferizes them
// (one-shot-bufferize picks the buffers and copies a tile only where it is
// still read after being overwritten), frees every buffer with the
// ownership-based deallocation and lowers linalg to loops.
//
// Why tensors and not buffers managed here: a tile carried by a chunk loop
// (scf.for iter_args, scf.if results) is exactly what bufferization and its
// deallocation already handle, including a fresh buffer yielded from every
// iteration (freed when the next one replaces it), so this pass needs no
// analysis of its own of where a tile lives or dies.
//
// A loaded tile is a fresh buffer filled by loops of memref.loads, handed
// over as a tensor (bufferization.to_tensor restrict writable), rather than a
// tensor.generate of loads: canonicalization folds a tensor.extract of a
// tensor.generate into the generate's body at the extract, which would move
// the load after any store in between.
//
// Products are plain matrix products: a linalg.generic over (i, j, k) whose
// body extends 16-bit operands to f32 and accumulates in f32, with the
// transposes as indexing maps; nothing here models a GPU fragment.
//
//===----------------------------------------------------------------------===//

#include "prism/Target/CPU/TileToLoops.h"
#include "prism/Dialect/Tile/TileOps.h"
#include "prism/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

namespace prism {
#define GEN_PASS_DEF_CONVERTTILETOLOOPS
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
using namespace prism::tile;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

Value indexConst(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

Value floatConst(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, value));
}

/// `value` as f32 (16-bit operands of products are exact in f32).
Value toF32(OpBuilder &b, Location loc, Value value) {
  if (value.getType().isF32())
    return value;
  return arith::ExtFOp::create(b, loc, b.getF32Type(), value);
}

/// A tensor of `type` with every element `value`.
Value filled(OpBuilder &b, Location loc, RankedTensorType type, Value value) {
  Value empty =
      tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
  return linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{empty})
      .getResult(0);
}

/// The buffer indices of tile element `ivs` of an access at `indices`: tile
/// dimension t advances buffer dimension dims[t].
SmallVector<Value> elementIndices(OpBuilder &b, Location loc,
                                  ValueRange indices, ArrayRef<int64_t> dims,
                                  ValueRange ivs) {
  SmallVector<Value> at(indices.begin(), indices.end());
  for (auto [d, iv] : llvm::zip_equal(dims, ivs))
    at[d] = arith::AddIOp::create(b, loc, at[d], iv);
  return at;
}

/// Whether coordinate `c` lies in [0, bound). Signed: a chunk may start
/// before the sequence, and its rows there have negative coordinates.
Value inBounds(OpBuilder &b, Location loc, Value c, Value bound) {
  Value zero = indexConst(b, loc, 0);
  Value low = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, c, zero);
  Value high =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, c, bound);
  return arith::AndIOp::create(b, loc, low, high);
}

/// Loop bounds [0, n) with step 1 for every extent n of `shape`.
struct Extents {
  SmallVector<Value> lbs, ubs, steps;
  Extents(OpBuilder &b, Location loc, ArrayRef<int64_t> shape) {
    Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
    for (int64_t size : shape) {
      lbs.push_back(zero);
      ubs.push_back(indexConst(b, loc, size));
      steps.push_back(one);
    }
  }
};

//===----------------------------------------------------------------------===//
// Kernels and memory
//===----------------------------------------------------------------------===//

/// tile.kernel -> an scf.for nest over the grid with the body inlined.
struct KernelToLoops : OpRewritePattern<KernelOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(KernelOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value zero = indexConst(rewriter, loc, 0);
    Value one = indexConst(rewriter, loc, 1);
    SmallVector<Value> lbs(op.getGrid().size(), zero);
    SmallVector<Value> steps(op.getGrid().size(), one);
    scf::LoopNest nest =
        scf::buildLoopNest(rewriter, loc, lbs, op.getGrid(), steps);
    SmallVector<Value> ids;
    for (scf::ForOp loop : nest.loops)
      ids.push_back(loop.getInductionVar());
    Block &body = op.getBody().front();
    rewriter.eraseOp(body.getTerminator());
    Block *inner = nest.loops.back().getBody();
    rewriter.inlineBlockBefore(&body, inner->getTerminator(), ids);
    rewriter.eraseOp(op);
    return success();
  }
};

/// tile.load -> a fresh buffer filled by an scf.for nest of (guarded)
/// memref.loads, as a tensor.
struct LoadToBuffer : OpRewritePattern<LoadOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LoadOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getResult().getType();
    Type element = type.getElementType();
    Value source = op.getSource(), bound = op.getBound();
    SmallVector<Value> indices(op.getIndices());
    SmallVector<int64_t> dims(op.getDims());
    auto bufferType = MemRefType::get(type.getShape(), element);
    Value buffer = memref::AllocOp::create(rewriter, loc, bufferType,
                                           rewriter.getI64IntegerAttr(64));
    Extents extents(rewriter, loc, type.getShape());
    scf::buildLoopNest(
        rewriter, loc, extents.lbs, extents.ubs, extents.steps,
        [&](OpBuilder &b, Location loc, ValueRange ivs) {
          SmallVector<Value> at = elementIndices(b, loc, indices, dims, ivs);
          Value value;
          if (!bound) {
            value = memref::LoadOp::create(b, loc, source, at);
          } else {
            // Rows outside [0, bound) are not read: they may lie outside the
            // buffer.
            auto guard = scf::IfOp::create(
                b, loc, inBounds(b, loc, at[dims[0]], bound),
                [&](OpBuilder &b, Location loc) {
                  Value loaded = memref::LoadOp::create(b, loc, source, at);
                  scf::YieldOp::create(b, loc, loaded);
                },
                [&](OpBuilder &b, Location loc) {
                  scf::YieldOp::create(b, loc,
                                       floatConst(b, loc, element, 0.0));
                });
            value = guard.getResult(0);
          }
          memref::StoreOp::create(b, loc, value, buffer, ivs);
        });
    // The buffer is this tile's alone (restrict) and may be overwritten in
    // place once the tile is dead (writable).
    rewriter.replaceOp(op, bufferization::ToTensorOp::create(
                               rewriter, loc, type, buffer,
                               /*restrict=*/true, /*writable=*/true));
    return success();
  }
};

/// tile.store -> an scf.for nest of tensor.extract and (guarded)
/// memref.store.
struct StoreToLoops : OpRewritePattern<StoreOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(StoreOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value value = op.getValue(), dest = op.getDest(), bound = op.getBound();
    SmallVector<Value> indices(op.getIndices());
    SmallVector<int64_t> dims(op.getDims());
    Extents extents(rewriter, loc, op.getValue().getType().getShape());
    scf::buildLoopNest(
        rewriter, loc, extents.lbs, extents.ubs, extents.steps,
        [&](OpBuilder &b, Location loc, ValueRange ivs) {
          SmallVector<Value> at = elementIndices(b, loc, indices, dims, ivs);
          auto store = [&](OpBuilder &b, Location loc) {
            Value element = tensor::ExtractOp::create(b, loc, value, ivs);
            memref::StoreOp::create(b, loc, element, dest, at);
          };
          if (!bound) {
            store(b, loc);
            return;
          }
          scf::IfOp::create(b, loc, inBounds(b, loc, at[dims[0]], bound),
                            [&](OpBuilder &b, Location loc) {
                              store(b, loc);
                              scf::YieldOp::create(b, loc);
                            });
        });
    rewriter.eraseOp(op);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Products and solves
//===----------------------------------------------------------------------===//

/// x * y in f32 (the operands extended in order: x first).
Value productF32(OpBuilder &b, Location loc, Value x, Value y) {
  Value lhs = toF32(b, loc, x);
  Value rhs = toF32(b, loc, y);
  return arith::MulFOp::create(b, loc, lhs, rhs);
}

/// A linalg.generic over (i, j, k) that sums `term(b, loc, args)` (args:
/// the operands' elements at their maps of (i, j, k), then the
/// accumulator's) into `init` at (i, j).
Value contraction(
    PatternRewriter &rewriter, Location loc, RankedTensorType type,
    ValueRange operands, ArrayRef<std::pair<bool, bool>> maps, Value init,
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange)> term) {
  MLIRContext *context = rewriter.getContext();
  AffineExpr i, j, k;
  bindDims(context, i, j, k);
  // (row by j instead of i, transposed) per operand.
  SmallVector<AffineMap> indexing;
  for (auto [byJ, transposed] : maps) {
    AffineExpr row = byJ ? j : i;
    indexing.push_back(AffineMap::get(3, 0,
                                      transposed ? ArrayRef<AffineExpr>{k, row}
                                                 : ArrayRef<AffineExpr>{row, k},
                                      context));
  }
  indexing.push_back(AffineMap::get(3, 0, {i, j}, context));
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{type}, operands, ValueRange{init}, indexing,
      ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                    utils::IteratorType::parallel,
                                    utils::IteratorType::reduction},
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value sum = arith::AddFOp::create(b, loc, args.back(),
                                          term(b, loc, args.drop_back()));
        linalg::YieldOp::create(b, loc, sum);
      });
  return generic.getResult(0);
}

/// The term `term` where (i, j, k) of the contraction satisfies `below`
/// (the second index <= the first: `lower_a` compares k with i, `lower` j
/// with i), else zero: never the product of what is above, whatever it
/// holds.
Value keptBelow(OpBuilder &b, Location loc, Value term, unsigned first,
                unsigned second) {
  Value upper = linalg::IndexOp::create(b, loc, first);
  Value lower = linalg::IndexOp::create(b, loc, second);
  Value kept =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, lower, upper);
  return arith::SelectOp::create(b, loc, kept, term,
                                 floatConst(b, loc, b.getF32Type(), 0));
}

/// tile.dot -> a contraction accumulating f32 products (the causal forms
/// select the terms above the diagonal away).
struct DotToGeneric : OpRewritePattern<DotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DotOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getResult().getType();
    Value init = op.getAcc();
    if (!init)
      init = filled(rewriter, loc, type,
                    floatConst(rewriter, loc, rewriter.getF32Type(), 0.0));
    // a is [i, k] (or [k, i]), b is [k, j] (or [j, k]).
    rewriter.replaceOp(
        op,
        contraction(rewriter, loc, type, {op.getA(), op.getB()},
                    {{false, op.getTransposeA()}, {true, !op.getTransposeB()}},
                    init, [&](OpBuilder &b, Location loc, ValueRange args) {
                      Value term = productF32(b, loc, args[0], args[1]);
                      if (op.getLowerA())
                        term = keptBelow(b, loc, term, 0, 2);
                      if (op.getLower())
                        term = keptBelow(b, loc, term, 0, 1);
                      return term;
                    }));
    return success();
  }
};

/// tile.decay_dot -> a contraction whose terms above the diagonal are
/// selected away.
struct DecayDotToGeneric : OpRewritePattern<DecayDotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DecayDotOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getResult().getType();
    Value init = filled(rewriter, loc, type,
                        floatConst(rewriter, loc, rewriter.getF32Type(), 0));
    // a, ga are [i, c]; b, gb are [j, c].
    rewriter.replaceOp(
        op,
        contraction(
            rewriter, loc, type, {op.getA(), op.getB(), op.getGa(), op.getGb()},
            {{false, false}, {true, false}, {false, false}, {true, false}},
            init, [](OpBuilder &b, Location loc, ValueRange args) {
              Value product = productF32(b, loc, args[0], args[1]);
              Value exponent = arith::SubFOp::create(b, loc, args[2], args[3]);
              Value decay = math::Exp2Op::create(b, loc, exponent);
              Value term = arith::MulFOp::create(b, loc, product, decay);
              // Above the diagonal the exponent may be large and 2^x
              // infinite: select the term away (inf * 0 would be NaN).
              return keptBelow(b, loc, term, 0, 1);
            }));
    return success();
  }
};

/// tile.tri_solve -> forward substitution on the right-hand side, in f32
/// (the operand type's rounding is a target's choice): row t of x is final
/// once rows 0..t-1 are.
struct TriSolveToLoops : OpRewritePattern<TriSolveOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TriSolveOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value l = op.getL();
    ArrayRef<int64_t> shape = op.getResult().getType().getShape();
    Value zero = indexConst(rewriter, loc, 0);
    Value one = indexConst(rewriter, loc, 1);
    Value rows = indexConst(rewriter, loc, shape[0]);
    Value columns = indexConst(rewriter, loc, shape[1]);
    Value fzero = floatConst(rewriter, loc, rewriter.getF32Type(), 0);
    auto solve = scf::ForOp::create(
        rewriter, loc, one, rows, one, ValueRange{op.getR()},
        [&](OpBuilder &b, Location loc, Value t, ValueRange xs) {
          auto row = scf::ForOp::create(
              b, loc, zero, columns, one, xs,
              [&](OpBuilder &b, Location loc, Value v, ValueRange xs) {
                Value x = xs[0];
                auto sum = scf::ForOp::create(
                    b, loc, zero, t, one, ValueRange{fzero},
                    [&](OpBuilder &b, Location loc, Value s, ValueRange acc) {
                      Value lts = toF32(b, loc,
                                        tensor::ExtractOp::create(
                                            b, loc, l, ValueRange{t, s}));
                      Value xsv = tensor::ExtractOp::create(b, loc, x,
                                                            ValueRange{s, v});
                      Value product = arith::MulFOp::create(b, loc, lts, xsv);
                      scf::YieldOp::create(b, loc,
                                           ValueRange{arith::AddFOp::create(
                                               b, loc, acc[0], product)});
                    });
                Value rhs =
                    tensor::ExtractOp::create(b, loc, x, ValueRange{t, v});
                Value solved =
                    arith::SubFOp::create(b, loc, rhs, sum.getResult(0));
                Value next = tensor::InsertOp::create(b, loc, solved, x,
                                                      ValueRange{t, v});
                scf::YieldOp::create(b, loc, next);
              });
          scf::YieldOp::create(b, loc, row.getResults());
        });
    rewriter.replaceOp(op, solve.getResults());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Scans, masks, reductions and broadcasts
//===----------------------------------------------------------------------===//

/// tile.cumsum -> scf.for along `dim` adding each element to its
/// predecessor.
struct CumsumToLoops : OpRewritePattern<CumsumOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CumsumOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ArrayRef<int64_t> shape = op.getInput().getType().getShape();
    int64_t dim = op.getDim();
    Value zero = indexConst(rewriter, loc, 0);
    Value one = indexConst(rewriter, loc, 1);
    Value length = indexConst(rewriter, loc, shape[dim]);
    // The element at position `t` along dim and `o` across it.
    auto at = [&](Value t, Value o) -> SmallVector<Value> {
      if (shape.size() == 1)
        return {t};
      return dim == 0 ? SmallVector<Value>{t, o} : SmallVector<Value>{o, t};
    };
    auto accumulate = [&](OpBuilder &b, Location loc, Value x, Value t,
                          Value o) -> Value {
      Value previous = arith::SubIOp::create(b, loc, t, one);
      Value before = tensor::ExtractOp::create(b, loc, x, at(previous, o));
      Value here = tensor::ExtractOp::create(b, loc, x, at(t, o));
      Value sum = arith::AddFOp::create(b, loc, before, here);
      return tensor::InsertOp::create(b, loc, sum, x, at(t, o));
    };
    auto scan = scf::ForOp::create(
        rewriter, loc, one, length, one, ValueRange{op.getInput()},
        [&](OpBuilder &b, Location loc, Value t, ValueRange xs) {
          if (shape.size() == 1) {
            scf::YieldOp::create(b, loc, accumulate(b, loc, xs[0], t, {}));
            return;
          }
          Value across = indexConst(b, loc, shape[1 - dim]);
          auto inner = scf::ForOp::create(
              b, loc, zero, across, one, xs,
              [&](OpBuilder &b, Location loc, Value o, ValueRange ys) {
                scf::YieldOp::create(b, loc, accumulate(b, loc, ys[0], t, o));
              });
          scf::YieldOp::create(b, loc, inner.getResults());
        });
    rewriter.replaceOp(op, scan.getResults());
    return success();
  }
};

/// tile.causal_mask -> linalg.generic selecting `fill` above the diagonal.
struct CausalMaskToGeneric : OpRewritePattern<CausalMaskOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CausalMaskOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    RankedTensorType type = op.getResult().getType();
    AffineMap identity = rewriter.getMultiDimIdentityMap(2);
    Value empty = tensor::EmptyOp::create(rewriter, loc, type.getShape(),
                                          type.getElementType());
    double fill = op.getFill().convertToDouble();
    auto predicate =
        op.getStrict() ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{op.getInput()},
        ValueRange{empty}, ArrayRef<AffineMap>{identity, identity},
        ArrayRef<utils::IteratorType>{utils::IteratorType::parallel,
                                      utils::IteratorType::parallel},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value row = linalg::IndexOp::create(b, loc, 0);
          Value column = linalg::IndexOp::create(b, loc, 1);
          Value kept = arith::CmpIOp::create(b, loc, predicate, column, row);
          Value value = arith::SelectOp::create(
              b, loc, kept, args[0], floatConst(b, loc, b.getF32Type(), fill));
          linalg::YieldOp::create(b, loc, value);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

/// tile.reduce -> linalg.reduce from the kind's identity.
struct ReduceToLinalg : OpRewritePattern<ReduceOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    bool add = op.getKind() == ReduceKind::add;
    double identity = add ? 0.0 : -std::numeric_limits<double>::infinity();
    // A 1-d tile reduces into a rank-0 tensor, whose element is the result.
    auto type = dyn_cast<RankedTensorType>(op.getResult().getType());
    bool scalar = !type;
    if (scalar)
      type = RankedTensorType::get({}, rewriter.getF32Type());
    Value init =
        filled(rewriter, loc, type,
               floatConst(rewriter, loc, rewriter.getF32Type(), identity));
    auto reduce = linalg::ReduceOp::create(
        rewriter, loc, ValueRange{op.getInput()}, ValueRange{init},
        ArrayRef<int64_t>{static_cast<int64_t>(op.getDim())},
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value combined =
              add ? arith::AddFOp::create(b, loc, args[1], args[0]).getResult()
                  : arith::MaximumFOp::create(b, loc, args[1], args[0])
                        .getResult();
          linalg::YieldOp::create(b, loc, combined);
        });
    if (scalar)
      rewriter.replaceOpWithNewOp<tensor::ExtractOp>(op, reduce.getResult(0),
                                                     ValueRange{});
    else
      rewriter.replaceOp(op, reduce.getResults());
    return success();
  }
};

/// tile.broadcast -> linalg.broadcast into a tensor.empty.
struct BroadcastToLinalg : OpRewritePattern<BroadcastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastOp op,
                                PatternRewriter &rewriter) const override {
    RankedTensorType type = op.getResult().getType();
    Value empty = tensor::EmptyOp::create(
        rewriter, op.getLoc(), type.getShape(), type.getElementType());
    auto broadcast = linalg::BroadcastOp::create(
        rewriter, op.getLoc(), op.getInput(), empty,
        ArrayRef<int64_t>{static_cast<int64_t>(op.getDim())});
    rewriter.replaceOp(op, broadcast.getResults());
    return success();
  }
};

/// tile.splat -> linalg.fill of a tensor.empty.
struct SplatToFill : OpRewritePattern<SplatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SplatOp op,
                                PatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, filled(rewriter, op.getLoc(),
                                  op.getResult().getType(), op.getScalar()));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct ConvertTileToLoopsPass
    : prism::impl::ConvertTileToLoopsBase<ConvertTileToLoopsPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalDialect<TileDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(&getContext());
    prism::populateTileToLoopsPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void prism::populateTileToLoopsPatterns(RewritePatternSet &patterns) {
  patterns
      .add<KernelToLoops, LoadToBuffer, StoreToLoops, DotToGeneric,
           DecayDotToGeneric, TriSolveToLoops, CumsumToLoops,
           CausalMaskToGeneric, ReduceToLinalg, BroadcastToLinalg, SplatToFill>(
          patterns.getContext());
}
