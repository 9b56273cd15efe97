//===- InputLimits.cpp - Refuse input that would exhaust the parser -------===//

#include "prism/Support/InputLimits.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;

std::optional<size_t> prism::findTooDeepNesting(StringRef text,
                                                unsigned limit) {
  unsigned depth = 0;
  for (size_t i = 0, e = text.size(); i < e; ++i) {
    char c = text[i];
    char next = i + 1 < e ? text[i + 1] : '\0';
    char prev = i > 0 ? text[i - 1] : '\0';
    switch (c) {
    case '"':
      // A string literal, with backslash escapes, up to its end or the line's.
      for (++i; i < e && text[i] != '"' && text[i] != '\n'; ++i)
        if (text[i] == '\\')
          ++i;
      break;
    case '/':
      if (next == '/')
        while (i < e && text[i] != '\n')
          ++i;
      break;
    case '<':
      if (next == '=')
        break;
      [[fallthrough]];
    case '{':
    case '(':
    case '[':
      if (++depth > limit)
        return i;
      break;
    case '>':
      if (prev == '-' || next == '=')
        break;
      [[fallthrough]];
    case '}':
    case ')':
    case ']':
      if (depth)
        --depth;
      break;
    default:
      break;
    }
  }
  return std::nullopt;
}

bool prism::checkNestingDepth(const MemoryBuffer &buffer, unsigned limit) {
  std::optional<size_t> at = findTooDeepNesting(buffer.getBuffer(), limit);
  if (!at)
    return true;
  // Location only: the offending line may be megabytes long.
  SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      MemoryBuffer::getMemBuffer(buffer.getMemBufferRef(),
                                 /*RequiresNullTerminator=*/false),
      SMLoc());
  auto [line, column] = sourceMgr.getLineAndColumn(
      SMLoc::getFromPointer(buffer.getBufferStart() + *at));
  errs() << buffer.getBufferIdentifier() << ":" << line << ":" << column
         << ": error: brackets nest deeper than " << limit
         << " levels here; prism refuses such input rather than exhaust the "
            "parser's stack (a specification nests a few levels)\n";
  return false;
}
