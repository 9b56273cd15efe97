//===- ManifestReader.h - Typed fields of a manifest document ---*- C++ -*-===//
//
// Shared by the manifest parser's sections (Manifest.cpp: top level, buffers,
// kernels; ManifestRecurrence.cpp: the recurrence): every read names the
// field path of what it reads, so that an error says where it is, e.g.
// "buffers[2].shape[1]: negative dimension -3".
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_LIB_RUNTIME_MANIFESTREADER_H
#define PRISM_LIB_RUNTIME_MANIFESTREADER_H

#include "JsonReader.h"

#include "prism/Runtime/Manifest.h"

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace prism {
namespace runtime {
namespace manifest {

/// "path[i]".
std::string index(const std::string &path, size_t i);
/// "path.key", or "key" at the top level (empty `path`).
std::string field(const std::string &path, const std::string &key);
/// "'text'". Not `quoted`: for a std::string, ADL would prefer std::quoted.
std::string quote(const std::string &text);

/// Reads typed fields out of JSON objects; the first failure is kept in
/// `error` as "<field path>: <what is wrong>". Every read returns false on
/// failure, so that sections chain them with ||.
class Reader {
public:
  std::string error;
  size_t numBuffers = 0;

  bool fail(const std::string &path, const std::string &what);
  bool failType(const std::string &path, const char *expected,
                const JsonValue &found);

  /// Checks that `value` is an object whose keys are all in `allowed`.
  bool object(const JsonValue &value, const std::string &path,
              std::initializer_list<const char *> allowed);

  /// The member `key`, or null (with an error when `required`).
  const JsonValue *get(const JsonValue &object, const std::string &path,
                       const char *key, bool required);

  bool string(const JsonValue &object, const std::string &path, const char *key,
              std::string &out, bool required);

  /// A string that must be one of `choices`.
  bool choice(const JsonValue &object, const std::string &path, const char *key,
              std::string &out, bool required,
              std::initializer_list<const char *> choices);

  /// An exact integer: `2.0` and `1e3` are numbers, not integers.
  bool integer(const JsonValue &object, const std::string &path,
               const char *key, int64_t &out, bool required,
               int64_t min = INT64_MIN);

  bool number(const JsonValue &object, const std::string &path, const char *key,
              double &out, bool required);

  bool boolean(const JsonValue &object, const std::string &path,
               const char *key, bool &out, bool required);

  /// An array member (absent is an empty array when not required).
  const JsonValue::array_t *array(const JsonValue &object,
                                  const std::string &path, const char *key,
                                  bool required);

  /// An integer or an expression string, checked against `symbols`.
  bool expr(const JsonValue &value, const std::string &path,
            const std::vector<std::string> &symbols, Expr &out);

  bool bufferIndex(const JsonValue &value, const std::string &path,
                   bool optional, int &out);

  /// A buffer reference member. Optional references default to -1 when
  /// absent and accept an explicit -1.
  bool bufferRef(const JsonValue &object, const std::string &path,
                 const char *key, int &out, bool required);

  bool bufferRefs(const JsonValue &object, const std::string &path,
                  const char *key, std::vector<int> &out, bool required);
};

/// The "recurrence" section; buffer references are checked against
/// `manifest.buffers`, which must be read already.
bool parseRecurrence(Reader &r, const JsonValue &value, const std::string &path,
                     const Manifest &manifest, Recurrence &rec);

} // namespace manifest
} // namespace runtime
} // namespace prism

#endif // PRISM_LIB_RUNTIME_MANIFESTREADER_H
