//===- ColumnOps.cpp - Scans and triangular solves over columns -----------===//
//
// Per-thread code for the tilegpu ops that work on shared buffers whose
// columns the block's threads (or warps) share out: the cumulative sum down
// the rows (tilegpu.scan), the blocked unit-triangular inverse in place
// (tilegpu.tri_inverse) and the blocked solve on tensor cores
// (tilegpu.tri_solve).
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace prism;
using namespace prism::gpumap;

namespace {
//===----------------------------------------------------------------------===//
// In-place scans and solves over columns
//===----------------------------------------------------------------------===//

/// for (j = tid; j < n; j += threads) body(j).
void forColumns(OpBuilder &b, Location loc, int64_t n,
                llvm::function_ref<void(OpBuilder &, Value)> body) {
  Thread t = Thread::at(b, loc);
  Value threads = gpu::BlockDimOp::create(b, loc, gpu::Dimension::x);
  auto loop = scf::ForOp::create(b, loc, t.tid, indexConst(b, loc, n), threads);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  body(b, loop.getInductionVar());
}

/// tilegpu.scan: each column summed down its rows by one thread.
struct ScanLowering : OpConversionPattern<tilegpu::ScanOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tilegpu::ScanOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value buf = adaptor.getBuffer();
    MemRefType type = op.getBuffer().getType();
    int64_t rows = type.getDimSize(0);
    int64_t cols = type.getRank() == 2 ? type.getDimSize(1) : 1;
    forColumns(rewriter, loc, cols, [&](OpBuilder &b, Value j) {
      auto at = [&](Value i) {
        return type.getRank() == 2 ? SmallVector<Value>{i, j}
                                   : SmallVector<Value>{i};
      };
      Value first =
          memref::LoadOp::create(b, loc, buf, at(indexConst(b, loc, 0)));
      auto loop = scf::ForOp::create(b, loc, indexConst(b, loc, 1),
                                     indexConst(b, loc, rows),
                                     indexConst(b, loc, 1), ValueRange{first});
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      Value i = loop.getInductionVar();
      Value sum =
          arith::AddFOp::create(b, loc, loop.getRegionIterArgs()[0],
                                memref::LoadOp::create(b, loc, buf, at(i)));
      memref::StoreOp::create(b, loc, sum, buf, at(i));
      scf::YieldOp::create(b, loc, sum);
    });
    rewriter.eraseOp(op);
    return success();
  }
};

/// The threads of the block that runs `op` (its gpu.launch's constant x
/// size), or 0 when unknown.
int64_t launchThreads(Operation *op) {
  auto launch = op->getParentOfType<gpu::LaunchOp>();
  APInt threads;
  if (!launch || !matchPattern(launch.getBlockSizeX(), m_ConstantInt(&threads)))
    return 0;
  return threads.getSExtValue();
}

/// Runs `compute` for every index below `n`, dealt to the block's
/// `threads` threads, keeping each result in the thread's registers; after
/// a barrier (every read of the phase done), `write` stores them. The
/// in-place phases of tri_inverse read what others overwrite.
void forIndicesThenWrite(
    OpBuilder &b, Location loc, int64_t n, int64_t threads, int64_t width,
    llvm::function_ref<SmallVector<Value>(OpBuilder &, Value)> compute,
    llvm::function_ref<void(OpBuilder &, Value, ValueRange)> write) {
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Type f32 = b.getF32Type();
  SmallVector<Value> indices;
  SmallVector<scf::IfOp> computed;
  for (int64_t round = 0; round * threads < n; ++round) {
    Value e =
        arith::AddIOp::create(b, loc, tid, indexConst(b, loc, round * threads));
    Value in = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, e,
                                     indexConst(b, loc, n));
    auto ifIn = scf::IfOp::create(b, loc, SmallVector<Type>(width, f32), in,
                                  /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifIn.thenBlock());
      scf::YieldOp::create(b, loc, compute(b, e));
      b.setInsertionPointToStart(ifIn.elseBlock());
      scf::YieldOp::create(
          b, loc, SmallVector<Value>(width, floatConst(b, loc, f32, 0.0)));
    }
    indices.push_back(e);
    computed.push_back(ifIn);
  }
  gpu::BarrierOp::create(b, loc);
  for (auto [e, ifIn] : llvm::zip(indices, computed)) {
    Value in = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, e,
                                     indexConst(b, loc, n));
    auto ifWrite = scf::IfOp::create(b, loc, in, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifWrite.thenBlock());
    write(b, e, ifIn.getResults());
  }
}

/// tilegpu.tri_inverse: T = (I + strictly_lower(L))^-1 in place, by blocks
/// of 16 rows (prism-math.md section 5). Each diagonal block T_ii is
/// inverted by forward substitution, one thread per column; block row i
/// then takes, over all threads, -M_i = -sum_k L_ik T_k (an element each,
/// from the solved rows above it), and T_i = T_ii (-M_i), one thread per
/// column. Every phase that overwrites what another thread may still read
/// computes into registers first and writes after a barrier, so that L is
/// read where it lies (row-wise, without the bank conflicts of a
/// transposed copy). Last the upper triangle is cleared.
struct TriInverseLowering : OpConversionPattern<tilegpu::TriInverseOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tilegpu::TriInverseOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value buf = adaptor.getBuffer();
    int64_t n = op.getBuffer().getType().getDimSize(0);
    // With a block attribute, the diagonal blocks only.
    int64_t only = op.getBlock();
    int64_t block = only > 0 ? only : n % 16 == 0 ? 16 : n;
    int64_t threads = launchThreads(op);
    if (threads <= 0)
      return rewriter.notifyMatchFailure(op, "block size unknown");
    OpBuilder &b = rewriter;
    auto c = [&](int64_t v) { return indexConst(b, loc, v); };
    Type f32 = b.getF32Type();
    Value zero = floatConst(b, loc, f32, 0.0);
    Value one = floatConst(b, loc, f32, 1.0);
    // A 16-bit buffer is solved in f32.
    Type elem = op.getBuffer().getType().getElementType();
    auto at = [&](OpBuilder &fb, Value i, Value j) {
      Value v = memref::LoadOp::create(fb, loc, buf, ValueRange{i, j});
      return elem.isF32() ? v : Value(arith::ExtFOp::create(fb, loc, f32, v));
    };
    auto put = [&](OpBuilder &fb, Value v, Value i, Value j) {
      if (!elem.isF32())
        v = arith::TruncFOp::create(fb, loc, elem, v);
      memref::StoreOp::create(fb, loc, v, buf, ValueRange{i, j});
    };
    auto add = [&](OpBuilder &fb, Value x, int64_t v) {
      return arith::AddIOp::create(fb, loc, x, c(v)).getResult();
    };
    auto mulAdd = [&](OpBuilder &fb, Value acc, Value x, Value y) {
      return arith::AddFOp::create(fb, loc, acc,
                                   arith::MulFOp::create(fb, loc, x, y))
          .getResult();
    };
    // The diagonal blocks: column j of block i solves (I + L_ii) z = e_j by
    // forward substitution in the thread's registers (z is zero above j),
    // reading only the block's strictly lower part of L; after one barrier
    // z is written over the block's column.
    auto blockStart = [&](OpBuilder &fb, Value e) {
      return arith::SubIOp::create(fb, loc, e,
                                   arith::RemUIOp::create(fb, loc, e, c(block)))
          .getResult();
    };
    forIndicesThenWrite(
        b, loc, n, threads, block,
        [&](OpBuilder &fb, Value e) -> SmallVector<Value> {
          Value j = arith::RemUIOp::create(fb, loc, e, c(block));
          Value b0 = blockStart(fb, e);
          SmallVector<Value> z;
          for (int64_t r = 0; r < block; ++r) {
            Value isJ = arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::eq,
                                              j, c(r));
            Value acc = arith::SelectOp::create(fb, loc, isJ, one, zero);
            for (int64_t s = 0; s < r; ++s)
              acc = arith::SubFOp::create(
                  fb, loc, acc,
                  arith::MulFOp::create(
                      fb, loc, at(fb, add(fb, b0, r), add(fb, b0, s)), z[s]));
            Value above = arith::CmpIOp::create(
                fb, loc, arith::CmpIPredicate::ugt, j, c(r));
            z.push_back(arith::SelectOp::create(fb, loc, above, zero, acc));
          }
          return z;
        },
        [&](OpBuilder &fb, Value e, ValueRange z) {
          Value b0 = blockStart(fb, e);
          for (int64_t r = 0; r < block; ++r)
            put(fb, z[r], add(fb, b0, r), e);
        });
    for (int64_t r0 = block; only == 0 && r0 < n; r0 += block) {
      gpu::BarrierOp::create(b, loc);
      // -M_i: every (row of the block, column left of it), one thread each;
      // T[k, col] is zero above the diagonal (k < col).
      forIndicesThenWrite(
          b, loc, block * r0, threads, 1,
          [&](OpBuilder &fb, Value e) -> SmallVector<Value> {
            Value row = add(fb, arith::DivUIOp::create(fb, loc, e, c(r0)), r0);
            Value col = arith::RemUIOp::create(fb, loc, e, c(r0));
            auto sum =
                scf::ForOp::create(fb, loc, col, c(r0), c(1), ValueRange{zero});
            {
              OpBuilder::InsertionGuard guard(fb);
              fb.setInsertionPointToStart(sum.getBody());
              Value k = sum.getInductionVar();
              scf::YieldOp::create(fb, loc,
                                   mulAdd(fb, sum.getRegionIterArgs()[0],
                                          at(fb, row, k), at(fb, k, col)));
            }
            return {arith::NegFOp::create(fb, loc, sum.getResult(0))};
          },
          [&](OpBuilder &fb, Value e, ValueRange m) {
            Value row = add(fb, arith::DivUIOp::create(fb, loc, e, c(r0)), r0);
            put(fb, m[0], row, arith::RemUIOp::create(fb, loc, e, c(r0)));
          });
      gpu::BarrierOp::create(b, loc);
      // T_i = T_ii (-M_i), a column each.
      forColumns(b, loc, r0, [&](OpBuilder &fb, Value col) {
        SmallVector<Value> m;
        for (int64_t r = 0; r < block; ++r)
          m.push_back(at(fb, c(r0 + r), col));
        for (int64_t r = 0; r < block; ++r) {
          Value acc = m[r];
          for (int64_t s = 0; s < r; ++s)
            acc = mulAdd(fb, acc, at(fb, c(r0 + r), c(r0 + s)), m[s]);
          put(fb, acc, c(r0 + r), col);
        }
      });
    }
    // Above the diagonal blocks (within them, the first phase wrote zeros),
    // and with `block` below them too.
    forColumns(b, loc, n * n, [&](OpBuilder &fb, Value e) {
      Value row = arith::DivUIOp::create(fb, loc, e, c(n));
      Value col = arith::RemUIOp::create(fb, loc, e, c(n));
      Value rowStart = arith::SubIOp::create(
          fb, loc, row, arith::RemUIOp::create(fb, loc, row, c(block)));
      Value outside = arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::uge,
                                            col, add(fb, rowStart, block));
      if (only > 0)
        outside = arith::OrIOp::create(
            fb, loc, outside,
            arith::CmpIOp::create(fb, loc, arith::CmpIPredicate::ult, col,
                                  rowStart));
      auto ifOp = scf::IfOp::create(fb, loc, outside, false);
      OpBuilder::InsertionGuard guard(fb);
      fb.setInsertionPointToStart(ifOp.thenBlock());
      put(fb, zero, row, col);
    });
    rewriter.eraseOp(op);
    return success();
  }
};

/// tilegpu.tri_solve: block row after block row, each warp on its own
/// 8-column tiles of x (the same number each; warps without any skip the
/// solve). Per block row i, in accumulators: -r_i + L_i x_<i (tensor-core
/// products over the solved rows, 16 at a time), stored negated and
/// rounded as y; then x_i = T_ii y. A warp reads back only what it wrote,
/// so warp barriers order the steps.
struct TriSolveLowering : OpConversionPattern<tilegpu::TriSolveOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tilegpu::TriSolveOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t threads = launchThreads(op);
    if (threads <= 0 || threads % 32 != 0)
      return rewriter.notifyMatchFailure(op, "block size unknown");
    int64_t warps = threads / 32;
    int64_t n = op.getL().getType().getDimSize(0);
    int64_t tiles = op.getR().getType().getDimSize(1) / 8;
    // Column tiles per warp: as few as the warps allow, dividing the tiles.
    int64_t per = llvm::divideCeil(tiles, warps);
    while (tiles % per != 0)
      ++per;
    Type elem = op.getL().getType().getElementType();
    OpBuilder &b = rewriter;
    auto c = [&](int64_t v) { return indexConst(b, loc, v); };
    Thread t = Thread::at(b, loc);
    OpBuilder::InsertionGuard guard(b);
    if (tiles / per < warps) {
      Value has = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                        t.warp, c(tiles / per));
      b.setInsertionPointToStart(
          scf::IfOp::create(b, loc, has, false).thenBlock());
    }
    Value col0 = arith::MulIOp::create(b, loc, t.warp, c(per * 8));
    auto colOf = [&](int64_t j) {
      return arith::AddIOp::create(b, loc, col0, c(j * 8)).getResult();
    };
    Value minusOne = arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(-1));
    auto syncWarp = [&] { NVVM::SyncWarpOp::create(b, loc, minusOne); };
    // A fragments: rows (m % 2) * 8, columns (m / 2) * 8 of a 16 x 16 tile.
    auto aFragment = [&](Value buf, Value row, Value col) {
      return ldmatrix(b, loc, buf, t.lane, row, col, 4, false, [](int64_t m) {
        return std::make_pair((m % 2) * 8, (m / 2) * 8);
      });
    };
    // B fragments of the warp's column tiles from rows [k0, k0 + 16) of a
    // row-major buffer, two tiles an ldmatrix.
    auto bFragments = [&](Value buf, Value k0) {
      SmallVector<SmallVector<Value>> fb;
      for (int64_t j = 0; j < per;) {
        int64_t pair = j + 1 < per ? 2 : 1;
        SmallVector<Value> words = ldmatrix(
            b, loc, buf, t.lane, k0, colOf(j), 2 * pair, true,
            [](int64_t m) { return std::make_pair((m % 2) * 8, (m / 2) * 8); });
        for (int64_t i = 0; i < pair; ++i)
          fb.push_back({words[2 * i], words[2 * i + 1]});
        j += pair;
      }
      return fb;
    };
    auto pairType = [&](Type e) { return VectorType::get({2}, e); };
    // Slots 2h, 2h + 1 of the warp's tile j at rows from row0: one pair.
    auto pairAt = [&](Value row0, int64_t j, int64_t h) {
      return accumulatorAt(b, loc, t.lane, row0, colOf(j), 2 * h);
    };
    auto store = [&](Value buf, Value row0, ArrayRef<Value> acc, bool negate) {
      for (int64_t j = 0; j < per; ++j)
        for (int64_t h = 0; h < 2; ++h) {
          Value v = vector::FromElementsOp::create(
              b, loc, pairType(b.getF32Type()),
              ValueRange{acc[4 * j + 2 * h], acc[4 * j + 2 * h + 1]});
          if (negate)
            v = arith::NegFOp::create(b, loc, v);
          v = arith::TruncFOp::create(b, loc, pairType(elem), v);
          auto [row, col] = pairAt(row0, j, h);
          vector::StoreOp::create(b, loc, v, buf, ValueRange{row, col});
        }
    };
    auto mmaAll = [&](ArrayRef<Value> fa, ArrayRef<SmallVector<Value>> fb,
                      MutableArrayRef<Value> acc) {
      for (int64_t j = 0; j < per; ++j)
        mmaSync(b, loc, elem, fa, fb[j], acc.slice(4 * j, 4));
    };
    Value zero = floatConst(b, loc, b.getF32Type(), 0.0);
    for (int64_t i = 0; i < n / 16; ++i) {
      Value row0 = c(16 * i);
      SmallVector<Value> acc;
      for (int64_t j = 0; j < per; ++j)
        for (int64_t h = 0; h < 2; ++h) {
          auto [row, col] = pairAt(row0, j, h);
          Value v = arith::NegFOp::create(
              b, loc,
              arith::ExtFOp::create(b, loc, pairType(b.getF32Type()),
                                    Value(vector::LoadOp::create(
                                        b, loc, pairType(elem), adaptor.getR(),
                                        ValueRange{row, col}))));
          for (int64_t e = 0; e < 2; ++e)
            acc.push_back(elementAt(b, loc, v, e));
        }
      for (int64_t k = 0; k < 16 * i; k += 16)
        mmaAll(aFragment(adaptor.getL(), row0, c(k)),
               bFragments(adaptor.getX(), c(k)), acc);
      store(adaptor.getY(), c(0), acc, /*negate=*/true);
      syncWarp();
      SmallVector<Value> x(4 * per, zero);
      mmaAll(aFragment(adaptor.getT(), row0, row0),
             bFragments(adaptor.getY(), c(0)), x);
      store(adaptor.getX(), row0, x, /*negate=*/false);
      syncWarp();
    }
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void gpumap::populateColumnPatterns(TileTypeConverter &converter,
                                    RewritePatternSet &patterns) {
  patterns.add<ScanLowering, TriInverseLowering, TriSolveLowering>(
      converter, patterns.getContext());
}
