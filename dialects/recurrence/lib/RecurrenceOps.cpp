//===- RecurrenceOps.cpp - Verifiers of the recurrence ops ----------------===//
//
// Every invariant that a lowering relies on is checked here, so that a
// malformed specification is a diagnostic at the offending op, never a crash
// or a wrong kernel later on.
//
//===----------------------------------------------------------------------===//

#include "prism/Dialect/Recurrence/RecurrenceOps.h"

#include "Shapes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/Verifier.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace prism::recurrence;
using namespace prism::recurrence::shapes;

//===----------------------------------------------------------------------===//
// Forget ops
//===----------------------------------------------------------------------===//

LogicalResult ScalarForgetOp::verify() {
  return checkRank(*this, getLogDecay(), "log_decay", 3, "[B, T, H]");
}

LogicalResult DiagonalForgetOp::verify() {
  if (failed(checkRank(*this, getLogDecay(), "log_decay", 4, "[B, T, H, K]")))
    return failure();
  return checkStaticDim(*this, getLogDecay(), "log_decay", 3, "K");
}

LogicalResult DeltaForgetOp::verify() {
  if (failed(checkRank(*this, getKey(), "key", 4, "[B, T, H, K]")) ||
      failed(checkStaticDim(*this, getKey(), "key", 3, "K")) ||
      failed(checkRank(*this, getStrength(), "strength", 3, "[B, T, H]")) ||
      failed(checkLeadingDims(*this, getStrength(), "strength",
                              shapeOf(getKey()).take_front(3), "[B, T, H]")))
    return failure();
  if (getGate() &&
      (failed(checkRank(*this, getGate(), "gate", 3, "[B, T, H]")) ||
       failed(checkLeadingDims(*this, getGate(), "gate",
                               shapeOf(getKey()).take_front(3), "[B, T, H]"))))
    return failure();
  double betaMax = getBetaMax().convertToDouble();
  if (betaMax != 1.0 && betaMax != 2.0)
    return emitOpError() << "beta_max must be 1 or 2, got " << betaMax;
  return success();
}

//===----------------------------------------------------------------------===//
// InjectOp
//===----------------------------------------------------------------------===//

LogicalResult InjectOp::verify() {
  int64_t rank = getType().getRank();
  if (getKeys().empty())
    return emitOpError() << "needs at least one key sequence";
  if (static_cast<int64_t>(getKeys().size()) != rank)
    return emitOpError() << "has " << getKeys().size()
                         << " key sequences but its result is rank " << rank;
  if (getValues().size() != getKeys().size())
    return emitOpError() << "has " << getKeys().size() << " key sequences but "
                         << getValues().size()
                         << " value sequences; L must agree";
  if (!getGates().empty() && getGates().size() != getKeys().size())
    return emitOpError() << "has " << getKeys().size() << " key sequences but "
                         << getGates().size()
                         << " gates; give one gate per rank or none";
  Value key0 = getKeys().front();
  if (failed(checkRank(*this, key0, "key 0", 4, "[B, T, H, K]")) ||
      failed(checkStaticDim(*this, key0, "key 0", 3, "K")))
    return failure();
  ArrayRef<int64_t> bth = shapeOf(key0).take_front(3);
  for (auto [l, key] : llvm::enumerate(getKeys())) {
    std::string what = "key " + std::to_string(l);
    if (failed(checkRank(*this, key, what, 4, "[B, T, H, K]")) ||
        failed(
            checkLeadingDims(*this, key, what, shapeOf(key0), "[B, T, H, K]")))
      return failure();
  }
  Value value0 = getValues().front();
  if (failed(checkRank(*this, value0, "value 0", 4, "[B, T, H, V]")) ||
      failed(checkStaticDim(*this, value0, "value 0", 3, "V")))
    return failure();
  for (auto [l, value] : llvm::enumerate(getValues())) {
    std::string what = "value " + std::to_string(l);
    if (failed(checkRank(*this, value, what, 4, "[B, T, H, V]")) ||
        failed(checkLeadingDims(*this, value, what, bth, "[B, T, H]")) ||
        failed(checkLeadingDims(*this, value, what, shapeOf(value0),
                                "[B, T, H, V]")))
      return failure();
  }
  for (auto [l, gate] : llvm::enumerate(getGates())) {
    std::string what = "gate " + std::to_string(l);
    if (failed(checkRank(*this, gate, what, 3, "[B, T, H]")) ||
        failed(checkLeadingDims(*this, gate, what, bth, "[B, T, H]")))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// RefineOp
//===----------------------------------------------------------------------===//

LogicalResult RefineOp::verify() {
  if (getGains().empty())
    return emitOpError() << "needs at least one gain (L >= 1)";
  if (getDeltas().size() != getGains().size())
    return emitOpError() << "has " << getGains().size() << " gains but "
                         << getDeltas().size() << " results; L must agree";
  if (failed(checkRank(*this, getAnchor(), "anchor", 4, "[B, T, H, V]")) ||
      failed(checkStaticDim(*this, getAnchor(), "anchor", 3, "V")))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(getAnchor());
  auto same = [&](Value v, const std::string &what) {
    return succeeded(checkRank(*this, v, what, 4, "[B, T, H, V]")) &&
           succeeded(checkLeadingDims(*this, v, what, shape, "[B, T, H, V]"));
  };
  if (!same(getValue(), "value"))
    return failure();
  for (auto [l, gain] : llvm::enumerate(getGains()))
    if (!same(gain, "gain " + std::to_string(l)))
      return failure();
  for (auto [l, delta] : llvm::enumerate(getDeltas()))
    if (!same(delta, "result " + std::to_string(l)))
      return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// ShortConvOp
//===----------------------------------------------------------------------===//

LogicalResult ShortConvOp::verify() {
  if (failed(checkRank(*this, getInput(), "input", 4, "[B, T, H, D]")) ||
      failed(checkStaticDim(*this, getInput(), "input", 2, "H")) ||
      failed(checkStaticDim(*this, getInput(), "input", 3, "D")) ||
      failed(checkRank(*this, getWeight(), "weight", 3, "[H, D, W]")))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> w = shapeOf(getWeight());
  if (ShapedType::isDynamic(w[2]) || w[2] < 1 || w[2] > 16)
    return emitOpError() << "weight window W must be static and in [1, 16], "
                            "got "
                         << shapeString(w);
  if (w[0] != in[2] || w[1] != in[3])
    return emitOpError() << "weight has shape " << shapeString(w)
                         << " but the input " << shapeString(in)
                         << " needs [H, D, W] = [" << in[2] << ", " << in[3]
                         << ", W]";
  if (getBias()) {
    if (failed(checkRank(*this, getBias(), "bias", 2, "[H, D]")) ||
        failed(checkLeadingDims(*this, getBias(), "bias", in.slice(2, 2),
                                "[H, D]")))
      return failure();
  }
  if (getCache()) {
    if (failed(checkRank(*this, getCache(), "cache", 4, "[B, W-1, H, D]")))
      return failure();
    ArrayRef<int64_t> c = shapeOf(getCache());
    if (c[0] != in[0] || c[1] != w[2] - 1 || c[2] != in[2] || c[3] != in[3])
      return emitOpError() << "cache has shape " << shapeString(c)
                           << " but must be [B, W-1, H, D] = "
                           << shapeString({in[0], w[2] - 1, in[2], in[3]});
  }
  if (shapeOf(getOutput()) != in)
    return emitOpError() << "result shape " << shapeString(shapeOf(getOutput()))
                         << " must equal the input shape " << shapeString(in);
  return success();
}

//===----------------------------------------------------------------------===//
// ScanOp
//===----------------------------------------------------------------------===//

double ScanOp::getEffectiveScale() {
  if (auto scale = getScaleAttr())
    return scale.getValueAsDouble();
  int64_t k = shapeOf(getQuery())[3];
  return 1.0 / std::sqrt(static_cast<double>(k));
}

LogicalResult ScanOp::verify() {
  Value q = getQuery();
  // H is static too: kernels are specialised per head count (grid sizes,
  // manifests); B and T stay dynamic.
  if (failed(checkRank(*this, q, "query", 4, "[B, T, H, K]")) ||
      failed(checkStaticDim(*this, q, "query", 2, "H")) ||
      failed(checkStaticDim(*this, q, "query", 3, "K")))
    return failure();
  ArrayRef<int64_t> qShape = shapeOf(q);
  ArrayRef<int64_t> bth = qShape.take_front(3);
  int64_t k = qShape[3];

  // The forget and the injection must be visible ops: the lowerings read
  // their operands to build the kernel.
  Operation *forgetDef = getForget().getDefiningOp();
  if (!forgetDef ||
      !isa<IdentityForgetOp, ScalarForgetOp, DiagonalForgetOp, DeltaForgetOp>(
          forgetDef))
    return emitOpError() << "forget operand must be produced by a "
                            "recurrence forget op";
  auto inject = getInjection().getDefiningOp<InjectOp>();
  if (!inject)
    return emitOpError() << "injection operand must be produced by "
                            "recurrence.inject";
  // The producers may come later in the block (a dominance error reported
  // elsewhere) and so be unverified yet: check them before reading them.
  if (failed(mlir::verify(forgetDef, /*verifyRecursively=*/false)) ||
      failed(mlir::verify(inject, /*verifyRecursively=*/false)))
    return emitOpError() << "has an invalid forget or injection operand";

  if (auto scalar = dyn_cast<ScalarForgetOp>(forgetDef)) {
    if (failed(checkLeadingDims(*this, scalar.getLogDecay(), "log_decay", bth,
                                "[B, T, H]")))
      return failure();
  } else if (auto diag = dyn_cast<DiagonalForgetOp>(forgetDef)) {
    if (failed(checkLeadingDims(*this, diag.getLogDecay(), "log_decay", qShape,
                                "[B, T, H, K]")))
      return failure();
  } else if (auto delta = dyn_cast<DeltaForgetOp>(forgetDef)) {
    if (failed(checkLeadingDims(*this, delta.getKey(), "delta key", qShape,
                                "[B, T, H, K]")) ||
        failed(checkLeadingDims(*this, delta.getStrength(), "delta strength",
                                bth, "[B, T, H]")))
      return failure();
  }

  for (auto [l, key] : llvm::enumerate(inject.getKeys()))
    if (failed(checkLeadingDims(*this, key, "key " + std::to_string(l), qShape,
                                "[B, T, H, K]")))
      return failure();
  Value value0 = inject.getValues().front();
  if (failed(checkLeadingDims(*this, value0, "value 0", bth, "[B, T, H]")))
    return failure();
  int64_t v = shapeOf(value0)[3];

  if (failed(checkOutputAndStates(*this, bth, k, v, getStateLayout(),
                                  getOutput(), getInitialState(),
                                  getFinalState(), getScheduleAttr())))
    return failure();

  if (auto scale = getScaleAttr()) {
    double s = scale.getValueAsDouble();
    // Kernels compute in f32: the scale must be a normal f32 value.
    if (!std::isfinite(s) || s < std::numeric_limits<float>::min() ||
        s > std::numeric_limits<float>::max())
      return emitOpError() << "scale must be a positive normal f32 value "
                              "(about 1.2e-38 to 3.4e38), got "
                           << s;
  }
  return success();
}

#define GET_OP_CLASSES
#include "prism/Dialect/Recurrence/RecurrenceOps.cpp.inc"
