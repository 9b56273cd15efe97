//===- InitAll.cpp - Register prism's dialects, passes, pipelines ---------===//

#include "prism/InitAll.h"
#include "prism/Conversion/RecurrenceToTile/ForgetAlgebra.h"
#include "prism/Dialect/Tile/TileOps.h"
#include "prism/Dialect/TileGPU/TileGPUOps.h"
#include "prism/Passes.h"
#include "prism/Pipelines/Pipelines.h"

#include "mlir/IR/DialectRegistry.h"

void prism::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<recurrence::RecurrenceDialect, tile::TileDialect,
                  tilegpu::TileGPUDialect>();
  registerForgetAlgebraModels(registry);
}

void prism::registerAllPasses() { registerPrismPasses(); }

void prism::registerAllPipelines() { registerPipelines(); }
