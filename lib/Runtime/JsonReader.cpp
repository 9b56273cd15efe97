//===- JsonReader.cpp - Strict JSON documents for the runtime -------------===//
//
// nlohmann's SAX interface drives a document builder of our own rather than
// nlohmann's, for three reasons: the builder sees every key and can refuse a
// duplicate (nlohmann's keeps the last silently), it can stop at the first
// bracket past the depth limit, and the SAX error event carries the byte
// position of every error, number overflow included, which nlohmann's
// exceptions do not. Errors are located as "line L, column C" because
// manifests are written by a program and read by people only when something
// is wrong.
//
//===----------------------------------------------------------------------===//

#include "JsonReader.h"

#include <cstdint>
#include <iterator>
#include <set>
#include <utility>
#include <vector>

namespace prism {
namespace runtime {

namespace {

/// "line L, column C" of byte `offset` of `text` (both 1-based; past the end
/// is the column after the last character).
std::string location(const std::string &text, size_t offset) {
  size_t line = 1, lineStart = 0;
  for (size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      lineStart = i + 1;
    }
  }
  return "line " + std::to_string(line) + ", column " +
         std::to_string(offset - lineStart + 1);
}

/// nlohmann's message without its "[json.exception.parse_error.101] parse
/// error at line 1, column 2: " prefix: the location is ours to compute.
std::string describe(const JsonValue::exception &ex) {
  std::string what = ex.what();
  size_t end = what.find("] ");
  if (what.compare(0, 1, "[") == 0 && end != std::string::npos)
    what.erase(0, end + 2);
  if (what.compare(0, 11, "parse error") == 0) {
    size_t colon = what.find(": ");
    if (colon != std::string::npos)
      what.erase(0, colon + 2);
  }
  return what;
}

/// The opening quote of the string that closes at offset `close`: the
/// nearest earlier quote that no backslash escapes (an even number of them
/// precede it). The lexer accepted the string, so none lies in between.
size_t openingQuote(const std::string &text, size_t close) {
  for (size_t i = close; i-- > 0;) {
    if (text[i] != '"')
      continue;
    size_t backslashes = 0;
    while (backslashes < i && text[i - 1 - backslashes] == '\\')
      ++backslashes;
    if (backslashes % 2 == 0)
      return i;
  }
  return close;
}

/// A character iterator that records how far nlohmann's lexer has read. SAX
/// events carry no position, and a duplicate key or a bracket past the depth
/// limit is found in one: when the parser reports a key, the lexer has just
/// read its closing quote; when it reports an opening bracket, the bracket.
class TrackingIterator {
public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char *;
  using reference = const char &;

  TrackingIterator(const char *at, const char **readTo)
      : at(at), readTo(readTo) {}
  reference operator*() const { return *at; }
  TrackingIterator &operator++() {
    ++at;
    if (readTo)
      *readTo = at;
    return *this;
  }
  TrackingIterator operator++(int) {
    TrackingIterator old = *this;
    ++*this;
    return old;
  }
  bool operator==(const TrackingIterator &other) const {
    return at == other.at;
  }
  bool operator!=(const TrackingIterator &other) const {
    return at != other.at;
  }

private:
  const char *at;
  const char **readTo; ///< Null for the end iterator.
};

/// Builds a JsonValue from nlohmann's SAX events (the member functions are
/// the ones nlohmann::json_sax names). A container is assembled when it
/// closes, from members collected in document order, so that inserting a
/// key costs no search of the ordered map.
class StrictBuilder {
public:
  StrictBuilder(const std::string &text, const char *const &readTo,
                JsonValue &root, std::string &error)
      : text(text), readTo(readTo), root(root), error(error) {}

  bool null() { return add(nullptr); }
  bool boolean(bool value) { return add(value); }
  bool number_integer(JsonValue::number_integer_t value) { return add(value); }
  bool number_unsigned(JsonValue::number_unsigned_t value) {
    // Only int64 integers are integers here (sizes and indices are int64);
    // nlohmann already makes those beyond uint64 floating-point numbers.
    if (value > static_cast<JsonValue::number_unsigned_t>(INT64_MAX))
      return add(static_cast<JsonValue::number_float_t>(value));
    return add(static_cast<JsonValue::number_integer_t>(value));
  }
  bool number_float(JsonValue::number_float_t value,
                    const JsonValue::string_t &) {
    return add(value);
  }
  bool string(JsonValue::string_t &value) { return add(std::move(value)); }
  bool binary(JsonValue::binary_t &) {
    // JSON text has no binary values; only the binary formats produce them.
    return failHere("unexpected binary value");
  }

  bool start_object(std::size_t) { return open(true); }
  bool start_array(std::size_t) { return open(false); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(JsonValue::string_t &key) {
    Frame &frame = frames.back();
    if (!frame.keys.insert(key).second) {
      std::string where = pathOfOpenObject();
      return fail(openingQuote(text, lastRead()),
                  "duplicate key \"" + key + "\"" +
                      (where.empty() ? "" : " in " + where));
    }
    frame.key = std::move(key);
    return true;
  }

  bool parse_error(std::size_t position, const std::string &,
                   const JsonValue::exception &ex) {
    // `position` (parse_error::byte) counts the characters read, so the
    // offending one is at offset position - 1.
    return fail(position == 0 ? 0 : position - 1, describe(ex));
  }

private:
  struct Frame {
    bool isObject = false;
    JsonValue::array_t elements;
    std::vector<std::pair<std::string, JsonValue>> members;
    std::set<std::string> keys;
    std::string key; ///< The member being read.
  };

  const std::string &text;
  const char *const &readTo;
  JsonValue &root;
  std::string &error;
  std::vector<Frame> frames;

  bool fail(size_t offset, const std::string &what) {
    if (error.empty())
      error = location(text, offset) + ": " + what;
    return false;
  }

  /// Offset of the last character the lexer read.
  size_t lastRead() const {
    size_t read = static_cast<size_t>(readTo - text.data());
    return read == 0 ? 0 : read - 1;
  }

  /// An error at the last character the lexer read.
  bool failHere(const std::string &what) { return fail(lastRead(), what); }

  /// "buffers[2]" for the object being read, in the manifest reader's
  /// notation; empty at the top level.
  std::string pathOfOpenObject() const {
    std::string path;
    for (size_t i = 0; i + 1 < frames.size(); ++i) {
      const Frame &frame = frames[i];
      if (frame.isObject)
        path += (path.empty() ? "" : ".") + frame.key;
      else
        path += "[" + std::to_string(frame.elements.size()) + "]";
    }
    return path;
  }

  bool add(JsonValue value) {
    if (frames.empty()) {
      root = std::move(value);
      return true;
    }
    Frame &frame = frames.back();
    if (frame.isObject)
      frame.members.emplace_back(std::move(frame.key), std::move(value));
    else
      frame.elements.push_back(std::move(value));
    return true;
  }

  bool open(bool isObject) {
    if (frames.size() >= kMaxJsonDepth)
      return failHere("nesting deeper than " + std::to_string(kMaxJsonDepth) +
                      " levels");
    frames.emplace_back();
    frames.back().isObject = isObject;
    return true;
  }

  bool close() {
    Frame frame = std::move(frames.back());
    frames.pop_back();
    JsonValue value;
    if (frame.isObject) {
      value = JsonValue::object();
      value.get_ref<JsonValue::object_t &>() =
          JsonValue::object_t(std::make_move_iterator(frame.members.begin()),
                              std::make_move_iterator(frame.members.end()));
    } else {
      value = JsonValue::array();
      value.get_ref<JsonValue::array_t &>() = std::move(frame.elements);
    }
    return add(std::move(value));
  }
};

} // namespace

bool parseJson(const std::string &text, JsonValue &result, std::string &error) {
  result = JsonValue();
  error.clear();
  const char *readTo = text.data();
  StrictBuilder builder(text, readTo, result, error);
  bool ok;
  try {
    // Strict: nothing may follow the document. Comments stay errors: a
    // manifest is written by the compiler, which never writes one.
    ok = JsonValue::sax_parse(
        TrackingIterator(text.data(), &readTo),
        TrackingIterator(text.data() + text.size(), nullptr), &builder,
        JsonValue::input_format_t::json, /*strict=*/true,
        /*ignore_comments=*/false);
  } catch (const JsonValue::exception &ex) {
    // The SAX parser reports its errors through parse_error(); this is only
    // a guard so that nothing of nlohmann's escapes to the C API.
    ok = false;
    if (error.empty())
      error = describe(ex);
  }
  if (!ok) {
    if (error.empty())
      error = "invalid JSON document";
    result = JsonValue();
  }
  return ok;
}

const JsonValue *findMember(const JsonValue &object, const std::string &key) {
  if (!object.is_object())
    return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

} // namespace runtime
} // namespace prism
