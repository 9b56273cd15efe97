//===- Tree.cpp - The tree schedule ---------------------------------------===//
//
// A parallel prefix over the chunks' summaries by the composition rule of
// prism-math.md section 2: chunk c maps the state as S -> S A_c + B_c, and
//
//   (A_1, B_1) then (A_2, B_2) = (A_1 A_2, B_1 A_2 + B_2).
//
// A chunk's A is its decay e^{G_end} (scalar or per key channel) plus, for a
// family whose chunks respond to their start state (the delta forget), a
// dense K x K part M = R^T W~ (A = e^{G_end} I + M). Kernels:
//
//   summaries  every chunk's (A_c, B_c) in parallel;
//   prefix     ceil(log2(chunks)) rounds (Hillis-Steele): in round r every
//              chunk c >= 2^r composes the prefix ending 2^r chunks before
//              it with its own, between two buffers in turn. The rounds are
//              a host loop of kMaxRounds launches of one kernel whose grid
//              is empty once 2^r >= chunks, so a target needs no host
//              control flow beyond a loop with constant bounds;
//   states     every chunk's start state in parallel, the initial state
//              carried by the prefix before it (and the final state);
//   outputs    as the two-pass schedule's.
//
// Depth: O(log(T / chunk)) kernels, each O(1) in T; work O(T / chunk) per
// round (O(K^3) per chunk for the dense part).
//
//===----------------------------------------------------------------------===//

#include "Schedules.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace prism;
using namespace prism::tiling;

namespace {
/// Indices into ScheduleContext::workspaces: the two buffers of each part of
/// the prefixes, and the start states.
enum Workspace {
  summaries0,
  summaries1,
  decays0,
  decays1,
  dense0,
  dense1,
  states,
  count
};

/// One buffer set of the prefixes: B ([B, H, chunks, V, K]), the log2 decay
/// and the dense part ([B, H, chunks, K, K]); absent parts are null.
struct Prefixes {
  Value summaries, decays, dense;
};

/// A prefix: its transition (decay, dense part) and its update.
struct Prefix {
  ChunkDecay decay;
  Value dense, update;
};

Prefix loadPrefix(ScheduleContext &ctx, TileBuilder &tb, const Prefixes &in,
                  Value c, Value v0) {
  ChunkSizes s = chunkSizesOf(ctx);
  Prefix p;
  p.decay.kind = ctx.forget.getChunkDecayKind();
  if (in.decays)
    p.decay.total = loadChunkDecay(tb, p.decay.kind, in.decays, c);
  if (in.dense)
    p.dense = loadBlock(tb, in.dense, c, tb.idx(0), s.keyDim, s.keyDim);
  p.update = loadBlock(tb, in.summaries, c, v0, s.vTile, s.keyDim);
  return p;
}

/// X A for a prefix's A = e^{G} I + M (rows of X over K).
Value apply(TileBuilder &tb, const Prefix &p, Value x) {
  Value y = chunk::decayState(tb, p.decay, x);
  return p.dense ? tb.dot(x, p.dense, false, false, y) : y;
}

/// The prefix `first` then `second`.
Prefix compose(TileBuilder &tb, const Prefix &first, const Prefix &second) {
  Prefix p;
  p.decay.kind = first.decay.kind;
  if (first.decay.total)
    p.decay.total = tb.add(first.decay.total, second.decay.total);
  p.update = tb.add(apply(tb, second, first.update), second.update);
  if (first.dense) {
    // (e1 I + M1)(e2 I + M2) = e1 e2 I + e1 M2 + M1 (e2 I + M2).
    Value m2 = second.dense;
    if (first.decay.kind == ChunkDecay::Kind::scalar)
      m2 = tb.scaleTokens(m2, tb.exp2(first.decay.total));
    p.dense = tb.add(m2, apply(tb, second, first.dense));
  }
  return p;
}

void storePrefix(ScheduleContext &ctx, TileBuilder &tb, const Prefix &p,
                 const Prefixes &out, Value c, Value v0) {
  storeBlock(tb, p.update, out.summaries, c, v0);
  if (out.decays)
    storeChunkDecay(tb, p.decay.total, out.decays, c);
  if (out.dense)
    storeBlock(tb, p.dense, out.dense, c, tb.idx(0));
}

/// Rounds of the prefix: chunks up to 2^kMaxRounds (T up to 2^24 times
/// the chunk).
constexpr int64_t kMaxRounds = 24;

/// 1 when round `r` (an index) runs for `chunks` chunks (2^r < chunks),
/// else 0.
Value roundRuns(OpBuilder &b, Location loc, Value r, Value chunks) {
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value offset = arith::ShLIOp::create(b, loc, one, r);
  Value left = arith::SubIOp::create(b, loc, chunks, offset);
  return arith::MinSIOp::create(
      b, loc, one,
      arith::MaxSIOp::create(b, loc, left,
                             arith::ConstantIndexOp::create(b, loc, 0)));
}

/// Whether index `n` is odd (i1).
Value isOdd(OpBuilder &b, Location loc, Value n) {
  Value low = arith::AndIOp::create(b, loc, n,
                                    arith::ConstantIndexOp::create(b, loc, 1));
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, low,
                               arith::ConstantIndexOp::create(b, loc, 0));
}

/// The buffer set of a parity: `odd` (i1) picks `second`.
Prefixes pick(OpBuilder &b, Location loc, Value odd, const Prefixes &first,
              const Prefixes &second) {
  auto one = [&](Value x, Value y) {
    return x ? arith::SelectOp::create(b, loc, odd, y, x).getResult() : Value();
  };
  return {one(first.summaries, second.summaries),
          one(first.decays, second.decays), one(first.dense, second.dense)};
}

/// One round: prefix[c] = prefix[c - offset] then prefix[c] for c >=
/// offset, a copy below; no programs when `active` is 0.
void buildPrefixRound(ScheduleContext &ctx, Value offset, Value active,
                      const Prefixes &in, const Prefixes &out) {
  OpBuilder::InsertionGuard guard(ctx.b);
  ChunkProgram p = createChunkKernel(ctx, "chunk_prefix", active);
  TileBuilder &tb = p.tb;
  Prefix own = loadPrefix(ctx, tb, in, p.c, p.v0);
  Value later = arith::CmpIOp::create(tb.b, tb.loc, arith::CmpIPredicate::uge,
                                      p.c, offset);
  auto branch = scf::IfOp::create(tb.b, tb.loc, later, /*withElse=*/true);
  tb.b.setInsertionPointToStart(branch.thenBlock());
  Value prev = arith::SubIOp::create(tb.b, tb.loc, p.c, offset);
  storePrefix(ctx, tb, compose(tb, loadPrefix(ctx, tb, in, prev, p.v0), own),
              out, p.c, p.v0);
  tb.b.setInsertionPointToStart(branch.elseBlock());
  storePrefix(ctx, tb, own, out, p.c, p.v0);
}

/// Every chunk's start state: the initial state carried by the prefix of
/// the chunks before it; the last chunk's program writes the final state.
/// The prefixes are in the buffer set of the rounds' parity, counted here.
void buildStates(ScheduleContext &ctx, const Prefixes (&sets)[2]) {
  OpBuilder::InsertionGuard guard(ctx.b);
  RecurrenceInfo &info = ctx.info;
  ChunkSizes s = chunkSizesOf(ctx);
  ChunkProgram p = createChunkKernel(ctx, "chunk_states");
  TileBuilder &tb = p.tb;
  OpBuilder &b = tb.b;
  Value rounds = tb.idx(0);
  for (int64_t r = 0; r < kMaxRounds; ++r)
    rounds = arith::AddIOp::create(b, tb.loc, rounds,
                                   roundRuns(b, tb.loc, tb.idx(r), p.chunks));
  Value odd = isOdd(b, tb.loc, rounds);
  Prefixes prefixes = pick(b, tb.loc, odd, sets[0], sets[1]);
  Value s0 = ctx.initialState(tb, p.v0, s.vTile);
  auto carried = [&](Value c) {
    Prefix prefix = loadPrefix(ctx, tb, prefixes, c, p.v0);
    return tb.add(apply(tb, prefix, s0), prefix.update);
  };
  Value first = arith::CmpIOp::create(b, tb.loc, arith::CmpIPredicate::eq, p.c,
                                      tb.idx(0));
  auto start = scf::IfOp::create(b, tb.loc, s0.getType(), first,
                                 /*withElse=*/true);
  b.setInsertionPointToStart(start.thenBlock());
  scf::YieldOp::create(b, tb.loc, s0);
  b.setInsertionPointToStart(start.elseBlock());
  scf::YieldOp::create(
      b, tb.loc, carried(arith::SubIOp::create(b, tb.loc, p.c, tb.idx(1))));
  b.setInsertionPointAfter(start);
  storeBlock(tb, start.getResult(0), ctx.workspace(states), p.c, p.v0);

  if (Value final = info.scan.getFinalState()) {
    Value last = arith::CmpIOp::create(
        b, tb.loc, arith::CmpIPredicate::eq, p.c,
        arith::SubIOp::create(b, tb.loc, p.chunks, tb.idx(1)));
    auto store = scf::IfOp::create(b, tb.loc, last);
    b.setInsertionPointToStart(store.thenBlock());
    tb.storeState(carried(p.c), final, p.v0);
  }
}
} // namespace

LogicalResult tiling::declareTree(ScheduleContext &ctx) {
  if (failed(declareVTiles(ctx)))
    return failure();
  using Dim = WorkspaceDim;
  RecurrenceInfo &info = ctx.info;
  const Dim b = Dim::query(0), h = Dim::query(2),
            chunks = Dim::chunks(ctx.schedule.getChunk()),
            k = Dim::fixed(info.keyDim), v = Dim::fixed(info.valueDim);
  Type f32 = Float32Type::get(info.scan.getContext());
  SpecBuffers &buffers = ctx.buffers;
  ctx.workspaces.assign(count, -1);
  for (int i : {0, 1}) {
    std::string n = std::to_string(i);
    ctx.workspaces[summaries0 + i] =
        buffers.addWorkspace("prefix_updates" + n, {b, h, chunks, v, k}, f32);
    ctx.workspaces[decays0 + i] =
        addDecayWorkspace(ctx, "prefix_decays" + n, {b, h, chunks});
    if (ctx.forget.hasChunkResponse())
      ctx.workspaces[dense0 + i] = buffers.addWorkspace(
          "prefix_transitions" + n, {b, h, chunks, k, k}, f32);
  }
  ctx.workspaces[states] = buffers.addWorkspace(
      "chunk_states", {b, h, chunks, v, k}, operandTypeOf(info));
  return success();
}

void tiling::buildTree(ScheduleContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc();
  Prefixes buffers[2];
  for (int i : {0, 1})
    buffers[i] = {ctx.workspace(summaries0 + i), ctx.workspace(decays0 + i),
                  ctx.workspace(dense0 + i)};
  buildChunkSummaries(
      ctx, buffers[0].summaries, buffers[0].decays,
      [&](ChunkProgram &p, const ChunkTransition &transition) {
        // M = R^T W~: the chunk's response, dense.
        Value dense = p.tb.dot(p.tb.operand(transition.response),
                               p.tb.operand(transition.endKeys), true, false);
        storeBlock(p.tb, dense, buffers[0].dense, p.c, p.tb.idx(0));
      });

  // The rounds, on the host: round r (offset 2^r) reads one buffer set and
  // writes the other; its grid is empty once 2^r >= chunks.
  Value chunks = chunkCount(ctx);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto rounds = scf::ForOp::create(
      b, loc, zero, arith::ConstantIndexOp::create(b, loc, kMaxRounds), one);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(rounds.getBody());
    Value r = rounds.getInductionVar();
    Value odd = isOdd(b, loc, r);
    Prefixes in = pick(b, loc, odd, buffers[0], buffers[1]);
    Prefixes out = pick(b, loc, odd, buffers[1], buffers[0]);
    buildPrefixRound(ctx, arith::ShLIOp::create(b, loc, one, r),
                     roundRuns(b, loc, r, chunks), in, out);
  }
  buildStates(ctx, buffers);
  buildChunkOutputs(ctx, ctx.workspace(states));
}
