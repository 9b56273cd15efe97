//===- TileOps.h - The tile dialect -----------------------------*- C++ -*-===//
//
// Dialect, enums and ops of the tile dialect.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_DIALECT_TILE_TILEOPS_H
#define PRISM_DIALECT_TILE_TILEOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "prism/Dialect/Tile/TileEnums.h.inc"
#include "prism/Dialect/Tile/TileOpsDialect.h.inc"

#define GET_OP_CLASSES
#include "prism/Dialect/Tile/TileOps.h.inc"

#endif // PRISM_DIALECT_TILE_TILEOPS_H
