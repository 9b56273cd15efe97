//===- Version.cpp - prism's version and commit ---------------------------===//

#include "prism/Support/Version.h"

#include "PrismVersion.inc"

const char *prism::version() { return PRISM_VERSION; }

const char *prism::commit() { return PRISM_COMMIT; }

std::string prism::versionLine(const char *tool) {
  return std::string(tool) + " (prism " + version() + ", commit " + commit() +
         ")";
}
