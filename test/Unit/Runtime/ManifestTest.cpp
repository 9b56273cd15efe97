//===- ManifestTest.cpp - Manifest parsing and shape binding --------------===//

#include "prism/Runtime/Manifest.h"

#include "TestManifests.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdio>
#include <fstream>

using namespace prism::runtime;
using prism::test::gatedDeltaNetManifest;
using prism::test::gatedDeltaNetWith;
using prism::test::replaced;

namespace {

Manifest parseOk(const std::string &text) {
  Manifest manifest;
  std::string error;
  EXPECT_TRUE(parseManifest(text, manifest, error)) << error;
  return manifest;
}

std::string parseError(const std::string &text) {
  Manifest manifest;
  std::string error;
  EXPECT_FALSE(parseManifest(text, manifest, error)) << "accepted";
  return error;
}

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

TEST(Manifest, ParsesEveryField) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  EXPECT_EQ(m.version, 1);
  EXPECT_EQ(m.function, "gated_deltanet");
  EXPECT_EQ(m.backend, "cuda");
  EXPECT_EQ(m.module, "gated_deltanet.ptx");
  EXPECT_EQ(m.symbols, (std::vector<std::string>{"B", "T"}));

  ASSERT_EQ(m.buffers.size(), 8u);
  const Buffer &q = m.buffers[0];
  EXPECT_EQ(q.name, "q");
  EXPECT_EQ(q.role, Role::Input);
  EXPECT_EQ(q.dtype, DType::BF16);
  EXPECT_EQ(q.access, Access::Read);
  ASSERT_EQ(q.shape.size(), 4u);
  EXPECT_EQ(q.shape[0].symbol, "B");
  EXPECT_FALSE(q.shape[0].isStatic());
  EXPECT_EQ(q.shape[2].value, 4);
  EXPECT_TRUE(q.shape[2].isStatic());
  EXPECT_EQ(formatShape(q), "[B, T, 4, 64]");
  EXPECT_EQ(m.buffers[5].role, Role::Workspace);
  EXPECT_EQ(m.buffers[5].access, Access::ReadWrite);
  EXPECT_EQ(m.buffers[6].role, Role::Output);
  EXPECT_EQ(m.buffers[6].access, Access::Write);

  ASSERT_EQ(m.kernels.size(), 2u);
  const Kernel &k0 = m.kernels[0];
  EXPECT_EQ(k0.name, "gdn_cumsum");
  EXPECT_EQ(k0.schedule, "elementwise");
  EXPECT_EQ(k0.grid[0].text, "ceildiv(T, 128)");
  EXPECT_EQ(k0.grid[2].text, "4"); // Plain integers become expressions.
  EXPECT_EQ(k0.block[0].text, "128");
  ASSERT_EQ(k0.params.size(), 3u);
  EXPECT_EQ(k0.params[0].kind, KernelParam::Kind::BufferMemref);
  EXPECT_EQ(k0.params[0].buffer, 3);
  EXPECT_EQ(k0.params[1].kind, KernelParam::Kind::BufferPointer);
  EXPECT_EQ(k0.params[2].kind, KernelParam::Kind::Index);
  EXPECT_EQ(k0.params[2].value.text, "T");
  EXPECT_EQ(m.kernels[1].sharedMemoryBytes, 65536);

  const Recurrence &r = m.recurrence;
  EXPECT_EQ(r.forget, "delta");
  EXPECT_EQ(r.rank, 1);
  EXPECT_EQ(r.keyDim, 64);
  EXPECT_EQ(r.valueDim, 64);
  EXPECT_EQ(r.heads, 4);
  EXPECT_DOUBLE_EQ(r.scale, 0.125);
  EXPECT_EQ(r.stateLayout, "kv");
  EXPECT_EQ(r.query, 0);
  EXPECT_EQ(r.logDecay, 3);
  EXPECT_EQ(r.eraseKey, 1);
  EXPECT_EQ(r.eraseStrength, 4);
  EXPECT_EQ(r.keys, std::vector<int>{1});
  EXPECT_EQ(r.values, std::vector<int>{2});
  EXPECT_TRUE(r.injectGates.empty());
  EXPECT_FALSE(r.refine.has_value());
  EXPECT_EQ(r.initialState, -1);
  EXPECT_EQ(r.output, 6);
  EXPECT_EQ(r.finalState, 7);
}

TEST(Manifest, CallerBuffersSkipWorkspaces) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  EXPECT_EQ(m.callerBuffers(), (std::vector<int>{0, 1, 2, 3, 4, 6, 7}));
}

TEST(Manifest, DefaultsForOptionalFields) {
  std::string text = gatedDeltaNetWith("\"scale\": 0.125,", "");
  text = prism::test::replaced(text, "\"state_layout\": \"kv\",", "");
  text = prism::test::replaced(text, "\"rank\": 1,", "");
  text = prism::test::replaced(text, "\"initial_state\": -1,", "");
  Manifest m = parseOk(text);
  EXPECT_DOUBLE_EQ(m.recurrence.scale, 1.0 / std::sqrt(64.0));
  EXPECT_EQ(m.recurrence.stateLayout, "kv");
  EXPECT_EQ(m.recurrence.rank, 1);
  EXPECT_EQ(m.recurrence.initialState, -1);
}

TEST(Manifest, RefineAndShortConvs) {
  Manifest m = parseOk(
      gatedDeltaNetWith("\"values\": [2],",
                        R"("refine": {"anchor": 2, "value": 3, "gains": [4],
                    "activation": "gelu"},
         "short_convs": [{"input": 0, "weight": 3, "bias": -1,
                          "activation": "silu", "output": 2}],)"));
  ASSERT_TRUE(m.recurrence.refine.has_value());
  EXPECT_EQ(m.recurrence.refine->anchor, 2);
  EXPECT_EQ(m.recurrence.refine->gains, std::vector<int>{4});
  EXPECT_EQ(m.recurrence.refine->activation, "gelu");
  ASSERT_EQ(m.recurrence.shortConvs.size(), 1u);
  EXPECT_EQ(m.recurrence.shortConvs[0].weight, 3);
  EXPECT_EQ(m.recurrence.shortConvs[0].bias, -1);
  EXPECT_EQ(m.recurrence.shortConvs[0].cache, -1);
  EXPECT_EQ(m.recurrence.shortConvs[0].activation, "silu");
}

TEST(Manifest, InvalidJsonIsReported) {
  EXPECT_NE(parseError("{\"version\": 1,}").find("invalid JSON: line 1"),
            std::string::npos);
  EXPECT_EQ(parseError("[]"), "manifest: expected an object, found array");
}

//===----------------------------------------------------------------------===//
// The JSON layer (nlohmann/json, with the strictness a manifest needs)
//===----------------------------------------------------------------------===//

/// Checks that `text` is refused as JSON at `where` ("line L, column C"),
/// with `phrase` in the rest of the message (nlohmann's wording).
void expectJsonError(const std::string &text, const std::string &where,
                     const std::string &phrase) {
  std::string error = parseError(text);
  std::string prefix = "invalid JSON: " + where + ": ";
  EXPECT_EQ(error.substr(0, prefix.size()), prefix) << error;
  EXPECT_NE(error.find(phrase), std::string::npos)
      << "no '" << phrase << "' in: " << error;
}

TEST(ManifestJson, ErrorsCarryLineAndColumn) {
  expectJsonError(gatedDeltaNetWith("\"version\": 1,", "\"version\" 1,"),
                  "line 2, column 13", "expected ':'");
  // A newline ends its line: the column is past the line's last character.
  expectJsonError("{\n  \"a\": 1,\n  \"b\" 2\n}", "line 3, column 7",
                  "expected ':'");
}

TEST(ManifestJson, RejectsMalformedTokens) {
  struct Case {
    const char *text, *where, *phrase;
  } cases[] = {
      {"", "line 1, column 1", "unexpected end of input"},
      {"1 2", "line 1, column 3", "expected end of input"},
      {"[1 2]", "line 1, column 4", "expected ']'"},
      {"{\"a\" 1}", "line 1, column 6", "expected ':'"},
      {"\"abc", "line 1, column 5", "missing closing quote"},
      {"\"a\nb\"", "line 1, column 3", "control character U+000A"},
      {"\"\\x\"", "line 1, column 3", "forbidden character after backslash"},
      {"\"\\u12\"", "line 1, column 6", "4 hex digits"},
      {"\"\\ud83d\"", "line 1, column 8", "surrogate"},
      {"0123", "line 1, column 4", "expected end of input"},
      {"1.", "line 1, column 3", "digit after '.'"},
      {"1e", "line 1, column 3", "after exponent"},
      {"-", "line 1, column 2", "digit after '-'"},
      {"tru", "line 1, column 4", "invalid literal"},
      {"nul", "line 1, column 4", "invalid literal"},
      {"'a'", "line 1, column 1", "invalid literal"},
      {"NaN", "line 1, column 1", "invalid literal"},
      {"Infinity", "line 1, column 1", "invalid literal"},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.text);
    expectJsonError(c.text, c.where, c.phrase);
  }
}

TEST(ManifestJson, TrailingCommasAndCommentsAreErrors) {
  expectJsonError(gatedDeltaNetWith("\"keys\": [1]", "\"keys\": [1,]"),
                  "line 69, column 16", "unexpected ']'");
  expectJsonError(
      gatedDeltaNetWith("\"final_state\": 7", "\"final_state\": 7,"),
      "line 74, column 3", "unexpected '}'");
  expectJsonError(
      gatedDeltaNetWith("\"version\": 1,", "\"version\": 1, // by prism"),
      "line 2, column 17", "invalid literal");
  expectJsonError(
      gatedDeltaNetWith("\"version\": 1,", "/* by prism */ \"version\": 1,"),
      "line 2, column 3", "invalid literal");
}

TEST(ManifestJson, DuplicateKeysAreErrors) {
  // nlohmann would keep the last silently; the location is the second key's.
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"version\": 1,",
                                         "\"version\": 1, \"version\": 1,")),
            "invalid JSON: line 2, column 17: duplicate key \"version\"");
  EXPECT_EQ(parseError(gatedDeltaNetWith(
                "{\"name\": \"v\", \"role\": \"input\", \"dtype\": \"bf16\",",
                "{\"name\": \"v\", \"role\": \"input\", \"dtype\": \"bf16\", "
                "\"dtype\": \"f32\",")),
            "invalid JSON: line 12, column 53: duplicate key \"dtype\" in "
            "buffers[2]");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"normalize_erase_key\": false,",
                                         "\"normalize_erase_key\": false, "
                                         "\"norm\\u0061lize_erase_key\": "
                                         "true,")),
            "invalid JSON: line 68, column 35: duplicate key "
            "\"normalize_erase_key\" in recurrence");
}

TEST(ManifestJson, IntegersAreExact) {
  // 2^53 + 1 is not a double: integers never go through floating point.
  Manifest m = parseOk(gatedDeltaNetWith("\"shared_memory_bytes\": 65536",
                                         "\"shared_memory_bytes\": "
                                         "9007199254740993"));
  EXPECT_EQ(m.kernels[1].sharedMemoryBytes, 9007199254740993LL);
  m = parseOk(gatedDeltaNetWith("\"shared_memory_bytes\": 65536",
                                "\"shared_memory_bytes\": "
                                "9223372036854775807"));
  EXPECT_EQ(m.kernels[1].sharedMemoryBytes, INT64_MAX);
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"shape\": [\"B\", 4, 64, 64]",
                                         "\"shape\": [\"B\", 4, "
                                         "-9223372036854775808, 64]")),
            "buffers[7].shape[2]: negative dimension -9223372036854775808");
}

TEST(ManifestJson, FractionsExponentsAndOverflowAreNotIntegers) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"version\": 1", "\"version\": 1.0")),
            "version: expected an integer, found number");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"version\": 1", "\"version\": 1e0")),
            "version: expected an integer, found number");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"shape\": [\"B\", 4, 64, 64]",
                                         "\"shape\": [\"B\", 4, 64.0, 64]")),
            "buffers[7].shape[2]: expected integer or symbol, found number");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"grid\": [2, \"B * 4\", 1]",
                                         "\"grid\": [2e0, \"B * 4\", 1]")),
            "kernels[1].grid[0]: expected integer or expression, found number");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"keys\": [1]", "\"keys\": [1.0]")),
            "recurrence.keys[0]: expected a buffer index (integer), found "
            "number");
  // Integers beyond int64_t are numbers, not (wrapped) integers.
  for (const char *big :
       {"9223372036854775808", "18446744073709551615", "-9223372036854775809",
        "123456789012345678901234567890"}) {
    SCOPED_TRACE(big);
    EXPECT_EQ(parseError(gatedDeltaNetWith(
                  "\"shared_memory_bytes\": 65536",
                  std::string("\"shared_memory_bytes\": ") + big)),
              "kernels[1].shared_memory_bytes: expected an integer, found "
              "number");
  }
  // Where a number is wanted, every JSON number is one.
  Manifest m =
      parseOk(gatedDeltaNetWith("\"scale\": 0.125", "\"scale\": 1.5E-2"));
  EXPECT_DOUBLE_EQ(m.recurrence.scale, 0.015);
  m = parseOk(
      gatedDeltaNetWith("\"erase_beta_max\": 1.0", "\"erase_beta_max\": 2"));
  EXPECT_DOUBLE_EQ(m.recurrence.eraseBetaMax, 2.0);
  // A double's overflow is a JSON error, located.
  expectJsonError(gatedDeltaNetWith("\"scale\": 0.125", "\"scale\": 1e999"),
                  "line 61, column 18", "number overflow parsing '1e999'");
}

TEST(ManifestJson, StringsAreDecoded) {
  Manifest m = parseOk(gatedDeltaNetWith(
      "\"function\": \"gated_deltanet\"",
      R"("function": "a\"b\\c\/d\n\t\r\b\f\u0041\u00e9\ud83d\ude00")"));
  EXPECT_EQ(m.function, "a\"b\\c/d\n\t\r\b\fA\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(ManifestJson, InvalidUtf8IsAnError) {
  expectJsonError(gatedDeltaNetWith("\"function\": \"gated_deltanet\"",
                                    "\"function\": \"gated\xff\""),
                  "line 3, column 21", "ill-formed UTF-8");
  // A multi-byte sequence cut short by the closing quote.
  expectJsonError(gatedDeltaNetWith("\"function\": \"gated_deltanet\"",
                                    "\"function\": \"gated\xc3\""),
                  "line 3, column 22", "ill-formed UTF-8");
  expectJsonError(gatedDeltaNetWith("\"version\": 1", "\"version\": \xff"),
                  "line 2, column 14", "invalid literal");
}

TEST(ManifestJson, FirstUnknownFieldInDocumentOrder) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"version\": 1,",
                                         "\"version\": 1, \"zeta\": 1, "
                                         "\"alpha\": 2,")),
            "manifest: unknown field 'zeta'");
}

TEST(ManifestJson, DeepNestingIsAnErrorNotACrash) {
  // nlohmann's parser and destructor are iterative, but a document that deep
  // is never a manifest: parsing stops at the first bracket past the limit.
  const std::string where = "line 1, column 257";
  expectJsonError(std::string(100000, '['), where,
                  "nesting deeper than 256 levels");
  expectJsonError(std::string(100000, '[') + std::string(100000, ']'), where,
                  "nesting deeper than 256 levels");
  std::string objects;
  for (int i = 0; i < 100000; ++i)
    objects += "{\"\":";
  expectJsonError(objects, "line 1, column 1025",
                  "nesting deeper than 256 levels");
  // The limit counts every level: the manifest's object and "recurrence" are
  // two. Within it the document parses and the reader finds the type wrong.
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"scale\": 0.125",
                                         "\"scale\": " + std::string(250, '[') +
                                             std::string(250, ']'))),
            "recurrence.scale: expected a number, found array");
  expectJsonError(gatedDeltaNetWith("\"scale\": 0.125",
                                    "\"scale\": " + std::string(300, '[') +
                                        std::string(300, ']')),
                  "line 61, column 268", "nesting deeper than 256 levels");
}

TEST(ManifestJson, MalformedVariantsAreErrorsNotExceptions) {
  // Every prefix of the manifest and every byte replaced by a few of the
  // characters that matter to JSON: an error, never an exception that would
  // cross the C API.
  const std::string text = gatedDeltaNetManifest();
  Manifest manifest;
  std::string error;
  for (size_t cut = 0; cut < text.size(); ++cut) {
    EXPECT_NO_THROW(
        EXPECT_FALSE(parseManifest(text.substr(0, cut), manifest, error)));
  }
  for (size_t at = 0; at < text.size(); ++at) {
    for (char c : {'"', '[', '{', '\\', '\xff', '\0'}) {
      std::string variant = text;
      variant[at] = c;
      EXPECT_NO_THROW(parseManifest(variant, manifest, error));
    }
  }
}

TEST(Manifest, VersionMustBeOne) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"version\": 1", "\"version\": 2")),
            "version: unsupported version 2 (this runtime reads version 1)");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"version\": 1,", "")),
            "manifest: missing field 'version'");
}

TEST(Manifest, GridEntriesMustBeIntegersOrExpressions) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"grid\": [2, \"B * 4\", 1]",
                                         "\"grid\": [2, true, 1]")),
            "kernels[1].grid[1]: expected integer or expression, found "
            "boolean");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"block\": [128, 1, 1],\n      "
                                         "\"shared_memory_bytes\": 65536",
                                         "\"block\": [128, 1],\n      "
                                         "\"shared_memory_bytes\": 65536")),
            "kernels[1].block: expected 3 entries (x, y, z), found 2");
}

TEST(Manifest, ExpressionsAreCheckedAtParseTime) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"B * 4\"", "\"H * 4\"")),
            "kernels[1].grid[1]: unknown symbol 'H' in expression 'H * 4'");
  EXPECT_NE(
      parseError(gatedDeltaNetWith("\"ceildiv(T, 64)\"", "\"ceildiv(T 64)\""))
          .find("kernels[1].params[8].value: syntax error"),
      std::string::npos);
}

TEST(Manifest, RejectsUnknownEnumerations) {
  EXPECT_EQ(parseError(gatedDeltaNetWith(
                "\"name\": \"g\", \"role\": \"input\", \"dtype\": \"f32\"",
                "\"name\": \"g\", \"role\": \"input\", \"dtype\": \"f8\"")),
            "buffers[3].dtype: unknown dtype 'f8' (expected f32, f16, bf16, "
            "i32, i64)");
  EXPECT_EQ(
      parseError(gatedDeltaNetWith("\"name\": \"q\", \"role\": \"input\"",
                                   "\"name\": \"q\", \"role\": \"scratch\"")),
      "buffers[0].role: unknown value 'scratch' (expected input, "
      "output, workspace)");
  EXPECT_EQ(parseError(gatedDeltaNetWith(
                "{\"kind\": \"buffer\", \"buffer\": 3, \"abi\": \"memref\"}",
                "{\"kind\": \"buffer\", \"buffer\": 3, \"abi\": \"bare\"}")),
            "kernels[0].params[0].abi: unknown value 'bare' (expected "
            "memref, pointer)");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"T\", 4, 64], \"access\": \"write\"",
                                         "\"T\", 4, 64], \"access\": \"w\"")),
            "buffers[6].access: unknown value 'w' (expected read, write, "
            "readwrite)");
  EXPECT_NE(parseError(gatedDeltaNetWith("\"backend\": \"cuda\"",
                                         "\"backend\": \"rocm\""))
                .find("backend: unknown value 'rocm'"),
            std::string::npos);
  EXPECT_NE(parseError(gatedDeltaNetWith("\"forget\": \"delta\"",
                                         "\"forget\": \"mamba\""))
                .find("recurrence.forget: unknown value 'mamba'"),
            std::string::npos);
}

TEST(Manifest, RejectsUnknownAndMissingFields) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"schedule\": \"elementwise\",",
                                         "\"schedul\": \"elementwise\",")),
            "kernels[0]: unknown field 'schedul'");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"name\": \"gdn_chunk\",", "")),
            "kernels[1]: missing field 'name'");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"output\": 6,", "")),
            "recurrence: missing field 'output'");
}

TEST(Manifest, BufferIndicesAreRangeChecked) {
  EXPECT_EQ(parseError(gatedDeltaNetWith(
                "{\"kind\": \"buffer\", \"buffer\": 3, \"abi\": \"memref\"}",
                "{\"kind\": \"buffer\", \"buffer\": 8, \"abi\": \"memref\"}")),
            "kernels[0].params[0].buffer: buffer index 8 out of range (the "
            "manifest has 8 buffers)");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"keys\": [1]", "\"keys\": [-1]")),
            "recurrence.keys[0]: buffer index -1 out of range (the manifest "
            "has 8 buffers)");
  EXPECT_EQ(
      parseError(gatedDeltaNetWith("\"log_decay\": 3", "\"log_decay\": 12")),
      "recurrence.log_decay: buffer index 12 out of range (the "
      "manifest has 8 buffers; -1 means absent)");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"query\": 0", "\"query\": -1")),
            "recurrence.query: buffer index -1 out of range (the manifest "
            "has 8 buffers)");
}

TEST(Manifest, ShapesUseDeclaredSymbols) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"shape\": [\"B\", 4, 64, 64]",
                                         "\"shape\": [\"N\", 4, 64, 64]")),
            "buffers[7].shape[0]: unknown symbol 'N' (not in 'symbols')");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"shape\": [\"B\", 4, 64, 64]",
                                         "\"shape\": [\"B\", 4, -64, 64]")),
            "buffers[7].shape[2]: negative dimension -64");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"symbols\": [\"B\", \"T\"]",
                                         "\"symbols\": [\"B\", \"T\", \"N\"]")),
            "symbols[2]: 'N' appears in no input or output shape");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"symbols\": [\"B\", \"T\"]",
                                         "\"symbols\": [\"B\", \"T\", \"B\"]")),
            "symbols[2]: duplicate symbol 'B'");
}

TEST(Manifest, BufferConsistency) {
  EXPECT_EQ(
      parseError(gatedDeltaNetWith("{\"name\": \"k\"", "{\"name\": \"q\"")),
      "buffers[1].name: duplicate buffer name 'q'");
  EXPECT_EQ(
      parseError(gatedDeltaNetWith("\"T\", 4, 64], \"access\": \"write\"",
                                   "\"T\", 4, 64], \"access\": \"read\"")),
      "buffers[6].access: an output buffer must be written (write or "
      "readwrite)");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"output\": 6", "\"output\": 0")),
            "recurrence.output: buffer 0 ('q') is not an output");
}

TEST(Manifest, RecurrenceConsistency) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"rank\": 1", "\"rank\": 2")),
            "recurrence.rank: rank 2 but 1 keys");
  // DeltaNet: the delta forget without a decay gate.
  Manifest deltaNet = parseOk(gatedDeltaNetWith("\"log_decay\": 3,", ""));
  EXPECT_EQ(deltaNet.recurrence.logDecay, -1);
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"erase_key\": 1,", "")),
            "recurrence: forget 'delta' needs 'erase_key' and "
            "'erase_strength'");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"values\": [2],", "")),
            "recurrence: needs 'values' or 'refine'");
  EXPECT_EQ(parseError(gatedDeltaNetWith(
                "\"values\": [2],",
                "\"values\": [2], \"refine\": {\"anchor\": 2, \"value\": 2, "
                "\"gains\": [4], \"activation\": \"gelu\"},")),
            "recurrence: 'values' and 'refine' are exclusive");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"erase_beta_max\": 1.0",
                                         "\"erase_beta_max\": 3")),
            "recurrence.erase_beta_max: must be 1 or 2");
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"values\": [2],",
                                         "\"values\": [2], \"inject_gates\": "
                                         "[4, 4],")),
            "recurrence.inject_gates: expected one gate per key (1), found 2");
}

TEST(Manifest, ScalarDecayNeedsLogDecay) {
  std::string text =
      gatedDeltaNetWith("\"forget\": \"delta\"", "\"forget\": \"scalar\"");
  text = prism::test::replaced(text, "\"log_decay\": 3,", "");
  EXPECT_EQ(parseError(text), "recurrence: forget 'scalar' needs 'log_decay'");
}

TEST(Manifest, BackendRules) {
  EXPECT_EQ(
      parseError(gatedDeltaNetWith("\"module\": \"gated_deltanet.ptx\",", "")),
      "manifest: missing field 'module'");
  // A cpu program has no kernels and needs no module.
  std::string cpu =
      gatedDeltaNetWith("\"backend\": \"cuda\"", "\"backend\": \"cpu\"");
  cpu = prism::test::replaced(cpu, "\"module\": \"gated_deltanet.ptx\",", "");
  EXPECT_EQ(parseError(cpu), "kernels: a cpu program has no kernels");
  size_t begin = cpu.find("\"kernels\"");
  size_t end = cpu.find("\"recurrence\"");
  Manifest m = parseOk(cpu.substr(0, begin) + cpu.substr(end));
  EXPECT_EQ(m.backend, "cpu");
  EXPECT_TRUE(m.kernels.empty());
}

TEST(Manifest, LoadFromFileNamesThePath) {
  Manifest m;
  std::string error;
  EXPECT_FALSE(loadManifest("/nonexistent/x.json", m, error));
  EXPECT_NE(error.find("cannot open '/nonexistent/x.json'"), std::string::npos);

  std::string path = ::testing::TempDir() + "prism_manifest_test.json";
  {
    std::ofstream file(path);
    file << gatedDeltaNetWith("\"version\": 1", "\"version\": 3");
  }
  EXPECT_FALSE(loadManifest(path, m, error));
  EXPECT_EQ(error, path + ": version: unsupported version 3 (this runtime "
                          "reads version 1)");
  {
    std::ofstream file(path);
    file << gatedDeltaNetManifest();
  }
  EXPECT_TRUE(loadManifest(path, m, error)) << error;
  EXPECT_EQ(m.function, "gated_deltanet");
  std::remove(path.c_str());
}

//===----------------------------------------------------------------------===//
// Shape binding
//===----------------------------------------------------------------------===//

/// Shapes for every manifest buffer under B, T (workspace left empty).
std::vector<std::vector<int64_t>> shapesFor(int64_t b, int64_t t) {
  return {{b, t, 4, 64}, {b, t, 4, 64}, {b, t, 4, 64}, {b, t, 4}, {b, t, 4}, {},
          {b, t, 4, 64}, {b, 4, 64, 64}};
}

TEST(BindShapes, ConsistentShapesBindEverySymbol) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  ASSERT_TRUE(bindShapes(m, shapesFor(2, 77), bindings, error)) << error;
  EXPECT_EQ(bindings, (Bindings{{"B", 2}, {"T", 77}}));
  EXPECT_EQ(formatBindings(m, bindings), "B=2,T=77");
  EXPECT_EQ(concreteShape(m, 5, bindings), (std::vector<int64_t>{2, 77, 4}));
  EXPECT_EQ(concreteShape(m, 7, bindings),
            (std::vector<int64_t>{2, 4, 64, 64}));
}

TEST(BindShapes, WorkspaceShapeIsCheckedWhenGiven) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  auto shapes = shapesFor(2, 77);
  shapes[5] = {2, 78, 4};
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "symbol 'T' is 77 from buffer 'q' dimension 1 but 78 from "
                   "buffer 'gcum' dimension 1");
}

/// The gcum workspace sized by expressions: one row per 16-step chunk.
std::string chunkedWorkspace() {
  return gatedDeltaNetWith(
      "\"workspace\", \"dtype\": \"f32\",\n     \"shape\": [\"B\", \"T\", 4]",
      "\"workspace\", \"dtype\": \"f32\",\n     \"shape\": [\"B\", "
      "\"ceildiv(T, 16)\", 4]");
}

TEST(BindShapes, WorkspaceDimensionsMayBeExpressions) {
  Manifest m = parseOk(chunkedWorkspace());
  ASSERT_EQ(m.buffers[5].shape.size(), 3u);
  EXPECT_TRUE(m.buffers[5].shape[1].isExpr);
  EXPECT_EQ(formatShape(m.buffers[5]), "[B, ceildiv(T, 16), 4]");
  Bindings bindings;
  std::string error;
  ASSERT_TRUE(bindShapes(m, shapesFor(2, 77), bindings, error)) << error;
  EXPECT_EQ(bindings, (Bindings{{"B", 2}, {"T", 77}}));
  EXPECT_EQ(concreteShape(m, 5, bindings), (std::vector<int64_t>{2, 5, 4}));
  // Given, a workspace's shape must match what the expressions compute.
  auto shapes = shapesFor(2, 77);
  shapes[5] = {2, 5, 4};
  EXPECT_TRUE(bindShapes(m, shapes, bindings, error)) << error;
  shapes[5] = {2, 6, 4};
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "buffer 'gcum' dimension 1: size 6 given, the manifest "
                   "computes 5 [B, ceildiv(T, 16), 4]");
}

TEST(BindShapes, WorkspaceExpressionsMustEvaluateToSizes) {
  Bindings bindings;
  std::string error;
  Manifest m =
      parseOk(replaced(chunkedWorkspace(), "ceildiv(T, 16)", "T - 100"));
  EXPECT_FALSE(bindShapes(m, shapesFor(2, 77), bindings, error));
  EXPECT_EQ(error,
            "buffer 'gcum' dimension 1: 'T - 100' is -23 under B=2,T=77");
  m = parseOk(replaced(chunkedWorkspace(), "ceildiv(T, 16)", "ceildiv(T, 0)"));
  EXPECT_FALSE(bindShapes(m, shapesFor(2, 77), bindings, error));
  EXPECT_NE(error.find("buffer 'gcum' dimension 1: "), std::string::npos)
      << error;
  EXPECT_NE(error.find("division by zero"), std::string::npos) << error;
}

TEST(Manifest, OnlyWorkspacesHaveExpressionDimensions) {
  EXPECT_EQ(parseError(gatedDeltaNetWith("\"shape\": [\"B\", 4, 64, 64]",
                                         "\"shape\": [\"B\", 4, \"T + 1\", "
                                         "64]")),
            "buffers[7].shape[2]: unknown symbol 'T + 1' (not in 'symbols')");
  EXPECT_EQ(
      parseError(
          replaced(chunkedWorkspace(), "ceildiv(T, 16)", "ceildiv(N, 16)")),
      "buffers[5].shape[1]: unknown symbol 'N' in expression 'ceildiv(N, 16)'");
}

TEST(BindShapes, InconsistentSymbolNamesBothBuffers) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  auto shapes = shapesFor(2, 77);
  shapes[1][1] = 78;
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "symbol 'T' is 77 from buffer 'q' dimension 1 but 78 from "
                   "buffer 'k' dimension 1");
}

TEST(BindShapes, WrongRank) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  auto shapes = shapesFor(2, 77);
  shapes[3] = {2, 77};
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "buffer 'g': rank 2 given, the manifest declares rank 3 "
                   "[B, T, 4]");
}

TEST(BindShapes, WrongStaticDim) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  auto shapes = shapesFor(2, 77);
  shapes[0][3] = 128;
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "buffer 'q' dimension 3: size 128 given, the manifest "
                   "requires 64 [B, T, 4, 64]");
}

TEST(BindShapes, NegativeDim) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  auto shapes = shapesFor(2, -1);
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "buffer 'q' dimension 1: negative size -1");
}

TEST(BindShapes, WrongNumberOfShapes) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  auto shapes = shapesFor(2, 77);
  shapes.pop_back();
  EXPECT_FALSE(bindShapes(m, shapes, bindings, error));
  EXPECT_EQ(error, "expected 8 shapes (one per manifest buffer), got 7");
}

TEST(BindShapes, ZeroSizesBind) {
  Manifest m = parseOk(gatedDeltaNetManifest());
  Bindings bindings;
  std::string error;
  ASSERT_TRUE(bindShapes(m, shapesFor(0, 0), bindings, error)) << error;
  EXPECT_EQ(formatBindings(m, bindings), "B=0,T=0");
}

TEST(DType, NamesSizesAndByteCounts) {
  EXPECT_EQ(dtypeSize(DType::BF16), 2u);
  EXPECT_EQ(dtypeSize(DType::F32), 4u);
  EXPECT_EQ(dtypeSize(DType::I64), 8u);
  EXPECT_STREQ(dtypeName(DType::F16), "f16");
  EXPECT_EQ(parseDType("bf16"), DType::BF16);
  EXPECT_FALSE(parseDType("float").has_value());
  int64_t bytes = 0;
  EXPECT_TRUE(byteSize({2, 77, 4, 64}, DType::BF16, bytes));
  EXPECT_EQ(bytes, 2 * 77 * 4 * 64 * 2);
  EXPECT_TRUE(byteSize({}, DType::F32, bytes));
  EXPECT_EQ(bytes, 4);
  EXPECT_FALSE(byteSize({1LL << 40, 1LL << 40}, DType::F32, bytes));
  EXPECT_FALSE(byteSize({-1}, DType::F32, bytes));
}

} // namespace
