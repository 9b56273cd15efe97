//===- ManifestReader.cpp - Typed fields of a manifest document -----------===//
//
// Every accessor checks the JSON type before it reads a value, so none of
// nlohmann's type_error exceptions can arise here: a wrong type is a message
// naming the field, never an exception on its way to the C API.
//
//===----------------------------------------------------------------------===//

#include "ManifestReader.h"

namespace prism {
namespace runtime {
namespace manifest {

std::string index(const std::string &path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

std::string field(const std::string &path, const std::string &key) {
  return path.empty() ? key : path + "." + key;
}

std::string quote(const std::string &text) { return "'" + text + "'"; }

bool Reader::fail(const std::string &path, const std::string &what) {
  if (error.empty())
    error = (path.empty() ? std::string("manifest") : path) + ": " + what;
  return false;
}

bool Reader::failType(const std::string &path, const char *expected,
                      const JsonValue &found) {
  // type_name(): "null", "boolean", "number", "string", "array", "object".
  return fail(path, std::string("expected ") + expected + ", found " +
                        found.type_name());
}

bool Reader::object(const JsonValue &value, const std::string &path,
                    std::initializer_list<const char *> allowed) {
  if (!value.is_object())
    return failType(path, "an object", value);
  for (const auto &member : value.items()) {
    bool known = false;
    for (const char *key : allowed)
      known = known || member.key() == key;
    if (!known)
      return fail(path, "unknown field " + quote(member.key()));
  }
  return true;
}

const JsonValue *Reader::get(const JsonValue &object, const std::string &path,
                             const char *key, bool required) {
  const JsonValue *value = findMember(object, key);
  if (!value && required)
    fail(path, std::string("missing field '") + key + "'");
  return value;
}

bool Reader::string(const JsonValue &object, const std::string &path,
                    const char *key, std::string &out, bool required) {
  const JsonValue *value = get(object, path, key, required);
  if (!value)
    return !required;
  if (!value->is_string())
    return failType(field(path, key), "a string", *value);
  out = value->get_ref<const std::string &>();
  return true;
}

bool Reader::choice(const JsonValue &object, const std::string &path,
                    const char *key, std::string &out, bool required,
                    std::initializer_list<const char *> choices) {
  std::string text;
  const JsonValue *value = findMember(object, key);
  if (!string(object, path, key, text, required))
    return false;
  if (!value)
    return true;
  std::string list;
  for (const char *option : choices) {
    if (text == option) {
      out = text;
      return true;
    }
    list += list.empty() ? option : std::string(", ") + option;
  }
  return fail(field(path, key),
              "unknown value " + quote(text) + " (expected " + list + ")");
}

bool Reader::integer(const JsonValue &object, const std::string &path,
                     const char *key, int64_t &out, bool required,
                     int64_t min) {
  const JsonValue *value = get(object, path, key, required);
  if (!value)
    return !required;
  // parseJson() keeps only int64 integers as integers.
  if (!value->is_number_integer())
    return failType(field(path, key), "an integer", *value);
  int64_t parsed = value->get<int64_t>();
  if (parsed < min)
    return fail(field(path, key), "must be >= " + std::to_string(min) +
                                      ", found " + std::to_string(parsed));
  out = parsed;
  return true;
}

bool Reader::number(const JsonValue &object, const std::string &path,
                    const char *key, double &out, bool required) {
  const JsonValue *value = get(object, path, key, required);
  if (!value)
    return !required;
  if (!value->is_number())
    return failType(field(path, key), "a number", *value);
  out = value->get<double>();
  return true;
}

bool Reader::boolean(const JsonValue &object, const std::string &path,
                     const char *key, bool &out, bool required) {
  const JsonValue *value = get(object, path, key, required);
  if (!value)
    return !required;
  if (!value->is_boolean())
    return failType(field(path, key), "a boolean", *value);
  out = value->get<bool>();
  return true;
}

const JsonValue::array_t *Reader::array(const JsonValue &object,
                                        const std::string &path,
                                        const char *key, bool required) {
  static const JsonValue::array_t empty;
  const JsonValue *value = get(object, path, key, required);
  if (!value)
    return required ? nullptr : &empty;
  if (!value->is_array()) {
    failType(field(path, key), "an array", *value);
    return nullptr;
  }
  return &value->get_ref<const JsonValue::array_t &>();
}

bool Reader::expr(const JsonValue &value, const std::string &path,
                  const std::vector<std::string> &symbols, Expr &out) {
  if (value.is_number_integer()) {
    out.text = std::to_string(value.get<int64_t>());
    return true;
  }
  if (!value.is_string())
    return fail(path, std::string("expected integer or expression, found ") +
                          value.type_name());
  out.text = value.get_ref<const std::string &>();
  std::string why;
  if (!checkExpr(out, symbols, why))
    return fail(path, why);
  return true;
}

bool Reader::bufferIndex(const JsonValue &value, const std::string &path,
                         bool optional, int &out) {
  if (!value.is_number_integer())
    return failType(path, "a buffer index (integer)", value);
  int64_t i = value.get<int64_t>();
  if (optional && i == -1) {
    out = -1;
    return true;
  }
  if (i < 0 || static_cast<uint64_t>(i) >= numBuffers)
    return fail(path, "buffer index " + std::to_string(i) +
                          " out of range (the manifest has " +
                          std::to_string(numBuffers) + " buffers" +
                          (optional ? "; -1 means absent)" : ")"));
  out = static_cast<int>(i);
  return true;
}

bool Reader::bufferRef(const JsonValue &object, const std::string &path,
                       const char *key, int &out, bool required) {
  const JsonValue *value = get(object, path, key, required);
  if (!value) {
    if (!required)
      out = -1;
    return !required;
  }
  return bufferIndex(*value, field(path, key), !required, out);
}

bool Reader::bufferRefs(const JsonValue &object, const std::string &path,
                        const char *key, std::vector<int> &out, bool required) {
  const JsonValue::array_t *items = array(object, path, key, required);
  if (!items)
    return false;
  out.clear();
  for (size_t i = 0; i < items->size(); ++i) {
    int ref;
    if (!bufferIndex((*items)[i], index(field(path, key), i), false, ref))
      return false;
    out.push_back(ref);
  }
  return true;
}

} // namespace manifest
} // namespace runtime
} // namespace prism
