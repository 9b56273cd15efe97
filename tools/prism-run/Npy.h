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
#include <vector>

namespace prism {
/// What a .npy header says.
struct NpyHeader {
  std::string descr;          ///< NumPy's type code, e.g. "<f4".
  std::vector<int64_t> shape; ///< In C order.
};
/// Reads the header of `path` (the data is not read).
bool readNpyHeader(const std::string &path, NpyHeader &header,
                   std::string &error);
/// NumPy's spelling of a shape: "(2, 77, 4, 64)".
std::string npyShapeText(const std::vector<int64_t> &shape);
/// Reads `path` into `buffer`, whose dtype and shape must match the file's.
bool readNpy(const std::string &path, ref::HostBuffer &buffer,
             std::string &error);
/// Writes `buffer` to `path` (bf16 is written as float32, which NumPy has).
bool writeNpy(const std::string &path, const ref::HostBuffer &buffer,
              std::string &error);
} // namespace prism

#endif // PRISM_TOOLS_PRISMRUN_NPY_H
