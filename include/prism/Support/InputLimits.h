//===- InputLimits.h - Refuse input that would exhaust the parser -*- C++
//-*-===//
//
// MLIR's parser recurses once per nested region, attribute, type or
// parenthesis, so a file of 20,000 nested `module {` overflows the stack.
// prism's tools scan their input first and refuse nesting deeper than a
// limit far above any real specification, with a diagnostic at the bracket
// that crosses it.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_SUPPORT_INPUTLIMITS_H
#define PRISM_SUPPORT_INPUTLIMITS_H

#include "llvm/ADT/StringRef.h"

#include <cstddef>
#include <optional>

namespace llvm {
class MemoryBuffer;
} // namespace llvm

namespace prism {

/// The deepest bracket nesting prism's tools accept. A specification nests
/// about 5 deep; MLIR's parser takes about 3 KB of stack a level, so 256
/// levels stay far inside a thread's 8 MiB.
inline constexpr unsigned kMaxNestingDepth = 256;

/// Offset of the first opening bracket ({, (, [ or <) of `text` at depth
/// `limit` + 1, or nullopt when none is that deep. Brackets inside string
/// literals and `//` comments do not count, nor do the `>` of `->`, `>=` and
/// the `<` of `<=`.
std::optional<size_t> findTooDeepNesting(llvm::StringRef text,
                                         unsigned limit = kMaxNestingDepth);

/// Checks `buffer`; prints `file:line:col: error: ...` at its first
/// too-deep bracket and returns false, or returns true.
bool checkNestingDepth(const llvm::MemoryBuffer &buffer,
                       unsigned limit = kMaxNestingDepth);

} // namespace prism

#endif // PRISM_SUPPORT_INPUTLIMITS_H
