//===- Json.h - A small strict JSON reader ----------------------*- C++ -*-===//
//
// Just enough JSON (RFC 8259) to read manifests, with no dependency so the
// runtime builds with nothing but a C++ compiler. Strict on purpose: no
// comments, no trailing commas, no duplicate keys, because a manifest that a
// lenient reader accepts could mean something other than what the compiler
// wrote.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_RUNTIME_JSON_H
#define PRISM_RUNTIME_JSON_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace prism {
namespace runtime {
namespace json {

class Value {
public:
  enum class Kind { Null, Bool, Number, String, Array, Object };
  using Member = std::pair<std::string, Value>;

  Kind kind() const { return valueKind; }
  bool isNull() const { return valueKind == Kind::Null; }
  bool isBool() const { return valueKind == Kind::Bool; }
  bool isNumber() const { return valueKind == Kind::Number; }
  /// A number written without fraction or exponent that fits in int64_t.
  /// Sizes and indices must be exact, so `2.0` and `1e3` are not integers.
  bool isInteger() const { return valueKind == Kind::Number && integral; }
  bool isString() const { return valueKind == Kind::String; }
  bool isArray() const { return valueKind == Kind::Array; }
  bool isObject() const { return valueKind == Kind::Object; }

  bool asBool() const { return boolean; }
  double asNumber() const { return number; }
  int64_t asInteger() const { return integer; }
  const std::string &asString() const { return string; }
  const std::vector<Value> &asArray() const { return elements; }
  /// Members in document order.
  const std::vector<Member> &asObject() const { return members; }

  /// The member named `key` of an object, or null when absent (or when this
  /// is not an object).
  const Value *find(const std::string &key) const;

  /// "null", "boolean", "number", "string", "array", "object".
  static const char *kindName(Kind kind);

private:
  friend class Parser;
  Kind valueKind = Kind::Null;
  bool boolean = false;
  bool integral = false;
  double number = 0;
  int64_t integer = 0;
  std::string string;
  std::vector<Value> elements;
  std::vector<Member> members;
};

/// Parses one JSON document (surrounding whitespace allowed). On failure
/// returns false and sets `error` to "line L, column C: <what>".
bool parse(const std::string &text, Value &result, std::string &error);

} // namespace json
} // namespace runtime
} // namespace prism

#endif // PRISM_RUNTIME_JSON_H
