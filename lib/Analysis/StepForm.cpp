//===- StepForm.cpp - Definition 3.1 on a step body -----------------------===//
//
// Every value of a step body gets one of three forms:
//
//   free       depends on the step's inputs only;
//   key-linear S_{t-1} a + b (a V-vector) or S_{t-1} A + B (a V x K matrix)
//              with a, b, A, B free: the state is multiplied on its key
//              side only, as S_t = S_{t-1} A_t + B_t requires;
//   dependent  anything else, with the first reason.
//
// The rules are those of the body ops' algebra: sums of key-linear values
// stay key-linear; scaling by a value uniform along V (a splat, a K-vector
// repeated as rows) is a right factor, so it does too; a product of the
// state with a free K-vector (S x) or a free row (x^T repeated, outer with a
// free key) is key-linear; a non-linear function of a state-dependent value,
// a product of two of them, the state read from its value side (S^T y, rows
// scaled differently) or a scalar read from it is dependent.
//
//===----------------------------------------------------------------------===//

#include "prism/Analysis/StepForm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;

namespace {
enum class Kind { free, linear, dependent };

struct Form {
  Kind kind = Kind::free;
  std::string reason;
  Operation *culprit = nullptr;
};

/// Whether a free value is the same along V: a splat (of a scalar, or a
/// constant), a K-vector repeated as rows, or elementwise math of such.
bool uniformAlongV(Value value) {
  if (value.getDefiningOp<SplatOp>())
    return true;
  if (auto broadcast = value.getDefiningOp<BroadcastOp>())
    return broadcast.getDim() == 0;
  DenseElementsAttr constant;
  if (matchPattern(value, m_Constant(&constant)))
    return constant.isSplat();
  Operation *op = value.getDefiningOp();
  if (!op || op->getNumOperands() == 0 || isa<MatvecOp, OuterOp, DotOp>(op))
    return false;
  return llvm::all_of(op->getOperands(), uniformAlongV);
}

class Classifier {
public:
  explicit Classifier(StepOp step) : step(step) {}

  Form of(Value value) const {
    auto it = forms.find(value);
    return it == forms.end() ? Form{} : it->second;
  }

  void run() {
    forms[step.getState()] = Form{Kind::linear, "", nullptr};
    for (Operation &op : step.getBodyBlock().without_terminator())
      for (Value result : op.getResults())
        forms[result] = visit(&op);
  }

private:
  Form dependent(Operation *op, std::string reason) const {
    return Form{Kind::dependent, std::move(reason), op};
  }

  std::string describe(Value value) const {
    return describeStepValue(step, value);
  }

  Form visit(Operation *op) {
    // The first dependent operand decides; all-free operands give free.
    bool anyLinear = false;
    for (Value operand : op->getOperands()) {
      Form form = of(operand);
      if (form.kind == Kind::dependent)
        return form;
      anyLinear |= form.kind == Kind::linear;
    }
    if (!anyLinear)
      return Form{};
    auto linear = [&](Value v) { return of(v).kind == Kind::linear; };

    if (isa<arith::AddFOp, arith::SubFOp, arith::NegFOp>(op))
      return Form{Kind::linear, "", nullptr};
    if (isa<arith::MulFOp, arith::DivFOp>(op)) {
      Value lhs = op->getOperand(0), rhs = op->getOperand(1);
      if (linear(lhs) && linear(rhs))
        return dependent(op, "multiplies " + describe(lhs) + " by " +
                                 describe(rhs) +
                                 ", two values that read the state");
      if (isa<arith::DivFOp>(op) && linear(rhs))
        return dependent(op, "divides by " + describe(rhs));
      Value factor = linear(lhs) ? rhs : lhs;
      Value state = linear(lhs) ? lhs : rhs;
      if (!uniformAlongV(factor))
        return dependent(op, "scales " + describe(state) +
                                 " by a factor that varies along V (" +
                                 describe(factor) +
                                 "), which acts on the value side of the "
                                 "state");
      return Form{Kind::linear, "", nullptr};
    }
    if (auto matvec = dyn_cast<MatvecOp>(op)) {
      if (linear(matvec.getVector()))
        return dependent(op, "multiplies the state by " +
                                 describe(matvec.getVector()) +
                                 ", a vector read from it");
      if (matvec.getTranspose())
        return dependent(op, "reads the state from its value side (" +
                                 describe(matvec.getResult()) + ")");
      // S x with x free (a K-vector is never key-linear).
      return Form{Kind::linear, "", nullptr};
    }
    if (auto outer = dyn_cast<OuterOp>(op)) {
      if (linear(outer.getRhs()))
        return dependent(op, "takes the key of an outer product from the "
                             "state");
      return Form{Kind::linear, "", nullptr};
    }
    if (auto broadcast = dyn_cast<BroadcastOp>(op)) {
      // A V-vector repeated as columns: (S a + b) 1^T stays key-linear.
      if (broadcast.getDim() == 1)
        return Form{Kind::linear, "", nullptr};
      return dependent(op, "repeats " + describe(broadcast.getInput()) +
                               " along V");
    }
    if (auto dot = dyn_cast<DotOp>(op)) {
      Value read = linear(dot.getLhs()) ? dot.getLhs() : dot.getRhs();
      return dependent(op, "reads a scalar from the state (the inner "
                           "product of " +
                               describe(read) + ")");
    }
    // Every other op (math functions, min and max, splats of a scalar that
    // cannot be key-linear) is not linear in its operand.
    Value read;
    for (Value operand : op->getOperands())
      if (linear(operand)) {
        read = operand;
        break;
      }
    return dependent(op, "reads " + describe(read) + " through " +
                             op->getName().getStringRef().str());
  }

  StepOp step;
  llvm::DenseMap<Value, Form> forms;
};

/// The name of input `index` of `step`: a function argument's
/// `recurrence.name`, or "input N".
std::string inputName(StepOp step, unsigned index) {
  Value input = step.getInputs()[index];
  if (auto arg = dyn_cast<BlockArgument>(input))
    if (auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp()))
      if (auto name = func.getArgAttrOfType<StringAttr>(
              arg.getArgNumber(), RecurrenceDialect::kNameAttrName))
        return name.getValue().str();
  return "input " + std::to_string(index);
}
} // namespace

std::string prism::describeStepValue(StepOp step, Value value) {
  if (value == step.getState())
    return "S_{t-1}";
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    std::string name = inputName(step, arg.getArgNumber() - 1);
    return name.find(' ') == std::string::npos ? name + "_t"
                                               : "(" + name + ")_t";
  }
  Operation *op = value.getDefiningOp();
  if (auto matvec = dyn_cast<MatvecOp>(op)) {
    Value m = matvec.getMatrix(), x = matvec.getVector();
    bool leaves = (m == step.getState() || isa<BlockArgument>(m)) &&
                  isa<BlockArgument>(x);
    if (leaves)
      return describeStepValue(step, m) +
             (matvec.getTranspose() ? "^T " : " ") + describeStepValue(step, x);
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "the " << op->getName();
  if (auto at = dyn_cast<FileLineColLoc>(op->getLoc()))
    os << " at " << at.getFilename().getValue() << ":" << at.getLine() << ":"
       << at.getColumn();
  return text;
}

StepForm prism::classifyStep(StepOp step) {
  Classifier classifier(step);
  classifier.run();
  auto yield = cast<YieldOp>(step.getBodyBlock().getTerminator());
  StepForm result;
  Form next = classifier.of(yield.getState());
  result.stateIndependent = next.kind != Kind::dependent;
  result.reason = next.reason;
  result.culprit = next.culprit;
  Form out = classifier.of(yield.getOutput());
  result.linearOutput = out.kind != Kind::dependent;
  result.outputReason = out.reason;
  return result;
}
