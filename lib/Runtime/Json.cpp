//===- Json.cpp - A small strict JSON reader ------------------------------===//
//
// Recursive descent over the RFC 8259 grammar. Errors carry a line and column
// because manifests are written by a program and read by people only when
// something is wrong.
//
//===----------------------------------------------------------------------===//

#include "prism/Runtime/Json.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <locale>
#include <sstream>

namespace prism {
namespace runtime {
namespace json {

const Value *Value::find(const std::string &key) const {
  for (const Member &member : members)
    if (member.first == key)
      return &member.second;
  return nullptr;
}

const char *Value::kindName(Kind kind) {
  switch (kind) {
  case Kind::Null:
    return "null";
  case Kind::Bool:
    return "boolean";
  case Kind::Number:
    return "number";
  case Kind::String:
    return "string";
  case Kind::Array:
    return "array";
  case Kind::Object:
    return "object";
  }
  return "unknown";
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

class Parser {
public:
  explicit Parser(const std::string &text) : text(text) {}

  bool parseDocument(Value &result, std::string &error) {
    skipWhitespace();
    bool ok = parseValue(result, 0);
    if (ok) {
      skipWhitespace();
      if (!atEnd())
        ok = fail("unexpected '" + printable(peek()) + "' after the document");
    }
    if (!ok)
      error = message;
    return ok;
  }

private:
  // Deep nesting only comes from broken or hostile input; bounding it keeps
  // the recursion off the end of the stack.
  static constexpr int maxDepth = 256;

  const std::string &text;
  size_t pos = 0;
  std::string message;

  bool atEnd() const { return pos >= text.size(); }
  char peek() const { return atEnd() ? '\0' : text[pos]; }

  static std::string printable(char c) {
    if (c == '\0')
      return "end of input";
    if (static_cast<unsigned char>(c) < 0x20 ||
        static_cast<unsigned char>(c) >= 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof(buffer), "\\x%02x",
                    static_cast<unsigned char>(c));
      return buffer;
    }
    return std::string(1, c);
  }

  /// Records an error at the current position; always returns false so
  /// callers can `return fail(...)`.
  bool fail(const std::string &what) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < pos && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::ostringstream os;
    os << "line " << line << ", column " << column << ": " << what;
    message = os.str();
    return false;
  }

  void skipWhitespace() {
    while (!atEnd() && (text[pos] == ' ' || text[pos] == '\t' ||
                        text[pos] == '\n' || text[pos] == '\r'))
      ++pos;
  }

  bool expectLiteral(const char *literal) {
    size_t length = std::strlen(literal);
    if (text.compare(pos, length, literal) != 0)
      return fail(std::string("invalid literal (expected '") + literal + "')");
    pos += length;
    return true;
  }

  bool parseValue(Value &value, int depth) {
    if (depth > maxDepth)
      return fail("nesting deeper than 256 levels");
    value = Value();
    switch (peek()) {
    case '{':
      return parseObject(value, depth);
    case '[':
      return parseArray(value, depth);
    case '"':
      value.valueKind = Value::Kind::String;
      return parseString(value.string);
    case 't':
      value.valueKind = Value::Kind::Bool;
      value.boolean = true;
      return expectLiteral("true");
    case 'f':
      value.valueKind = Value::Kind::Bool;
      value.boolean = false;
      return expectLiteral("false");
    case 'n':
      value.valueKind = Value::Kind::Null;
      return expectLiteral("null");
    default:
      if (peek() == '-' || (peek() >= '0' && peek() <= '9'))
        return parseNumber(value);
      return fail("expected a value, found '" + printable(peek()) + "'");
    }
  }

  bool parseObject(Value &value, int depth) {
    value.valueKind = Value::Kind::Object;
    ++pos; // '{'
    skipWhitespace();
    if (peek() == '}') {
      ++pos;
      return true;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"')
        return fail("expected a string key, found '" + printable(peek()) + "'");
      size_t keyPos = pos;
      std::string key;
      if (!parseString(key))
        return false;
      if (value.find(key)) {
        pos = keyPos;
        return fail("duplicate key \"" + key + "\"");
      }
      skipWhitespace();
      if (peek() != ':')
        return fail("expected ':' after key, found '" + printable(peek()) +
                    "'");
      ++pos;
      skipWhitespace();
      value.members.emplace_back(std::move(key), Value());
      if (!parseValue(value.members.back().second, depth + 1))
        return false;
      skipWhitespace();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      if (peek() == '}') {
        ++pos;
        return true;
      }
      return fail("expected ',' or '}' in object, found '" + printable(peek()) +
                  "'");
    }
  }

  bool parseArray(Value &value, int depth) {
    value.valueKind = Value::Kind::Array;
    ++pos; // '['
    skipWhitespace();
    if (peek() == ']') {
      ++pos;
      return true;
    }
    while (true) {
      skipWhitespace();
      value.elements.emplace_back();
      if (!parseValue(value.elements.back(), depth + 1))
        return false;
      skipWhitespace();
      if (peek() == ',') {
        ++pos;
        continue;
      }
      if (peek() == ']') {
        ++pos;
        return true;
      }
      return fail("expected ',' or ']' in array, found '" + printable(peek()) +
                  "'");
    }
  }

  static void appendUtf8(std::string &out, uint32_t code) {
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (code >> 18));
      out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
  }

  bool parseHex4(uint32_t &code) {
    code = 0;
    for (int i = 0; i < 4; ++i) {
      char c = peek();
      uint32_t digit;
      if (c >= '0' && c <= '9')
        digit = c - '0';
      else if (c >= 'a' && c <= 'f')
        digit = c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        digit = c - 'A' + 10;
      else
        return fail("expected 4 hex digits after \\u");
      code = code * 16 + digit;
      ++pos;
    }
    return true;
  }

  bool parseString(std::string &out) {
    ++pos; // '"'
    out.clear();
    while (true) {
      if (atEnd())
        return fail("unterminated string");
      char c = text[pos];
      if (c == '"') {
        ++pos;
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20)
        return fail("control character " + printable(c) +
                    " in string (must be escaped)");
      if (c != '\\') {
        out += c;
        ++pos;
        continue;
      }
      ++pos;
      char escape = peek();
      ++pos;
      switch (escape) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '/':
        out += '/';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'u': {
        uint32_t code;
        if (!parseHex4(code))
          return false;
        if (code >= 0xDC00 && code <= 0xDFFF)
          return fail("unpaired low surrogate in \\u escape");
        if (code >= 0xD800 && code <= 0xDBFF) {
          uint32_t low;
          if (text.compare(pos, 2, "\\u") != 0)
            return fail("unpaired high surrogate in \\u escape");
          pos += 2;
          if (!parseHex4(low))
            return false;
          if (low < 0xDC00 || low > 0xDFFF)
            return fail("unpaired high surrogate in \\u escape");
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        appendUtf8(out, code);
        break;
      }
      default:
        --pos;
        return fail("invalid escape '\\" + printable(escape) + "'");
      }
    }
  }

  bool parseNumber(Value &value) {
    size_t start = pos;
    bool integral = true;
    if (peek() == '-')
      ++pos;
    if (peek() == '0') {
      ++pos;
      if (peek() >= '0' && peek() <= '9')
        return fail("leading zeros are not allowed in numbers");
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9')
        ++pos;
    } else {
      return fail("expected a digit");
    }
    if (peek() == '.') {
      integral = false;
      ++pos;
      if (!(peek() >= '0' && peek() <= '9'))
        return fail("expected a digit after '.'");
      while (peek() >= '0' && peek() <= '9')
        ++pos;
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      ++pos;
      if (peek() == '+' || peek() == '-')
        ++pos;
      if (!(peek() >= '0' && peek() <= '9'))
        return fail("expected a digit in the exponent");
      while (peek() >= '0' && peek() <= '9')
        ++pos;
    }
    std::string literal = text.substr(start, pos - start);
    value.valueKind = Value::Kind::Number;

    if (integral) {
      // Exact int64 when it fits; larger integers are still valid JSON
      // numbers, just not integers for our purposes.
      errno = 0;
      char *end = nullptr;
      long long parsed = std::strtoll(literal.c_str(), &end, 10);
      if (errno == 0 && end == literal.c_str() + literal.size()) {
        value.integral = true;
        value.integer = parsed;
        value.number = static_cast<double>(parsed);
        return true;
      }
    }
    // strtod follows the C locale's decimal point; JSON always uses '.', so
    // parse through an istringstream imbued with the classic locale.
    std::istringstream is(literal);
    is.imbue(std::locale::classic());
    double parsed = 0;
    is >> parsed;
    if (is.fail() || !std::isfinite(parsed)) {
      pos = start;
      return fail("number '" + literal + "' is out of range");
    }
    value.number = parsed;
    return true;
  }
};

bool parse(const std::string &text, Value &result, std::string &error) {
  Parser parser(text);
  return parser.parseDocument(result, error);
}

} // namespace json
} // namespace runtime
} // namespace prism
