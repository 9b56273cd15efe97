//===- StepWalk.cpp - The sequential walk of a state-dependent step -------===//
//
// A recurrence.step that prism-classify-steps left a step (its body reads
// S_{t-1} in a way that is not S_{t-1} A_t + B_t) has one correct schedule:
// token after token. One program per (head, batch, V-tile) walks the tokens
// with its V-tile x K block of the state and runs the body once a token,
// each body op becoming the tile ops that compute it on the block:
//
//   S x      -> reduce(S * broadcast(x, rows), along K)
//   S^T y    -> reduce(S * broadcast(y, columns), along V)   (whole V only)
//   a b^T    -> broadcast(a, columns) * broadcast(b, rows)
//   x . y    -> reduce(x * y)
//   arith / math on vectors and scalars -> the same op on tiles and scalars
//
// Vectors along V (StepRoles) are the program's V-tile of them, vectors along
// K whole; the rows of the state are independent exactly when the body never
// reduces along V, which declareStep checks before V-tiles are allowed. The
// body's inner steps (several gradient steps a token) are unrolled here,
// since they are ops of the body. Where the rows of the block live, how the
// K columns split across lanes and how the next token's inputs are loaded
// ahead are the target mapping's (the same as for the structured sequential
// walk, Sequential.cpp).
//
//===----------------------------------------------------------------------===//

#include "Schedules.h"

#include "prism/Analysis/StepRoles.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;
using namespace prism::tiling;

LogicalResult tiling::declareStep(ScheduleContext &ctx) {
  StepOp step = ctx.info.step;
  if (ctx.schedule.getKind() != ScheduleKind::sequential)
    return step.emitOpError()
           << "a state-dependent step takes only the sequential schedule, got "
           << stringifyScheduleKind(ctx.schedule.getKind());
  if (failed(declareVTiles(ctx)))
    return failure();
  StepRoles roles = analyzeStepRoles(step);
  if (roles.wholeV && ctx.schedule.getVTile() != ctx.info.valueDim) {
    InFlightDiagnostic diag = step.emitOpError()
                              << "v_tile " << ctx.schedule.getVTile()
                              << " splits the state's V = " << ctx.info.valueDim
                              << " rows across programs, but the body "
                              << roles.reason
                              << ": each program needs all of them (v_tile = "
                              << ctx.info.valueDim << ")";
    if (roles.wholeV != step.getOperation())
      diag.attachNote(roles.wholeV->getLoc()) << "here";
    return failure();
  }
  return success();
}

namespace {
/// Builds the tile ops of one run of the body, for the program's V-tile.
class BodyBuilder {
public:
  BodyBuilder(TileBuilder &tb, const StepRoles &roles, int64_t vTile,
              int64_t keyDim)
      : tb(tb), roles(roles), vTile(vTile), keyDim(keyDim) {}

  /// Runs `body` on `state` and the token's `slices`; returns the values the
  /// body yields, S_t and o_t.
  std::pair<Value, Value> run(Block &body, Value state, ValueRange slices) {
    IRMapping map;
    map.map(body.getArgument(0), state);
    for (auto [arg, slice] :
         llvm::zip(body.getArguments().drop_front(), slices))
      map.map(arg, slice);
    for (Operation &op : body.without_terminator())
      map.map(op.getResult(0), build(op, map));
    auto yield = cast<YieldOp>(body.getTerminator());
    return {map.lookup(yield.getState()), map.lookup(yield.getOutput())};
  }

  /// The type a body value has in the program: its V-tile when along V.
  Type typeOf(Value value) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type)
      return value.getType();
    if (type.getRank() == 2)
      return RankedTensorType::get({vTile, keyDim}, type.getElementType());
    int64_t n = roles.alongV.contains(value) ? vTile : type.getDimSize(0);
    return RankedTensorType::get({n}, type.getElementType());
  }

private:
  Value build(Operation &op, IRMapping &map) {
    auto in = [&](unsigned i) { return map.lookup(op.getOperand(i)); };
    if (auto m = dyn_cast<MatvecOp>(op)) {
      if (m.getTranspose())
        return tb.reduceAdd(tb.mul(in(0), tb.broadcast(in(1), 1, keyDim)), 0);
      return tb.reduceAdd(tb.mul(in(0), tb.broadcast(in(1), 0, vTile)), 1);
    }
    if (isa<OuterOp>(op))
      return tb.mul(tb.broadcast(in(0), 1, keyDim),
                    tb.broadcast(in(1), 0, vTile));
    if (isa<DotOp>(op))
      return tb.reduceAdd(tb.mul(in(0), in(1)), 0);
    if (isa<SplatOp>(op))
      return tb.splat(
          in(0), cast<RankedTensorType>(typeOf(op.getResult(0))).getShape());
    if (auto b = dyn_cast<BroadcastOp>(op))
      return b.getDim() == 0 ? tb.broadcast(in(0), 0, vTile)
                             : tb.broadcast(in(0), 1, keyDim);
    Type type = typeOf(op.getResult(0));
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      // A splat keeps its value at the program's shape; a constant vector
      // that is not one is along K here (StepRoles), so it stays whole.
      if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
          dense && dense.isSplat())
        return arith::ConstantOp::create(
            tb.b, tb.loc,
            DenseElementsAttr::get(cast<ShapedType>(type),
                                   dense.getSplatValue<Attribute>()));
      return tb.b.clone(op)->getResult(0);
    }
    // Elementwise arith and math: the same op at the program's shape.
    OperationState state(tb.loc, op.getName());
    for (Value operand : op.getOperands())
      state.addOperands(map.lookup(operand));
    state.addTypes(type);
    state.addAttributes(op.getAttrs());
    return tb.b.create(state)->getResult(0);
  }

  TileBuilder &tb;
  const StepRoles &roles;
  int64_t vTile, keyDim;
};
} // namespace

void tiling::buildStepWalk(ScheduleContext &ctx) {
  RecurrenceInfo &info = ctx.info;
  StepOp step = info.step;
  OpBuilder &b = ctx.b;
  Location loc = ctx.loc();
  const int64_t keyDim = info.keyDim;
  const int64_t vTile = ctx.schedule.getVTile();
  StepRoles roles = analyzeStepRoles(step);
  Block &body = step.getBodyBlock();

  OpBuilder::InsertionGuard guard(b);
  auto [tb, v0, t, walk] =
      beginSequentialWalk(ctx, "step", step.getInputs().front());
  // The token's slices: scalars, V-tiles of vectors along V, whole vectors
  // along K.
  SmallVector<Value> slices;
  for (auto [input, arg] :
       llvm::zip(step.getInputs(), body.getArguments().drop_front())) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getRank() == 3)
      slices.push_back(tb.loadTokenScalars(input, t, 0));
    else if (roles.alongV.contains(arg))
      slices.push_back(tb.loadTokens(input, t, 0, v0, vTile));
    else
      slices.push_back(
          tb.loadTokens(input, t, 0, tb.idx(0), type.getDimSize(3)));
  }
  BodyBuilder builder(tb, roles, vTile, keyDim);
  auto [next, output] = builder.run(body, walk.getRegionIterArgs()[0], slices);
  tb.storeTokens(output, step.getOutput(), t, 0, v0);
  scf::YieldOp::create(b, loc, next);

  b.setInsertionPointAfter(walk);
  if (Value final = step.getFinalState())
    tb.storeState(walk.getResult(0), final, v0);
}
