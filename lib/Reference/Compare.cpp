//===- Compare.cpp - Device outputs against the float64 oracle ------------===//
//
// The tolerances of prism-math.md section 7 and the comparison of a case's
// outputs with the oracle's, and what the GPU tools share of their command
// lines (repeated --bind sets, manifest paths).
//
//===----------------------------------------------------------------------===//

#include "prism/Reference/Harness.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

using namespace prism;
using namespace prism::ref;
using runtime::DType;
using runtime::Manifest;
using runtime::Role;

//===----------------------------------------------------------------------===//
// Comparison
//===----------------------------------------------------------------------===//

double prism::ref::toleranceFor(DType inputType) {
  return inputType == DType::BF16 || inputType == DType::F16 ? 1e-2 : 1e-4;
}

const char *prism::ref::status(const Check &check) {
  return check.empty() ? "EMPTY" : check.pass ? "PASS" : "FAIL";
}

std::string prism::ref::describe(const Check &check) {
  if (check.empty())
    return "(empty: 0 values, nothing compared)";
  std::string text = "(" + std::to_string(check.compared) + " of " +
                     std::to_string(check.elements) + " values compared";
  if (check.nonFiniteOutputs)
    text += "; non-finite values: " + std::to_string(check.nonFiniteOutputs) +
            " outputs are NaN or Inf";
  if (check.nonFiniteReference)
    text += "; the float64 reference is NaN or Inf at " +
            std::to_string(check.nonFiniteReference) +
            " (non-finite or overflowing inputs): nothing to hold those to";
  return text + ")";
}

std::vector<Check>
prism::ref::compare(const Manifest &manifest, const Case &actual,
                    const std::vector<std::vector<double>> &expected) {
  // prism-math.md section 7 by precision: a 16-bit input anywhere (or a
  // 16-bit output, whose rounding alone is ~2e-3) gets the bf16 tolerance.
  auto narrow = [](DType t) { return t == DType::BF16 || t == DType::F16; };
  bool anyNarrowInput = false;
  for (const runtime::Buffer &buffer : manifest.buffers)
    if (buffer.role == runtime::Role::Input && narrow(buffer.dtype))
      anyNarrowInput = true;
  std::vector<Check> checks;
  for (size_t i = 0; i < manifest.buffers.size(); ++i) {
    if (manifest.buffers[i].role != Role::Output || i >= expected.size())
      continue;
    const std::vector<double> &ref = expected[i];
    bool emptyBuffer =
        i < actual.buffers.size() && actual.buffers[i].numElements() == 0;
    if (ref.empty() && !emptyBuffer)
      continue; // no reference for this output
    Check check;
    check.buffer = manifest.buffers[i].name;
    check.tolerance = toleranceFor(
        anyNarrowInput || narrow(manifest.buffers[i].dtype) ? DType::BF16
                                                            : DType::F32);
    if (i >= actual.buffers.size() ||
        actual.buffers[i].numElements() != static_cast<int64_t>(ref.size())) {
      check.elements =
          i < actual.buffers.size()
              ? std::max<int64_t>(actual.buffers[i].numElements(), 1)
              : 1;
      check.relativeError = std::numeric_limits<double>::infinity();
      checks.push_back(check);
      continue;
    }
    const HostBuffer &out = actual.buffers[i];
    check.elements = out.numElements();
    if (check.empty()) {
      check.pass = true;
      checks.push_back(check);
      continue;
    }
    double diff = 0, norm = 0;
    for (size_t e = 0; e < ref.size(); ++e) {
      double value = out.get(e);
      bool outputFinite = std::isfinite(value);
      check.nonFiniteOutputs += !outputFinite;
      if (!std::isfinite(ref[e])) {
        ++check.nonFiniteReference;
        continue;
      }
      if (!outputFinite)
        continue;
      ++check.compared;
      diff += (value - ref[e]) * (value - ref[e]);
      norm += ref[e] * ref[e];
    }
    check.finite = check.nonFiniteOutputs == 0;
    // An all-zero reference leaves only the absolute error to judge.
    check.relativeError = norm > 0 ? std::sqrt(diff / norm) : std::sqrt(diff);
    if (check.compared != check.elements)
      check.relativeError = std::numeric_limits<double>::infinity();
    check.pass = check.compared == check.elements &&
                 check.relativeError <= check.tolerance;
    checks.push_back(check);
  }
  return checks;
}

//===----------------------------------------------------------------------===//
// Command lines of the GPU tools
//===----------------------------------------------------------------------===//

bool prism::ref::addBindingSet(const char *text,
                               std::vector<runtime::Bindings> &sets) {
  runtime::Bindings bindings;
  std::string error;
  if (!runtime::parseBindings(text, bindings, error)) {
    std::fprintf(stderr, "error: --bind: %s\n", error.c_str());
    return false;
  }
  sets.push_back(bindings);
  return true;
}

bool prism::ref::addManifestArgument(const std::string &arg,
                                     std::vector<std::string> &manifests,
                                     const char *usage) {
  if (!arg.empty() && arg[0] == '-') {
    std::fprintf(stderr, "error: unknown option '%s'\n%s", arg.c_str(), usage);
    return false;
  }
  manifests.push_back(arg);
  return true;
}
