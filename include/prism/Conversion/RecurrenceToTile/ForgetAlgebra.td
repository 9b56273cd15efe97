//===- ForgetAlgebra.td - The forget families' chunk algebra -*- tablegen -*-===//
//
// What a schedule asks of a forget operator, at the tile level.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_CONVERSION_RECURRENCETOTILE_FORGETALGEBRA
#define PRISM_CONVERSION_RECURRENCETOTILE_FORGETALGEBRA

include "mlir/IR/OpBase.td"

def ForgetAlgebraInterface : OpInterface<"ForgetAlgebra"> {
  let description = [{
    The algebra of one forget family (prism-math.md sections 2 and 5), as
    builders of tile-level IR, so that every schedule is written once for
    all families. Implemented by the forget ops of the recurrence dialect
    (external models attached by the RecurrenceToTile conversion); a new
    family is a new forget op with this interface.

    A chunk's decay is what the family contributes to the decay-form chunk
    algebra (cumulative log2 decays, scalar per token or per key channel);
    the chunk's slots are what it adds to the injections (the delta forget:
    a virtual injection whose values come from the in-chunk triangular
    solve); the chunk's summary is the same without the state at the
    chunk's start (its response to that state kept apart, so that chunks can
    be summarised in parallel); the step is `S A_t` for the sequential
    schedule.
  }];
  let cppNamespace = "::prism";
  let methods = [
    InterfaceMethod<[{
        How the family's chunks decay (the kind of `buildChunkDecay`'s
        result), known before anything is built.
      }], "::prism::ChunkDecay::Kind", "getChunkDecayKind">,
    InterfaceMethod<[{
        Whether the family's chunk summaries respond to the state at the
        chunk's start (a `ChunkTransition` with a response).
      }], "bool", "hasChunkResponse">,
    InterfaceMethod<[{
        Returns `state A_t` for the state tile `state` ([V-tile, K], f32),
        at step `t`.
      }], "::mlir::Value", "buildStep",
      (ins "::prism::TileBuilder &":$tb, "::mlir::Value":$t,
           "::mlir::Value":$state)>,
    InterfaceMethod<[{
        The in-chunk cumulative log2 decays of the `chunk` tokens from `t0`
        (rows past the sequence decay by nothing).
      }], "::prism::ChunkDecay", "buildChunkDecay",
      (ins "::prism::TileBuilder &":$tb, "::mlir::Value":$t0,
           "int64_t":$chunk)>,
    InterfaceMethod<[{
        What the family's chunk of `chunk` tokens from `t0` builds from its
        keys alone (no V-tile's values): built once per chunk and passed to
        the methods below, so that a program looping over V-tiles does not
        build it again for each.
      }], "::prism::ChunkFactor", "buildChunkFactor",
      (ins "::prism::TileBuilder &":$tb, "::mlir::Value":$t0, "int64_t":$chunk,
           "const ::prism::ChunkDecay &":$decay)>,
    InterfaceMethod<[{
        Adds to `slots` (the injections of the `chunk` tokens from `t0`) what
        the family injects itself, given its decay and the state at the
        chunk's start.
      }], "void", "buildChunkSlots",
      (ins "::prism::TileBuilder &":$tb, "::mlir::Value":$t0, "int64_t":$chunk,
           "const ::prism::ChunkDecay &":$decay,
           "const ::prism::ChunkFactor &":$factor, "::mlir::Value":$state,
           "::llvm::SmallVectorImpl<::prism::Slot> &":$slots)>,
    InterfaceMethod<[{
        The chunk's transition in a form that does not depend on the state
        at its start (for the schedules that summarise chunks in parallel):
        adds to `slots` the family's own injection as seen from a zero start
        state, and returns the chunk's decay and which slot is the family's.
        How the start state enters beyond its decay is
        buildChunkResponse's.
      }], "::prism::ChunkTransition", "buildChunkSummary",
      (ins "::prism::TileBuilder &":$tb, "::mlir::Value":$t0, "int64_t":$chunk,
           "const ::prism::ChunkDecay &":$decay,
           "const ::prism::ChunkFactor &":$factor,
           "::llvm::SmallVectorImpl<::prism::Slot> &":$slots)>,
    InterfaceMethod<[{
        For a family with a chunk response (hasChunkResponse): the response
        R of its slot's values to the start state ([chunk, K]: the values
        gain R S^T) and the chunk's decayed erase keys W~, the factored
        K x K part of its transition. It depends on the keys alone, so that
        a schedule builds it once per chunk, not once per V-tile.
      }], "::prism::ChunkTransition", "buildChunkResponse",
      (ins "::prism::TileBuilder &":$tb, "::mlir::Value":$t0, "int64_t":$chunk,
           "const ::prism::ChunkDecay &":$decay,
           "const ::prism::ChunkFactor &":$factor)>,
    InterfaceMethod<[{
        For a family with a chunk response: adds to `slots` its injection
        of the `chunk` tokens from `t0` with the given `values` ([chunk,
        V-tile], f32: a summary's values plus the response to the start
        state, kept from earlier kernels) and returns its slot, as
        buildChunkSlots would with the state at hand, without building the
        chunk's factor again.
      }], "int64_t", "addChunkSlot",
      (ins "::prism::TileBuilder &":$tb, "::mlir::Value":$t0, "int64_t":$chunk,
           "::mlir::Value":$values,
           "::llvm::SmallVectorImpl<::prism::Slot> &":$slots)>
  ];
}

#endif // PRISM_CONVERSION_RECURRENCETOTILE_FORGETALGEBRA
