//===- RecurrenceOps.h - The recurrence dialect -----------------*- C++ -*-===//
//
// Dialect, enums, attributes, types and ops of the recurrence dialect.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_DIALECT_RECURRENCE_RECURRENCEOPS_H
#define PRISM_DIALECT_RECURRENCE_RECURRENCEOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "prism/Dialect/Recurrence/RecurrenceEnums.h.inc"
#include "prism/Dialect/Recurrence/RecurrenceOpsDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "prism/Dialect/Recurrence/RecurrenceAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "prism/Dialect/Recurrence/RecurrenceTypes.h.inc"

#define GET_OP_CLASSES
#include "prism/Dialect/Recurrence/RecurrenceOps.h.inc"

namespace prism {
namespace recurrence {
/// The name of a step body's op in the vocabulary of
/// prism/Runtime/StepBody.h ("matvec", "tanh", ...), or "" for an op a step
/// body may not hold.
llvm::StringRef stepOpName(mlir::Operation *op);
} // namespace recurrence
} // namespace prism

#endif // PRISM_DIALECT_RECURRENCE_RECURRENCEOPS_H
