//===- Fragments.cpp - mma.sync fragments: ldmatrix, stmatrix, mma.sync ---===//
//
// The warp-level matrix instructions the products, the solve and the stores
// of accumulators share: 8 x 8 matrices of 16-bit elements moved between
// shared memory and a warp's registers (ldmatrix, and stmatrix where the
// chip has it), mma.sync m16n8k16, and where an accumulator's slots lie.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"

using namespace mlir;
using namespace prism;
using namespace prism::gpumap;
using tilegpu::Layout;

SmallVector<Value> gpumap::ldmatrix(
    OpBuilder &b, Location loc, Value buffer, Value lane, Value row0,
    Value col0, int64_t tiles, bool trans,
    llvm::function_ref<std::pair<int64_t, int64_t>(int64_t)> stepOf) {
  Type elem = cast<MemRefType>(buffer.getType()).getElementType();
  auto c = [&](int64_t v) { return indexConst(b, loc, v); };
  Value i = arith::RemUIOp::create(b, loc, lane, c(8));
  Value m = arith::RemUIOp::create(
      b, loc, arith::DivUIOp::create(b, loc, lane, c(8)), c(tiles));
  // Steps of matrix m as selects over the (at most four) matrices.
  Value dr = c(stepOf(0).first), dc = c(stepOf(0).second);
  for (int64_t t = 1; t < tiles; ++t) {
    Value is = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, m, c(t));
    dr = arith::SelectOp::create(b, loc, is, c(stepOf(t).first), dr);
    dc = arith::SelectOp::create(b, loc, is, c(stepOf(t).second), dc);
  }
  Value r =
      arith::AddIOp::create(b, loc, row0, arith::AddIOp::create(b, loc, dr, i));
  Value col = arith::AddIOp::create(b, loc, col0, dc);
  Value regs =
      nvgpu::LdMatrixOp::create(b, loc, VectorType::get({tiles, 2}, elem),
                                buffer, ValueRange{r, col}, trans, tiles);
  SmallVector<Value> words;
  for (int64_t t = 0; t < tiles; ++t) {
    Value pair = vector::ExtractOp::create(b, loc, regs, t);
    if (elem.isBF16()) {
      Value word = vector::BitCastOp::create(
          b, loc, VectorType::get({1}, b.getI32Type()), pair);
      pair = vector::ExtractOp::create(b, loc, word, int64_t(0));
    }
    words.push_back(pair);
  }
  return words;
}

void gpumap::mmaSync(OpBuilder &b, Location loc, Type elem, ArrayRef<Value> fa,
                     ArrayRef<Value> fb, MutableArrayRef<Value> acc) {
  Type f32 = b.getF32Type();
  auto resultType =
      LLVM::LLVMStructType::getLiteral(b.getContext(), {f32, f32, f32, f32});
  NVVM::MMATypes type =
      elem.isF16() ? NVVM::MMATypes::f16 : NVVM::MMATypes::bf16;
  Value d = NVVM::MmaOp::create(
      b, loc, resultType, fa, fb, acc, {16, 8, 16}, std::nullopt, std::nullopt,
      std::array<NVVM::MMATypes, 2>{type, type},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  for (int e = 0; e < 4; ++e)
    acc[e] = LLVM::ExtractValueOp::create(b, loc, d, ArrayRef<int64_t>{e});
}

std::pair<Value, Value> gpumap::accumulatorAt(OpBuilder &b, Location loc,
                                              Value lane, Value row0,
                                              Value col0, int64_t e) {
  auto c = [&](int64_t v) { return indexConst(b, loc, v); };
  Value g = arith::DivUIOp::create(b, loc, lane, c(4));
  Value t = arith::RemUIOp::create(b, loc, lane, c(4));
  Value row = arith::AddIOp::create(
      b, loc, row0, arith::AddIOp::create(b, loc, g, c(8 * (e / 2))));
  Value col = arith::AddIOp::create(
      b, loc, col0,
      arith::AddIOp::create(b, loc, arith::MulIOp::create(b, loc, t, c(2)),
                            c(e % 2)));
  return {row, col};
}

/// The shared-memory address of element (row, col) of a 2-d buffer, as an
/// LLVM pointer (what nvvm.stmatrix takes).
static Value sharedAddress(OpBuilder &b, Location loc, Value buffer, Value row,
                           Value col) {
  auto type = cast<MemRefType>(buffer.getType());
  auto meta = memref::ExtractStridedMetadataOp::create(b, loc, buffer);
  Value element = arith::AddIOp::create(
      b, loc, meta.getOffset(),
      arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, row, meta.getStrides()[0]),
          col));
  Value bytes = arith::MulIOp::create(
      b, loc, element, indexConst(b, loc, type.getElementTypeBitWidth() / 8));
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
  Value address = arith::IndexCastOp::create(
      b, loc, b.getI64Type(), arith::AddIOp::create(b, loc, base, bytes));
  return LLVM::IntToPtrOp::create(
      b, loc, LLVM::LLVMPointerType::get(b.getContext(), 3), address);
}

bool gpumap::storeMatrices(OpBuilder &b, Location loc, const Layout &layout,
                           Value value, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  Type elem = type.getElementType();
  SmallVector<int64_t> strides;
  int64_t offset;
  if (!isa<tilegpu::MmaAttr>(layout.encoding()) ||
      elem.getIntOrFloatBitWidth() != 16 || type.getRank() != 2 ||
      failed(type.getStridesAndOffset(strides, offset)) || strides[1] != 1 ||
      ShapedType::isDynamic(strides[0]) || strides[0] % 8 != 0)
    return false;
  Thread t = Thread::at(b, loc);
  auto c = [&](int64_t v) { return indexConst(b, loc, v); };
  // The warp's origin: the thread's base less its place in a fragment
  // (row lane / 4, column 2 (lane % 4)).
  SmallVector<Value> base = layout.base(b, loc, t.warp, t.lane);
  Value row0 = arith::SubIOp::create(
      b, loc, base[0], arith::DivUIOp::create(b, loc, t.lane, c(4)));
  Value col0 = arith::SubIOp::create(
      b, loc, base[1],
      arith::MulIOp::create(
          b, loc, arith::RemUIOp::create(b, loc, t.lane, c(4)), c(2)));
  // Lane l addresses row l % 8 of matrix l / 8 of a group.
  Value i = arith::RemUIOp::create(b, loc, t.lane, c(8));
  Value m = arith::DivUIOp::create(b, loc, t.lane, c(8));
  auto word = [&](int64_t e) {
    Value pair = vector::FromElementsOp::create(
        b, loc, VectorType::get({2}, elem),
        ValueRange{elementAt(b, loc, value, e),
                   elementAt(b, loc, value, e + 1)});
    Value bits = vector::BitCastOp::create(
        b, loc, VectorType::get({1}, b.getI32Type()), pair);
    return vector::ExtractOp::create(b, loc, bits, int64_t(0)).getResult();
  };
  // Groups of four 8 x 8 matrices: two m16n8 tiles side by side (their top
  // and bottom halves), or a lone tile's two halves.
  int64_t tiles = layout.numSlots() / 4;
  for (int64_t first = 0; first < tiles;) {
    int64_t e0 = 4 * first;
    bool paired = first + 1 < tiles &&
                  layout.offset(e0 + 4, 0) == layout.offset(e0, 0) &&
                  layout.offset(e0 + 4, 1) == layout.offset(e0, 1) + 8;
    int64_t count = paired ? 4 : 2;
    // Matrix k: half k % 2 of tile first + k / 2.
    Value dr = c(0), dc = c(0);
    for (int64_t k = 1; k < count; ++k) {
      Value is = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq,
          arith::RemUIOp::create(b, loc, m, c(count)), c(k));
      dr = arith::SelectOp::create(b, loc, is, c((k % 2) * 8), dr);
      dc = arith::SelectOp::create(b, loc, is, c((k / 2) * 8), dc);
    }
    Value row = arith::AddIOp::create(
        b, loc, row0,
        arith::AddIOp::create(b, loc, c(layout.offset(e0, 0)),
                              arith::AddIOp::create(b, loc, dr, i)));
    Value col = arith::AddIOp::create(
        b, loc, col0,
        arith::AddIOp::create(b, loc, c(layout.offset(e0, 1)), dc));
    SmallVector<Value> words;
    for (int64_t k = 0; k < count; ++k)
      words.push_back(word(4 * (first + k / 2) + 2 * (k % 2)));
    NVVM::StMatrixOp::create(
        b, loc, sharedAddress(b, loc, buffer, row, col), words,
        NVVM::MMALayout::row,
        NVVM::LdStMatrixShapeAttr::get(b.getContext(), 8, 8),
        NVVM::LdStMatrixEltType::B16);
    first += paired ? 2 : 1;
  }
  return true;
}
