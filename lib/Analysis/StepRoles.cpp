//===- StepRoles.cpp - Which vectors of a step body run along V -----------===//
//
// Roles propagate along the ops that fix them (matvec, outer, broadcast, the
// yielded output, a length that only one of V and K has) and through the
// elementwise ops and dots, whose vector operands and result share one role,
// until nothing changes. A vector no op constrains is taken along K: each
// program then holds all of it, which is correct either way.
//
//===----------------------------------------------------------------------===//

#include "prism/Analysis/StepRoles.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;

namespace {
enum Role : unsigned { None = 0, AlongV = 1, AlongK = 2, Both = 3 };

bool isVector(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.getRank() == 1;
}
} // namespace

StepRoles prism::analyzeStepRoles(StepOp step) {
  StepRoles out;
  const int64_t v = step.getStateShape()[0], k = step.getStateShape()[1];
  Block &body = step.getBodyBlock();
  llvm::DenseMap<Value, unsigned> role;
  bool changed = true;
  auto fix = [&](Value value, unsigned r) {
    if (!isVector(value) || (role[value] | r) == role[value])
      return;
    role[value] |= r;
    changed = true;
  };
  // Lengths that only one of V and K has.
  auto byLength = [&](Value value) {
    if (!isVector(value))
      return;
    int64_t n = cast<RankedTensorType>(value.getType()).getDimSize(0);
    if (v != k)
      fix(value, n == v ? AlongV : AlongK);
  };
  for (BlockArgument arg : body.getArguments())
    byLength(arg);
  for (Operation &op : body)
    for (Value result : op.getResults())
      byLength(result);
  while (changed) {
    changed = false;
    for (Operation &op : body) {
      if (auto m = dyn_cast<MatvecOp>(op)) {
        fix(m.getVector(), m.getTranspose() ? AlongV : AlongK);
        fix(m.getResult(), m.getTranspose() ? AlongK : AlongV);
      } else if (auto o = dyn_cast<OuterOp>(op)) {
        fix(o.getLhs(), AlongV);
        fix(o.getRhs(), AlongK);
      } else if (auto b = dyn_cast<BroadcastOp>(op)) {
        fix(b.getInput(), b.getDim() == 0 ? AlongK : AlongV);
      } else if (auto y = dyn_cast<YieldOp>(op)) {
        fix(y.getOutput(), AlongV);
      } else {
        // Elementwise ops and dots: one role for every vector they touch.
        SmallVector<Value> touched(op.getOperands());
        llvm::append_range(touched, op.getResults());
        unsigned shared = None;
        for (Value value : touched)
          if (isVector(value))
            shared |= role.lookup(value);
        for (Value value : touched)
          fix(value, shared);
      }
    }
  }
  auto needsWholeV = [&](Operation *op, const char *reason) {
    if (!out.wholeV) {
      out.wholeV = op;
      out.reason = reason;
    }
  };
  for (Operation &op : body) {
    for (Value value : op.getResults())
      if (role.lookup(value) == Both)
        needsWholeV(&op, "uses a vector both along V and along K");
    if (auto m = dyn_cast<MatvecOp>(op); m && m.getTranspose())
      needsWholeV(&op, "reduces along V (S^T y)");
    if (auto d = dyn_cast<DotOp>(op); d && (role.lookup(d.getLhs()) & AlongV))
      needsWholeV(&op, "reduces along V (a dot of V-vectors)");
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
      if (dense && !dense.isSplat() && (role.lookup(c.getResult()) & AlongV))
        needsWholeV(&op, "holds a V-vector constant that is not a splat");
    }
  }
  for (BlockArgument arg : body.getArguments())
    if (role.lookup(arg) == Both)
      needsWholeV(step, "uses an input both along V and along K");
  for (auto [value, r] : role)
    if (r == AlongV)
      out.alongV.insert(value);
  return out;
}
