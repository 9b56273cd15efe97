//===- ToolOptions.h - What prism's LLVM-based tools share ------*- C++ -*-===//

#ifndef PRISM_SUPPORT_TOOLOPTIONS_H
#define PRISM_SUPPORT_TOOLOPTIONS_H

namespace prism {

/// Makes --version print "<tool> (prism <version>, commit <commit>)" and the
/// LLVM/MLIR release the tool was built with.
void setVersionPrinter(const char *tool);

} // namespace prism

#endif // PRISM_SUPPORT_TOOLOPTIONS_H
