//===- Version.h - prism's version and commit -------------------*- C++ -*-===//
//
// What every tool's --version prints: prism's release and the commit it was
// built from (`git describe --dirty`, "unknown" outside a git checkout).
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_SUPPORT_VERSION_H
#define PRISM_SUPPORT_VERSION_H

#include <string>

namespace prism {

/// The release, e.g. "0.1.0".
const char *version();
/// The commit, e.g. "60148f4a1b2c" or "60148f4a1b2c-dirty".
const char *commit();
/// "<tool> (prism <version>, commit <commit>)".
std::string versionLine(const char *tool);

} // namespace prism

#endif // PRISM_SUPPORT_VERSION_H
