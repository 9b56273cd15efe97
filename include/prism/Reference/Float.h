//===- Float.h - bf16 and f16 conversions -----------------------*- C++ -*-===//
//
// Bit-exact conversions between float and the 16-bit storage types, rounding
// to nearest even with NaN and infinities preserved. The harness stores inputs
// in the program's dtypes through these, so the oracle reads exactly the
// values the device reads. Header-only with no dependency, so any host
// program can use them.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_REFERENCE_FLOAT_H
#define PRISM_REFERENCE_FLOAT_H

#include <cmath>
#include <cstdint>
#include <cstring>

namespace prism {
namespace ref {

inline uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

inline float bitsToFloat(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

//===----------------------------------------------------------------------===//
// bfloat16
//===----------------------------------------------------------------------===//

/// float -> bf16 bits, round to nearest even. Overflow rounds to infinity.
inline uint16_t floatToBF16(float value) {
  uint32_t bits = floatBits(value);
  if (std::isnan(value))
    // Keep sign and payload top bits; force a quiet NaN so truncation of a
    // payload that lives only in the low bits cannot produce infinity.
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  // Adding 0x7FFF plus the lowest kept bit rounds ties to even; a carry into
  // the exponent is exactly the correct rounding (up to infinity at the top).
  uint32_t lsb = (bits >> 16) & 1u;
  bits += 0x7FFFu + lsb;
  return static_cast<uint16_t>(bits >> 16);
}

inline float bf16ToFloat(uint16_t bits) {
  return bitsToFloat(static_cast<uint32_t>(bits) << 16);
}

//===----------------------------------------------------------------------===//
// IEEE binary16
//===----------------------------------------------------------------------===//

/// float -> f16 bits, round to nearest even, with subnormals; overflow rounds
/// to infinity.
inline uint16_t floatToF16(float value) {
  uint32_t bits = floatBits(value);
  uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  uint32_t exponent = (bits >> 23) & 0xFFu;
  uint32_t mantissa = bits & 0x7FFFFFu;

  if (exponent == 0xFFu) {
    if (mantissa == 0)
      return sign | 0x7C00u;
    // Quiet NaN, keeping the top payload bits.
    return static_cast<uint16_t>(sign | 0x7E00u | (mantissa >> 13));
  }

  // Unbiased exponent; float subnormals are far below the f16 range and
  // round to zero below, so treating them as exponent -127 is harmless.
  int32_t e = static_cast<int32_t>(exponent) - 127;
  if (e > 15)
    return sign | 0x7C00u;

  // The significand with its implicit bit, 24 bits wide.
  uint32_t significand = exponent ? (mantissa | 0x800000u) : mantissa;

  // Number of low bits to drop: 13 for normal f16 results, more for
  // subnormal ones (the f16 subnormal quantum is 2^-24).
  int32_t shift = e >= -14 ? 13 : 13 + (-14 - e);
  if (shift > 24 + 1)
    return sign; // Below half the smallest subnormal: rounds to zero.

  uint32_t kept = significand >> shift;
  uint32_t dropped = significand & ((1u << shift) - 1u);
  uint32_t half = 1u << (shift - 1);
  if (dropped > half || (dropped == half && (kept & 1u)))
    ++kept;

  if (e >= -14) {
    // Normal: kept holds the implicit bit at position 10. A carry out of the
    // mantissa bumps the exponent, which the addition below does naturally.
    uint32_t result = (static_cast<uint32_t>(e + 15) << 10) + (kept - 0x400u);
    if (result >= 0x7C00u)
      return sign | 0x7C00u;
    return static_cast<uint16_t>(sign | result);
  }
  // Subnormal: kept is the mantissa; rounding up into 0x400 yields the
  // smallest normal, whose encoding is exactly 0x400.
  return static_cast<uint16_t>(sign | kept);
}

inline float f16ToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exponent = (bits >> 10) & 0x1Fu;
  uint32_t mantissa = bits & 0x3FFu;
  if (exponent == 0x1Fu)
    return bitsToFloat(sign | 0x7F800000u | (mantissa << 13));
  if (exponent == 0) {
    // Subnormal (or zero): mantissa * 2^-24, exact in float.
    float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
    return sign ? -magnitude : magnitude;
  }
  return bitsToFloat(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

//===----------------------------------------------------------------------===//
// From double
//===----------------------------------------------------------------------===//

/// double -> float rounded to odd: the truncation, with its lowest bit set
/// when inexact. Rounding that result to any format with at least two fewer
/// significand bits (bf16, f16) equals rounding the double directly, which
/// plain double -> float -> 16-bit rounding does not guarantee (double
/// rounding).
inline float doubleToFloatRoundToOdd(double value) {
  float nearest = static_cast<float>(value);
  if (std::isnan(value) || static_cast<double>(nearest) == value)
    return nearest;
  // Inexact: step to the truncation (toward zero) when nearest rounded away.
  float truncated = nearest;
  if (std::fabs(static_cast<double>(nearest)) > std::fabs(value))
    truncated = std::nextafter(nearest, 0.0f);
  return bitsToFloat(floatBits(truncated) | 1u);
}

inline uint16_t doubleToBF16(double value) {
  return floatToBF16(doubleToFloatRoundToOdd(value));
}

inline uint16_t doubleToF16(double value) {
  return floatToF16(doubleToFloatRoundToOdd(value));
}

} // namespace ref
} // namespace prism

#endif // PRISM_REFERENCE_FLOAT_H
