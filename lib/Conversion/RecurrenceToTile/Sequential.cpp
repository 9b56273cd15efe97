//===- Sequential.cpp - The sequential schedule ---------------------------===//
//
// One program per (head, batch, V-tile) walks the tokens in order with its
// V-tile x K block of the state:
//
//   S <- S A_t + sum_l d_l k_l^T,   o_t = scale * S q_t
//
// The only schedule that is correct for every step function, and the decode
// path. Its GPU parameters (k_split, rows, warps, stages) are the target
// mapping's: at this level a step is whole tiles.
//
//===----------------------------------------------------------------------===//

#include "Schedules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace prism;
using namespace prism::tiling;

SequentialWalk tiling::beginSequentialWalk(ScheduleContext &ctx, StringRef name,
                                           Value sequence) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc();
  const int64_t vTile = ctx.schedule.getVTile();
  Value tiles =
      arith::ConstantIndexOp::create(b, loc, ctx.info.valueDim / vTile);
  tile::KernelOp kernel = ctx.createKernel(
      name, {ctx.dimOf(sequence, 2), ctx.dimOf(sequence, 0), tiles});
  auto ids = kernel.getProgramIds();
  TileBuilder tb = ctx.builderFor(ids[1], ids[0]);
  Value v0 = arith::MulIOp::create(b, loc, ids[2], tb.idx(vTile));
  Value s0 = ctx.initialState(tb, v0, vTile);
  scf::ForOp loop = ctx.createLoop(tb.seqLen, s0);
  return {tb, v0, loop.getInductionVar(), loop};
}

void tiling::buildSequential(ScheduleContext &ctx) {
  RecurrenceInfo &info = ctx.info;
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc();
  const int64_t keyDim = info.keyDim;
  const int64_t vTile = ctx.schedule.getVTile();

  OpBuilder::InsertionGuard guard(b);
  auto [tb, v0, t, walk] = beginSequentialWalk(ctx, "scan", info.query);
  Value s = ctx.forget.buildStep(tb, t, walk.getRegionIterArgs()[0]);
  for (const Slot &slot : buildInjectionSlots(tb, t, 0, v0, vTile))
    s = tb.add(s, tb.mul(tb.broadcast(slot.values, 1, keyDim),
                         tb.broadcast(slot.keys, 0, vTile)));
  Value q = tb.loadTokens(info.query, t, 0, tb.idx(0), keyDim);
  Value o = tb.reduceAdd(tb.mul(s, tb.broadcast(q, 0, vTile)), 1);
  tb.storeTokens(tb.mul(o, tb.constantLike(o, info.scale)),
                 info.scan.getOutput(), t, 0, v0);
  scf::YieldOp::create(b, loc, s);

  b.setInsertionPointAfter(walk);
  if (Value final = info.scan.getFinalState())
    tb.storeState(walk.getResult(0), final, v0);
}
