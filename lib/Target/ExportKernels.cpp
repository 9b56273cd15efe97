//===- ExportKernels.cpp - Write PTX and manifests to files ---------------===//

#include "prism/Passes.h"

#include "mlir/Dialect/GPU/IR/CompilationInterfaces.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

namespace prism {
#define GEN_PASS_DEF_EXPORTKERNELS
#include "prism/Passes.h.inc"
} // namespace prism

using namespace mlir;

namespace {
LogicalResult writeFile(Operation *op, StringRef path, StringRef contents) {
  std::error_code ec;
  llvm::ToolOutputFile file(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return op->emitError() << "cannot write " << path << ": " << ec.message();
  file.os() << contents;
  file.keep();
  return success();
}

struct ExportKernelsPass : prism::impl::ExportKernelsBase<ExportKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto manifests = module->getAttrOfType<DictionaryAttr>("prism.manifests");
    if (!manifests) {
      module.emitError() << "no prism.manifests: run prism-collect-launches "
                            "first";
      return signalPassFailure();
    }
    if (!outputDir.empty()) {
      if (std::error_code ec = llvm::sys::fs::create_directories(outputDir)) {
        module.emitError() << "cannot create " << outputDir << ": "
                           << ec.message();
        return signalPassFailure();
      }
    }
    for (NamedAttribute entry : manifests) {
      StringRef function = entry.getName().getValue();
      std::string binaryName = (function + "_kernels").str();
      auto binary = module.lookupSymbol<gpu::BinaryOp>(binaryName);
      if (!binary) {
        module.emitError() << "no gpu.binary @" << binaryName << " for "
                           << function << ": run gpu-module-to-binary first";
        return signalPassFailure();
      }
      StringRef ptx;
      for (Attribute attr : binary.getObjects()) {
        auto object = cast<gpu::ObjectAttr>(attr);
        if (object.getFormat() == gpu::CompilationTarget::Assembly)
          ptx = object.getObject().getValue();
      }
      if (ptx.empty()) {
        binary.emitOpError() << "holds no PTX: compile with format=isa";
        return signalPassFailure();
      }
      if (outputDir.empty())
        continue;
      SmallString<256> ptxPath(outputDir), manifestPath(outputDir);
      llvm::sys::path::append(ptxPath, function + ".ptx");
      llvm::sys::path::append(manifestPath, function + ".manifest.json");
      if (failed(writeFile(binary, ptxPath, ptx)) ||
          failed(writeFile(binary, manifestPath,
                           cast<StringAttr>(entry.getValue()).getValue())))
        return signalPassFailure();
    }
  }
};
} // namespace
