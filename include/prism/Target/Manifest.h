//===- Manifest.h - Manifests of lowered programs ---------------*- C++ -*-===//
//
// The manifest (docs/manifest.md) is the contract between the compiler and
// the runtime. It is written here, in one place for both backends, from what
// a lowering leaves on its program: #recurrence.buffer on every argument and
// #recurrence.program on the function. The GPU backend adds its kernels
// (prism-collect-launches); the CPU backend has none (prism-run).
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_TARGET_MANIFEST_H
#define PRISM_TARGET_MANIFEST_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/JSON.h"

#include <string>

namespace prism {

/// Whether `func` is a lowered program, i.e. carries `recurrence.program`.
bool isLoweredProgram(mlir::func::FuncOp func);

/// The manifest of `program` (format version 1) as far as its attributes
/// tell: `version`, `function`, `backend`, `symbols`, `buffers` and
/// `recurrence`; the caller adds `kernels` (and, on the GPU, `module`).
/// Fails with a diagnostic at `program` when it is not a lowered program.
mlir::FailureOr<llvm::json::Object> buildManifest(mlir::func::FuncOp program,
                                                  llvm::StringRef backend);

/// `manifest` as the text of a manifest file: one line of JSON, keys sorted.
std::string printManifest(llvm::json::Object manifest);

} // namespace prism

#endif // PRISM_TARGET_MANIFEST_H
