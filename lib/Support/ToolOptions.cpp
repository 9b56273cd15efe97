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
