//===- HostJIT.h - Host code for a chosen CPU: JIT and objects --*- C++ -*-===//
//
// The CPU backend compiles its LLVM dialect host code for a CPU the user
// names (default: this machine's), so that what runs here can be checked
// against what a machine without this one's features would run: prism-run's
// --mcpu/--mattr choose it, --emit-object writes the object that the JIT
// would run.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_TARGET_CPU_HOSTJIT_H
#define PRISM_TARGET_CPU_HOSTJIT_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>

namespace prism {
namespace cpu {

/// The CPU to compile host code for.
struct HostTarget {
  /// An LLVM CPU name of this machine's architecture ("x86-64",
  /// "x86-64-v3", "znver3", ...), or "host" for this machine's own CPU and
  /// features.
  std::string cpu = "host";
  /// LLVM features added to (or, with '-', removed from) the CPU's:
  /// "+avx2,-avx512f".
  std::string features;
};

/// Every dialect a specification and its CPU lowering use (MLIR's, prism's)
/// plus the translations to LLVM IR that the JIT and object emission need.
void registerHostDialects(mlir::DialectRegistry &registry);

/// The architecture's baseline CPU, which every machine of it runs
/// ("x86-64" on x86-64, "generic" elsewhere).
std::string baselineCPU();

/// Checks that `target` names a CPU and features of this machine's
/// architecture; the error says which name is unknown.
llvm::Error checkTarget(const HostTarget &target);

/// A target machine for `target` at `optLevel`; an error names an unknown
/// CPU or feature.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const HostTarget &target, unsigned optLevel = 2);

/// A JIT of `module` (LLVM dialect) compiled for `target`, with LLVM's O2
/// pipeline. With `keepObject`, the engine keeps the object it compiles, for
/// ExecutionEngine::dumpToObjectFile once it has run.
llvm::Expected<std::unique_ptr<mlir::ExecutionEngine>>
createEngine(mlir::ModuleOp module, const HostTarget &target,
             bool keepObject = false);

/// Writes the relocatable object of `module` that the JIT of
/// createEngine(module, target) would link.
llvm::Error emitObject(mlir::ModuleOp module, const HostTarget &target,
                       llvm::StringRef path);

} // namespace cpu
} // namespace prism

#endif // PRISM_TARGET_CPU_HOSTJIT_H
