//===- InputLimitsTest.cpp - The nesting scan before parsing --------------===//

#include "prism/Support/InputLimits.h"

#include <gtest/gtest.h>

#include <string>

using prism::findTooDeepNesting;

namespace {

std::string repeat(const std::string &s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += s;
  return out;
}

TEST(InputLimitsTest, AcceptsTheLimitAndRefusesOneMore) {
  EXPECT_FALSE(findTooDeepNesting(repeat("module {", 4) + repeat("}", 4), 4));
  auto at = findTooDeepNesting(repeat("module {", 5) + repeat("}", 5), 4);
  ASSERT_TRUE(at);
  EXPECT_EQ(*at, 4 * 8 + 7); // the fifth '{'
}

TEST(InputLimitsTest, CountsEveryBracketKind) {
  EXPECT_TRUE(findTooDeepNesting("{([<x>])}", 3));
  EXPECT_FALSE(findTooDeepNesting("{([<x>])}", 4));
  // Siblings do not add up.
  EXPECT_FALSE(findTooDeepNesting(repeat("(x) ", 1000), 1));
}

TEST(InputLimitsTest, IgnoresStringsCommentsAndArrows) {
  EXPECT_FALSE(findTooDeepNesting("\"((((\\\"((((\" // ((((((\n(x)", 1));
  // `->` and `>=` close nothing, `<=` opens nothing.
  EXPECT_FALSE(findTooDeepNesting("(a) -> (b) -> (c)", 1));
  EXPECT_FALSE(findTooDeepNesting("affine_set<(d0) : (d0 >= 0, 5 <= d0)>", 2));
}

TEST(InputLimitsTest, ClosersBeyondTheOpenersAreHarmless) {
  EXPECT_FALSE(findTooDeepNesting(repeat("}", 100) + "{", 1));
}

} // namespace
