//===- ExprTest.cpp - Integer expressions over shape symbols --------------===//

#include "prism/Runtime/Manifest.h"

#include "gtest/gtest.h"

using namespace prism::runtime;

namespace {

const Bindings kBindings = {{"B", 2}, {"T", 77}, {"big", INT64_MAX}};

int64_t eval(const std::string &text, const Bindings &bindings = kBindings) {
  int64_t result = -12345;
  std::string error;
  EXPECT_TRUE(evaluate(Expr{text}, bindings, result, error))
      << text << ": " << error;
  return result;
}

std::string evalError(const std::string &text,
                      const Bindings &bindings = kBindings) {
  int64_t result;
  std::string error;
  EXPECT_FALSE(evaluate(Expr{text}, bindings, result, error))
      << "accepted: " << text;
  return error;
}

TEST(Expr, IntegersAndSymbols) {
  EXPECT_EQ(eval("42"), 42);
  EXPECT_EQ(eval("T"), 77);
  EXPECT_EQ(eval("  B  "), 2);
}

TEST(Expr, PrecedenceAndAssociativity) {
  EXPECT_EQ(eval("1 + 2 * 3"), 7);
  EXPECT_EQ(eval("(1 + 2) * 3"), 9);
  EXPECT_EQ(eval("10 - 3 - 2"), 5);
  EXPECT_EQ(eval("100 / 10 / 5"), 2);
  EXPECT_EQ(eval("T / 2 * 2"), 76);
  EXPECT_EQ(eval("B*T+1"), 155);
  EXPECT_EQ(eval("-3 + 5"), 2);
  EXPECT_EQ(eval("-(B)"), -2);
}

TEST(Expr, Functions) {
  EXPECT_EQ(eval("ceildiv(T, 64)"), 2);
  EXPECT_EQ(eval("ceildiv(128, 64)"), 2);
  EXPECT_EQ(eval("ceildiv(0, 64)"), 0);
  EXPECT_EQ(eval("min(T, 64)"), 64);
  EXPECT_EQ(eval("max(T, 64)"), 77);
  EXPECT_EQ(eval("max(1, ceildiv(B * T, min(64, T)))"), 3);
  EXPECT_EQ(eval("ceildiv( T , 64 )*B"), 4);
}

TEST(Expr, UnknownSymbol) {
  EXPECT_EQ(evalError("ceildiv(X, 64)"),
            "unknown symbol 'X' in expression 'ceildiv(X, 64)'");
}

TEST(Expr, SyntaxErrors) {
  EXPECT_EQ(evalError(""), "empty expression");
  EXPECT_EQ(evalError("   "), "empty expression");
  EXPECT_NE(evalError("T +").find("syntax error at column 4"),
            std::string::npos);
  EXPECT_NE(evalError("(T").find("expected ')'"), std::string::npos);
  EXPECT_NE(evalError("T)").find("unexpected ')'"), std::string::npos);
  EXPECT_NE(evalError("1 2").find("unexpected '2'"), std::string::npos);
  EXPECT_NE(evalError("T % 2").find("unexpected '%'"), std::string::npos);
  EXPECT_NE(evalError("min(1)").find("expected ','"), std::string::npos);
  EXPECT_NE(evalError("max(1, 2, 3)").find("expected ')'"), std::string::npos);
  EXPECT_NE(evalError("floor(T, 2)").find("unknown function 'floor'"),
            std::string::npos);
  EXPECT_NE(evalError("*2").find("expected a number, symbol or '('"),
            std::string::npos);
}

TEST(Expr, DivisionByZero) {
  EXPECT_EQ(evalError("T / (B - 2)"),
            "division by zero in expression 'T / (B - 2)'");
  EXPECT_NE(evalError("ceildiv(T, 0)").find("division by zero"),
            std::string::npos);
}

TEST(Expr, NegativeDivisionOperands) {
  EXPECT_NE(evalError("(0 - T) / 2").find("non-negative operands"),
            std::string::npos);
  EXPECT_NE(evalError("ceildiv(T, -2)").find("non-negative operands"),
            std::string::npos);
}

TEST(Expr, Overflow) {
  EXPECT_NE(evalError("big + 1").find("integer overflow"), std::string::npos);
  EXPECT_NE(evalError("big * 2").find("integer overflow"), std::string::npos);
  EXPECT_NE(evalError("-big - 2").find("integer overflow"), std::string::npos);
  EXPECT_NE(evalError("99999999999999999999").find("out of range"),
            std::string::npos);
  EXPECT_EQ(eval("big"), INT64_MAX);
}

TEST(Expr, CheckValidatesSymbolsAndSyntaxWithoutValues) {
  std::string error;
  std::vector<std::string> symbols = {"B", "T"};
  EXPECT_TRUE(checkExpr(Expr{"ceildiv(T, 64) * B"}, symbols, error)) << error;
  // Division is not evaluated while checking: no value is known yet.
  EXPECT_TRUE(checkExpr(Expr{"T / (B - B)"}, symbols, error)) << error;
  EXPECT_FALSE(checkExpr(Expr{"H * T"}, symbols, error));
  EXPECT_EQ(error, "unknown symbol 'H' in expression 'H * T'");
  EXPECT_FALSE(checkExpr(Expr{"T +"}, symbols, error));
  EXPECT_NE(error.find("syntax error"), std::string::npos);
}

TEST(Bindings, ParseAndFormat) {
  Bindings bindings;
  std::string error;
  ASSERT_TRUE(parseBindings("B=2,T=77", bindings, error)) << error;
  EXPECT_EQ(bindings, (Bindings{{"B", 2}, {"T", 77}}));
  ASSERT_TRUE(parseBindings("T=130", bindings, error)) << error;
  EXPECT_EQ(bindings.at("T"), 130);
  EXPECT_FALSE(parseBindings("B=2,", bindings, error));
  EXPECT_FALSE(parseBindings("B", bindings, error));
  EXPECT_FALSE(parseBindings("B=-1", bindings, error));
  EXPECT_NE(error.find("non-negative integer"), std::string::npos);
  EXPECT_FALSE(parseBindings("1B=2", bindings, error));
  EXPECT_FALSE(parseBindings("B=x", bindings, error));
}

} // namespace
