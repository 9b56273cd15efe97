//===- MappingCheck.h - Whether a schedule maps onto a GPU ------*- C++ -*-===//
//
// The GPU target mapping of tile programs as a list of passes, and a check
// that runs it on a copy of one scan's function: what prism-select-schedule
// asks of a candidate schedule when programs reach the GPU through the tile
// level (the mapping's own budgets decide, not a model of them).
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_TARGET_GPU_MAPPINGCHECK_H
#define PRISM_TARGET_GPU_MAPPINGCHECK_H

#include "prism/Dialect/Recurrence/RecurrenceOps.h"

#include "mlir/Pass/Pass.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <memory>
#include <string>

namespace prism {

/// The GPU target mapping of tile programs up to their budgets, in order:
/// software pipelining, layouts, async copies, sinking of live ranges,
/// shared memory and barriers (prism-gpu-pipeline adds them, then
/// prism-convert-tile-to-gpu). `widen`: prism-tile-gpu-assign-layouts may
/// give a kernel more warps than its schedule's.
void forEachTileGPUMappingPass(
    llvm::StringRef chip,
    llvm::function_ref<void(std::unique_ptr<mlir::Pass>)> add,
    bool widen = true);

/// Whether `op` (a recurrence.scan or recurrence.step) with `schedule` maps
/// onto `chip`: its function, copied,
/// through prism-convert-recurrence-to-tile and the passes above, within
/// the chip's shared memory per block and registers per thread at the
/// schedule's warps. On failure
/// `why` (when given) gets the first diagnostic. The copy's diagnostics are
/// not reported.
mlir::LogicalResult checkTileGPUMapping(mlir::Operation *op,
                                        recurrence::ScheduleAttr schedule,
                                        llvm::StringRef chip,
                                        std::string *why = nullptr);

} // namespace prism

#endif // PRISM_TARGET_GPU_MAPPINGCHECK_H
