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
//   states     per (head, batch, state rows): S_0 = initial state,
//              S_{c+1} = S_c e^{G_end} + (S_c R_c^T) W~_c + B_c, storing
//              every S_c (and the final state); a V-tile of rows for the
//              delta forget, four elements a thread for the decay families;
//   outputs    per (chunk x V-tile, head, batch): the chunk's outputs from
//              its S_c, the family's slot values as seen from S_c.
//
// For the delta forget, the summaries also keep the chunk's response R_c and
// its slot values from a zero state (the triangular solve's); the outputs
// add R_c S_c^T to those values and solve nothing (ChunkKernels.cpp).
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
enum Workspace { summaries, states, decays, responses, slotValues, endKeys };

/// The state rows a program of the states walk takes. A decay family's
/// walk is elementwise (S e^{G_end} + B), so it is spread as thin as four
/// elements a thread: a long sequence with few heads and batches then still
/// fills the GPU. The delta forget's transition is a product over K, by
/// V-tiles.
int64_t stateRows(ScheduleContext &ctx) {
  ChunkSizes s = chunkSizesOf(ctx);
  if (ctx.forget.hasChunkResponse())
    return s.vTile;
  int64_t threads = 32 * std::max<int64_t>(ctx.schedule.getWarps(), 1);
  int64_t rows = std::clamp<int64_t>(4 * threads / s.keyDim, 1, s.vTile);
  while (rows > 1 && ctx.info.valueDim % rows != 0)
    rows /= 2;
  return rows;
}

void buildStates(ScheduleContext &ctx) {
  OpBuilder::InsertionGuard guard(ctx.b);
  RecurrenceInfo &info = ctx.info;
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc();
  ChunkSizes s = chunkSizesOf(ctx);
  s.vTile = stateRows(ctx);
  s.tiles = info.valueDim / s.vTile;
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
  transition.decay.total =
      loadChunkDecay(tb, transition.decay.kind, ctx.workspace(decays), c);
  if (ctx.forget.hasChunkResponse()) {
    Value t0 = arith::MulIOp::create(b, loc, c, tb.idx(s.chunk));
    transition.response = loadRows(tb, ctx.workspace(responses), t0, s.chunk);
    transition.endKeys = loadRows(tb, ctx.workspace(endKeys), t0, s.chunk);
  }
  Value carried = chunk::transitionState(tb, transition, state);
  Value update = tb.toF32(
      loadBlock(tb, ctx.workspace(summaries), c, v0, s.vTile, s.keyDim));
  scf::YieldOp::create(b, loc, tb.add(carried, update));

  b.setInsertionPointAfter(walk);
  if (Value final = info.scan.getFinalState())
    tb.storeState(walk.getResult(0), final, v0);
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
  ctx.workspaces.resize(6, -1);
  // Each chunk's update from a zero state: f32 for the decay families (the
  // walk adds them up), the operand type for a family with a response (its
  // erasures keep the state bounded; half the bytes of the largest
  // workspace).
  ctx.workspaces[summaries] =
      buffers.addWorkspace("chunk_summaries", {b, h, chunks, v, k},
                           ctx.forget.hasChunkResponse() ? operand : f32);
  ctx.workspaces[states] =
      buffers.addWorkspace("chunk_states", {b, h, chunks, v, k}, operand);
  ctx.workspaces[decays] =
      addDecayWorkspace(ctx, "chunk_decays", {b, h, chunks});
  std::tie(ctx.workspaces[responses], ctx.workspaces[slotValues]) =
      addResponseWorkspaces(ctx);
  if (ctx.forget.hasChunkResponse())
    ctx.workspaces[endKeys] =
        buffers.addWorkspace("chunk_erase_keys", {b, t, h, k}, operand);
  return success();
}

void tiling::buildChunkedTwoPass(ScheduleContext &ctx) {
  ChunkResponses kept{ctx.workspace(responses), ctx.workspace(slotValues)};
  buildChunkSummaries(
      ctx, ctx.workspace(summaries), ctx.workspace(decays), kept,
      [&](ChunkProgram &p, const ChunkTransition &transition) {
        storeRows(p.tb, transition.endKeys, ctx.workspace(endKeys), p.t0);
      });
  buildStates(ctx);
  buildChunkOutputs(ctx, ctx.workspace(states), kept);
}
