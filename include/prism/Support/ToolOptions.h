//===- ToolOptions.h - What prism's LLVM-based tools share ------*- C++ -*-===//

#ifndef PRISM_SUPPORT_TOOLOPTIONS_H
#define PRISM_SUPPORT_TOOLOPTIONS_H

namespace prism {

/// Makes --version print "<tool> (prism <version>, commit <commit>)" and the
/// LLVM/MLIR release the tool was built with.
void setVersionPrinter(const char *tool);

/// A diagnostic on an op no longer prints the whole op (for a pass on the
/// module: the whole module, with its PTX) as a note by default;
/// --mlir-print-op-on-diagnostic brings it back. Call after
/// registerMLIRContextCLOptions and before parsing the command line.
void quietOpDiagnosticsByDefault();

} // namespace prism

#endif // PRISM_SUPPORT_TOOLOPTIONS_H
