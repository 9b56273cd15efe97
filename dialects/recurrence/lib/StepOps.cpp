//===- StepOps.cpp - Verifiers of the general step ops --------------------===//
//
// A step body is checked completely here (its arguments against the inputs,
// every op and type in it, its terminator), so that the classification and
// the lowerings may take any verified body as given.
//
//===----------------------------------------------------------------------===//

#include "prism/Dialect/Recurrence/RecurrenceOps.h"

#include "Shapes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace prism::recurrence;
using namespace prism::recurrence::shapes;

namespace {
std::string typeString(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

/// Whether `op` may appear in a step body: the terminator, or an op of the
/// vocabulary every consumer of a body knows (stepOpName).
bool isStepBodyOp(Operation *op) {
  return isa<YieldOp>(op) || !stepOpName(op).empty();
}
} // namespace

llvm::StringRef prism::recurrence::stepOpName(Operation *op) {
  return llvm::TypeSwitch<Operation *, StringRef>(op)
      .Case([](MatvecOp m) { return m.getTranspose() ? "matvec_t" : "matvec"; })
      .Case([](OuterOp) { return "outer"; })
      .Case([](DotOp) { return "dot"; })
      .Case([](SplatOp) { return "splat"; })
      .Case([](BroadcastOp b) {
        return b.getDim() == 0 ? "broadcast_rows" : "broadcast_cols";
      })
      .Case([](arith::ConstantOp) { return "constant"; })
      .Case([](arith::AddFOp) { return "add"; })
      .Case([](arith::SubFOp) { return "sub"; })
      .Case([](arith::MulFOp) { return "mul"; })
      .Case([](arith::DivFOp) { return "div"; })
      .Case([](arith::NegFOp) { return "neg"; })
      .Case<arith::MaximumFOp, arith::MaxNumFOp>([](auto) { return "max"; })
      .Case<arith::MinimumFOp, arith::MinNumFOp>([](auto) { return "min"; })
      .Case([](math::TanhOp) { return "tanh"; })
      .Case([](math::ExpOp) { return "exp"; })
      .Case([](math::Exp2Op) { return "exp2"; })
      .Case([](math::ExpM1Op) { return "expm1"; })
      .Case([](math::LogOp) { return "log"; })
      .Case([](math::Log2Op) { return "log2"; })
      .Case([](math::Log1pOp) { return "log1p"; })
      .Case([](math::SqrtOp) { return "sqrt"; })
      .Case([](math::RsqrtOp) { return "rsqrt"; })
      .Case([](math::ErfOp) { return "erf"; })
      .Case([](math::AbsFOp) { return "abs"; })
      .Case([](math::SinOp) { return "sin"; })
      .Case([](math::CosOp) { return "cos"; })
      .Case([](math::PowFOp) { return "pow"; })
      .Default([](Operation *) { return ""; });
}

//===----------------------------------------------------------------------===//
// StepOp
//===----------------------------------------------------------------------===//

LogicalResult StepOp::verifyRegions() {
  Block &body = getBodyBlock();
  if (getInputs().empty())
    return emitOpError() << "needs at least one input sequence";
  if (body.getNumArguments() != getInputs().size() + 1)
    return emitOpError() << "body must take the state and one slice per "
                            "input: "
                         << getInputs().size() + 1 << " arguments, got "
                         << body.getNumArguments();

  // The state: V x K, static.
  auto stateType = dyn_cast<RankedTensorType>(getState().getType());
  if (!stateType || stateType.getRank() != 2 ||
      !stateType.getElementType().isF32() || !stateType.hasStaticShape())
    return emitOpError() << "body's first argument (the state) must be a "
                            "static V x K f32 matrix, got "
                         << getState().getType();
  const int64_t v = stateType.getDimSize(0), k = stateType.getDimSize(1);

  // Inputs share [B, T, H]; each slice is what one step reads of it.
  Value first = getInputs().front();
  ArrayRef<int64_t> bth = shapeOf(first).take_front(3);
  for (auto [i, input] : llvm::enumerate(getInputs())) {
    std::string what = "input " + std::to_string(i);
    int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
    if (rank != 3 && rank != 4)
      return emitOpError() << what
                           << " must have rank 3 ([B, T, H]) or 4 ([B, T, H, "
                              "D]), got "
                           << shapeString(shapeOf(input));
    if (failed(checkStaticDim(*this, input, what, 2, "H")) ||
        failed(checkLeadingDims(*this, input, what, bth, "[B, T, H]")) ||
        (rank == 4 && failed(checkStaticDim(*this, input, what, 3, "D"))))
      return failure();
    Type want = Float32Type::get(getContext());
    if (rank == 4)
      want = RankedTensorType::get({shapeOf(input)[3]}, want);
    Type got = getSlice(i).getType();
    if (got != want)
      return emitOpError() << "body argument " << i + 1 << " (the slice of "
                           << what << ") must be " << want << ", got " << got;
  }

  if (failed(checkOutputAndStates(*this, bth, k, v, getStateLayout(),
                                  getOutput(), getInitialState(),
                                  getFinalState(), getScheduleAttr())))
    return failure();

  // Every op of the body: an allowed one, on f32 scalars, V- and K-vectors
  // and V x K matrices.
  auto allowed = [&](Type type) {
    if (type.isF32())
      return true;
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !tensor.getElementType().isF32())
      return false;
    ArrayRef<int64_t> shape = tensor.getShape();
    return (shape.size() == 1 && (shape[0] == v || shape[0] == k)) ||
           (shape.size() == 2 && shape[0] == v && shape[1] == k);
  };
  for (Operation &op : body) {
    if (!isStepBodyOp(&op))
      return op.emitOpError()
             << "is not allowed in a step body (only recurrence step ops, "
                "arith float arithmetic and the math functions tanh, exp, "
                "exp2, expm1, log, log2, log1p, sqrt, rsqrt, erf, absf, sin, "
                "cos and powf are)";
    for (Type type : llvm::concat<Type>(TypeRange(op.getOperandTypes()),
                                        TypeRange(op.getResultTypes())))
      if (!allowed(type))
        return op.emitOpError()
               << "in a step body must work on f32 scalars, vectors of V = "
               << v << " or K = " << k << " entries, or " << v << "x" << k
               << " matrices, got " << typeString(type);
  }

  // (The yielded state is a V x K matrix, as every matrix of the body.)
  auto yield = cast<YieldOp>(body.getTerminator());
  if (shapeOf(yield.getOutput()) != ArrayRef<int64_t>{v})
    return yield.emitOpError()
           << "must yield the output as a V-vector of " << v << " entries, got "
           << yield.getOutput().getType();

  return success();
}

//===----------------------------------------------------------------------===//
// Step-level ops
//===----------------------------------------------------------------------===//

LogicalResult MatvecOp::verify() {
  ArrayRef<int64_t> m = shapeOf(getMatrix());
  int64_t in = getTranspose() ? m[0] : m[1], out = getTranspose() ? m[1] : m[0];
  if (shapeOf(getVector()) != ArrayRef<int64_t>{in} ||
      shapeOf(getResult()) != ArrayRef<int64_t>{out})
    return emitOpError() << (getTranspose() ? "transposed " : "") << "product "
                         << "of a " << m[0] << "x" << m[1] << " matrix takes "
                         << in << " entries and gives " << out << ", got "
                         << getVector().getType() << " -> "
                         << getResult().getType();
  return success();
}

LogicalResult OuterOp::verify() {
  SmallVector<int64_t> want = {shapeOf(getLhs())[0], shapeOf(getRhs())[0]};
  if (shapeOf(getResult()) != ArrayRef<int64_t>(want))
    return emitOpError() << "result must be " << want[0] << "x" << want[1]
                         << ", got " << getResult().getType();
  return success();
}

LogicalResult BroadcastOp::verify() {
  ArrayRef<int64_t> r = shapeOf(getResult());
  int64_t dim = getDim();
  if (dim != 0 && dim != 1)
    return emitOpError() << "dim must be 0 (repeat as rows) or 1 (as "
                            "columns), got "
                         << dim;
  int64_t n = shapeOf(getInput())[0];
  if (r[1 - dim] != n)
    return emitOpError() << "repeats " << n << " entries along dim " << dim
                         << " but the result is " << r[0] << "x" << r[1];
  return success();
}
