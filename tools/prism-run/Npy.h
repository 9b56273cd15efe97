//===- Npy.h - Minimal .npy reader and writer -------------------*- C++ -*-===//
//
// Inputs from files and outputs to files for prism-run, in NumPy's format
// (version 1.0, little-endian, C order): what users of the Python stack can
// produce and read without any other tool.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_TOOLS_PRISMRUN_NPY_H
#define PRISM_TOOLS_PRISMRUN_NPY_H

#include "prism/Reference/Harness.h"

#include <string>

namespace prism {
/// Reads `path` into `buffer`, whose dtype and shape must match the file's.
bool readNpy(const std::string &path, ref::HostBuffer &buffer,
             std::string &error);
/// Writes `buffer` to `path` (bf16 is written as float32, which NumPy has).
bool writeNpy(const std::string &path, const ref::HostBuffer &buffer,
              std::string &error);
} // namespace prism

#endif // PRISM_TOOLS_PRISMRUN_NPY_H
