//===- JsonTest.cpp - The strict JSON reader ------------------------------===//

#include "prism/Runtime/Json.h"

#include "gtest/gtest.h"

using prism::runtime::json::parse;
using prism::runtime::json::Value;

namespace {

Value parseOk(const std::string &text) {
  Value value;
  std::string error;
  EXPECT_TRUE(parse(text, value, error)) << text << ": " << error;
  return value;
}

std::string parseError(const std::string &text) {
  Value value;
  std::string error;
  EXPECT_FALSE(parse(text, value, error)) << "accepted: " << text;
  return error;
}

TEST(Json, Scalars) {
  EXPECT_TRUE(parseOk("null").isNull());
  EXPECT_TRUE(parseOk("true").asBool());
  EXPECT_FALSE(parseOk(" false ").asBool());
  EXPECT_EQ(parseOk("\"hi\"").asString(), "hi");
}

TEST(Json, IntegersAreExact) {
  Value v = parseOk("9007199254740993"); // 2^53 + 1: not a double.
  ASSERT_TRUE(v.isInteger());
  EXPECT_EQ(v.asInteger(), 9007199254740993LL);
  EXPECT_EQ(parseOk("-42").asInteger(), -42);
  EXPECT_EQ(parseOk("0").asInteger(), 0);
  EXPECT_EQ(parseOk("-9223372036854775808").asInteger(), INT64_MIN);
}

TEST(Json, FractionsAndExponentsAreNotIntegers) {
  Value v = parseOk("2.0");
  EXPECT_TRUE(v.isNumber());
  EXPECT_FALSE(v.isInteger());
  EXPECT_DOUBLE_EQ(v.asNumber(), 2.0);
  EXPECT_FALSE(parseOk("1e3").isInteger());
  EXPECT_DOUBLE_EQ(parseOk("1.5E-2").asNumber(), 0.015);
  EXPECT_DOUBLE_EQ(parseOk("-0.125").asNumber(), -0.125);
}

TEST(Json, HugeIntegerIsANumberNotAnInteger) {
  Value v = parseOk("123456789012345678901234567890");
  EXPECT_TRUE(v.isNumber());
  EXPECT_FALSE(v.isInteger());
}

TEST(Json, StringEscapes) {
  EXPECT_EQ(parseOk(R"("a\"b\\c\/d\n\t\r\b\f")").asString(),
            "a\"b\\c/d\n\t\r\b\f");
  EXPECT_EQ(parseOk(R"("\u0041\u00e9")").asString(), "A\xC3\xA9");
  // U+1F600 as a surrogate pair.
  EXPECT_EQ(parseOk(R"("\ud83d\ude00")").asString(), "\xF0\x9F\x98\x80");
}

TEST(Json, NestedStructures) {
  Value v = parseOk(R"({"a": [1, {"b": null}], "c": {}, "d": []})");
  ASSERT_TRUE(v.isObject());
  ASSERT_EQ(v.asObject().size(), 3u);
  EXPECT_EQ(v.asObject()[0].first, "a"); // Document order is kept.
  const Value *a = v.find("a");
  ASSERT_TRUE(a && a->isArray());
  EXPECT_EQ(a->asArray()[0].asInteger(), 1);
  EXPECT_TRUE(a->asArray()[1].find("b")->isNull());
  EXPECT_TRUE(v.find("c")->isObject());
  EXPECT_TRUE(v.find("d")->asArray().empty());
  EXPECT_EQ(v.find("missing"), nullptr);
}

TEST(Json, ErrorsCarryLineAndColumn) {
  EXPECT_EQ(parseError("{\n  \"a\": 1,\n  \"b\" 2\n}"),
            "line 3, column 7: expected ':' after key, found '2'");
}

TEST(Json, RejectsMalformedInput) {
  EXPECT_NE(parseError("").find("expected a value"), std::string::npos);
  EXPECT_NE(parseError("[1, 2,]").find("expected a value"), std::string::npos);
  EXPECT_NE(parseError("{\"a\": 1,}").find("expected a string key"),
            std::string::npos);
  EXPECT_NE(parseError("[1 2]").find("expected ',' or ']'"), std::string::npos);
  EXPECT_NE(parseError("{\"a\" 1}").find("expected ':'"), std::string::npos);
  EXPECT_NE(parseError("\"abc").find("unterminated string"), std::string::npos);
  EXPECT_NE(parseError("\"a\nb\"").find("control character"),
            std::string::npos);
  EXPECT_NE(parseError("\"\\x\"").find("invalid escape"), std::string::npos);
  EXPECT_NE(parseError("\"\\u12\"").find("4 hex digits"), std::string::npos);
  EXPECT_NE(parseError("\"\\ud83d\"").find("surrogate"), std::string::npos);
  EXPECT_NE(parseError("0123").find("leading zeros"), std::string::npos);
  EXPECT_NE(parseError("1.").find("digit after '.'"), std::string::npos);
  EXPECT_NE(parseError("1e").find("exponent"), std::string::npos);
  EXPECT_NE(parseError("-").find("expected a digit"), std::string::npos);
  EXPECT_NE(parseError("1e999").find("out of range"), std::string::npos);
  EXPECT_NE(parseError("tru").find("invalid literal"), std::string::npos);
  EXPECT_NE(parseError("nul").find("invalid literal"), std::string::npos);
  EXPECT_NE(parseError("1 2").find("after the document"), std::string::npos);
  EXPECT_NE(parseError("// c\n1").find("expected a value"), std::string::npos);
  EXPECT_NE(parseError("'a'").find("expected a value"), std::string::npos);
  EXPECT_NE(parseError("NaN").find("expected a value"), std::string::npos);
}

TEST(Json, RejectsDuplicateKeys) {
  EXPECT_NE(parseError(R"({"a": 1, "a": 2})").find("duplicate key \"a\""),
            std::string::npos);
}

TEST(Json, RejectsRunawayNesting) {
  std::string deep(1000, '[');
  EXPECT_NE(parseError(deep).find("nesting"), std::string::npos);
  // Within the limit it parses.
  std::string ok = std::string(100, '[') + std::string(100, ']');
  parseOk(ok);
}

} // namespace
