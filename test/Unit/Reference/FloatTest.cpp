//===- FloatTest.cpp - bf16 / f16 conversion tests ------------------------===//

#include "prism/Reference/Float.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <random>

using namespace prism::ref;

namespace {

TEST(FloatTest, BF16OfOne) {
  EXPECT_EQ(floatToBF16(1.0f), 0x3F80);
  EXPECT_EQ(bf16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(floatToBF16(-2.0f), 0xC000);
  EXPECT_EQ(doubleToBF16(1.0), 0x3F80);
}

TEST(FloatTest, BF16RoundsTiesToEven) {
  // bf16 keeps 7 mantissa bits: the ulp at 1 is 2^-7.
  // 1 + 2^-8 lies halfway between 0x3F80 (even) and 0x3F81.
  EXPECT_EQ(floatToBF16(1.0f + 0x1.0p-8f), 0x3F80);
  // 1 + 3 * 2^-8 lies halfway between 0x3F81 and 0x3F82 (even).
  EXPECT_EQ(floatToBF16(1.0f + 0x3.0p-8f), 0x3F82);
  // Just above a tie rounds up.
  EXPECT_EQ(floatToBF16(1.0f + 0x1.0p-8f + 0x1.0p-20f), 0x3F81);
  // The largest float rounds to infinity.
  EXPECT_EQ(floatToBF16(FLT_MAX), 0x7F80);
}

TEST(FloatTest, BF16SpecialValues) {
  EXPECT_EQ(floatToBF16(INFINITY), 0x7F80);
  EXPECT_EQ(floatToBF16(-INFINITY), 0xFF80);
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBF16(NAN))));
  // A NaN whose payload lives only in the low 16 bits stays a NaN.
  EXPECT_TRUE(std::isnan(bf16ToFloat(floatToBF16(bitsToFloat(0x7F800001u)))));
  EXPECT_TRUE(std::isnan(bf16ToFloat(doubleToBF16(std::nan("")))));
  EXPECT_EQ(floatToBF16(-0.0f), 0x8000);
}

TEST(FloatTest, BF16RoundTripsEveryValue) {
  for (uint32_t bits = 0; bits < 0x10000u; ++bits) {
    float value = bf16ToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(value))
      continue;
    ASSERT_EQ(floatToBF16(value), bits) << std::hex << bits;
  }
}

TEST(FloatTest, F16Basics) {
  EXPECT_EQ(floatToF16(1.0f), 0x3C00);
  EXPECT_EQ(f16ToFloat(0x3C00), 1.0f);
  EXPECT_EQ(floatToF16(65504.0f), 0x7BFF); // largest finite
  EXPECT_EQ(floatToF16(65519.0f), 0x7BFF);
  // 65520 is the tie between 65504 (odd mantissa) and infinity.
  EXPECT_EQ(floatToF16(65520.0f), 0x7C00);
  EXPECT_EQ(floatToF16(0x1.0p-24f), 0x0001); // smallest subnormal
  EXPECT_EQ(floatToF16(0x1.0p-25f), 0x0000); // tie to even zero
  EXPECT_EQ(floatToF16(0x3.0p-26f), 0x0001);
  EXPECT_EQ(floatToF16(0x1.0p-14f), 0x0400); // smallest normal
  // A subnormal that rounds up into the smallest normal.
  EXPECT_EQ(floatToF16(0x1.0p-14f - 0x1.0p-26f), 0x0400);
  // Ties at 1: the ulp is 2^-10.
  EXPECT_EQ(floatToF16(1.0f + 0x1.0p-11f), 0x3C00);
  EXPECT_EQ(floatToF16(1.0f + 0x3.0p-11f), 0x3C02);
  EXPECT_EQ(floatToF16(INFINITY), 0x7C00);
  EXPECT_EQ(floatToF16(-INFINITY), 0xFC00);
  EXPECT_TRUE(std::isnan(f16ToFloat(floatToF16(NAN))));
  EXPECT_TRUE(std::isnan(f16ToFloat(floatToF16(bitsToFloat(0x7F800001u)))));
  EXPECT_EQ(floatToF16(1e-30f), 0x0000);
  EXPECT_EQ(floatToF16(-1e-30f), 0x8000);
}

TEST(FloatTest, F16RoundTripsEveryValue) {
  for (uint32_t bits = 0; bits < 0x10000u; ++bits) {
    float value = f16ToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(value))
      continue;
    ASSERT_EQ(floatToF16(value), bits) << std::hex << bits;
  }
}

/// Checks that `bits` is the nearest f16 to `value`, ties to even, by looking
/// at its neighbours: an independent statement of what rounding means.
void expectNearestF16(float value, uint16_t bits) {
  double x = value;
  double chosen = f16ToFloat(bits);
  ASSERT_FALSE(std::isnan(chosen));
  if (std::isinf(chosen)) {
    EXPECT_GE(std::fabs(x), 65520.0) << value;
    return;
  }
  for (int step : {-1, 1}) {
    // Neighbours in magnitude, same sign.
    int magnitude = (bits & 0x7FFF) + step;
    if (magnitude < 0 || magnitude >= 0x7C00)
      continue;
    double other =
        f16ToFloat(static_cast<uint16_t>((bits & 0x8000) | magnitude));
    double dChosen = std::fabs(x - chosen), dOther = std::fabs(x - other);
    EXPECT_LE(dChosen, dOther) << value;
    if (dChosen == dOther) {
      EXPECT_EQ(bits & 1, 0) << value;
    }
  }
}

TEST(FloatTest, F16IsNearestOnRandomFloats) {
  std::mt19937 engine(7);
  std::uniform_real_distribution<float> exponent(-26.0f, 16.0f);
  std::uniform_real_distribution<float> mantissa(1.0f, 2.0f);
  for (int i = 0; i < 200000; ++i) {
    float value = std::ldexp(mantissa(engine),
                             static_cast<int>(std::floor(exponent(engine))));
    if (i & 1)
      value = -value;
    expectNearestF16(value, floatToF16(value));
  }
}

TEST(FloatTest, DoubleConversionsAvoidDoubleRounding) {
  // 1 + 2^-8 + 2^-40 lies above the bf16 tie at 1 + 2^-8, so it rounds up;
  // rounding to float first would land exactly on the tie and round down.
  double value = 1.0 + 0x1.0p-8 + 0x1.0p-40;
  EXPECT_EQ(floatToBF16(static_cast<float>(value)), 0x3F80);
  EXPECT_EQ(doubleToBF16(value), 0x3F81);
  EXPECT_EQ(doubleToF16(1.0 + 0x1.0p-11 + 0x1.0p-40), 0x3C01);
  EXPECT_EQ(doubleToF16(1.0 + 0x1.0p-11), 0x3C00);
  EXPECT_EQ(doubleToF16(-1.0 - 0x1.0p-11 - 0x1.0p-40), 0xBC01);
  EXPECT_EQ(doubleToBF16(1e300), 0x7F80);
  EXPECT_EQ(doubleToBF16(-1e300), 0xFF80);
  EXPECT_EQ(doubleToF16(1e300), 0x7C00);
  EXPECT_EQ(doubleToBF16(1e-300), 0x0000);
  EXPECT_EQ(doubleToBF16(-1e-300), 0x8000);
  EXPECT_EQ(doubleToBF16(INFINITY), 0x7F80);
}

} // namespace
