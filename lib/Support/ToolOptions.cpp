//===- ToolOptions.cpp - What prism's LLVM-based tools share --------------===//

#include "prism/Support/ToolOptions.h"
#include "prism/Support/Version.h"

#include "llvm/Config/llvm-config.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

void prism::setVersionPrinter(const char *tool) {
  static const char *name = tool;
  llvm::cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << versionLine(name) << "\n  built with LLVM/MLIR "
       << LLVM_VERSION_STRING << "\n";
  });
}

void prism::quietOpDiagnosticsByDefault() {
  auto &options = llvm::cl::getRegisteredOptions();
  auto it = options.find("mlir-print-op-on-diagnostic");
  if (it != options.end())
    static_cast<llvm::cl::opt<bool> *>(it->second)->setInitialValue(false);
}
