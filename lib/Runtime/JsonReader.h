//===- JsonReader.h - Strict JSON documents for the runtime -----*- C++ -*-===//
//
// The runtime's one entry into nlohmann/json. Private to lib/Runtime: the
// public headers never name nlohmann, so programs that use the runtime need
// neither its headers nor its version.
//
// nlohmann's parser already rejects comments (unless asked not to), trailing
// commas, invalid UTF-8 and numbers that overflow a double. What it accepts
// and a manifest must not, parseJson() rejects on top: duplicate keys (the
// last would silently win, so a manifest could mean something other than what
// the compiler wrote) and nesting deeper than kMaxJsonDepth.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_LIB_RUNTIME_JSONREADER_H
#define PRISM_LIB_RUNTIME_JSONREADER_H

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>

namespace prism {
namespace runtime {

/// Objects keep their members in document order, so that a message about
/// "the first unknown field" names the first one the reader wrote.
using JsonValue = nlohmann::ordered_json;

/// Far beyond any manifest (they nest 4 deep); bounds the parser's memory on
/// hostile input and keeps any recursion over a document shallow.
inline constexpr std::size_t kMaxJsonDepth = 256;

/// Parses one JSON document (surrounding whitespace allowed) into `result`.
/// A number is an integer (is_number_integer(), exact through
/// get<int64_t>()) only when written without fraction or exponent and within
/// int64_t; `2.0`, `1e3` and larger integers are floating-point numbers.
/// Never throws: on failure returns false and sets `error` to
/// "line L, column C: <what>".
bool parseJson(const std::string &text, JsonValue &result, std::string &error);

/// The member `key` of `object`, or null when absent or when `object` is not
/// an object.
const JsonValue *findMember(const JsonValue &object, const std::string &key);

} // namespace runtime
} // namespace prism

#endif // PRISM_LIB_RUNTIME_JSONREADER_H
