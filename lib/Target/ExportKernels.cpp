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
/// The longest file name (one path component) common file systems take.
constexpr size_t kMaxFileName = 255;

// Errors are emitted at locations, not on ops: an op's diagnostic would
// print the whole op (a module or a binary with its PTX) as a note.

LogicalResult writeFile(Location loc, StringRef path, StringRef contents) {
  std::error_code ec;
  llvm::ToolOutputFile file(path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return emitError(loc) << "cannot write " << path << ": " << ec.message();
  file.os() << contents;
  file.os().flush();
  if (file.os().has_error())
    return emitError(loc) << "cannot write " << path << ": "
                          << file.os().error().message();
  file.keep();
  return success();
}

struct ExportKernelsPass : prism::impl::ExportKernelsBase<ExportKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    Location moduleLoc = module.getLoc();
    if (outputDir.empty()) {
      emitError(moduleLoc)
          << "prism-export-kernels needs output-dir=DIR, the folder for "
             "<function>.ptx and <function>.manifest.json (with "
             "prism-gpu-pipeline: --prism-gpu-pipeline=\"output-dir=DIR\")";
      return signalPassFailure();
    }
    auto manifests = module->getAttrOfType<DictionaryAttr>("prism.manifests");
    if (!manifests) {
      emitError(moduleLoc) << "no prism.manifests: run prism-collect-launches "
                              "first";
      return signalPassFailure();
    }
    if (std::error_code ec = llvm::sys::fs::create_directories(outputDir)) {
      emitError(moduleLoc) << "cannot create output-dir " << outputDir << ": "
                           << ec.message();
      return signalPassFailure();
    }
    SmallVector<NamedAttribute> exported;
    for (NamedAttribute entry : manifests) {
      StringRef function = entry.getName().getValue();
      std::string binaryName = (function + "_kernels").str();
      auto binary = module.lookupSymbol<gpu::BinaryOp>(binaryName);
      if (!binary) {
        emitError(moduleLoc) << "no gpu.binary @" << binaryName << " for "
                             << function << ": run gpu-module-to-binary first";
        return signalPassFailure();
      }
      Location loc = binary.getLoc();
      StringRef ptx;
      for (Attribute attr : binary.getObjects()) {
        auto object = cast<gpu::ObjectAttr>(attr);
        if (object.getFormat() == gpu::CompilationTarget::Assembly)
          ptx = object.getObject().getValue();
      }
      if (ptx.empty()) {
        emitError(loc) << "gpu.binary @" << binaryName
                       << " holds no PTX: compile with format=isa";
        return signalPassFailure();
      }
      // The name becomes a file name inside output-dir, nowhere else.
      if (function.empty() || function.starts_with(".") ||
          function.find_first_of("/\\") != StringRef::npos ||
          function.find('\0') != StringRef::npos) {
        emitError(loc) << "the program's name '" << function
                       << "' cannot be a file name in output-dir (it may not "
                          "start with '.' or hold '/' or '\\'): rename the "
                          "function";
        return signalPassFailure();
      }
      std::string longest = (function + ".manifest.json").str();
      if (longest.size() > kMaxFileName) {
        emitError(loc) << "the program's name is " << function.size()
                       << " characters long: its file "
                       << function.take_front(16)
                       << "....manifest.json would have a name of "
                       << longest.size() << " characters, more than the "
                       << kMaxFileName
                       << " a file system allows; give the function a shorter "
                          "name";
        return signalPassFailure();
      }
      SmallString<256> ptxPath(outputDir), manifestPath(outputDir);
      llvm::sys::path::append(ptxPath, function + ".ptx");
      llvm::sys::path::append(manifestPath, function + ".manifest.json");
      if (failed(writeFile(loc, ptxPath, ptx)) ||
          failed(writeFile(loc, manifestPath,
                           cast<StringAttr>(entry.getValue()).getValue())))
        return signalPassFailure();
      Builder b(module.getContext());
      exported.push_back(b.getNamedAttr(
          function,
          b.getDictionaryAttr(
              {b.getNamedAttr("ptx", b.getStringAttr(ptxPath)),
               b.getNamedAttr("manifest", b.getStringAttr(manifestPath))})));
      binary.erase();
    }
    // What remains says where everything went; the PTX is in the files.
    module->removeAttr("prism.manifests");
    module->setAttr("prism.exported",
                    DictionaryAttr::get(module.getContext(), exported));
  }
};
} // namespace
