//===- Products.cpp - Matrix products of shared-memory operands -----------===//
//
// Per-thread code for tilegpu.mma and tilegpu.decay_mma: 16-bit operands
// as ldmatrix fragments into mma.sync m16n8k16, the accumulators where the
// mma layout says; f32 operands multiplied by each thread for its
// elements. A causal product (lower_a, lower) names only the terms that
// are not wholly above the diagonal, per warp.
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
// Matrix products
//===----------------------------------------------------------------------===//

/// The m16n8 accumulator tiles a warp holds in an mma layout: the
/// thread's slots (4 per tile), row tiles x column tiles, and their origin
/// (the thread's base less its place in a tile).
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
    SmallVector<Value> origin =
        layout.base(b, loc, warp, indexConst(b, loc, 0));
    w.row0 = origin[0];
    w.col0 = origin[1];
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

/// Which terms of a warp's share of a causal product exist, at one static
/// position of the warp: `e` is its first row block (`lower_a`) or
/// (row0 - col0) / 8 (`lower`). Both forms cover a prefix of the
/// reduction steps or of the column tiles of each row tile.
struct CausalTerms {
  bool lowerA = false, lower = false;
  int64_t e = 0;
  /// Reduction step s (16 wide) of row tile r: not wholly above the
  /// diagonal; on it (a diagonal block, masked) or below.
  bool step(int64_t r, int64_t s) const { return !lowerA || s <= e + r; }
  bool diagonal(int64_t r, int64_t s) const { return lowerA && s == e + r; }
  /// Result tile (r, n): not wholly above the diagonal; crossing it.
  bool tile(int64_t r, int64_t n) const { return !lower || n < e + 2 * r + 2; }
  bool crossing(int64_t r, int64_t n) const { return lower && n >= e + 2 * r; }
};

/// What a warp's share of a 16-bit product reads and where it lies.
struct WarpProduct {
  Value a, b;
  Type elem;
  int64_t k;
  bool ta, tb;
  Thread t;
  WarpTiles w;
  /// Per lane: whether its fragment elements (row l / 4, columns
  /// 2 (l % 4) and 2 (l % 4) + 1 of an 8 x 8 matrix) are on or below the
  /// diagonal.
  Value keepLow, keepHigh;
};

/// A 32-bit fragment register (two 16-bit elements: an i32 for bf16, a
/// vector<2xf16>) with the elements not kept zeroed.
Value maskPair(OpBuilder &b, Location loc, Value word, Value keepLow,
               Value keepHigh) {
  Type i32 = b.getI32Type();
  auto c = [&](int64_t v) {
    return arith::ConstantIntOp::create(b, loc, i32, v);
  };
  Value bits = word;
  if (!word.getType().isInteger(32))
    bits = vector::ExtractOp::create(
        b, loc,
        vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), word),
        int64_t(0));
  Value mask = arith::OrIOp::create(
      b, loc, arith::SelectOp::create(b, loc, keepLow, c(0xFFFF), c(0)),
      arith::SelectOp::create(b, loc, keepHigh, c(0xFFFF0000), c(0)));
  bits = arith::AndIOp::create(b, loc, bits, mask);
  if (word.getType().isInteger(32))
    return bits;
  return vector::BitCastOp::create(
      b, loc, word.getType(),
      vector::BroadcastOp::create(b, loc, VectorType::get({1}, i32), bits));
}

/// The warp's accumulators after the terms of `terms`: per 16-wide step of
/// the reduction, the A fragments of its row tiles and the B fragments of
/// its column tiles by ldmatrix, and an mma.sync for every pair; for a
/// causal product only the steps and tiles not wholly above the diagonal,
/// the A blocks on it masked, the result tiles crossing it masked.
SmallVector<Value> warpProduct(OpBuilder &b, Location loc, const WarpProduct &p,
                               const CausalTerms &terms, ArrayRef<Value> init) {
  auto c = [&](int64_t v) { return indexConst(b, loc, v); };
  int64_t rowTiles = p.w.rowTiles, colTiles = p.w.colTiles;
  SmallVector<Value> out(init);
  for (int64_t s = 0; s < p.k / 16; ++s) {
    Value kk = c(s * 16);
    SmallVector<int64_t> rows;
    SmallVector<bool> cols(colTiles, false);
    for (int64_t r = 0; r < rowTiles; ++r) {
      bool any = false;
      for (int64_t n = 0; n < colTiles; ++n)
        if (terms.step(r, s) && terms.tile(r, n))
          cols[n] = any = true;
      if (any)
        rows.push_back(r);
    }
    if (rows.empty())
      continue;
    SmallVector<SmallVector<Value>> fa(rowTiles), fb(colTiles);
    for (int64_t r : rows) {
      Value at = arith::AddIOp::create(b, loc, p.w.row0, c(r * 16));
      // Matrix m: rows (m % 2) * 8, reduction (m / 2) * 8 of the A tile.
      fa[r] =
          !p.ta
              ? ldmatrix(b, loc, p.a, p.t.lane, at, kk, 4, false,
                         [](int64_t m) {
                           return std::make_pair((m % 2) * 8, (m / 2) * 8);
                         })
              : ldmatrix(b, loc, p.a, p.t.lane, kk, at, 4, true, [](int64_t m) {
                  return std::make_pair((m / 2) * 8, (m % 2) * 8);
                });
      if (terms.diagonal(r, s)) {
        // On the diagonal block: matrices 0 and 3 lower triangles, 1
        // whole, 2 (above) zero.
        fa[r][0] = maskPair(b, loc, fa[r][0], p.keepLow, p.keepHigh);
        fa[r][3] = maskPair(b, loc, fa[r][3], p.keepLow, p.keepHigh);
        fa[r][2] = arith::ConstantOp::create(b, loc,
                                             b.getZeroAttr(fa[r][2].getType()));
      }
    }
    // B fragments two column tiles an ldmatrix where there are two left
    // (matrix m: column tile m / 2, reduction (m % 2) * 8), else one
    // (matrix m: reduction m * 8).
    for (int64_t n = 0; n < colTiles; n += 2) {
      int64_t pair = n + 1 < colTiles ? 2 : 1;
      if (!cols[n] && !(pair == 2 && cols[n + 1]))
        continue;
      Value at = arith::AddIOp::create(b, loc, p.w.col0, c(n * 8));
      SmallVector<Value> words =
          p.tb ? ldmatrix(b, loc, p.b, p.t.lane, at, kk, 2 * pair, false,
                          [](int64_t m) {
                            return std::make_pair((m / 2) * 8, (m % 2) * 8);
                          })
               : ldmatrix(b, loc, p.b, p.t.lane, kk, at, 2 * pair, true,
                          [](int64_t m) {
                            return std::make_pair((m % 2) * 8, (m / 2) * 8);
                          });
      for (int64_t i = 0; i < pair; ++i)
        fb[n + i] = {words[2 * i], words[2 * i + 1]};
    }
    for (int64_t r : rows)
      for (int64_t n = 0; n < colTiles; ++n)
        if (terms.tile(r, n))
          mmaSync(b, loc, p.elem, fa[r], fb[n],
                  MutableArrayRef<Value>(out).slice((r * colTiles + n) * 4, 4));
  }
  if (!terms.lower)
    return out;
  // Result tiles crossing the diagonal: slot q of tile (r, n) is at row
  // 16 r + l / 4 + 8 (q / 2), column 8 n - 8 e + 2 (l % 4) + q % 2 from the
  // warp's row origin; kept where the column is not past the row.
  Value g = arith::DivUIOp::create(b, loc, p.t.lane, c(4));
  Value t2 = arith::MulIOp::create(
      b, loc, arith::RemUIOp::create(b, loc, p.t.lane, c(4)), c(2));
  Value zero = floatConst(b, loc, b.getF32Type(), 0.0);
  for (int64_t r = 0; r < rowTiles; ++r)
    for (int64_t n = 0; n < colTiles; ++n) {
      if (!terms.tile(r, n) || !terms.crossing(r, n))
        continue;
      for (int64_t q = 0; q < 4; ++q) {
        int64_t shift = 8 * n - 8 * terms.e - 16 * r + q % 2 - 8 * (q / 2);
        Value col = arith::AddIOp::create(b, loc, t2, c(shift));
        Value kept =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, col, g);
        Value &slot = out[(r * colTiles + n) * 4 + q];
        slot = arith::SelectOp::create(b, loc, kept, slot, zero);
      }
    }
  return out;
}

/// tilegpu.mma with 16-bit operands. A causal product switches on the
/// warp's position (its row block, or its distance from the diagonal in
/// column tiles) to a body that names only the terms that exist there.
Value mmaTensorCores(OpBuilder &b, Location loc, tilegpu::MmaOp op, Value a,
                     Value bv, Value acc) {
  MemRefType aType = cast<MemRefType>(a.getType());
  WarpProduct p;
  p.a = a;
  p.b = bv;
  p.elem = aType.getElementType();
  p.ta = op.getTransposeA();
  p.tb = op.getTransposeB();
  p.k = p.ta ? aType.getDimSize(0) : aType.getDimSize(1);
  p.t = Thread::at(b, loc);
  p.w = WarpTiles::of(b, loc, op.getResult().getType(), p.t.warp);
  SmallVector<Value> init = accumulators(b, loc, acc, p.w.slots);
  auto result = [&](ArrayRef<Value> slots) -> Value {
    return vector::FromElementsOp::create(
        b, loc, VectorType::get({p.w.slots}, b.getF32Type()), slots);
  };
  CausalTerms terms;
  terms.lowerA = op.getLowerA();
  terms.lower = op.getLower();
  if (!terms.lowerA && !terms.lower)
    return result(warpProduct(b, loc, p, terms, init));

  auto c = [&](int64_t v) { return indexConst(b, loc, v); };
  ArrayRef<int64_t> shape = op.getResult().getType().getShape();
  int64_t rowTiles = p.w.rowTiles, colTiles = p.w.colTiles;
  // The positions a warp can take and the key each gives: the first row
  // block, or (row0 - col0) / 8 clamped to where some tile and every tile
  // exists; the key is offset by N / 8 to stay non-negative.
  SmallVector<int64_t> keys;
  Value key;
  int64_t off = terms.lower ? shape[1] / 8 : 0;
  if (terms.lowerA) {
    Value g = arith::DivUIOp::create(b, loc, p.t.lane, c(4));
    Value t2 = arith::MulIOp::create(
        b, loc, arith::RemUIOp::create(b, loc, p.t.lane, c(4)), c(2));
    p.keepLow = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, t2, g);
    p.keepHigh =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, t2, g);
    for (int64_t e = 0; e < shape[0] / 16; e += rowTiles)
      keys.push_back(e);
    key = arith::DivUIOp::create(b, loc, p.w.row0, c(16));
  } else {
    int64_t lo = -2 * rowTiles, hi = colTiles;
    for (int64_t r0 = 0; r0 < shape[0]; r0 += 16 * rowTiles)
      for (int64_t c0 = 0; c0 < shape[1]; c0 += 8 * colTiles) {
        int64_t e = std::clamp((r0 - c0) / 8, lo, hi) + off;
        if (!llvm::is_contained(keys, e))
          keys.push_back(e);
      }
    llvm::sort(keys);
    key = arith::DivUIOp::create(
        b, loc,
        arith::SubIOp::create(
            b, loc, arith::AddIOp::create(b, loc, p.w.row0, c(shape[1])),
            p.w.col0),
        c(8));
    key = arith::MinUIOp::create(
        b, loc, arith::MaxUIOp::create(b, loc, key, c(lo + off)), c(hi + off));
  }
  // The last key (the most terms) is the default.
  SmallVector<int64_t> cases(keys.begin(), keys.end() - 1);
  SmallVector<Type> types(p.w.slots, b.getF32Type());
  auto sw = scf::IndexSwitchOp::create(b, loc, types, key, cases, cases.size());
  auto fill = [&](Region &region, int64_t k) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(&region.emplaceBlock());
    CausalTerms at = terms;
    at.e = k - off;
    scf::YieldOp::create(b, loc, warpProduct(b, loc, p, at, init));
  };
  for (auto [region, k] : llvm::zip(sw.getCaseRegions(), cases))
    fill(region, k);
  fill(sw.getDefaultRegion(), keys.back());
  SmallVector<Value> slots(sw.getResults().begin(), sw.getResults().end());
  return result(slots);
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
    // The causal forms: terms above the diagonal selected away.
    auto below = [&](OpBuilder &b, Value term, Value x, Value y) -> Value {
      Value kept =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, x, y);
      return arith::SelectOp::create(b, loc, kept, term,
                                     floatConst(b, loc, b.getF32Type(), 0.0));
    };
    rewriter.replaceOp(
        op, slotLoop(rewriter, loc, k, init,
                     [&](OpBuilder &b, Value kk, int64_t e) -> Value {
                       auto [i, j] = coords[e];
                       Value x = operandAt(b, loc, adaptor.getA(),
                                           op.getTransposeA(), i, kk);
                       Value y = operandAt(b, loc, adaptor.getB(),
                                           op.getTransposeB(), kk, j);
                       Value term = arith::MulFOp::create(b, loc, x, y);
                       if (op.getLowerA())
                         term = below(b, term, kk, i);
                       if (op.getLower())
                         term = below(b, term, j, i);
                       return term;
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

void gpumap::populateProductPatterns(TileTypeConverter &converter,
                                     RewritePatternSet &patterns) {
  patterns.add<MmaLowering, DecayMmaLowering>(converter, patterns.getContext());
}
