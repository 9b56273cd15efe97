//===- ClassifySteps.cpp - Report Definition 3.1 per step body ------------===//
//
// The decision of prism/Analysis/StepForm.h made visible: a remark per
// recurrence.step, and an error where a parallel schedule was asked of a
// body that only a sequential walk evaluates correctly.
//
//===----------------------------------------------------------------------===//

#include "prism/Analysis/StepForm.h"
#include "prism/Analysis/StepStructure.h"
#include "prism/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"

namespace prism {
#define GEN_PASS_DEF_CLASSIFYSTEPS
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;

namespace {
/// The structured ops of `structure` in place of `step`.
void rewrite(StepOp step, const StepStructure &structure) {
  OpBuilder b(step);
  Location loc = step.getLoc();
  auto input = [&](unsigned i) { return step.getInputs()[i]; };
  Value forget;
  Type forgetType = ForgetType::get(b.getContext(), structure.family);
  switch (structure.family) {
  case ForgetFamily::identity:
    forget = IdentityForgetOp::create(b, loc, forgetType);
    break;
  case ForgetFamily::scalar:
    forget =
        ScalarForgetOp::create(b, loc, forgetType, input(*structure.logDecay));
    break;
  case ForgetFamily::diagonal:
    forget = DiagonalForgetOp::create(b, loc, forgetType,
                                      input(*structure.logDecay));
    break;
  case ForgetFamily::delta:
    forget = DeltaForgetOp::create(
        b, loc, forgetType, input(structure.eraseKey),
        input(structure.strength),
        structure.logDecay ? input(*structure.logDecay) : Value(),
        /*normalize=*/UnitAttr(), b.getF64FloatAttr(1.0));
    break;
  }
  SmallVector<Value> keys, values, gates;
  for (const StepSlot &slot : structure.slots) {
    keys.push_back(input(slot.key));
    values.push_back(input(slot.value));
    if (slot.gate)
      gates.push_back(input(*slot.gate));
  }
  if (const std::optional<StepRefine> &r = structure.refine) {
    // The deltas, f32 sequences shaped like the value.
    auto valueType = cast<RankedTensorType>(input(r->value).getType());
    SmallVector<Type> deltaTypes(
        r->gains.size(),
        RankedTensorType::get(valueType.getShape(), b.getF32Type()));
    SmallVector<Value> gains;
    for (unsigned gain : r->gains)
      gains.push_back(input(gain));
    auto refine = RefineOp::create(
        b, loc, deltaTypes, ActivationAttr::get(b.getContext(), r->activation),
        input(r->anchor), input(r->value), gains);
    values.assign(refine.getDeltas().begin(), refine.getDeltas().end());
  }
  auto injection = InjectionType::get(b.getContext(), keys.size());
  Value inject = InjectOp::create(b, loc, injection, keys, values, gates);
  Type finalType =
      step.getFinalState() ? step.getFinalState().getType() : Type();
  auto scan =
      ScanOp::create(b, loc, step.getOutput().getType(), finalType, forget,
                     inject, input(structure.query), step.getInitialState(),
                     b.getF64FloatAttr(structure.scale), step.getScheduleAttr(),
                     step.getStateLayoutAttr());
  step.replaceAllUsesWith(scan.getResults());
  step.erase();
}

const char *familyName(ForgetFamily family) {
  switch (family) {
  case ForgetFamily::identity:
    return "no forget";
  case ForgetFamily::scalar:
    return "the scalar forget";
  case ForgetFamily::diagonal:
    return "the diagonal forget";
  case ForgetFamily::delta:
    return "the delta forget";
  }
  return "";
}

struct ClassifyStepsPass : prism::impl::ClassifyStepsBase<ClassifyStepsPass> {
  using Base::Base;

  void runOnOperation() override {
    bool failed = false;
    SmallVector<StepOp> steps;
    getOperation().walk([&](StepOp step) { steps.push_back(step); });
    for (StepOp step : steps) {
      StepForm form = classifyStep(step);
      ScheduleAttr schedule = step.getScheduleAttr();
      bool parallelAsked =
          schedule && schedule.getKind() != ScheduleKind::sequential;
      auto sequentialOnly = [&](InFlightDiagnostic &diag) {
        if (parallelAsked)
          diag << "; the " << stringifyScheduleKind(schedule.getKind())
               << " schedule would be wrong, only the sequential one "
                  "applies";
        else
          diag << "; only the sequential schedule applies";
        failed |= parallelAsked;
      };
      if (!form.stateIndependent) {
        InFlightDiagnostic diag =
            parallelAsked ? step.emitError() : step.emitRemark();
        diag << "state-dependent: the next state " << form.reason
             << ", so it is not S_{t-1} A_t + B_t (Definition 3.1)";
        sequentialOnly(diag);
        if (form.culprit)
          diag.attachNote(form.culprit->getLoc()) << "here";
        continue;
      }
      std::string reason;
      std::optional<StepStructure> structure;
      if (rewriteToScan)
        structure = matchStepStructure(step, reason);
      if (structure) {
        step.emitRemark()
            << "state-independent: the next state is S_{t-1} A_t + B_t "
               "(Definition 3.1) with "
            << familyName(structure->family) << " and a rank-"
            << structure->slots.size() << " injection"
            << (structure->refine ? " whose values the refinement write path "
                                    "gives"
                                  : "")
            << "; rewritten to recurrence.scan";
        rewrite(step, *structure);
        continue;
      }
      const bool error = parallelAsked && rewriteToScan;
      InFlightDiagnostic diag = error ? step.emitError() : step.emitRemark();
      diag << "state-independent: the next state is S_{t-1} A_t + B_t with "
              "A_t and B_t free of the state (Definition 3.1)";
      if (rewriteToScan) {
        diag << ", but " << reason;
        sequentialOnly(diag);
      }
    }
    if (failed)
      signalPassFailure();
  }
};
} // namespace
