//===- PipelineLoads.cpp - Loads of later iterations issued early ---------===//
//
// The schedule's `stages` for any kernel: in every loop of a tile kernel
// (the chunk walk of the chunked schedules, the token walk of the
// sequential one), each load whose address depends only on the induction
// variable, from a buffer the loop does not write, is issued `stages - 1`
// iterations ahead: the loop carries the loaded tiles, each iteration
// starts by loading what iteration i + stages - 1 needs (or zeros past the
// end) and then computes with what earlier iterations loaded, so memory
// latency overlaps the work of the iterations in between. The first
// iterations' loads move before the loop.
//
//===----------------------------------------------------------------------===//

#include "prism/Dialect/Recurrence/RecurrenceOps.h"
#include "prism/Dialect/Tile/TileOps.h"
#include "prism/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"

namespace prism {
#define GEN_PASS_DEF_TILEPIPELINELOADS
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
using namespace prism;

namespace {

/// The memref a load reads.
Value bufferOf(Operation *load) {
  if (auto tileLoad = dyn_cast<tile::LoadOp>(load))
    return tileLoad.getSource();
  return cast<memref::LoadOp>(load).getMemRef();
}

/// Ops of the loop body that `v` is computed from, in order, when they are
/// pure and reach only the induction variable and values from outside;
/// failure otherwise.
LogicalResult addressSlice(scf::ForOp loop, Value v,
                           llvm::SetVector<Operation *> &slice) {
  if (v == loop.getInductionVar())
    return success();
  if (auto arg = dyn_cast<BlockArgument>(v))
    return success(arg.getOwner()->getParentOp() != loop &&
                   !loop->isAncestor(arg.getOwner()->getParentOp()));
  Operation *def = v.getDefiningOp();
  if (!loop->isAncestor(def))
    return success();
  if (def->getBlock() != loop.getBody() || !isPure(def) ||
      def->getNumRegions() != 0)
    return failure();
  for (Value operand : def->getOperands())
    if (failed(addressSlice(loop, operand, slice)))
      return failure();
  slice.insert(def);
  return success();
}

/// A zero of the load's result type.
Value zeroOf(OpBuilder &b, Location loc, Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return arith::ConstantOp::create(
        b, loc,
        DenseElementsAttr::get(tensor,
                               b.getFloatAttr(tensor.getElementType(), 0.0)));
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, 0.0));
}

/// The load `load` for iteration `iv`, or zero when iv >= ub.
Value loadAt(OpBuilder &b, scf::ForOp loop, Operation *load,
             const llvm::SetVector<Operation *> &slice, Value iv) {
  Location loc = load->getLoc();
  Value live = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, iv,
                                     loop.getUpperBound());
  Type type = load->getResult(0).getType();
  auto branch = scf::IfOp::create(b, loc, type, live, /*withElse=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(branch.thenBlock());
  IRMapping map;
  map.map(loop.getInductionVar(), iv);
  for (Operation *op : slice)
    b.clone(*op, map);
  scf::YieldOp::create(b, loc, b.clone(*load, map)->getResult(0));
  b.setInsertionPointToStart(branch.elseBlock());
  scf::YieldOp::create(b, loc, zeroOf(b, loc, type));
  return branch.getResult(0);
}

/// Pipelines the loads of `loop` `stages - 1` iterations ahead.
void pipeline(scf::ForOp loop, int64_t stages) {
  // Buffers the loop writes: their loads stay where they are.
  llvm::SmallPtrSet<Value, 4> written;
  loop.walk([&](Operation *op) {
    if (auto store = dyn_cast<tile::StoreOp>(op))
      written.insert(store.getDest());
    if (auto store = dyn_cast<memref::StoreOp>(op))
      written.insert(store.getMemRef());
  });
  SmallVector<Operation *> loads;
  SmallVector<llvm::SetVector<Operation *>> slices;
  for (Operation &op : *loop.getBody()) {
    if (!isa<tile::LoadOp, memref::LoadOp>(op) || written.count(bufferOf(&op)))
      continue;
    llvm::SetVector<Operation *> slice;
    bool independent = true;
    for (Value operand : op.getOperands())
      independent &= succeeded(addressSlice(loop, operand, slice));
    if (!independent)
      continue;
    loads.push_back(&op);
    slices.push_back(std::move(slice));
  }
  if (loads.empty())
    return;

  // Iterations lb, lb + step, ..., before the loop.
  OpBuilder b(loop);
  Location loc = loop.getLoc();
  SmallVector<Value> inits(loop.getInitArgs());
  auto ahead = [&](OpBuilder &ob, Value iv, int64_t k) -> Value {
    if (k == 0)
      return iv;
    return arith::AddIOp::create(
        ob, loc, iv,
        arith::MulIOp::create(ob, loc, loop.getStep(),
                              arith::ConstantIndexOp::create(ob, loc, k)));
  };
  for (auto [load, slice] : llvm::zip(loads, slices))
    for (int64_t k = 0; k < stages - 1; ++k)
      inits.push_back(
          loadAt(b, loop, load, slice, ahead(b, loop.getLowerBound(), k)));

  // The loop carries them: load i + stages - 1 first, use i's.
  auto next = scf::ForOp::create(b, loc, loop.getLowerBound(),
                                 loop.getUpperBound(), loop.getStep(), inits);
  Block *body = next.getBody();
  IRMapping map;
  map.map(loop.getInductionVar(), next.getInductionVar());
  for (auto [from, to] :
       llvm::zip(loop.getRegionIterArgs(), next.getRegionIterArgs()))
    map.map(from, to);
  OpBuilder nb = OpBuilder::atBlockBegin(body);
  SmallVector<Value> fresh;
  size_t carried = loop.getNumRegionIterArgs();
  for (auto [n, load] : llvm::enumerate(loads)) {
    fresh.push_back(loadAt(nb, loop, load, slices[n],
                           ahead(nb, next.getInductionVar(), stages - 1)));
    map.map(load->getResult(0),
            next.getRegionIterArgs()[carried + n * (stages - 1)]);
  }
  for (Operation &op : loop.getBody()->without_terminator())
    if (!llvm::is_contained(loads, &op))
      nb.clone(op, map);
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  SmallVector<Value> results;
  for (Value v : yield.getOperands())
    results.push_back(map.lookup(v));
  for (auto [n, load] : llvm::enumerate(loads)) {
    for (int64_t k = 1; k < stages - 1; ++k)
      results.push_back(
          next.getRegionIterArgs()[carried + n * (stages - 1) + k]);
    results.push_back(fresh[n]);
  }
  scf::YieldOp::create(nb, loc, results);
  for (auto [from, to] : llvm::zip(loop.getResults(), next.getResults()))
    from.replaceAllUsesWith(to);
  loop.erase();
}

struct TilePipelineLoadsPass
    : prism::impl::TilePipelineLoadsBase<TilePipelineLoadsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<std::pair<scf::ForOp, int64_t>> loops;
    getOperation().walk([&](tile::KernelOp kernel) {
      int64_t n = stages;
      if (n <= 0) {
        auto program = kernel->getParentOfType<func::FuncOp>();
        auto schedule = program
                            ? program->getAttrOfType<recurrence::ScheduleAttr>(
                                  "prism.schedule")
                            : recurrence::ScheduleAttr();
        n = schedule && schedule.getStages() > 0 ? schedule.getStages() : 1;
      }
      if (n < 2)
        return;
      kernel.walk([&](scf::ForOp loop) { loops.push_back({loop, n}); });
    });
    for (auto [loop, n] : loops)
      pipeline(loop, n);
  }
};

} // namespace
