//===- ComputeOps.cpp - Products, solves, scans and reductions ------------===//
//
// Per-thread code for the tile ops that combine elements of several
// threads: reductions (within the thread, then butterfly shuffles across
// the lanes that hold other elements of the row), matrix products of
// shared-memory operands (16-bit: ldmatrix fragments into mma.sync
// m16n8k16, the accumulators where the mma layout says; f32: each thread's
// elements in f32) and the per-channel decayed product. The in-place
// scans and the triangular inverse are ColumnOps.cpp's.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"
#include "prism/Dialect/Tile/TileOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <limits>

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

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

/// The origin of warp `warp`'s accumulator tiles in an mma layout.
std::pair<Value, Value> warpOrigin(OpBuilder &b, Location loc,
                                   tilegpu::MmaAttr mma,
                                   ArrayRef<int64_t> shape, Value warp,
                                   int64_t rowTiles, int64_t colTiles) {
  int64_t wm = mma.getWarps()[0], wn = mma.getWarps()[1];
  auto c = [&](int64_t v) { return indexConst(b, loc, v); };
  Value i = arith::RemUIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, warp, c(wn)), c(wm));
  Value j = arith::RemUIOp::create(b, loc, warp, c(wn));
  Value row = arith::RemUIOp::create(
      b, loc, arith::MulIOp::create(b, loc, i, c(rowTiles * 16)), c(shape[0]));
  Value col = arith::RemUIOp::create(
      b, loc, arith::MulIOp::create(b, loc, j, c(colTiles * 8)), c(shape[1]));
  return {row, col};
}

/// The m16n8 accumulator tiles a warp holds in an mma layout: the
/// thread's slots (4 per tile), row tiles x column tiles, and their origin.
struct WarpTiles {
  int64_t slots, rowTiles, colTiles;
  Value row0, col0;
  static WarpTiles of(OpBuilder &b, Location loc, RankedTensorType type,
                      Value warp) {
    Layout layout = layoutOf(type);
    WarpTiles w{layout.numSlots(), 0, 0, {}, {}};
    for (int64_t e = 0; e < w.slots; e += 4)
      w.rowTiles = std::max(w.rowTiles, layout.offset(e, 0) / 16 + 1);
    w.colTiles = w.slots / 4 / w.rowTiles;
    std::tie(w.row0, w.col0) =
        warpOrigin(b, loc, cast<tilegpu::MmaAttr>(type.getEncoding()),
                   type.getShape(), warp, w.rowTiles, w.colTiles);
    return w;
  }
};

/// The accumulators as a vector of slots (zero without an accumulator).
SmallVector<Value> accumulators(OpBuilder &b, Location loc, Value acc,
                                int64_t slots) {
  SmallVector<Value> out;
  Value zero = floatConst(b, loc, b.getF32Type(), 0.0);
  for (int64_t e = 0; e < slots; ++e)
    out.push_back(acc ? elementAt(b, loc, acc, e) : zero);
  return out;
}

/// tilegpu.mma with 16-bit operands: per 16-wide step of the reduction,
/// each warp loads the A fragments of its row tiles and the B fragments of
/// its column tiles with ldmatrix, and multiplies every pair.
Value mmaTensorCores(OpBuilder &b, Location loc, tilegpu::MmaOp op, Value a,
                     Value bv, Value acc) {
  Type elem = cast<MemRefType>(a.getType()).getElementType();
  MemRefType aType = cast<MemRefType>(a.getType());
  int64_t k = op.getTransposeA() ? aType.getDimSize(0) : aType.getDimSize(1);
  Thread t = Thread::at(b, loc);
  WarpTiles w = WarpTiles::of(b, loc, op.getResult().getType(), t.warp);
  int64_t slots = w.slots, rowTiles = w.rowTiles, colTiles = w.colTiles;
  Value row0 = w.row0, col0 = w.col0;
  SmallVector<Value> out = accumulators(b, loc, acc, slots);
  auto c = [&](int64_t v) { return indexConst(b, loc, v); };
  bool ta = op.getTransposeA(), tb = op.getTransposeB();
  for (int64_t kk = 0; kk < k; kk += 16) {
    SmallVector<SmallVector<Value>> fa, fb;
    for (int64_t r = 0; r < rowTiles; ++r) {
      Value rows = arith::AddIOp::create(b, loc, row0, c(r * 16));
      // Matrix m: rows (m % 2) * 8, reduction (m / 2) * 8 of the A tile.
      if (!ta)
        fa.push_back(
            ldmatrix(b, loc, a, t.lane, rows, c(kk), 4, false, [](int64_t m) {
              return std::make_pair((m % 2) * 8, (m / 2) * 8);
            }));
      else
        fa.push_back(
            ldmatrix(b, loc, a, t.lane, c(kk), rows, 4, true, [](int64_t m) {
              return std::make_pair((m / 2) * 8, (m % 2) * 8);
            }));
    }
    // B fragments two column tiles an ldmatrix where there are two left
    // (matrix m: column tile m / 2, reduction (m % 2) * 8), else one
    // (matrix m: reduction m * 8).
    for (int64_t n = 0; n < colTiles;) {
      Value cols = arith::AddIOp::create(b, loc, col0, c(n * 8));
      int64_t pair = n + 1 < colTiles ? 2 : 1;
      SmallVector<Value> words =
          tb ? ldmatrix(b, loc, bv, t.lane, cols, c(kk), 2 * pair, false,
                        [](int64_t m) {
                          return std::make_pair((m / 2) * 8, (m % 2) * 8);
                        })
             : ldmatrix(b, loc, bv, t.lane, c(kk), cols, 2 * pair, true,
                        [](int64_t m) {
                          return std::make_pair((m % 2) * 8, (m / 2) * 8);
                        });
      for (int64_t i = 0; i < pair; ++i)
        fb.push_back({words[2 * i], words[2 * i + 1]});
      n += pair;
    }
    for (int64_t r = 0; r < rowTiles; ++r)
      for (int64_t n = 0; n < colTiles; ++n)
        mmaSync(b, loc, elem, fa[r], fb[n],
                MutableArrayRef<Value>(out).slice((r * colTiles + n) * 4, 4));
  }
  return vector::FromElementsOp::create(
      b, loc, VectorType::get({slots}, b.getF32Type()), out);
}

/// Element (i, j) of op(x) for a stored buffer `x`.
Value operandAt(OpBuilder &b, Location loc, Value x, bool trans, Value i,
                Value j) {
  Value v = trans ? memref::LoadOp::create(b, loc, x, ValueRange{j, i})
                  : memref::LoadOp::create(b, loc, x, ValueRange{i, j});
  if (!v.getType().isF32())
    v = arith::ExtFOp::create(b, loc, b.getF32Type(), v);
  return v;
}

/// The coordinates of every slot of the thread.
SmallVector<std::pair<Value, Value>> slotCoords(OpBuilder &b, Location loc,
                                                const Layout &layout) {
  Thread t = Thread::at(b, loc);
  SmallVector<Value> base = layout.base(b, loc, t.warp, t.lane);
  SmallVector<std::pair<Value, Value>> coords;
  for (int64_t e = 0; e < layout.numSlots(); ++e)
    coords.push_back(
        {arith::AddIOp::create(b, loc, base[0],
                               indexConst(b, loc, layout.offset(e, 0))),
         arith::AddIOp::create(b, loc, base[1],
                               indexConst(b, loc, layout.offset(e, 1)))});
  return coords;
}

/// A loop over [0, n) carrying the thread's accumulators; `body` adds one
/// step's term to slot e.
Value slotLoop(OpBuilder &b, Location loc, int64_t n, Value init,
               llvm::function_ref<Value(OpBuilder &, Value, int64_t)> body) {
  auto loop =
      scf::ForOp::create(b, loc, indexConst(b, loc, 0), indexConst(b, loc, n),
                         indexConst(b, loc, 1), ValueRange{init});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value acc = loop.getRegionIterArgs()[0];
  int64_t slots = cast<VectorType>(acc.getType()).getNumElements();
  for (int64_t e = 0; e < slots; ++e) {
    Value term = body(b, loop.getInductionVar(), e);
    acc = withElement(
        b, loc, acc, e,
        arith::AddFOp::create(b, loc, elementAt(b, loc, acc, e), term));
  }
  scf::YieldOp::create(b, loc, acc);
  return loop.getResult(0);
}

/// tilegpu.mma: tensor cores for 16-bit operands, f32 products otherwise.
struct MmaLowering : OpConversionPattern<tilegpu::MmaOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tilegpu::MmaOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type elem = op.getA().getType().getElementType();
    if (!elem.isF32()) {
      rewriter.replaceOp(op, mmaTensorCores(rewriter, loc, op, adaptor.getA(),
                                            adaptor.getB(), adaptor.getAcc()));
      return success();
    }
    Layout layout = layoutOf(op.getResult().getType());
    auto coords = slotCoords(rewriter, loc, layout);
    int64_t k = op.getTransposeA() ? op.getA().getType().getDimSize(0)
                                   : op.getA().getType().getDimSize(1);
    Value init = adaptor.getAcc();
    if (!init)
      init = splatVector(rewriter, loc,
                         floatConst(rewriter, loc, rewriter.getF32Type(), 0.0),
                         layout.numSlots());
    rewriter.replaceOp(
        op, slotLoop(rewriter, loc, k, init,
                     [&](OpBuilder &b, Value kk, int64_t e) -> Value {
                       auto [i, j] = coords[e];
                       Value x = operandAt(b, loc, adaptor.getA(),
                                           op.getTransposeA(), i, kk);
                       Value y = operandAt(b, loc, adaptor.getB(),
                                           op.getTransposeB(), kk, j);
                       return arith::MulFOp::create(b, loc, x, y);
                     }));
    return success();
  }
};

/// 2^(x - y), element by element, of two f32 vectors.
Value exp2Diff(OpBuilder &b, Location loc, Value x, Value y) {
  auto type = cast<VectorType>(x.getType());
  Value d = arith::SubFOp::create(b, loc, x, y);
  SmallVector<Value> parts;
  for (int64_t e = 0; e < type.getNumElements(); ++e)
    parts.push_back(
        exp2Approx(b, loc, vector::ExtractOp::create(b, loc, d, e)));
  return vector::FromElementsOp::create(b, loc, type, parts);
}

Value loadVector(OpBuilder &b, Location loc, Value buffer, int64_t n, Value row,
                 Value col) {
  Type elem = cast<MemRefType>(buffer.getType()).getElementType();
  return vector::LoadOp::create(b, loc, VectorType::get({n}, elem), buffer,
                                ValueRange{row, col});
}

Value toF32(OpBuilder &b, Location loc, Value v) {
  auto type = cast<VectorType>(v.getType());
  if (type.getElementType().isF32())
    return v;
  return arith::ExtFOp::create(
      b, loc, VectorType::get(type.getShape(), b.getF32Type()), v);
}

/// One operand register of mma.sync: x[row, col], x[row, col + 1] scaled
/// by 2^(g[row, .] - ref) (`fromRef`: 2^(ref - g[row, .])), rounded to the
/// operand type and packed as the mma takes it.
Value scaledRegister(OpBuilder &b, Location loc, Value x, Value g, Value row,
                     Value col, Value ref, bool fromRef) {
  Type elem = cast<MemRefType>(x.getType()).getElementType();
  Value gv = loadVector(b, loc, g, 2, row, col);
  Value scale = fromRef ? exp2Diff(b, loc, ref, gv) : exp2Diff(b, loc, gv, ref);
  Value v = arith::MulFOp::create(
      b, loc, toF32(b, loc, loadVector(b, loc, x, 2, row, col)), scale);
  Value pair = arith::TruncFOp::create(b, loc, VectorType::get({2}, elem), v);
  if (!elem.isBF16())
    return pair;
  Value word = vector::BitCastOp::create(
      b, loc, VectorType::get({1}, b.getI32Type()), pair);
  return vector::ExtractOp::create(b, loc, word, int64_t(0));
}

/// The four slots of a tile on the diagonal, summed directly: for j <= i,
/// sum_c a[i, c] b[j, c] 2^(ga[i, c] - gb[j, c]), eight channels a step;
/// above the diagonal the exponent is -inf (never a positive power).
SmallVector<Value> diagonalTile(OpBuilder &b, Location loc, Value a, Value bv,
                                Value ga, Value gb, int64_t width, Value lane,
                                Value row0, Value col0) {
  constexpr int64_t step = 8;
  Type f32 = b.getF32Type();
  SmallVector<std::pair<Value, Value>> at;
  for (int64_t e = 0; e < 4; ++e)
    at.push_back(accumulatorAt(b, loc, lane, row0, col0, e));
  Value zero = splatVector(b, loc, floatConst(b, loc, f32, 0.0), step);
  Value minusInf = splatVector(
      b, loc, floatConst(b, loc, f32, -std::numeric_limits<double>::infinity()),
      step);
  auto loop = scf::ForOp::create(
      b, loc, indexConst(b, loc, 0), indexConst(b, loc, width),
      indexConst(b, loc, step), ValueRange{zero, zero, zero, zero});
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(loop.getBody());
    Value c = loop.getInductionVar();
    // Rows g and g + 8, columns 2t and 2t + 1.
    Value rows[2], gRows[2], cols[2], gCols[2];
    for (int64_t h = 0; h < 2; ++h) {
      Value i = at[2 * h].first, j = at[h].second;
      rows[h] = toF32(b, loc, loadVector(b, loc, a, step, i, c));
      gRows[h] = loadVector(b, loc, ga, step, i, c);
      cols[h] = toF32(b, loc, loadVector(b, loc, bv, step, j, c));
      gCols[h] = loadVector(b, loc, gb, step, j, c);
    }
    SmallVector<Value> sums;
    for (int64_t e = 0; e < 4; ++e) {
      auto [i, j] = at[e];
      Value keep =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, j, i);
      Value exponent = arith::SelectOp::create(
          b, loc, keep,
          arith::SubFOp::create(b, loc, gRows[e / 2], gCols[e % 2]), minusInf);
      Value decay = exp2Diff(b, loc, exponent, zero);
      Value term = arith::MulFOp::create(
          b, loc, arith::MulFOp::create(b, loc, rows[e / 2], cols[e % 2]),
          decay);
      sums.push_back(
          arith::AddFOp::create(b, loc, loop.getRegionIterArgs()[e], term));
    }
    scf::YieldOp::create(b, loc, sums);
  }
  SmallVector<Value> out;
  for (Value sum : loop.getResults())
    out.push_back(
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, sum));
  return out;
}

/// tilegpu.decay_mma with 16-bit operands, by 16 x 8 tiles of the result.
/// Tiles left of the row block's diagonal (columns before its first row R)
/// are tensor-core products of rescaled operands: a[i] 2^(ga[i] - gb[R])
/// and b[j] 2^(gb[R] - gb[j]), both exponents non-positive for
/// non-increasing cumulative decays. Tiles crossing the diagonal are summed
/// directly; tiles right of it are zero.
Value decayMmaTensorCores(OpBuilder &b, Location loc, tilegpu::DecayMmaOp op,
                          Value a, Value bv, Value ga, Value gb) {
  Type elem = cast<MemRefType>(a.getType()).getElementType();
  int64_t width = op.getA().getType().getDimSize(1);
  Thread t = Thread::at(b, loc);
  WarpTiles w = WarpTiles::of(b, loc, op.getResult().getType(), t.warp);
  int64_t slots = w.slots, rowTiles = w.rowTiles, colTiles = w.colTiles;
  Value row0 = w.row0, col0 = w.col0;
  auto c = [&](int64_t v) { return indexConst(b, loc, v); };
  auto add = [&](Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y).getResult();
  };
  auto le = [&](Value x, Value y) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, x, y)
        .getResult();
  };
  Value g = arith::DivUIOp::create(b, loc, t.lane, c(4));
  Value twoT = arith::MulIOp::create(
      b, loc, arith::RemUIOp::create(b, loc, t.lane, c(4)), c(2));
  SmallVector<Value> out = accumulators(b, loc, Value(), slots);
  auto tileAcc = [&](int64_t r, int64_t n) {
    return MutableArrayRef<Value>(out).slice((r * colTiles + n) * 4, 4);
  };
  auto ifThen = [&](Value cond, MutableArrayRef<Value> acc,
                    llvm::function_ref<void(MutableArrayRef<Value>)> body) {
    SmallVector<Type> types(4, b.getF32Type());
    auto ifOp = scf::IfOp::create(b, loc, types, cond, true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    SmallVector<Value> updated(acc.begin(), acc.end());
    body(updated);
    scf::YieldOp::create(b, loc, updated);
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, SmallVector<Value>(acc.begin(), acc.end()));
    for (int64_t e = 0; e < 4; ++e)
      acc[e] = ifOp.getResult(e);
  };
  // The reduction in steps of 16, as a loop (not unrolled: the code grows
  // with the tiles only), carrying every accumulator.
  auto steps = scf::ForOp::create(b, loc, c(0), c(width), c(16), out);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(steps.getBody());
    Value kk = steps.getInductionVar();
    llvm::copy(steps.getRegionIterArgs(), out.begin());
    Value lo = add(kk, twoT), hi = add(add(kk, c(8)), twoT);
    for (int64_t r = 0; r < rowTiles; ++r) {
      Value rowBlock = add(row0, c(r * 16));
      Value i0 = add(rowBlock, g), i1 = add(i0, c(8));
      Value refLo = loadVector(b, loc, gb, 2, rowBlock, lo);
      Value refHi = loadVector(b, loc, gb, 2, rowBlock, hi);
      SmallVector<Value> fa = {
          scaledRegister(b, loc, a, ga, i0, lo, refLo, false),
          scaledRegister(b, loc, a, ga, i1, lo, refLo, false),
          scaledRegister(b, loc, a, ga, i0, hi, refHi, false),
          scaledRegister(b, loc, a, ga, i1, hi, refHi, false)};
      for (int64_t n = 0; n < colTiles; ++n) {
        Value colBlock = add(col0, c(n * 8));
        ifThen(le(add(colBlock, c(8)), rowBlock), tileAcc(r, n),
               [&](MutableArrayRef<Value> acc) {
                 Value j = add(colBlock, g);
                 SmallVector<Value> fb = {
                     scaledRegister(b, loc, bv, gb, j, lo, refLo, true),
                     scaledRegister(b, loc, bv, gb, j, hi, refHi, true)};
                 mmaSync(b, loc, elem, fa, fb, acc);
               });
      }
    }
    scf::YieldOp::create(b, loc, out);
  }
  llvm::copy(steps.getResults(), out.begin());
  for (int64_t r = 0; r < rowTiles; ++r) {
    Value rowBlock = add(row0, c(r * 16));
    for (int64_t n = 0; n < colTiles; ++n) {
      Value colBlock = add(col0, c(n * 8));
      Value crosses =
          arith::AndIOp::create(b, loc, le(rowBlock, add(colBlock, c(7))),
                                le(colBlock, add(rowBlock, c(15))));
      ifThen(crosses, tileAcc(r, n), [&](MutableArrayRef<Value> acc) {
        SmallVector<Value> sums = diagonalTile(b, loc, a, bv, ga, gb, width,
                                               t.lane, rowBlock, colBlock);
        llvm::copy(sums, acc.begin());
      });
    }
  }
  return vector::FromElementsOp::create(
      b, loc, VectorType::get({slots}, b.getF32Type()), out);
}

/// tilegpu.decay_mma: tensor cores by blocks for 16-bit operands; for f32
/// ones each thread sums its elements' terms, the exponent of the entries
/// above the diagonal replaced by -inf (never evaluated as a positive
/// power).
struct DecayMmaLowering : OpConversionPattern<tilegpu::DecayMmaOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tilegpu::DecayMmaOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    if (!op.getA().getType().getElementType().isF32() &&
        op.getA().getType().getDimSize(1) % 16 == 0) {
      rewriter.replaceOp(op,
                         decayMmaTensorCores(rewriter, loc, op, adaptor.getA(),
                                             adaptor.getB(), adaptor.getGa(),
                                             adaptor.getGb()));
      return success();
    }
    Layout layout = layoutOf(op.getResult().getType());
    auto coords = slotCoords(rewriter, loc, layout);
    Type f32 = rewriter.getF32Type();
    Value init = splatVector(rewriter, loc, floatConst(rewriter, loc, f32, 0.0),
                             layout.numSlots());
    Value minusInf = floatConst(rewriter, loc, f32,
                                -std::numeric_limits<double>::infinity());
    SmallVector<Value> keep;
    for (auto [i, j] : coords)
      keep.push_back(arith::CmpIOp::create(rewriter, loc,
                                           arith::CmpIPredicate::sle, j, i));
    int64_t width = op.getA().getType().getDimSize(1);
    rewriter.replaceOp(
        op,
        slotLoop(rewriter, loc, width, init,
                 [&](OpBuilder &b, Value c, int64_t e) -> Value {
                   auto [i, j] = coords[e];
                   Value x = operandAt(b, loc, adaptor.getA(), false, i, c);
                   Value y = operandAt(b, loc, adaptor.getB(), false, j, c);
                   Value g = arith::SubFOp::create(
                       b, loc, operandAt(b, loc, adaptor.getGa(), false, i, c),
                       operandAt(b, loc, adaptor.getGb(), false, j, c));
                   g = arith::SelectOp::create(b, loc, keep[e], g, minusInf);
                   return arith::MulFOp::create(
                       b, loc, arith::MulFOp::create(b, loc, x, y),
                       exp2Approx(b, loc, g));
                 }));
    return success();
  }
};

} // namespace

void gpumap::populateComputePatterns(TileTypeConverter &converter,
                                     RewritePatternSet &patterns) {
  patterns
      .add<ReduceLowering, WarpsReduceLowering, MmaLowering, DecayMmaLowering>(
          converter, patterns.getContext());
  populateColumnPatterns(converter, patterns);
}
