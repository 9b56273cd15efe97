//===- HostJIT.cpp - Host code for a chosen CPU: JIT and objects ----------===//

#include "prism/Target/CPU/HostJIT.h"
#include "prism/InitAll.h"

#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace llvm;

void prism::cpu::registerHostDialects(mlir::DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  prism::registerAllDialects(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
}

std::string prism::cpu::baselineCPU() {
  Triple triple(sys::getProcessTriple());
  return triple.getArch() == Triple::x86_64 ? "x86-64" : "generic";
}

Error prism::cpu::checkTarget(const HostTarget &target) {
  Triple triple(sys::getProcessTriple());
  std::string message;
  const Target *llvmTarget = TargetRegistry::lookupTarget(triple, message);
  if (!llvmTarget)
    return createStringError(inconvertibleErrorCode(), message);
  std::string cpu = target.cpu == "host" ? "" : target.cpu;
  std::unique_ptr<MCSubtargetInfo> info(
      llvmTarget->createMCSubtargetInfo(triple, "", ""));
  if (!info)
    return createStringError(inconvertibleErrorCode(),
                             "no subtarget information for " + triple.str());
  if (!cpu.empty() && !info->isCPUStringValid(cpu))
    return createStringError(inconvertibleErrorCode(),
                             "unknown CPU '" + cpu + "' for " + triple.str() +
                                 " (e.g. " + prism::cpu::baselineCPU() +
                                 ", or host)");
  SmallVector<StringRef> features;
  StringRef(target.features).split(features, ',', -1, /*KeepEmpty=*/false);
  for (StringRef feature : features) {
    StringRef name = feature.ltrim("+-");
    if (feature.size() == name.size())
      return createStringError(inconvertibleErrorCode(),
                               "feature '" + feature.str() +
                                   "' needs a '+' or '-' in front");
    if (!llvm::any_of(
            info->getAllProcessorFeatures(),
            [&](const SubtargetFeatureKV &kv) { return name == kv.Key; }))
      return createStringError(inconvertibleErrorCode(),
                               "unknown feature '" + name.str() + "' for " +
                                   triple.str());
  }
  return Error::success();
}

Expected<std::unique_ptr<TargetMachine>>
prism::cpu::createTargetMachine(const HostTarget &target, unsigned optLevel) {
  if (Error error = checkTarget(target))
    return std::move(error);
  orc::JITTargetMachineBuilder builder{Triple(sys::getProcessTriple())};
  if (target.cpu == "host") {
    Expected<orc::JITTargetMachineBuilder> host =
        orc::JITTargetMachineBuilder::detectHost();
    if (!host)
      return host.takeError();
    builder = std::move(*host);
  } else {
    builder.setCPU(target.cpu);
  }
  SmallVector<StringRef> features;
  StringRef(target.features).split(features, ',', -1, /*KeepEmpty=*/false);
  for (StringRef feature : features)
    builder.getFeatures().AddFeature(feature);
  builder.setCodeGenOptLevel(optLevel >= 3   ? CodeGenOptLevel::Aggressive
                             : optLevel == 2 ? CodeGenOptLevel::Default
                             : optLevel == 1 ? CodeGenOptLevel::Less
                                             : CodeGenOptLevel::None);
  return builder.createTargetMachine();
}

Expected<std::unique_ptr<mlir::ExecutionEngine>>
prism::cpu::createEngine(mlir::ModuleOp module, const HostTarget &target,
                         bool keepObject) {
  Expected<std::unique_ptr<TargetMachine>> machine =
      createTargetMachine(target);
  if (!machine)
    return machine.takeError();
  mlir::ExecutionEngineOptions options;
  // The optimiser sees the same target (cost model, vector widths) as the
  // code generator; the engine keeps the machine alive.
  auto transformer = mlir::makeOptimizingTransformer(2, 0, machine->get());
  options.transformer = transformer;
  options.enableObjectDump = keepObject;
  return mlir::ExecutionEngine::create(module, options, std::move(*machine));
}

Error prism::cpu::emitObject(mlir::ModuleOp module, const HostTarget &target,
                             StringRef path) {
  Expected<std::unique_ptr<TargetMachine>> machine =
      createTargetMachine(target);
  if (!machine)
    return machine.takeError();
  LLVMContext context;
  std::unique_ptr<Module> llvmModule =
      mlir::translateModuleToLLVMIR(module, context);
  if (!llvmModule)
    return createStringError(inconvertibleErrorCode(),
                             "cannot translate the host code to LLVM IR");
  mlir::ExecutionEngine::setupTargetTripleAndDataLayout(llvmModule.get(),
                                                        machine->get());
  if (Error error = mlir::makeOptimizingTransformer(2, 0, machine->get())(
          llvmModule.get()))
    return error;
  std::error_code ec;
  ToolOutputFile out(path, ec, sys::fs::OF_None);
  if (ec)
    return createStringError(ec, "cannot write " + path + ": " + ec.message());
  legacy::PassManager passes;
  if ((*machine)->addPassesToEmitFile(passes, out.os(), nullptr,
                                      CodeGenFileType::ObjectFile))
    return createStringError(inconvertibleErrorCode(),
                             "the target cannot emit object files");
  passes.run(*llvmModule);
  out.keep();
  return Error::success();
}
