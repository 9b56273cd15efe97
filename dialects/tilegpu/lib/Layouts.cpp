//===- Layouts.cpp - Which thread holds which element of a tile -----------===//
//
// The arithmetic of the tilegpu layouts. A thread's elements are its base
// coordinate (a function of its warp and lane) plus per-slot constant
// offsets, so the lowering computes one base per tile and addresses every
// element from it with constants.
//
//===----------------------------------------------------------------------===//

#include "prism/Dialect/TileGPU/TileGPUOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <numeric>

using namespace mlir;
using namespace prism::tilegpu;

namespace {
/// The part of a layout along one dimension: `perThread` consecutive
/// elements, `lanes` and `warps` side by side (lanes of stride
/// `laneStride` in the lane index, warps of stride `warpStride` in the warp
/// index), repeated `reps` times at `repStride`; `wraps` when the pattern is
/// larger than the tile.
struct DimPattern {
  int64_t extent = 1;
  int64_t perThread = 1, lanes = 1, warps = 1;
  int64_t laneStride = 1, warpStride = 1;
  /// Elements between the bases of neighbouring lanes (the blocked layout:
  /// perThread; the mma layout's rows: 1).
  int64_t laneStep = 1;
  int64_t warpStep = 1;
  /// Offsets of a thread's elements along the dimension.
  SmallVector<int64_t> offsets;
  bool wraps = false;
  /// The second half of the warps along the dimension in reverse order
  /// (the mma layout's rows, see `mmaDims`).
  bool fold = false;
};

/// Lanes of one warp spread along one dimension, for the mma layout.
struct MmaDims {
  DimPattern rows, cols;
};

bool divides(int64_t a, int64_t b) { return a > 0 && b % a == 0; }

/// The blocked layout's pattern along `d`.
FailureOr<DimPattern> blockedDim(BlockedAttr attr, ArrayRef<int64_t> shape,
                                 int64_t d) {
  ArrayRef<int64_t> size = attr.getSize(), threads = attr.getThreads(),
                    warps = attr.getWarps();
  DimPattern p;
  p.extent = shape[d];
  p.perThread = size[d];
  p.lanes = threads[d];
  p.warps = warps[d];
  for (int64_t e = d + 1; e < static_cast<int64_t>(shape.size()); ++e) {
    p.laneStride *= threads[e];
    p.warpStride *= warps[e];
  }
  p.laneStep = p.perThread;
  p.warpStep = p.perThread * p.lanes;
  int64_t covered = p.perThread * p.lanes * p.warps;
  if (!divides(p.perThread, p.extent))
    return failure();
  p.wraps = covered > p.extent;
  if (p.wraps ? !divides(p.extent, covered) : !divides(covered, p.extent))
    return failure();
  int64_t reps = p.wraps ? 1 : p.extent / covered;
  for (int64_t r = 0; r < reps; ++r)
    for (int64_t s = 0; s < p.perThread; ++s)
      p.offsets.push_back(r * covered + s);
  return p;
}

/// The mma layout's patterns: 16-row tiles over warps[0], 8-column tiles
/// over warps[1], dealt in blocks.
FailureOr<MmaDims> mmaDims(MmaAttr attr, ArrayRef<int64_t> shape) {
  if (shape.size() != 2 || shape[0] % 16 || shape[1] % 8)
    return failure();
  ArrayRef<int64_t> warps = attr.getWarps();
  MmaDims m;
  auto make = [&](DimPattern &p, int64_t extent, int64_t tile, int64_t w,
                  int64_t laneStride, int64_t warpStride,
                  ArrayRef<int64_t> inTile) -> LogicalResult {
    p.extent = extent;
    p.warps = w;
    p.warpStride = warpStride;
    p.laneStride = laneStride;
    int64_t covered = tile * w;
    p.wraps = covered > extent;
    if (p.wraps ? !divides(extent, covered) : !divides(covered, extent))
      return failure();
    int64_t tiles = p.wraps ? 1 : extent / covered;
    p.warpStep = tiles * tile;
    for (int64_t t = 0; t < tiles; ++t)
      for (int64_t o : inTile)
        p.offsets.push_back(t * tile + o);
    return success();
  };
  // Rows: lane / 4 (8 lanes of stride 4), and +8; columns: 2 (lane % 4),
  // and +1.
  if (failed(make(m.rows, shape[0], 16, warps[0], 4, warps[1], {0, 8})) ||
      failed(make(m.cols, shape[1], 8, warps[1], 1, 1, {0, 1})))
    return failure();
  m.rows.lanes = 8;
  m.rows.laneStep = 1;
  // Warps w and w + 4 share an SM sub-partition's tensor cores. Where the
  // row warps i and i + warps[0] / 2 are such pairs, the second half of
  // the row blocks goes in reverse order, so that each pair holds rows
  // from both ends: a causal product's work (rising with the row) is then
  // even over the sub-partitions.
  int64_t wm = warps[0], wn = warps[1];
  m.rows.fold = !m.rows.wraps && wm % 2 == 0 && (wm / 2 * wn) % 4 == 0;
  m.cols.lanes = 4;
  m.cols.laneStep = 2;
  return m;
}

/// A shape on which `parent` accepts `n` elements along dimension `kept`.
SmallVector<int64_t, 2> parentShape(Attribute parent, int64_t kept, int64_t n) {
  SmallVector<int64_t, 2> shape(2, 0);
  shape[kept] = n;
  int64_t other = 1 - kept;
  if (auto blocked = dyn_cast<BlockedAttr>(parent))
    shape[other] = blocked.getSize()[other] * blocked.getThreads()[other] *
                   blocked.getWarps()[other];
  else
    shape[other] = other == 0 ? 16 : 8;
  return shape;
}

FailureOr<SmallVector<DimPattern, 2>> patternsOf(Attribute encoding,
                                                 ArrayRef<int64_t> shape) {
  SmallVector<DimPattern, 2> dims;
  if (auto blocked = dyn_cast<BlockedAttr>(encoding)) {
    if (blocked.getSize().size() != shape.size())
      return failure();
    for (int64_t d = 0, e = shape.size(); d < e; ++d) {
      FailureOr<DimPattern> p = blockedDim(blocked, shape, d);
      if (failed(p))
        return failure();
      dims.push_back(*p);
    }
    return dims;
  }
  if (auto mma = dyn_cast<MmaAttr>(encoding)) {
    FailureOr<MmaDims> m = mmaDims(mma, shape);
    if (failed(m))
      return failure();
    dims.push_back(m->rows);
    dims.push_back(m->cols);
    return dims;
  }
  if (auto slice = dyn_cast<SliceAttr>(encoding)) {
    if (shape.size() != 1)
      return failure();
    int64_t kept = 1 - slice.getDim();
    FailureOr<SmallVector<DimPattern, 2>> parent = patternsOf(
        slice.getParent(), parentShape(slice.getParent(), kept, shape[0]));
    if (failed(parent))
      return failure();
    dims.push_back((*parent)[kept]);
    return dims;
  }
  return failure();
}

Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// (x / stride) % count, skipping the divisions that are no-ops.
Value digit(OpBuilder &b, Location loc, Value x, int64_t stride,
            int64_t count) {
  if (count == 1)
    return indexConst(b, loc, 0);
  if (stride != 1)
    x = arith::DivUIOp::create(b, loc, x, indexConst(b, loc, stride));
  return arith::RemUIOp::create(b, loc, x, indexConst(b, loc, count));
}
} // namespace

FailureOr<Layout> Layout::get(RankedTensorType type) {
  if (!type.getEncoding())
    return failure();
  return get(type.getEncoding(), type.getShape());
}

FailureOr<Layout> Layout::get(Attribute encoding, ArrayRef<int64_t> shape) {
  FailureOr<SmallVector<DimPattern, 2>> dims = patternsOf(encoding, shape);
  if (failed(dims))
    return failure();
  Layout layout;
  layout.attr = encoding;
  layout.dims.assign(shape.begin(), shape.end());
  if (auto mma = dyn_cast<MmaAttr>(encoding)) {
    // Slot order: (row tile, column tile, the fragment's four).
    const DimPattern &rows = (*dims)[0], &cols = (*dims)[1];
    int64_t rowTiles = rows.offsets.size() / 2,
            colTiles = cols.offsets.size() / 2;
    for (int64_t a = 0; a < rowTiles; ++a)
      for (int64_t c = 0; c < colTiles; ++c)
        for (int64_t k = 0; k < 4; ++k)
          layout.slots.push_back(
              {rows.offsets[2 * a + k / 2], cols.offsets[2 * c + k % 2]});
    return layout;
  }
  if (dims->size() == 1) {
    for (int64_t o : (*dims)[0].offsets)
      layout.slots.push_back({o});
    return layout;
  }
  for (int64_t r : (*dims)[0].offsets)
    for (int64_t c : (*dims)[1].offsets)
      layout.slots.push_back({r, c});
  return layout;
}

SmallVector<Value> Layout::base(OpBuilder &b, Location loc, Value warp,
                                Value lane) const {
  SmallVector<DimPattern, 2> dims = *patternsOf(attr, this->dims);
  SmallVector<Value> bases;
  for (const DimPattern &p : dims) {
    Value l = digit(b, loc, lane, p.laneStride, p.lanes);
    Value w = digit(b, loc, warp, p.warpStride, p.warps);
    if (p.fold) {
      // w < n / 2 ? w : 3 n / 2 - 1 - w.
      int64_t half = p.warps / 2;
      Value low = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, w,
                                        indexConst(b, loc, half));
      Value mirrored = arith::SubIOp::create(
          b, loc, indexConst(b, loc, p.warps + half - 1), w);
      w = arith::SelectOp::create(b, loc, low, w, mirrored);
    }
    Value x = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, w, indexConst(b, loc, p.warpStep)),
        arith::MulIOp::create(b, loc, l, indexConst(b, loc, p.laneStep)));
    if (p.wraps)
      x = arith::RemUIOp::create(b, loc, x, indexConst(b, loc, p.extent));
    bases.push_back(x);
  }
  return bases;
}

SmallVector<int64_t> Layout::laneMasksAlong(int64_t d) const {
  const DimPattern p = (*patternsOf(attr, dims))[d];
  // Lanes whose bases differ along d: with a wrapping pattern only as many
  // as the tile has positions.
  int64_t distinct = p.lanes;
  if (p.wraps) {
    int64_t positions = p.extent / p.laneStep;
    distinct = std::min(distinct, positions);
  }
  SmallVector<int64_t> masks;
  for (int64_t m = 1; m < distinct; m *= 2)
    masks.push_back(m * p.laneStride);
  return masks;
}

int64_t Layout::warpsAlong(int64_t d) const {
  const DimPattern p = (*patternsOf(attr, dims))[d];
  if (!p.wraps)
    return p.warps;
  return std::max<int64_t>(1, std::min(p.warps, p.extent / p.warpStep));
}

Value Layout::warpAlong(OpBuilder &b, Location loc, Value warp,
                        int64_t d) const {
  const DimPattern p = (*patternsOf(attr, dims))[d];
  Value w = digit(b, loc, warp, p.warpStride, p.warps);
  int64_t n = warpsAlong(d);
  if (n == p.warps)
    return w;
  return arith::RemUIOp::create(b, loc, w, indexConst(b, loc, n));
}

bool Layout::isReplicated() const {
  for (const DimPattern &p : *patternsOf(attr, dims))
    if (static_cast<int64_t>(p.offsets.size()) != p.extent)
      return false;
  return true;
}

int64_t Layout::baseMultiple(int64_t d) const {
  const DimPattern p = (*patternsOf(attr, dims))[d];
  int64_t m = 0;
  if (p.lanes > 1)
    m = std::gcd(m, p.laneStep);
  if (p.warps > 1)
    m = std::gcd(m, p.warpStep);
  if (p.wraps)
    m = std::gcd(m, p.extent);
  return m == 0 ? p.extent : m;
}

bool Layout::sameThreadsAndSlots(const Layout &other) const {
  if (dims != other.dims || slots != other.slots)
    return false;
  SmallVector<DimPattern, 2> mine = *patternsOf(attr, dims),
                             theirs = *patternsOf(other.attr, other.dims);
  for (auto [x, y] : llvm::zip(mine, theirs)) {
    // Lanes and warps that hold one position are the same whatever their
    // count when the tile has one position along the dimension.
    auto key = [](const DimPattern &p) {
      return std::make_tuple(p.lanes, p.laneStride, p.laneStep, p.warps,
                             p.warpStride, p.warpStep, p.wraps, p.fold);
    };
    if (key(x) != key(y))
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Building layouts and types
//===----------------------------------------------------------------------===//

BlockedAttr prism::tilegpu::blockedLayout(MLIRContext *ctx,
                                          ArrayRef<int64_t> shape,
                                          ArrayRef<int64_t> size,
                                          int64_t warps) {
  int64_t rank = shape.size();
  // A thread's sub-block takes the odd factor of each extent (48 rows: 3 a
  // thread), so that lanes and warps, powers of two, tile the rest exactly
  // or wrap around it a whole number of times.
  SmallVector<int64_t, 2> sizes(rank), threads(rank, 1), warpsPer(rank, 1);
  for (int64_t d = 0; d < rank; ++d) {
    int64_t pow2 = shape[d] & -shape[d];
    sizes[d] =
        std::gcd(std::max<int64_t>(1, size[d]), pow2) * (shape[d] / pow2);
  }
  auto covered = [&](int64_t d) { return sizes[d] * threads[d] * warpsPer[d]; };
  // Places `count` more lanes (or warps) along a dimension where the
  // pattern stays whole: preferring the last one.
  auto place = [&](SmallVector<int64_t, 2> &per, int64_t count) {
    for (int64_t d = rank - 1; d >= 0; --d)
      if ((covered(d) * count) % shape[d] == 0 ||
          shape[d] % (covered(d) * count) == 0) {
        per[d] *= count;
        return;
      }
    per[rank - 1] *= count;
  };
  // Lanes go to the last dimension first, as many as its sub-blocks, then
  // to the one before; warps to the first dimension first.
  int64_t lanesLeft = 32;
  for (int64_t d = rank - 1; d >= 0; --d) {
    int64_t blocks = shape[d] / sizes[d];
    int64_t t = 1;
    while (t * 2 <= lanesLeft && blocks % (t * 2) == 0)
      t *= 2;
    threads[d] = t;
    lanesLeft /= t;
  }
  place(threads, lanesLeft);
  int64_t warpsLeft = warps;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t blocks = std::max<int64_t>(1, shape[d] / covered(d));
    int64_t w = 1;
    while (w * 2 <= warpsLeft && blocks % (w * 2) == 0)
      w *= 2;
    warpsPer[d] = w;
    warpsLeft /= w;
  }
  place(warpsPer, warpsLeft);
  return BlockedAttr::get(ctx, sizes, threads, warpsPer);
}

BlockedAttr prism::tilegpu::replicatedLayout(MLIRContext *ctx,
                                             ArrayRef<int64_t> shape,
                                             int64_t warps) {
  SmallVector<int64_t, 2> threads(shape.size(), 1), warpsPer(shape.size(), 1);
  threads[0] = 32;
  warpsPer[0] = warps;
  return BlockedAttr::get(ctx, shape, threads, warpsPer);
}

RankedTensorType prism::tilegpu::withLayout(RankedTensorType type,
                                            Attribute encoding) {
  return RankedTensorType::get(type.getShape(), type.getElementType(),
                               encoding);
}

MemRefType prism::tilegpu::sharedBufferType(ArrayRef<int64_t> shape,
                                            Type elem) {
  MLIRContext *ctx = elem.getContext();
  auto space = gpu::AddressSpaceAttr::get(
      ctx, gpu::GPUDialect::getWorkgroupAddressSpace());
  if (shape.size() == 1)
    return MemRefType::get(shape, elem, MemRefLayoutAttrInterface(), space);
  // 32-bit rows by 32 bytes: the mma accumulator layout's 8-byte pairs
  // (four lanes a row) then fill all 32 banks in each half-warp's 4 rows.
  int64_t bytes = elem.getIntOrFloatBitWidth() / 8;
  int64_t pad = (bytes == 4 ? 32 : 16) / bytes;
  auto strided = StridedLayoutAttr::get(ctx, 0, {shape[1] + pad, 1});
  return MemRefType::get(shape, elem, strided, space);
}
