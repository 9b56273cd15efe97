//===- TileToLoops.h - The CPU mapping of the tile dialect ------*- C++ -*-===//
//
// The patterns of prism-convert-tile-to-loops, for a pass or pipeline that
// maps tile programs onto the CPU together with other rewrites.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_TARGET_CPU_TILETOLOOPS_H
#define PRISM_TARGET_CPU_TILETOLOOPS_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace prism {
/// Every tile op to upstream ops on tensors and buffers; tile.kernel to an
/// scf.for nest over its grid (see prism-convert-tile-to-loops).
void populateTileToLoopsPatterns(mlir::RewritePatternSet &patterns);
} // namespace prism

#endif // PRISM_TARGET_CPU_TILETOLOOPS_H
