//===- ClassifySteps.cpp - Report Definition 3.1 per step body ------------===//
//
// The decision of prism/Analysis/StepForm.h made visible: a remark per
// recurrence.step, and an error where a parallel schedule was asked of a
// body that only a sequential walk evaluates correctly.
//
//===----------------------------------------------------------------------===//

#include "prism/Analysis/StepForm.h"
#include "prism/Passes.h"

#include "mlir/IR/Diagnostics.h"

namespace prism {
#define GEN_PASS_DEF_CLASSIFYSTEPS
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;
using namespace prism;
using namespace prism::recurrence;

namespace {
struct ClassifyStepsPass : prism::impl::ClassifyStepsBase<ClassifyStepsPass> {
  void runOnOperation() override {
    bool failed = false;
    getOperation().walk(
        [&](StepOp step) {
          StepForm form = classifyStep(step);
          ScheduleAttr schedule = step.getScheduleAttr();
          bool parallelAsked =
              schedule && schedule.getKind() != ScheduleKind::sequential;
          if (form.stateIndependent) {
            step.emitRemark()
                << "state-independent: the next state is S_{t-1} A_t + B_t "
                   "with A_t and B_t free of the state (Definition 3.1)";
            return;
          }
          InFlightDiagnostic diag =
              parallelAsked ? step.emitError() : step.emitRemark();
          diag << "state-dependent: the next state " << form.reason
               << ", so it is not S_{t-1} A_t + B_t (Definition 3.1)";
          if (parallelAsked)
            diag << "; the " << stringifyScheduleKind(schedule.getKind())
                 << " schedule would be wrong, only the sequential one applies";
          else
            diag << "; only the sequential schedule applies";
          if (form.culprit)
            diag.attachNote(form.culprit->getLoc()) << "here";
          failed |= parallelAsked;
        });
    if (failed)
      signalPassFailure();
  }
};
} // namespace
