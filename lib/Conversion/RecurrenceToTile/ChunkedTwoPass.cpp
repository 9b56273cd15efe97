//===- ChunkedTwoPass.cpp - The chunked-two-pass schedule -----------------===//
//
// The chunks summarised in parallel, composed in order, then their outputs in
// parallel (prism-math.md sections 2 and 5): three kernels with workspaces
// between them.
//
//   summaries  per (chunk x V-tile, head, batch): the chunk's update from a
//              zero state B_c = sum_s D_s^T (K_s o e^{G_end - G}), its log2
//              decay G_end and, for a family whose chunks respond to their
//              start state (the delta forget), that response R_c and the
//              decayed erase keys W~_c;
//   states     per (head, batch, V-tile): S_0 = initial state, S_{c+1} =
//              S_c e^{G_end} + (S_c R_c^T) W~_c + B_c, storing every S_c
//              (and the final state);
//   outputs    per (chunk x V-tile, head, batch): the chunk's outputs from
//              its S_c, the family's slot values as seen from S_c.
//
// The outputs recompute the chunk's summary (its triangular solves for the
// delta forget) instead of keeping its values in memory.
//
//===----------------------------------------------------------------------===//

#include "Schedules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace prism;
using namespace prism::tiling;

namespace {
/// Indices into ScheduleContext::workspaces.
enum Workspace { summaries, states, decays, responses, endKeys };

/// Shapes of the per-chunk tiles.
struct Sizes {
  int64_t chunk, vTile, keyDim, tiles;
};

Sizes sizesOf(ScheduleContext &ctx) {
  return {ctx.schedule.getChunk(), ctx.schedule.getVTile(), ctx.info.keyDim,
          ctx.info.valueDim / ctx.schedule.getVTile()};
}

/// A kernel over (chunk x V-tile, head, batch); sets `t0`, `v0`, `c` and
/// returns the program's tile builder.
TileBuilder chunkKernel(ScheduleContext &ctx, StringRef name, Value &c,
                        Value &t0, Value &v0) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc();
  Sizes sizes = sizesOf(ctx);
  Value seqLen = ctx.dimOf(ctx.info.query, 1);
  Value chunks = arith::CeilDivUIOp::create(
      b, loc, seqLen, arith::ConstantIndexOp::create(b, loc, sizes.chunk));
  Value tiles = arith::ConstantIndexOp::create(b, loc, sizes.tiles);
  tile::KernelOp kernel = ctx.createKernel(
      name, {arith::MulIOp::create(b, loc, chunks, tiles),
             ctx.dimOf(ctx.info.query, 2), ctx.dimOf(ctx.info.query, 0)});
  auto ids = kernel.getProgramIds();
  TileBuilder tb = ctx.builderFor(ids[2], ids[1]);
  c = arith::DivUIOp::create(b, loc, ids[0], tiles);
  Value vt = arith::RemUIOp::create(b, loc, ids[0], tiles);
  t0 = arith::MulIOp::create(b, loc, c, tb.idx(sizes.chunk));
  v0 = arith::MulIOp::create(b, loc, vt, tb.idx(sizes.vTile));
  return tb;
}

/// A chunk's [v-tile, K] block of a [B, H, chunks, V, K] workspace.
SmallVector<Value> blockAt(TileBuilder &tb, Value c, Value v0) {
  return {tb.batch, tb.head, c, v0, tb.idx(0)};
}

Value loadBlock(TileBuilder &tb, Value memref, Value c, Value v0, Sizes s) {
  Type elem = cast<MemRefType>(memref.getType()).getElementType();
  return tile::LoadOp::create(
      tb.b, tb.loc, RankedTensorType::get({s.vTile, s.keyDim}, elem), memref,
      blockAt(tb, c, v0), tb.b.getDenseI64ArrayAttr({3, 4}), Value());
}

void storeBlock(TileBuilder &tb, Value block, Value memref, Value c, Value v0) {
  Type elem = cast<MemRefType>(memref.getType()).getElementType();
  tile::StoreOp::create(tb.b, tb.loc, tb.cast(block, elem), memref,
                        blockAt(tb, c, v0), tb.b.getDenseI64ArrayAttr({3, 4}),
                        Value());
}

/// [C, K] tiles of a [B, T, H, K] workspace at the chunk's tokens.
void storeRows(TileBuilder &tb, Value rows, Value memref, Value t0) {
  Type elem = cast<MemRefType>(memref.getType()).getElementType();
  tile::StoreOp::create(tb.b, tb.loc, tb.cast(rows, elem), memref,
                        ValueRange{tb.batch, t0, tb.head, tb.idx(0)},
                        tb.b.getDenseI64ArrayAttr({1, 3}), tb.seqLen);
}

Value loadRows(TileBuilder &tb, Value memref, Value t0, Sizes s) {
  Type elem = cast<MemRefType>(memref.getType()).getElementType();
  return tile::LoadOp::create(
      tb.b, tb.loc, RankedTensorType::get({s.chunk, s.keyDim}, elem), memref,
      ValueRange{tb.batch, t0, tb.head, tb.idx(0)},
      tb.b.getDenseI64ArrayAttr({1, 3}), tb.seqLen);
}

void buildSummaries(ScheduleContext &ctx) {
  OpBuilder::InsertionGuard guard(ctx.b);
  Sizes s = sizesOf(ctx);
  Value c, t0, v0;
  TileBuilder tb = chunkKernel(ctx, "chunk_summaries", c, t0, v0);
  SmallVector<Slot> slots = buildInjectionSlots(tb, t0, s.chunk, v0, s.vTile);
  ChunkDecay decay = ctx.forget.buildChunkDecay(tb, t0, s.chunk);
  ChunkTransition transition =
      ctx.forget.buildChunkSummary(tb, t0, s.chunk, decay, slots);
  auto zeros = RankedTensorType::get({s.vTile, s.keyDim}, tb.b.getF32Type());
  Value update = chunk::update(
      tb, decay, slots,
      arith::ConstantOp::create(
          tb.b, tb.loc,
          DenseElementsAttr::get(zeros, tb.b.getF32FloatAttr(0.0))));
  storeBlock(tb, update, ctx.workspace(summaries), c, v0);
  // Every V-tile's program writes the same decays and responses.
  if (decay.kind == ChunkDecay::Kind::scalar)
    memref::StoreOp::create(tb.b, tb.loc, decay.total, ctx.workspace(decays),
                            ValueRange{tb.batch, tb.head, c});
  else if (decay.kind == ChunkDecay::Kind::channel)
    tile::StoreOp::create(tb.b, tb.loc, decay.total, ctx.workspace(decays),
                          ValueRange{tb.batch, tb.head, c, tb.idx(0)},
                          tb.b.getDenseI64ArrayAttr({3}), Value());
  if (transition.response) {
    storeRows(tb, transition.response, ctx.workspace(responses), t0);
    storeRows(tb, transition.endKeys, ctx.workspace(endKeys), t0);
  }
}

void buildStates(ScheduleContext &ctx) {
  OpBuilder::InsertionGuard guard(ctx.b);
  RecurrenceInfo &info = ctx.info;
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc();
  Sizes s = sizesOf(ctx);
  Value tiles = arith::ConstantIndexOp::create(b, loc, s.tiles);
  tile::KernelOp kernel =
      ctx.createKernel("chunk_states", {ctx.dimOf(info.query, 2),
                                        ctx.dimOf(info.query, 0), tiles});
  auto ids = kernel.getProgramIds();
  TileBuilder tb = ctx.builderFor(ids[1], ids[0]);
  Value v0 = arith::MulIOp::create(b, loc, ids[2], tb.idx(s.vTile));
  Value chunks = arith::CeilDivUIOp::create(b, loc, tb.seqLen, tb.idx(s.chunk));
  scf::ForOp walk = ctx.createLoop(chunks, ctx.initialState(tb, v0, s.vTile));
  Value c = walk.getInductionVar();
  Value state = walk.getRegionIterArgs()[0];
  storeBlock(tb, state, ctx.workspace(states), c, v0);

  ChunkTransition transition;
  transition.decay.kind = ctx.forget.getChunkDecayKind();
  if (transition.decay.kind == ChunkDecay::Kind::scalar)
    transition.decay.total = memref::LoadOp::create(
        b, loc, ctx.workspace(decays), ValueRange{tb.batch, tb.head, c});
  else if (transition.decay.kind == ChunkDecay::Kind::channel)
    transition.decay.total = tile::LoadOp::create(
        b, loc, RankedTensorType::get({s.keyDim}, b.getF32Type()),
        ctx.workspace(decays), ValueRange{tb.batch, tb.head, c, tb.idx(0)},
        b.getDenseI64ArrayAttr({3}), Value());
  if (ctx.forget.hasChunkResponse()) {
    Value t0 = arith::MulIOp::create(b, loc, c, tb.idx(s.chunk));
    transition.response = loadRows(tb, ctx.workspace(responses), t0, s);
    transition.endKeys = loadRows(tb, ctx.workspace(endKeys), t0, s);
  }
  Value carried = chunk::transitionState(tb, transition, state);
  Value next =
      tb.add(carried, loadBlock(tb, ctx.workspace(summaries), c, v0, s));
  scf::YieldOp::create(b, loc, next);

  b.setInsertionPointAfter(walk);
  if (Value final = info.scan.getFinalState())
    tb.storeState(walk.getResult(0), final, v0);
}

void buildOutputs(ScheduleContext &ctx) {
  OpBuilder::InsertionGuard guard(ctx.b);
  RecurrenceInfo &info = ctx.info;
  Sizes s = sizesOf(ctx);
  Value c, t0, v0;
  TileBuilder tb = chunkKernel(ctx, "chunk_outputs", c, t0, v0);
  Value state = loadBlock(tb, ctx.workspace(states), c, v0, s);
  Value q = tb.loadTokens(info.query, t0, s.chunk, tb.idx(0), s.keyDim);
  SmallVector<Slot> slots = buildInjectionSlots(tb, t0, s.chunk, v0, s.vTile);
  ChunkDecay decay = ctx.forget.buildChunkDecay(tb, t0, s.chunk);
  ChunkTransition transition =
      ctx.forget.buildChunkSummary(tb, t0, s.chunk, decay, slots);
  if (transition.response) {
    Value &values = slots[transition.slot].values;
    values = tb.dot(tb.operand(transition.response), tb.operand(state), false,
                    true, values);
  }
  Value o = chunk::outputs(tb, decay, q, state, slots);
  tb.storeTokens(tb.mul(o, tb.constantLike(o, info.scale)),
                 info.scan.getOutput(), t0, s.chunk, v0);
}
} // namespace

LogicalResult tiling::declareChunkedTwoPass(ScheduleContext &ctx) {
  if (failed(declareVTiles(ctx)))
    return failure();
  using Dim = WorkspaceDim;
  RecurrenceInfo &info = ctx.info;
  const Dim b = Dim::query(0), t = Dim::query(1), h = Dim::query(2),
            chunks = Dim::chunks(ctx.schedule.getChunk()),
            k = Dim::fixed(info.keyDim), v = Dim::fixed(info.valueDim);
  Type f32 = Float32Type::get(info.scan.getContext());
  // The start states feed products only: the operand type.
  Type operand = operandTypeOf(info);
  SpecBuffers &buffers = ctx.buffers;
  ctx.workspaces.resize(5, -1);
  ctx.workspaces[summaries] =
      buffers.addWorkspace("chunk_summaries", {b, h, chunks, v, k}, f32);
  ctx.workspaces[states] =
      buffers.addWorkspace("chunk_states", {b, h, chunks, v, k}, operand);
  switch (ctx.forget.getChunkDecayKind()) {
  case ChunkDecay::Kind::none:
    break;
  case ChunkDecay::Kind::scalar:
    ctx.workspaces[decays] =
        buffers.addWorkspace("chunk_decays", {b, h, chunks}, f32);
    break;
  case ChunkDecay::Kind::channel:
    ctx.workspaces[decays] =
        buffers.addWorkspace("chunk_decays", {b, h, chunks, k}, f32);
    break;
  }
  if (ctx.forget.hasChunkResponse()) {
    ctx.workspaces[responses] =
        buffers.addWorkspace("chunk_responses", {b, t, h, k}, operand);
    ctx.workspaces[endKeys] =
        buffers.addWorkspace("chunk_erase_keys", {b, t, h, k}, operand);
  }
  return success();
}

void tiling::buildChunkedTwoPass(ScheduleContext &ctx) {
  buildSummaries(ctx);
  buildStates(ctx);
  buildOutputs(ctx);
}
