//===- prism-opt.cpp - The prism driver -----------------------------------===//
//
// mlir-opt with the recurrence dialect, prism's passes and named pipelines.
//
//===----------------------------------------------------------------------===//

#include "prism/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  prism::registerAllPasses();
  prism::registerAllPipelines();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  prism::registerAllDialects(registry);
  // gpu-module-to-binary translates kernels to LLVM IR inside the pipeline.
  mlir::registerAllToLLVMIRTranslations(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv,
                        "prism optimizer driver: the recurrence dialect, its "
                        "schedules and lowerings to PTX and host code\n",
                        registry));
}
