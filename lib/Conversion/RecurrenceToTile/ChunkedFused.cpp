//===- ChunkedFused.cpp - The chunked-fused schedule ----------------------===//
//
// One program per (head, batch, V-tile) walks the chunks of C tokens in
// order, its V-tile x K block of the state carried from chunk to chunk
// (prism-math.md section 5). Per chunk, with the slots (K_s, D_s) the rank-L
// injections plus what the forget family injects itself:
//
//   O  = scale * ((Q o e^{G}) S^T + sum_s P_s D_s),  P_s = decayed Q K_s^T
//   S <- S e^{G_end} + sum_s D_s^T (K_s o e^{G_end - G})
//
//===----------------------------------------------------------------------===//

#include "Schedules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace prism;
using namespace prism::tiling;

void tiling::buildChunkedFused(ScheduleContext &ctx) {
  RecurrenceInfo &info = ctx.info;
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc();
  const int64_t keyDim = info.keyDim;
  const int64_t chunk = ctx.schedule.getChunk();
  const int64_t vTile = ctx.schedule.getVTile();

  OpBuilder::InsertionGuard guard(b);
  Value tiles = arith::ConstantIndexOp::create(b, loc, info.valueDim / vTile);
  tile::KernelOp kernel = ctx.createKernel(
      "scan", {ctx.dimOf(info.query, 2), ctx.dimOf(info.query, 0), tiles});
  auto ids = kernel.getProgramIds();
  TileBuilder tb = ctx.builderFor(ids[1], ids[0]);
  Value v0 = arith::MulIOp::create(b, loc, ids[2], tb.idx(vTile));
  Value s0 = ctx.initialState(tb, v0, vTile);
  Value chunks = arith::CeilDivUIOp::create(b, loc, tb.seqLen, tb.idx(chunk));

  scf::ForOp walk = ctx.createLoop(chunks, s0);
  Value s = walk.getRegionIterArgs()[0];
  Value t0 =
      arith::MulIOp::create(b, loc, walk.getInductionVar(), tb.idx(chunk));
  Value q = tb.loadTokens(info.query, t0, chunk, tb.idx(0), keyDim);
  SmallVector<Slot> slots = buildInjectionSlots(tb, t0, chunk, v0, vTile);
  ChunkDecay decay = ctx.forget.buildChunkDecay(tb, t0, chunk);
  ChunkFactor factor = ctx.forget.buildChunkFactor(tb, t0, chunk, decay);
  ctx.forget.buildChunkSlots(tb, t0, chunk, decay, factor, s, slots);

  Value o = chunk::outputs(tb, decay, q, s, slots);
  Value next = chunk::update(tb, decay, slots, chunk::decayState(tb, decay, s));
  tb.storeTokens(tb.mul(o, tb.constantLike(o, info.scale)),
                 info.scan.getOutput(), t0, chunk, v0);
  scf::YieldOp::create(b, loc, next);

  b.setInsertionPointAfter(walk);
  if (Value final = info.scan.getFinalState())
    tb.storeState(walk.getResult(0), final, v0);
}
