//===- Schedules.h - The schedules of a scan, at the tile level -*- C++ -*-===//
//
// One file per schedule (Sequential.cpp, ChunkedFused.cpp, ...), each a
// rewrite of a specification's scan into tile kernels over the algebra of
// TileBuilder.h and the forget family's ForgetAlgebra; WritePath.cpp holds
// what they share (injection values, the short convolution).
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_LIB_CONVERSION_RECURRENCETOTILE_SCHEDULES_H
#define PRISM_LIB_CONVERSION_RECURRENCETOTILE_SCHEDULES_H

#include "prism/Conversion/RecurrenceToTile/ForgetAlgebra.h"
#include "prism/Conversion/SpecBuffers.h"
#include "prism/Dialect/Recurrence/RecurrenceOps.h"
#include "prism/Dialect/Tile/TileOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"

namespace prism {
namespace tiling {

/// What a schedule builds from: the analysed specification, its buffers,
/// its (filled-in) schedule, and a builder at the end of the program's
/// entry block.
struct ScheduleContext {
  mlir::OpBuilder &b;
  RecurrenceInfo &info;
  SpecBuffers &buffers;
  recurrence::ScheduleAttr schedule;
  ForgetAlgebra forget;
  /// The program, once created.
  mlir::func::FuncOp program;
  /// The schedule's workspaces (indices into buffers), as it declared them.
  llvm::SmallVector<int> workspaces;
  /// The program's argument for workspace `i`; null when the schedule
  /// declared none there (-1).
  mlir::Value workspace(int i);

  mlir::Location loc() { return info.op()->getLoc(); }
  /// A tile builder for the program (batch, head) of a kernel body.
  TileBuilder builderFor(mlir::Value batch, mlir::Value head);
  /// dim `d` of the buffer of spec tensor `tensor`.
  mlir::Value dimOf(mlir::Value tensor, int64_t d);
  /// A kernel over `grid`, with `b` set inside its body.
  tile::KernelOp createKernel(llvm::StringRef name, mlir::ValueRange grid);
  /// An scf.for from 0 to `ub` carrying `init`, with `b` set inside its body
  /// (the caller yields).
  mlir::scf::ForOp createLoop(mlir::Value ub, mlir::Value init);
  /// The state at the start: the initial state's tile, or zeros.
  mlir::Value initialState(TileBuilder &tb, mlir::Value v0, int64_t vTile);
};

/// A schedule: `declare` checks its parameters against the specification
/// (failing with a diagnostic at the scan) and adds the workspaces it needs
/// to ctx.workspaces, before the program exists; `build` writes its kernels.
struct Schedule {
  mlir::LogicalResult (*declare)(ScheduleContext &);
  void (*build)(ScheduleContext &);
};

/// Element type of the matrix products' operands: the inputs' 16-bit type
/// when they all share it, else f32.
mlir::Type operandTypeOf(RecurrenceInfo &info);

/// Declares no workspace; checks that the V-tile divides V.
mlir::LogicalResult declareVTiles(ScheduleContext &ctx);

/// A kernel per (head, batch, V-tile) named `name`, over the heads and
/// batches of sequence `sequence`, whose loop over the tokens carries the
/// program's V-tile x K block of the state (Sequential.cpp): the builder is
/// in the loop's body, the caller yields the next state.
struct SequentialWalk {
  TileBuilder tb;
  mlir::Value v0, t;
  mlir::scf::ForOp loop;
};
SequentialWalk beginSequentialWalk(ScheduleContext &ctx, llvm::StringRef name,
                                   mlir::Value sequence);

void buildSequential(ScheduleContext &ctx);
/// The sequential walk of a state-dependent recurrence.step (StepWalk.cpp):
/// `declareStep` checks that its V-tiles are correct for the body.
mlir::LogicalResult declareStep(ScheduleContext &ctx);
void buildStepWalk(ScheduleContext &ctx);
void buildChunkedFused(ScheduleContext &ctx);
mlir::LogicalResult declareChunkedTwoPass(ScheduleContext &ctx);
void buildChunkedTwoPass(ScheduleContext &ctx);
mlir::LogicalResult declareTree(ScheduleContext &ctx);
void buildTree(ScheduleContext &ctx);

/// The injection values d_l = beta_l delta_l ([rows, v-tile], or [v-tile]
/// for a step) of the span's tokens, columns from `v0`, f32: loaded, or
/// computed by the refinement write path.
llvm::SmallVector<mlir::Value> buildInjectionValues(TileBuilder &tb,
                                                    mlir::Value t, int64_t rows,
                                                    mlir::Value v0,
                                                    int64_t vTile);

/// The injections of the span: keys and values per rank.
llvm::SmallVector<Slot> buildInjectionSlots(TileBuilder &tb, mlir::Value t,
                                            int64_t rows, mlir::Value v0,
                                            int64_t vTile);

//===----------------------------------------------------------------------===//
// Kernels over chunks in parallel (ChunkKernels.cpp)
//===----------------------------------------------------------------------===//

/// Tile sizes of a chunked schedule; `tiles` V-tiles per state.
struct ChunkSizes {
  int64_t chunk, vTile, keyDim, tiles;
};
ChunkSizes chunkSizesOf(ScheduleContext &ctx);
/// ceil(T / chunk), at the builder.
mlir::Value chunkCount(ScheduleContext &ctx);

/// One program of a kernel over (chunk x V-tile, head, batch): its chunk
/// `c`, first token `t0` and first state row `v0`; over (chunk, head,
/// batch), `v0` is null and the program walks its chunk's V-tiles
/// (forEachVTile).
struct ChunkProgram {
  TileBuilder tb;
  mlir::Value c, t0, v0, chunks;
};
/// Creates that kernel, with the builder inside its body: a program per
/// chunk and V-tile, or per chunk with `perChunk`; with `active` (0 or 1,
/// computed before the kernel), its grid is empty when 0.
ChunkProgram createChunkKernel(ScheduleContext &ctx, llvm::StringRef name,
                               mlir::Value active = {}, bool perChunk = false);
/// Builds `body` for the program's V-tile, or in a loop over its chunk's
/// V-tiles when it has none (the builder after the loop on return).
void forEachVTile(ScheduleContext &ctx, ChunkProgram &p,
                  llvm::function_ref<void(mlir::Value v0)> body);
/// Whether the chunk kernels of the schedules that summarise chunks in
/// parallel take a program per chunk: for a family whose ChunkFactor (the
/// delta forget's triangular inverse) would otherwise be built again by
/// each V-tile's program.
bool perChunkPrograms(ScheduleContext &ctx);

/// Blocks [rows, cols] at (batch, head, c, row0, 0) of a [B, H, chunks, R,
/// C] workspace.
mlir::Value loadBlock(TileBuilder &tb, mlir::Value memref, mlir::Value c,
                      mlir::Value row0, int64_t rows, int64_t cols);
void storeBlock(TileBuilder &tb, mlir::Value block, mlir::Value memref,
                mlir::Value c, mlir::Value row0);
/// A chunk's log2 decay in a [B, H, chunks] or [B, H, chunks, K]
/// workspace (none: no value).
mlir::Value loadChunkDecay(TileBuilder &tb, ChunkDecay::Kind kind,
                           mlir::Value memref, mlir::Value c);
void storeChunkDecay(TileBuilder &tb, mlir::Value total, mlir::Value memref,
                     mlir::Value c);

/// Adds a workspace for the chunks' log2 decays, of `dims` ([B, H,
/// chunks]) plus K for a per-channel decay; -1 when the family does not
/// decay.
int addDecayWorkspace(ScheduleContext &ctx, llvm::StringRef name,
                      llvm::ArrayRef<WorkspaceDim> dims);

/// Where the chunk kernels keep, for a family with a chunk response, what
/// the outputs need of a chunk besides its start state: the response R
/// ([B, T, H, K]) and the family's slot values from a zero start state
/// ([B, T, H, V]), both of the operand type. Null for the decay families.
struct ChunkResponses {
  mlir::Value responses, values;
};
/// Adds the ChunkResponses workspaces (indices into buffers; -1 for a
/// decay family).
std::pair<int, int> addResponseWorkspaces(ScheduleContext &ctx);

/// The kernel of the chunks' summaries: each chunk's update from a zero
/// state into `summaries`, its decay into `decays`, and `kept` for the
/// outputs; where the family has a chunk response, the program builds it
/// once per chunk and `storeTransition` keeps what the schedule's walk
/// needs of it.
void buildChunkSummaries(
    ScheduleContext &ctx, mlir::Value summaries, mlir::Value decays,
    const ChunkResponses &kept,
    llvm::function_ref<void(ChunkProgram &, const ChunkTransition &)>
        storeTransition);
/// The kernel of the chunks' outputs from their start states in `states`
/// and what the summaries' kernel kept: the family's slot values are the
/// kept ones plus R S^T, with no solve again.
void buildChunkOutputs(ScheduleContext &ctx, mlir::Value states,
                       const ChunkResponses &kept);

/// [rows, cols] rows of a [B, T, H, D] workspace at the tokens from `t0`,
/// columns from `col0` (0 and K by default).
mlir::Value loadRows(TileBuilder &tb, mlir::Value memref, mlir::Value t0,
                     int64_t rows, mlir::Value col0 = {}, int64_t cols = 0);
void storeRows(TileBuilder &tb, mlir::Value rows, mlir::Value memref,
               mlir::Value t0, mlir::Value col0 = {});

/// The kernel of a short convolution.
void buildShortConv(ScheduleContext &ctx, recurrence::ShortConvOp conv);

} // namespace tiling
} // namespace prism

#endif // PRISM_LIB_CONVERSION_RECURRENCETOTILE_SCHEDULES_H
