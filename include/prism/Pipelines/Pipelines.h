//===- Pipelines.h - Named end-to-end pipelines -----------------*- C++ -*-===//

#ifndef PRISM_PIPELINES_PIPELINES_H
#define PRISM_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace prism {

struct GPUPipelineOptions
    : public mlir::PassPipelineOptions<GPUPipelineOptions> {
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("GPU architecture: sm_80, sm_90 or sm_90a (its limits "
                     "bound the schedules, see prism/Target/GPUTarget.h)"),
      llvm::cl::init("sm_90a")};
  Option<std::string> features{*this, "features",
                               llvm::cl::desc("PTX features (ISA version)"),
                               llvm::cl::init("+ptx80")};
  Option<int> optLevel{*this, "opt-level",
                       llvm::cl::desc("LLVM optimisation level of kernels"),
                       llvm::cl::init(3)};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit (for libdevice); default $CUDA_HOME or "
                     "/usr/local/cuda"),
      llvm::cl::init("")};
  Option<std::string> mapping{
      *this, "mapping",
      llvm::cl::desc("How schedules reach the GPU: 'loops' (loop nests from "
                     "prism-convert-recurrence-to-scf) or 'tile' (tile "
                     "programs through the tilegpu target mapping)"),
      llvm::cl::init("loops")};
  Option<bool> cleanupBetweenStages{
      *this, "cleanup-between-stages",
      llvm::cl::desc("Run canonicalize and cse after every stage of the tile "
                     "mapping (a test that no stage depends on the exact form "
                     "the previous one printed)"),
      llvm::cl::init(false)};
  Option<int> minRegisters{
      *this, "min-registers",
      llvm::cl::desc("Registers a thread keeps at least when the launch "
                     "bounds ask for more blocks per SM (0: the mapping's "
                     "default, 168 for 'tile', 128 for 'loops')"),
      llvm::cl::init(0)};
  Option<std::string> outputDir{
      *this, "output-dir",
      llvm::cl::desc("Where to write <function>.ptx and .manifest.json"),
      llvm::cl::init("")};
};

/// Recurrence specifications to loop nests over buffers (both backends).
/// `target` is "cpu" or "gpu" (see prism-convert-recurrence-to-scf); `chip`
/// the GPU whose limits the schedules respect (prism/Target/GPUTarget.h).
/// With `cleanup`, canonicalize and cse run after every stage.
void buildScheduleLoweringPipeline(mlir::OpPassManager &pm,
                                   llvm::StringRef target,
                                   llvm::StringRef chip = "sm_90a",
                                   bool cleanup = false);
/// Tile programs and loop nests to LLVM dialect host code, runnable by the
/// JIT (prism-run); it starts with buildTileCPUMappingPipeline.
void buildCPUCodegenPipeline(mlir::OpPassManager &pm, bool cleanup = false);
/// Both of the above.
void buildCPUPipeline(mlir::OpPassManager &pm);
/// The CPU target mapping of tile programs: functions whose tile kernels
/// work on memrefs to plain scf/memref/arith/math/func, every kernel a loop
/// nest and every tile a buffer freed where it dies (the first stage of
/// buildCPUCodegenPipeline, which takes them on to the LLVM dialect).
void buildTileCPUMappingPipeline(mlir::OpPassManager &pm, bool cleanup = false);
/// Specifications to PTX for sm_90a plus manifests.
void buildGPUPipeline(mlir::OpPassManager &pm,
                      const GPUPipelineOptions &options);

void registerPipelines();

} // namespace prism

#endif // PRISM_PIPELINES_PIPELINES_H
