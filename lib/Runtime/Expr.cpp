//===- Expr.cpp - Integer expressions over shape symbols ------------------===//
//
// Grid sizes and index parameters are written by the compiler as expressions
// over the dynamic dimensions (e.g. "ceildiv(T, 64)"). They are evaluated at
// every launch, so this is a direct recursive-descent evaluator with no AST;
// the same walk in check-only mode validates an expression's syntax and
// symbols when a manifest is parsed, long before any binding exists.
//
//===----------------------------------------------------------------------===//

#include "prism/Runtime/Manifest.h"

#include <algorithm>
#include <cctype>

namespace prism {
namespace runtime {

namespace {

class ExprParser {
public:
  /// Evaluates against `bindings`.
  ExprParser(const std::string &text, const Bindings &bindings)
      : text(text), bindings(&bindings) {}
  /// Checks syntax and that every name is one of `symbols`; values computed
  /// in this mode are placeholders and arithmetic is not checked.
  ExprParser(const std::string &text, const std::vector<std::string> &symbols)
      : text(text), symbols(&symbols) {}

  bool run(int64_t &result, std::string &error) {
    skipSpaces();
    if (atEnd())
      message = "empty expression";
    else if (parseSum(result, 0)) {
      skipSpaces();
      if (!atEnd())
        failSyntax(std::string("unexpected '") + text[pos] + "'");
    }
    if (!message.empty()) {
      error = message;
      return false;
    }
    return true;
  }

private:
  static constexpr int maxDepth = 64;

  const std::string &text;
  const Bindings *bindings = nullptr;
  const std::vector<std::string> *symbols = nullptr;
  size_t pos = 0;
  std::string message;

  bool checkOnly() const { return bindings == nullptr; }
  bool atEnd() const { return pos >= text.size(); }

  void skipSpaces() {
    while (!atEnd() && std::isspace(static_cast<unsigned char>(text[pos])))
      ++pos;
  }

  bool fail(const std::string &what) {
    if (message.empty())
      message = what + " in expression '" + text + "'";
    return false;
  }
  bool failSyntax(const std::string &what) {
    return fail("syntax error at column " + std::to_string(pos + 1) + ": " +
                what);
  }
  bool failOverflow() { return fail("integer overflow"); }

  bool consume(char c) {
    skipSpaces();
    if (!atEnd() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }

  bool expect(char c) {
    if (consume(c))
      return true;
    return failSyntax(std::string("expected '") + c + "'" +
                      (atEnd() ? " before the end"
                               : std::string(", found '") + text[pos] + "'"));
  }

  bool apply(char op, int64_t lhs, int64_t rhs, int64_t &result) {
    if (checkOnly()) {
      result = 0;
      return true;
    }
    switch (op) {
    case '+':
      if (__builtin_add_overflow(lhs, rhs, &result))
        return failOverflow();
      return true;
    case '-':
      if (__builtin_sub_overflow(lhs, rhs, &result))
        return failOverflow();
      return true;
    case '*':
      if (__builtin_mul_overflow(lhs, rhs, &result))
        return failOverflow();
      return true;
    case '/':
    case 'c': // ceildiv
      if (rhs == 0)
        return fail("division by zero");
      // The manifest defines division on non-negative operands only, which
      // keeps floor, truncation and ceildiv from disagreeing.
      if (lhs < 0 || rhs < 0)
        return fail(std::string(op == '/' ? "'/'" : "ceildiv") +
                    " needs non-negative operands, got " + std::to_string(lhs) +
                    " and " + std::to_string(rhs));
      result = lhs / rhs + (op == 'c' && lhs % rhs != 0 ? 1 : 0);
      return true;
    case '<':
      result = std::min(lhs, rhs);
      return true;
    case '>':
      result = std::max(lhs, rhs);
      return true;
    }
    return fail("internal error: unknown operator");
  }

  bool parseSum(int64_t &result, int depth) {
    if (!parseProduct(result, depth))
      return false;
    while (true) {
      char op;
      if (consume('+'))
        op = '+';
      else if (consume('-'))
        op = '-';
      else
        return true;
      int64_t rhs;
      if (!parseProduct(rhs, depth) || !apply(op, result, rhs, result))
        return false;
    }
  }

  bool parseProduct(int64_t &result, int depth) {
    if (!parseUnary(result, depth))
      return false;
    while (true) {
      char op;
      if (consume('*'))
        op = '*';
      else if (consume('/'))
        op = '/';
      else
        return true;
      int64_t rhs;
      if (!parseUnary(rhs, depth) || !apply(op, result, rhs, result))
        return false;
    }
  }

  bool parseUnary(int64_t &result, int depth) {
    if (depth > maxDepth)
      return fail("nesting deeper than 64 levels");
    // Unary minus so that a negative plain JSON integer, stored as text,
    // reads back.
    if (consume('-')) {
      int64_t operand;
      if (!parseUnary(operand, depth + 1))
        return false;
      return apply('-', 0, operand, result);
    }
    return parsePrimary(result, depth);
  }

  bool parseInteger(int64_t &result) {
    result = 0;
    while (!atEnd() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (__builtin_mul_overflow(result, int64_t(10), &result) ||
          __builtin_add_overflow(result, int64_t(text[pos] - '0'), &result))
        return fail("integer literal out of range");
      ++pos;
    }
    return true;
  }

  bool lookup(const std::string &name, int64_t &result) {
    if (checkOnly()) {
      result = 0;
      if (std::find(symbols->begin(), symbols->end(), name) == symbols->end())
        return fail("unknown symbol '" + name + "'");
      return true;
    }
    auto it = bindings->find(name);
    if (it == bindings->end())
      return fail("unknown symbol '" + name + "'");
    result = it->second;
    return true;
  }

  bool parsePrimary(int64_t &result, int depth) {
    skipSpaces();
    if (atEnd())
      return failSyntax("expected a number, symbol or '(' before the end");
    char c = text[pos];
    if (std::isdigit(static_cast<unsigned char>(c)))
      return parseInteger(result);
    if (c == '(') {
      ++pos;
      return parseSum(result, depth + 1) && expect(')');
    }
    if (!(std::isalpha(static_cast<unsigned char>(c)) || c == '_'))
      return failSyntax(
          std::string("expected a number, symbol or '(', found '") + c + "'");
    size_t start = pos;
    while (!atEnd() && (std::isalnum(static_cast<unsigned char>(text[pos])) ||
                        text[pos] == '_'))
      ++pos;
    std::string name = text.substr(start, pos - start);
    skipSpaces();
    if (atEnd() || text[pos] != '(')
      return lookup(name, result);

    char op;
    if (name == "ceildiv")
      op = 'c';
    else if (name == "min")
      op = '<';
    else if (name == "max")
      op = '>';
    else
      return fail("unknown function '" + name +
                  "' (expected ceildiv, min or max)");
    ++pos; // '('
    int64_t lhs, rhs;
    if (!parseSum(lhs, depth + 1) || !expect(',') ||
        !parseSum(rhs, depth + 1) || !expect(')'))
      return false;
    return apply(op, lhs, rhs, result);
  }
};

} // namespace

bool evaluate(const Expr &expr, const Bindings &bindings, int64_t &result,
              std::string &error) {
  return ExprParser(expr.text, bindings).run(result, error);
}

bool checkExpr(const Expr &expr, const std::vector<std::string> &symbols,
               std::string &error) {
  int64_t unused;
  return ExprParser(expr.text, symbols).run(unused, error);
}

} // namespace runtime
} // namespace prism
