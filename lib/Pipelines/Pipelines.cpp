//===- Pipelines.cpp - Named end-to-end pipelines -------------------------===//
//
// prism-cpu-pipeline: specification -> loop nests -> LLVM dialect (JIT).
// prism-tile-cpu-mapping: tile kernels over buffers -> loop nests over
//                         buffers (scf, memref, arith, math, func).
// prism-gpu-pipeline: specification -> loop nests -> GPU launches -> kernels
//                     in NVVM -> PTX for sm_90a, plus a manifest per program.
//
//===----------------------------------------------------------------------===//

#include "prism/Pipelines/Pipelines.h"
#include "prism/Passes.h"
#include "prism/Target/GPU/MappingCheck.h"
#include "prism/Target/GPUTarget.h"

#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir;

namespace {
/// Appends a textual pipeline (a nested list of upstream passes) to `pm`.
void addText(OpPassManager &pm, StringRef text) {
  if (failed(parsePassPipeline(text, pm, llvm::errs())))
    llvm::report_fatal_error(llvm::Twine("prism: bad built-in pipeline: ") +
                             text);
}

/// Shared memory is far smaller than 4 GiB: 32-bit shared-space pointers
/// (NVPTX's `nvptx-short-ptr`) halve the address arithmetic of every
/// shared-memory access of the chunked kernels.
void useShortSharedPointers() {
  auto &options = llvm::cl::getRegisteredOptions();
  auto it = options.find("nvptx-short-ptr");
  if (it != options.end())
    static_cast<llvm::cl::opt<bool> *>(it->second)->setValue(true);
}
/// Adds stages to a pass manager; with `cleanup`, canonicalize and cse
/// follow each one (no stage may depend on the exact form of its input).
struct Stages {
  OpPassManager &pm;
  bool cleanup;
  void add(std::unique_ptr<Pass> pass) {
    pm.addPass(std::move(pass));
    tidy();
  }
  void add(StringRef text) {
    addText(pm, text);
    tidy();
  }
  void tidy() {
    if (cleanup)
      addText(pm, "canonicalize,cse");
  }
};
} // namespace

void prism::buildScheduleLoweringPipeline(OpPassManager &pm, StringRef target,
                                          StringRef chip, bool cleanup) {
  Stages stages{pm, cleanup};
  // Step bodies that are S A_t + B_t with a structured family become scans.
  stages.add(createClassifySteps());
  // Make the schedule of every scan explicit, within the chip's limits.
  // The CPU applies the schedules at the tile level: it takes the
  // parameters the GPU's tile mapping accepts, so that both backends run
  // the same schedule.
  SelectScheduleOptions select;
  select.chip = chip.str();
  select.mapping = target == "cpu" ? "tile" : "loops";
  stages.add(createSelectSchedule(select));
  // On the CPU, every schedule is applied at the tile level: one kernel of
  // tiles per convolution and per phase of the schedule (the GPU's loop-nest
  // path, mapping=loops, lowers the scans below instead, and sends the
  // state-dependent steps, which only the tile level lowers, to it).
  if (target == "cpu") {
    stages.add(createConvertRecurrenceToTile());
  } else {
    ConvertRecurrenceToTileOptions steps;
    steps.onlySteps = true;
    stages.add(createConvertRecurrenceToTile(steps));
  }
  // Apply it: tensors to buffers, one scf.parallel nest per kernel. No
  // canonicalization here on the GPU's loop-nest path: it may rebuild the
  // nests without their `prism.loop_roles`.
  ConvertRecurrenceToSCFOptions options;
  options.target = target.str();
  options.chip = chip.str();
  stages.add(createConvertRecurrenceToSCF(options));
}

void prism::buildCPUCodegenPipeline(OpPassManager &pm, bool cleanup) {
  // Tile kernels to loops over buffers (nothing to do for loop nests).
  buildTileCPUMappingPipeline(pm, cleanup);
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Parallel nests become sequential loops; bf16 and f16 conversions become
  // integer arithmetic (the code runs on any x86-64, with or without native
  // 16-bit conversions, and calls no runtime routine for them); erf comes
  // from libm, rsqrt (which libm lacks) becomes 1 / sqrt.
  addText(pm, "convert-scf-to-cf,"
              "arith-expand{include-bf16=true},"
              "prism-host-expand-f16,"
              "math-expand-ops{ops=rsqrt},"
              "convert-math-to-libm,"
              "convert-vector-to-llvm,"
              "convert-math-to-llvm,"
              "expand-strided-metadata,"
              "lower-affine,"
              "finalize-memref-to-llvm,"
              "convert-arith-to-llvm,"
              "convert-cf-to-llvm,"
              "convert-func-to-llvm,"
              "reconcile-unrealized-casts,"
              // 16-bit floats are held as i16 (see the pass).
              "prism-host-integer-storage");
}

void prism::buildCPUPipeline(OpPassManager &pm) {
  buildScheduleLoweringPipeline(pm, "cpu", defaultGPUTarget().chip);
  buildCPUCodegenPipeline(pm);
}

void prism::buildTileCPUMappingPipeline(OpPassManager &pm, bool cleanup) {
  Stages stages{pm, cleanup};
  // Kernels to loop nests over their grids; every other tile op to the
  // upstream op on tensors that computes it.
  stages.add(createConvertTileToLoops());
  // Elementwise arith and math on tiles to linalg.generic, which writes into
  // an operand's buffer where that operand is dead.
  stages.add("convert-elementwise-to-linalg");
  // Tiles to buffers. A chunk loop may yield a tile allocated in each
  // iteration (a splat, a product without accumulator); that is allowed here
  // because the deallocation below frees the one it replaces.
  stages.add("one-shot-bufferize{allow-return-allocs-from-loops=true}");
  // Free every buffer where it dies: a loop of T / 64 chunks allocates and
  // frees its tiles in each iteration instead of growing with T. (Heap
  // buffers, not stack ones: an alloca in a loop would grow the stack.)
  bufferization::buildBufferDeallocationPipeline(pm);
  // linalg on buffers to scf.for nests of loads and stores.
  addText(pm, "convert-linalg-to-loops,canonicalize,cse");
}

void prism::buildGPUPipeline(OpPassManager &pm,
                             const GPUPipelineOptions &options) {
  // Without a folder for its files the pipeline would compile for nothing:
  // the export pass alone reports the missing option, at once.
  if (options.outputDir.empty()) {
    pm.addPass(createExportKernels());
    return;
  }
  Stages stages{pm, options.mapping == "tile" && options.cleanupBetweenStages};
  if (options.mapping == "tile") {
    // Schedules as tile programs, then the GPU target mapping: layouts,
    // shared memory and barriers, then launches of per-thread code.
    stages.add(createClassifySteps());
    SelectScheduleOptions select;
    select.chip = options.chip.getValue();
    select.mapping = "tile";
    stages.add(createSelectSchedule(select));
    stages.add(createConvertRecurrenceToTile());
    addText(pm, "canonicalize,cse");
    forEachTileGPUMappingPass(options.chip, [&](std::unique_ptr<Pass> pass) {
      stages.add(std::move(pass));
    });
    ConvertTileToGPUOptions lower;
    lower.chip = options.chip.getValue();
    stages.add(createConvertTileToGPU(lower));
  } else {
    buildScheduleLoweringPipeline(pm, "gpu", options.chip);
    // The state-dependent steps' tile programs through the tile mapping
    // (nothing else is a tile program here).
    forEachTileGPUMappingPass(options.chip, [&](std::unique_ptr<Pass> pass) {
      pm.addPass(std::move(pass));
    });
    ConvertTileToGPUOptions lower;
    lower.chip = options.chip.getValue();
    pm.addPass(createConvertTileToGPU(lower));
    // Target mapping: programs to blocks, lanes to threads, then launches.
    addText(pm, "func.func(prism-map-parallel-loops-to-gpu,"
                "convert-parallel-loops-to-gpu)");
  }
  // Chunked schedules: their scratch becomes the launch's shared memory.
  stages.add(createAttachSharedScratch());
  // Constants and index computations that a cleanup hoisted out of a launch
  // go back into it before outlining, instead of becoming kernel operands
  // the manifest cannot describe.
  addText(pm, "gpu-launch-sink-index-computations,gpu-kernel-outlining,"
              "canonicalize,cse");
  // Host loops of launches (the tree's rounds) become lists of launches.
  pm.addPass(createUnrollHostLoops());
  addText(pm, "canonicalize,cse");
  // The host side becomes the manifest; only kernels remain.
  // The tile mapping keeps whole tiles in registers: an occupancy hint that
  // left fewer than 168 registers a thread made ptxas spill them (the
  // loop-nest kernels were tuned with 128).
  CollectLaunchesOptions collect;
  collect.minRegisters = options.minRegisters > 0    ? options.minRegisters
                         : options.mapping == "tile" ? 168
                                                     : 128;
  collect.chip = options.chip.getValue();
  stages.add(createCollectLaunches(collect));
  // Kernels to NVVM for the chosen chip.
  std::string toolkit = options.toolkit;
  if (toolkit.empty()) {
    const char *home = std::getenv("CUDA_HOME");
    toolkit = home && *home ? home : "/usr/local/cuda";
  }
  useShortSharedPointers();
  addText(pm, "nvvm-attach-target{chip=" + options.chip.getValue() +
                  " features=" + options.features.getValue() +
                  " O=" + std::to_string(options.optLevel) + "}");
  addText(pm, "gpu.module(lower-affine,convert-scf-to-cf,"
              "convert-nvgpu-to-nvvm,convert-gpu-to-nvvm{index-bitwidth=64},"
              "canonicalize,cse,reconcile-unrealized-casts)");
  // NVVM to PTX (libdevice linked from the toolkit), then to files.
  addText(pm, "gpu-module-to-binary{format=isa toolkit=" + toolkit + "}");
  ExportKernelsOptions exportOptions;
  exportOptions.outputDir = options.outputDir;
  pm.addPass(createExportKernels(exportOptions));
}

void prism::registerPipelines() {
  PassPipelineRegistration<>(
      "prism-cpu-pipeline",
      "Lower recurrence specifications to LLVM dialect host code (CPU "
      "backend)",
      [](OpPassManager &pm) { buildCPUPipeline(pm); });
  PassPipelineRegistration<>(
      "prism-tile-cpu-mapping",
      "Map tile kernels over buffers onto the CPU: loop nests over buffers "
      "(then prism's CPU codegen takes them to the LLVM dialect)",
      [](OpPassManager &pm) { buildTileCPUMappingPipeline(pm); });
  PassPipelineRegistration<GPUPipelineOptions>(
      "prism-gpu-pipeline",
      "Lower recurrence specifications to PTX kernels and manifests",
      [](OpPassManager &pm, const GPUPipelineOptions &options) {
        buildGPUPipeline(pm, options);
      });
}
