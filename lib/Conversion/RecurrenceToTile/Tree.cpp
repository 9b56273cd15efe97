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
// round (O(K^3) per chunk for the dense part, its rows shared out among the
// chunk's V-tile programs).
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
  responses,
  slotValues,
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

/// A prefix of chunk `c` for the V-tile at `v0`; its dense part only with
/// `withDense`.
Prefix loadPrefix(ScheduleContext &ctx, TileBuilder &tb, const Prefixes &in,
                  Value c, Value v0, bool withDense = true) {
  ChunkSizes s = chunkSizesOf(ctx);
  Prefix p;
  p.decay.kind = ctx.forget.getChunkDecayKind();
  if (in.decays)
    p.decay.total = loadChunkDecay(tb, p.decay.kind, in.decays, c);
  if (in.dense && withDense)
    p.dense = loadBlock(tb, in.dense, c, tb.idx(0), s.keyDim, s.keyDim);
  p.update = loadBlock(tb, in.summaries, c, v0, s.vTile, s.keyDim);
  return p;
}

/// X A for a prefix's A = e^{G} I + M (rows of X over K). The product is
/// on the program's operand type, as the chunked schedules' transitions
/// (ChunkedTwoPass.cpp) are: tensor cores for 16-bit programs.
Value apply(TileBuilder &tb, const Prefix &p, Value x) {
  Value y = chunk::decayState(tb, p.decay, x);
  return p.dense ? tb.dot(tb.operand(x), tb.operand(p.dense), false, false, y)
                 : y;
}

/// The prefix `first` then `second`: its decay and update (the dense part
/// is composed by rows, composeDense).
Prefix compose(TileBuilder &tb, const Prefix &first, const Prefix &second) {
  Prefix p;
  p.decay.kind = first.decay.kind;
  if (first.decay.total)
    p.decay.total = tb.add(first.decay.total, second.decay.total);
  p.update = tb.add(apply(tb, second, first.update), second.update);
  return p;
}

/// Rows of the dense part of `first` then `second`, from the same rows of
/// the dense parts of each (`firstRows`, `secondRows`):
/// (e1 I + M1)(e2 I + M2) = e1 e2 I + e1 M2 + M1 (e2 I + M2).
Value composeDense(TileBuilder &tb, const Prefix &first, Value firstRows,
                   const Prefix &second, Value secondRows) {
  Value m2 = secondRows;
  if (first.decay.kind == ChunkDecay::Kind::scalar)
    m2 = tb.scaleTokens(m2, tb.exp2(first.decay.total));
  return tb.add(m2, apply(tb, second, firstRows));
}

void storePrefix(TileBuilder &tb, const Prefix &p, const Prefixes &out, Value c,
                 Value v0) {
  storeBlock(tb, p.update, out.summaries, c, v0);
  if (out.decays)
    storeChunkDecay(tb, p.decay.total, out.decays, c);
}

/// The rows of a chunk's K x K dense part that the program of the V-tile at
/// `v0` composes: the V-tile programs share them out in equal blocks of a
/// multiple of 16 rows when they can, so that no dense work is repeated;
/// otherwise the first V-tile's program composes them all (`only` is then
/// that program's condition, else null).
struct DenseRows {
  Value r0;
  int64_t rows;
  Value only;
};

DenseRows denseRowsOf(ScheduleContext &ctx, TileBuilder &tb, Value v0) {
  ChunkSizes s = chunkSizesOf(ctx);
  OpBuilder &b = tb.b;
  if (s.keyDim % s.tiles == 0 && (s.keyDim / s.tiles) % 16 == 0) {
    int64_t rows = s.keyDim / s.tiles;
    Value tile = arith::DivUIOp::create(b, tb.loc, v0, tb.idx(s.vTile));
    return {arith::MulIOp::create(b, tb.loc, tile, tb.idx(rows)), rows, {}};
  }
  Value first =
      arith::CmpIOp::create(b, tb.loc, arith::CmpIPredicate::eq, v0, tb.idx(0));
  return {tb.idx(0), s.keyDim, first};
}

/// Builds `body` at the builder, inside `if (only)` when `only` is set.
void buildWhere(TileBuilder &tb, Value only, llvm::function_ref<void()> body) {
  OpBuilder::InsertionGuard guard(tb.b);
  if (only) {
    auto branch = scf::IfOp::create(tb.b, tb.loc, only);
    tb.b.setInsertionPointToStart(branch.thenBlock());
  }
  body();
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
  ChunkSizes s = chunkSizesOf(ctx);
  ChunkProgram p = createChunkKernel(ctx, "chunk_prefix", active);
  TileBuilder &tb = p.tb;
  Prefix own = loadPrefix(ctx, tb, in, p.c, p.v0);
  DenseRows rows;
  if (in.dense)
    rows = denseRowsOf(ctx, tb, p.v0);
  auto ownRows = [&]() {
    return rows.rows == s.keyDim
               ? own.dense
               : loadBlock(tb, in.dense, p.c, rows.r0, rows.rows, s.keyDim);
  };
  Value later = arith::CmpIOp::create(tb.b, tb.loc, arith::CmpIPredicate::uge,
                                      p.c, offset);
  auto branch = scf::IfOp::create(tb.b, tb.loc, later, /*withElse=*/true);
  tb.b.setInsertionPointToStart(branch.thenBlock());
  Value prev = arith::SubIOp::create(tb.b, tb.loc, p.c, offset);
  Prefix first = loadPrefix(ctx, tb, in, prev, p.v0, /*withDense=*/false);
  storePrefix(tb, compose(tb, first, own), out, p.c, p.v0);
  if (in.dense)
    buildWhere(tb, rows.only, [&] {
      Value firstRows =
          loadBlock(tb, in.dense, prev, rows.r0, rows.rows, s.keyDim);
      storeBlock(tb, composeDense(tb, first, firstRows, own, ownRows()),
                 out.dense, p.c, rows.r0);
    });
  tb.b.setInsertionPointToStart(branch.elseBlock());
  storePrefix(tb, own, out, p.c, p.v0);
  if (in.dense)
    buildWhere(tb, rows.only,
               [&] { storeBlock(tb, ownRows(), out.dense, p.c, rows.r0); });
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
  // From a zero initial state, a chunk starts at the update of the prefix
  // before it (no transition to load or apply).
  bool zeroStart = !info.initialState;
  auto carried = [&](Value c) {
    Prefix prefix = loadPrefix(ctx, tb, prefixes, c, p.v0, !zeroStart);
    return zeroStart ? prefix.update
                     : tb.add(apply(tb, prefix, s0), prefix.update);
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
  std::tie(ctx.workspaces[responses], ctx.workspaces[slotValues]) =
      addResponseWorkspaces(ctx);
  return success();
}

void tiling::buildTree(ScheduleContext &ctx) {
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc();
  Prefixes buffers[2];
  for (int i : {0, 1})
    buffers[i] = {ctx.workspace(summaries0 + i), ctx.workspace(decays0 + i),
                  ctx.workspace(dense0 + i)};
  ChunkResponses kept{ctx.workspace(responses), ctx.workspace(slotValues)};
  buildChunkSummaries(
      ctx, buffers[0].summaries, buffers[0].decays, kept,
      [&](ChunkProgram &p, const ChunkTransition &transition) {
        // M = R^T W~: the chunk's response, dense (in the first V-tile's
        // program only).
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
  buildChunkOutputs(ctx, ctx.workspace(states), kept);
}
