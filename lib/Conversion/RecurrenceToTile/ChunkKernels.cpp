//===- ChunkKernels.cpp - Kernels over chunks in parallel -----------------===//
//
// What the schedules that split a scan over its chunks share (two-pass,
// tree): the kernel over (chunk x V-tile, head, batch), the blocks of the
// [B, H, chunks, ...] workspaces, the chunk summaries' kernel, and the
// outputs' kernel from stored start states.
//
//===----------------------------------------------------------------------===//

#include "Schedules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

using namespace mlir;
using namespace prism;
using namespace prism::tiling;

ChunkSizes tiling::chunkSizesOf(ScheduleContext &ctx) {
  return {ctx.schedule.getChunk(), ctx.schedule.getVTile(), ctx.info.keyDim,
          ctx.info.valueDim / ctx.schedule.getVTile()};
}

Value tiling::chunkCount(ScheduleContext &ctx) {
  Value seqLen = ctx.dimOf(ctx.info.query, 1);
  return arith::CeilDivUIOp::create(
      ctx.b, ctx.loc(), seqLen,
      arith::ConstantIndexOp::create(ctx.b, ctx.loc(),
                                     ctx.schedule.getChunk()));
}

ChunkProgram tiling::createChunkKernel(ScheduleContext &ctx, StringRef name,
                                       Value active, bool perChunk) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc();
  ChunkSizes sizes = chunkSizesOf(ctx);
  Value chunks = chunkCount(ctx);
  Value tiles =
      arith::ConstantIndexOp::create(b, loc, perChunk ? 1 : sizes.tiles);
  Value programs = arith::MulIOp::create(b, loc, chunks, tiles);
  if (active)
    programs = arith::MulIOp::create(b, loc, active, programs);
  tile::KernelOp kernel =
      ctx.createKernel(name, {programs, ctx.dimOf(ctx.info.query, 2),
                              ctx.dimOf(ctx.info.query, 0)});
  auto ids = kernel.getProgramIds();
  ChunkProgram p{ctx.builderFor(ids[2], ids[1]), {}, {}, {}, chunks};
  if (perChunk) {
    p.c = ids[0];
  } else {
    p.c = arith::DivUIOp::create(b, loc, ids[0], tiles);
    Value vt = arith::RemUIOp::create(b, loc, ids[0], tiles);
    p.v0 = arith::MulIOp::create(b, loc, vt, p.tb.idx(sizes.vTile));
  }
  p.t0 = arith::MulIOp::create(b, loc, p.c, p.tb.idx(sizes.chunk));
  return p;
}

namespace {
/// Moves what does not depend on the V-tile out of the loop over a chunk's
/// V-tiles (the keys, their scores and decays: built with the values they
/// meet, once per V-tile): pure ops, and loads of buffers the loop does not
/// store to. The loop runs at least once, so nothing is run that was not.
void hoistInvariants(scf::ForOp walk) {
  llvm::SmallPtrSet<Value, 4> stored;
  walk.getBody()->walk([&](Operation *op) {
    if (auto store = dyn_cast<tile::StoreOp>(op))
      stored.insert(store.getDest());
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      stored.insert(store.getMemRef());
  });
  auto movable = [&](Operation *op, Region *) {
    if (op->getNumRegions() != 0)
      return false;
    if (auto load = dyn_cast<tile::LoadOp>(op))
      return !stored.contains(load.getSource());
    if (auto load = dyn_cast<memref::LoadOp>(op))
      return !stored.contains(load.getMemRef());
    return isMemoryEffectFree(op);
  };
  moveLoopInvariantCode(
      walk.getLoopRegions(),
      [&](Value value, Region *) { return walk.isDefinedOutsideOfLoop(value); },
      movable, [&](Operation *op, Region *) { walk.moveOutOfLoop(op); });
}
} // namespace

void tiling::forEachVTile(ScheduleContext &ctx, ChunkProgram &p,
                          function_ref<void(Value v0)> body) {
  if (p.v0)
    return body(p.v0);
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc();
  ChunkSizes sizes = chunkSizesOf(ctx);
  auto walk = scf::ForOp::create(
      b, loc, p.tb.idx(0), p.tb.idx(ctx.info.valueDim), p.tb.idx(sizes.vTile));
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(walk.getBody()->getTerminator());
    body(walk.getInductionVar());
  }
  hoistInvariants(walk);
  b.setInsertionPointAfter(walk);
}

bool tiling::perChunkPrograms(ScheduleContext &ctx) {
  return ctx.forget.hasChunkResponse() && chunkSizesOf(ctx).tiles > 1;
}

//===----------------------------------------------------------------------===//
// Workspace blocks
//===----------------------------------------------------------------------===//

namespace {
Type elementOf(Value memref) {
  return cast<MemRefType>(memref.getType()).getElementType();
}
} // namespace

Value tiling::loadBlock(TileBuilder &tb, Value memref, Value c, Value row0,
                        int64_t rows, int64_t cols) {
  return tile::LoadOp::create(
      tb.b, tb.loc, RankedTensorType::get({rows, cols}, elementOf(memref)),
      memref, ValueRange{tb.batch, tb.head, c, row0, tb.idx(0)},
      tb.b.getDenseI64ArrayAttr({3, 4}), Value());
}

void tiling::storeBlock(TileBuilder &tb, Value block, Value memref, Value c,
                        Value row0) {
  tile::StoreOp::create(tb.b, tb.loc, tb.cast(block, elementOf(memref)), memref,
                        ValueRange{tb.batch, tb.head, c, row0, tb.idx(0)},
                        tb.b.getDenseI64ArrayAttr({3, 4}), Value());
}

Value tiling::loadChunkDecay(TileBuilder &tb, ChunkDecay::Kind kind,
                             Value memref, Value c) {
  if (kind == ChunkDecay::Kind::scalar)
    return memref::LoadOp::create(tb.b, tb.loc, memref,
                                  ValueRange{tb.batch, tb.head, c});
  if (kind == ChunkDecay::Kind::channel)
    return tile::LoadOp::create(
        tb.b, tb.loc,
        RankedTensorType::get({tb.info.keyDim}, tb.b.getF32Type()), memref,
        ValueRange{tb.batch, tb.head, c, tb.idx(0)},
        tb.b.getDenseI64ArrayAttr({3}), Value());
  return Value();
}

void tiling::storeChunkDecay(TileBuilder &tb, Value total, Value memref,
                             Value c) {
  if (!total)
    return;
  if (!isa<RankedTensorType>(total.getType()))
    memref::StoreOp::create(tb.b, tb.loc, total, memref,
                            ValueRange{tb.batch, tb.head, c});
  else
    tile::StoreOp::create(tb.b, tb.loc, total, memref,
                          ValueRange{tb.batch, tb.head, c, tb.idx(0)},
                          tb.b.getDenseI64ArrayAttr({3}), Value());
}

int tiling::addDecayWorkspace(ScheduleContext &ctx, StringRef name,
                              ArrayRef<WorkspaceDim> dims) {
  Type f32 = Float32Type::get(ctx.info.scan.getContext());
  SmallVector<WorkspaceDim> shape(dims);
  switch (ctx.forget.getChunkDecayKind()) {
  case ChunkDecay::Kind::none:
    return -1;
  case ChunkDecay::Kind::scalar:
    break;
  case ChunkDecay::Kind::channel:
    shape.push_back(WorkspaceDim::fixed(ctx.info.keyDim));
    break;
  }
  return ctx.buffers.addWorkspace(name, shape, f32);
}

//===----------------------------------------------------------------------===//
// Kernels
//===----------------------------------------------------------------------===//

std::pair<int, int> tiling::addResponseWorkspaces(ScheduleContext &ctx) {
  if (!ctx.forget.hasChunkResponse())
    return {-1, -1};
  using Dim = WorkspaceDim;
  RecurrenceInfo &info = ctx.info;
  const Dim b = Dim::query(0), t = Dim::query(1), h = Dim::query(2);
  // Both feed products only: the operand type (the values meet R S^T in
  // f32 first, then are rounded to it as they would be anyway).
  Type operand = operandTypeOf(info);
  return {ctx.buffers.addWorkspace("chunk_responses",
                                   {b, t, h, Dim::fixed(info.keyDim)}, operand),
          ctx.buffers.addWorkspace("chunk_slot_values",
                                   {b, t, h, Dim::fixed(info.valueDim)},
                                   operand)};
}

void tiling::buildChunkSummaries(
    ScheduleContext &ctx, Value summaries, Value decays,
    const ChunkResponses &kept,
    llvm::function_ref<void(ChunkProgram &, const ChunkTransition &)>
        storeTransition) {
  OpBuilder::InsertionGuard guard(ctx.b);
  ChunkSizes s = chunkSizesOf(ctx);
  ChunkProgram p =
      createChunkKernel(ctx, "chunk_summaries", Value(), perChunkPrograms(ctx));
  TileBuilder &tb = p.tb;
  ChunkDecay decay = ctx.forget.buildChunkDecay(tb, p.t0, s.chunk);
  ChunkFactor factor = ctx.forget.buildChunkFactor(tb, p.t0, s.chunk, decay);
  auto zeros = RankedTensorType::get({s.vTile, s.keyDim}, tb.b.getF32Type());
  forEachVTile(ctx, p, [&](Value v0) {
    SmallVector<Slot> slots =
        buildInjectionSlots(tb, p.t0, s.chunk, v0, s.vTile);
    ChunkTransition transition =
        ctx.forget.buildChunkSummary(tb, p.t0, s.chunk, decay, factor, slots);
    if (transition.values)
      storeRows(tb, transition.values, kept.values, p.t0, v0);
    Value update = chunk::update(
        tb, decay, slots,
        arith::ConstantOp::create(
            tb.b, tb.loc,
            DenseElementsAttr::get(zeros, tb.b.getF32FloatAttr(0.0))));
    storeBlock(tb, update, summaries, p.c, v0);
  });
  // Every V-tile's program writes the same decay.
  storeChunkDecay(tb, decay.total, decays, p.c);
  if (!ctx.forget.hasChunkResponse())
    return;
  // The response depends on the keys alone: built once per chunk (by the
  // first V-tile's program where there is one per V-tile).
  if (p.v0) {
    Value first = arith::CmpIOp::create(tb.b, tb.loc, arith::CmpIPredicate::eq,
                                        p.v0, tb.idx(0));
    auto ifFirst = scf::IfOp::create(tb.b, tb.loc, first, /*withElse=*/false);
    tb.b.setInsertionPointToStart(ifFirst.thenBlock());
  }
  ChunkTransition response =
      ctx.forget.buildChunkResponse(tb, p.t0, s.chunk, decay, factor);
  storeRows(tb, response.response, kept.responses, p.t0);
  storeTransition(p, response);
}

Value tiling::loadRows(TileBuilder &tb, Value memref, Value t0, int64_t rows,
                       Value col0, int64_t cols) {
  return tile::LoadOp::create(
      tb.b, tb.loc,
      RankedTensorType::get({rows, cols ? cols : tb.info.keyDim},
                            elementOf(memref)),
      memref, ValueRange{tb.batch, t0, tb.head, col0 ? col0 : tb.idx(0)},
      tb.b.getDenseI64ArrayAttr({1, 3}), tb.seqLen);
}

void tiling::storeRows(TileBuilder &tb, Value rows, Value memref, Value t0,
                       Value col0) {
  tile::StoreOp::create(
      tb.b, tb.loc, tb.cast(rows, elementOf(memref)), memref,
      ValueRange{tb.batch, t0, tb.head, col0 ? col0 : tb.idx(0)},
      tb.b.getDenseI64ArrayAttr({1, 3}), tb.seqLen);
}

void tiling::buildChunkOutputs(ScheduleContext &ctx, Value states,
                               const ChunkResponses &kept) {
  OpBuilder::InsertionGuard guard(ctx.b);
  RecurrenceInfo &info = ctx.info;
  ChunkSizes s = chunkSizesOf(ctx);
  // A program per (chunk, V-tile): nothing is built that its V-tiles could
  // share but the scores Q K^T, and the programs' parallelism is worth
  // more (H100, DeltaNet S1, V-tiles of 32: 0.65 ms against 0.74 with a
  // program per chunk building the scores once).
  ChunkProgram p = createChunkKernel(ctx, "chunk_outputs");
  TileBuilder &tb = p.tb;
  Value q = tb.loadTokens(info.query, p.t0, s.chunk, tb.idx(0), s.keyDim);
  ChunkDecay decay = ctx.forget.buildChunkDecay(tb, p.t0, s.chunk);
  Value response;
  if (kept.responses)
    response = tb.operand(loadRows(tb, kept.responses, p.t0, s.chunk));
  forEachVTile(ctx, p, [&](Value v0) {
    Value state = loadBlock(tb, states, p.c, v0, s.vTile, s.keyDim);
    SmallVector<Slot> slots =
        buildInjectionSlots(tb, p.t0, s.chunk, v0, s.vTile);
    // The family's slot as seen from the start state: its kept values
    // from a zero state plus the kept response's R S^T.
    if (response) {
      Value values = tb.dot(
          response, tb.operand(state), false, true,
          tb.toF32(loadRows(tb, kept.values, p.t0, s.chunk, v0, s.vTile)));
      ctx.forget.addChunkSlot(tb, p.t0, s.chunk, values, slots);
    }
    Value o = chunk::outputs(tb, decay, q, state, slots);
    tb.storeTokens(tb.mul(o, tb.constantLike(o, info.scale)),
                   info.scan.getOutput(), p.t0, s.chunk, v0);
  });
}
