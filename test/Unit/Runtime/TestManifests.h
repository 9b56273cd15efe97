//===- TestManifests.h - Manifests shared by the runtime tests --*- C++ -*-===//
//
// A realistic manifest (Gated DeltaNet with a workspace and two kernels) that
// the parser, shape-binding and launch-planning tests share, plus a helper
// that derives malformed variants from it by text substitution, so each
// negative test states only what it breaks.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_TEST_UNIT_RUNTIME_TESTMANIFESTS_H
#define PRISM_TEST_UNIT_RUNTIME_TESTMANIFESTS_H

#include "gtest/gtest.h"

#include <string>

namespace prism {
namespace test {

/// Buffers: 0 q, 1 k, 2 v, 3 g, 4 beta, 5 gcum (workspace), 6 o,
/// 7 final_state. Caller buffers: 0 1 2 3 4 6 7.
inline const char *gatedDeltaNetManifest() {
  return R"json({
  "version": 1,
  "function": "gated_deltanet",
  "backend": "cuda",
  "module": "gated_deltanet.ptx",
  "symbols": ["B", "T"],
  "buffers": [
    {"name": "q", "role": "input", "dtype": "bf16",
     "shape": ["B", "T", 4, 64], "access": "read"},
    {"name": "k", "role": "input", "dtype": "bf16",
     "shape": ["B", "T", 4, 64], "access": "read"},
    {"name": "v", "role": "input", "dtype": "bf16",
     "shape": ["B", "T", 4, 64], "access": "read"},
    {"name": "g", "role": "input", "dtype": "f32",
     "shape": ["B", "T", 4], "access": "read"},
    {"name": "beta", "role": "input", "dtype": "bf16",
     "shape": ["B", "T", 4], "access": "read"},
    {"name": "gcum", "role": "workspace", "dtype": "f32",
     "shape": ["B", "T", 4], "access": "readwrite"},
    {"name": "o", "role": "output", "dtype": "bf16",
     "shape": ["B", "T", 4, 64], "access": "write"},
    {"name": "final_state", "role": "output", "dtype": "f32",
     "shape": ["B", 4, 64, 64], "access": "write"}
  ],
  "kernels": [
    {
      "name": "gdn_cumsum",
      "schedule": "elementwise",
      "grid": ["ceildiv(T, 128)", "B", 4],
      "block": [128, 1, 1],
      "shared_memory_bytes": 0,
      "params": [
        {"kind": "buffer", "buffer": 3, "abi": "memref"},
        {"kind": "buffer", "buffer": 5, "abi": "pointer"},
        {"kind": "index", "value": "T"}
      ]
    },
    {
      "name": "gdn_chunk",
      "schedule": "chunked(64)",
      "grid": [2, "B * 4", 1],
      "block": [128, 1, 1],
      "shared_memory_bytes": 65536,
      "params": [
        {"kind": "buffer", "buffer": 0, "abi": "pointer"},
        {"kind": "buffer", "buffer": 1, "abi": "pointer"},
        {"kind": "buffer", "buffer": 2, "abi": "pointer"},
        {"kind": "buffer", "buffer": 4, "abi": "pointer"},
        {"kind": "buffer", "buffer": 5, "abi": "pointer"},
        {"kind": "buffer", "buffer": 6, "abi": "pointer"},
        {"kind": "buffer", "buffer": 7, "abi": "memref"},
        {"kind": "index", "value": "T"},
        {"kind": "index", "value": "ceildiv(T, 64)"}
      ]
    }
  ],
  "recurrence": {
    "forget": "delta",
    "rank": 1,
    "key_dim": 64, "value_dim": 64, "heads": 4,
    "scale": 0.125,
    "state_layout": "kv",
    "query": 0,
    "log_decay": 3,
    "erase_key": 1,
    "erase_strength": 4,
    "erase_beta_max": 1.0,
    "normalize_erase_key": false,
    "keys": [1],
    "values": [2],
    "initial_state": -1,
    "output": 6,
    "final_state": 7
  }
})json";
}

/// `text` with its only occurrence of `from` replaced by `to`. Fails the test
/// when `from` does not occur exactly once, so a variant cannot silently stop
/// testing what it claims to.
inline std::string replaced(const std::string &text, const std::string &from,
                            const std::string &to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' not in the manifest";
  if (at == std::string::npos)
    return text;
  EXPECT_EQ(text.find(from, at + 1), std::string::npos)
      << "'" << from << "' occurs more than once";
  return text.substr(0, at) + to + text.substr(at + from.size());
}

/// The shared manifest with one substitution.
inline std::string gatedDeltaNetWith(const std::string &from,
                                     const std::string &to) {
  return replaced(gatedDeltaNetManifest(), from, to);
}

} // namespace test
} // namespace prism

#endif // PRISM_TEST_UNIT_RUNTIME_TESTMANIFESTS_H
