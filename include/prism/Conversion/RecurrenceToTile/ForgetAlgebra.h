//===- ForgetAlgebra.h - The forget families' chunk algebra -----*- C++ -*-===//
//
// The ForgetAlgebra op interface (ForgetAlgebra.td) and the registration of
// its implementations on the recurrence dialect's forget ops.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_CONVERSION_RECURRENCETOTILE_FORGETALGEBRA_H
#define PRISM_CONVERSION_RECURRENCETOTILE_FORGETALGEBRA_H

#include "prism/Conversion/RecurrenceToTile/TileBuilder.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/OpDefinition.h"

#include "prism/Conversion/RecurrenceToTile/ForgetAlgebra.h.inc"

namespace prism {
/// Attaches ForgetAlgebra to the identity, scalar, diagonal and delta
/// forget ops.
void registerForgetAlgebraModels(mlir::DialectRegistry &registry);
} // namespace prism

#endif // PRISM_CONVERSION_RECURRENCETOTILE_FORGETALGEBRA_H
