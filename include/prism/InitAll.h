//===- InitAll.h - Register prism's dialects, passes, pipelines -*- C++ -*-===//

#ifndef PRISM_INITALL_H
#define PRISM_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace prism {
/// The recurrence dialect plus the dialects and interfaces the lowerings need.
void registerAllDialects(mlir::DialectRegistry &registry);
void registerAllPasses();
/// prism-cpu-pipeline, prism-tile-cpu-mapping and prism-gpu-pipeline.
void registerAllPipelines();
} // namespace prism

#endif // PRISM_INITALL_H
