//===- RecurrenceDialect.cpp - Dialect, attributes and types --------------===//
//
// Registration of the recurrence dialect, the schedule attribute's syntax and
// verifier, and the injection type's verifier.
//
//===----------------------------------------------------------------------===//

#include "prism/Dialect/Recurrence/RecurrenceOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace prism::recurrence;

#include "prism/Dialect/Recurrence/RecurrenceEnums.cpp.inc"
#include "prism/Dialect/Recurrence/RecurrenceOpsDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "prism/Dialect/Recurrence/RecurrenceAttrs.cpp.inc"

#define GET_TYPEDEF_CLASSES
#include "prism/Dialect/Recurrence/RecurrenceTypes.cpp.inc"

void RecurrenceDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "prism/Dialect/Recurrence/RecurrenceOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "prism/Dialect/Recurrence/RecurrenceAttrs.cpp.inc"
      >();
  addTypes<
#define GET_TYPEDEF_LIST
#include "prism/Dialect/Recurrence/RecurrenceTypes.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// ScheduleAttr
//===----------------------------------------------------------------------===//

// Syntax: `<kind (, name = value)*>` with names chunk, v_tile, warps, stages.
Attribute ScheduleAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  StringRef kindName;
  SMLoc kindLoc = parser.getCurrentLocation();
  if (parser.parseKeyword(&kindName))
    return {};
  std::optional<ScheduleKind> kind = symbolizeScheduleKind(kindName);
  if (!kind) {
    parser.emitError(kindLoc, "unknown schedule '")
        << kindName
        << "' (expected sequential, chunked_fused, chunked_two_pass or tree)";
    return {};
  }
  constexpr int numParams = 6;
  int64_t values[numParams] = {0, 0, 0, 0, 0, 0};
  const char *names[numParams] = {"chunk", "v_tile", "k_split",
                                  "rows",  "warps",  "stages"};
  bool seen[numParams] = {false, false, false, false, false, false};
  while (succeeded(parser.parseOptionalComma())) {
    StringRef name;
    SMLoc loc = parser.getCurrentLocation();
    if (parser.parseKeyword(&name) || parser.parseEqual())
      return {};
    int index = -1;
    for (int i = 0; i < numParams; ++i)
      if (name == names[i])
        index = i;
    if (index < 0) {
      parser.emitError(loc, "unknown schedule parameter '")
          << name
          << "' (expected chunk, v_tile, k_split, rows, warps or stages)";
      return {};
    }
    if (seen[index]) {
      parser.emitError(loc, "schedule parameter '") << name << "' given twice";
      return {};
    }
    seen[index] = true;
    if (parser.parseInteger(values[index]))
      return {};
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<ScheduleAttr>(parser.getContext(), *kind, values[0],
                                         values[1], values[2], values[3],
                                         values[4], values[5]);
}

void ScheduleAttr::print(AsmPrinter &printer) const {
  printer << "<" << stringifyScheduleKind(getKind());
  if (getChunk())
    printer << ", chunk = " << getChunk();
  if (getVTile())
    printer << ", v_tile = " << getVTile();
  if (getKSplit())
    printer << ", k_split = " << getKSplit();
  if (getRows())
    printer << ", rows = " << getRows();
  if (getWarps())
    printer << ", warps = " << getWarps();
  if (getStages())
    printer << ", stages = " << getStages();
  printer << ">";
}

LogicalResult
ScheduleAttr::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                     ScheduleKind kind, int64_t chunk, int64_t vTile,
                     int64_t kSplit, int64_t rows, int64_t warps,
                     int64_t stages) {
  bool chunked = kind != ScheduleKind::sequential;
  if (!chunked && chunk != 0)
    return emitError() << "schedule 'sequential' takes no chunk";
  if (chunk != 0 && (chunk < 16 || chunk > 128 || chunk % 16 != 0))
    return emitError() << "schedule chunk must be a multiple of 16 in [16, "
                          "128], got "
                       << chunk;
  if (vTile < 0 || vTile > 1024)
    return emitError()
           << "schedule v_tile must be in [1, 1024] (or 0 to choose), got "
           << vTile;
  if (chunked && kSplit != 0)
    return emitError() << "schedule k_split applies to the sequential "
                          "schedule only";
  if (kSplit != 0 &&
      (kSplit < 1 || kSplit > 32 || (kSplit & (kSplit - 1)) != 0))
    return emitError() << "schedule k_split must be a power of two in [1, 32], "
                          "got "
                       << kSplit;
  if (warps < 0 || warps > 32)
    return emitError()
           << "schedule warps must be in [1, 32] (or 0 to choose), got "
           << warps;
  if (chunked && rows != 0)
    return emitError() << "schedule rows applies to the sequential schedule "
                          "only";
  if (rows < 0 || rows > 8)
    return emitError() << "schedule rows must be in [1, 8] (or 0 to "
                          "choose), got "
                       << rows;
  if (rows && vTile && vTile % rows != 0)
    return emitError() << "schedule rows " << rows << " must divide v_tile "
                       << vTile;
  if (vTile && kSplit && vTile * kSplit > 1024 * std::max<int64_t>(rows, 1))
    return emitError() << "schedule v_tile / rows * k_split must be at most "
                          "1024 lanes per program, got "
                       << vTile * kSplit / std::max<int64_t>(rows, 1);
  if (stages < 0 || stages > 4)
    return emitError() << "schedule stages must be in [1, 4] (or 0 to "
                          "choose), got "
                       << stages;
  return success();
}

//===----------------------------------------------------------------------===//
// InjectionType
//===----------------------------------------------------------------------===//

LogicalResult
InjectionType::verify(llvm::function_ref<InFlightDiagnostic()> emitError,
                      int64_t rank) {
  if (rank < 1)
    return emitError() << "injection rank must be at least 1, got " << rank;
  return success();
}
