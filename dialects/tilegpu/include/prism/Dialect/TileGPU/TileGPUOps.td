//===- TileGPUOps.td - The GPU mapping of the tile level ---*- tablegen -*-===//
//
// What the GPU target mapping adds to a tile program before it becomes
// NVVM: where every tile lives (a distributed layout on its tensor type:
// which thread holds which element), shared-memory buffers and the ops that
// move tiles through them, and the matrix products that read their operands
// from shared memory. docs/rationale.md describes the levels.
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_DIALECT_TILEGPU_OPS
#define PRISM_DIALECT_TILEGPU_OPS

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Dialect
//===----------------------------------------------------------------------===//

def TileGPU_Dialect : Dialect {
  let name = "tilegpu";
  let summary = "Layouts and shared memory of tile programs on a GPU";
  let description = [{
    The `tilegpu` dialect is the GPU target mapping's view of a tile
    program. A kernel runs as one block of `32 x warps` threads per program.
    Every tile keeps its SSA tensor type, with a *layout* as the tensor's
    encoding that says which thread holds which elements:

    - `#tilegpu.blocked`: each thread holds a `size` sub-block, `threads`
      lanes and `warps` warps tile the rest (the state rows of the
      sequential schedule, the rows of loads and stores);
    - `#tilegpu.mma`: the accumulator fragments of `mma.sync m16n8k16`,
      the 16 x 8 tiles dealt to a `warps` grid;
    - `#tilegpu.slice`: a 1-d tile laid out as one dimension of a 2-d
      layout (the rows or the columns its threads hold), so that a
      broadcast into that layout moves no data.

    A layout may cover a tile more than once: threads then hold copies.
    Tiles move between layouts through shared memory (`tilegpu.alloc`,
    `tilegpu.local_store`, `tilegpu.local_load`), or in registers
    (`tilegpu.convert`) where every thread already holds what it needs.
    Matrix products read their operands from shared memory
    (`tilegpu.mma`). Barriers are placed by the shared-memory allocation,
    which knows every access.
  }];
  let cppNamespace = "::prism::tilegpu";
  let useDefaultAttributePrinterParser = 1;
}

class TileGPU_Op<string mnemonic, list<Trait> traits = []>
    : Op<TileGPU_Dialect, mnemonic, traits>;

class TileGPU_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<TileGPU_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

//===----------------------------------------------------------------------===//
// Layouts
//===----------------------------------------------------------------------===//

def TileGPU_BlockedLayout : TileGPU_Attr<"Blocked", "blocked"> {
  let summary = "Each thread holds a sub-block; lanes and warps tile the rest";
  let description = [{
    For a tile of rank r (1 or 2), per dimension d: a thread holds
    `size[d]` consecutive elements, `threads[d]` lanes and `warps[d]` warps
    lay those sub-blocks side by side, and the pattern repeats until the tile
    is covered. Lanes and warps are numbered with the last dimension
    fastest; `threads` multiply to 32 and `warps` to the kernel's warps
    (powers of two; `size` is any positive number). When
    the pattern is larger than the tile, coordinates wrap: the threads past
    the tile hold copies.

    ```mlir
    // A 64 x 128 state, four lanes a row (32 keys each), 8 rows a warp.
    tensor<64x128xf32, #tilegpu.blocked<size = [1, 32], threads = [8, 4], warps = [4, 1]>>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$size,
                        ArrayRefParameter<"int64_t">:$threads,
                        ArrayRefParameter<"int64_t">:$warps);
  let assemblyFormat = [{
    `<` `size` `=` `[` $size `]` `,` `threads` `=` `[` $threads `]` `,`
    `warps` `=` `[` $warps `]` `>`
  }];
  let genVerifyDecl = 1;
}

def TileGPU_MmaLayout : TileGPU_Attr<"Mma", "mma"> {
  let summary = "The accumulators of mma.sync m16n8k16";
  let description = [{
    A 2-d f32 tile as 16 x 8 accumulator tiles, dealt to a `warps[0]` x
    `warps[1]` grid of warps in blocks (warp `w = i * warps[1] + j` holds
    rows `b(i) * M / warps[0]` on and columns `j * N / warps[1]` on); within
    a tile, lane l holds rows `l / 4` and `l / 4 + 8`, columns `2 (l % 4)`
    and `2 (l % 4) + 1`, as `mma.sync` leaves them. The row block `b(i)` is
    `i`, except where the row warps `i` and `i + warps[0] / 2` run on one SM
    sub-partition (warps `w` and `w + 4`: `warps[0] / 2 * warps[1]` a
    multiple of 4): there the second half goes in reverse,
    `b(i) = 3 warps[0] / 2 - 1 - i` for `i >= warps[0] / 2`, so that a causal
    product's work is even over the sub-partitions.

    ```mlir
    tensor<64x64xf32, #tilegpu.mma<warps = [4, 1]>>
    ```
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$warps);
  let assemblyFormat = "`<` `warps` `=` `[` $warps `]` `>`";
  let genVerifyDecl = 1;
}

def TileGPU_SliceLayout : TileGPU_Attr<"Slice", "slice"> {
  let summary = "A 1-d tile laid out as one dimension of a 2-d layout";
  let description = [{
    The 1-d tile is indexed by the dimension of `parent` that `dim` does not
    name: with `dim = 1`, a thread holds element i where it holds row i of
    the parent layout; with `dim = 0`, where it holds column i. Broadcasting
    it along `dim` into `parent` is then local to every thread, and
    reducing a `parent` tile along `dim` gives this layout.

    ```mlir
    tensor<64xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.mma<warps = [4, 1]>>>
    ```
  }];
  let parameters = (ins "int64_t":$dim, "::mlir::Attribute":$parent);
  let assemblyFormat = "`<` `dim` `=` $dim `,` `parent` `=` $parent `>`";
  let genVerifyDecl = 1;
}

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

def TileGPU_Tile : Type<
    And<[StaticShapeTensorOf<[F32, F16, BF16]>.predicate,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() >= 1">,
         CPred<"::llvm::cast<::mlir::RankedTensorType>($_self).getRank() <= 2">]>,
    "tile with a layout", "::mlir::RankedTensorType">;

def TileGPU_Shared : Type<
    And<[MemRefRankOf<[F32, F16, BF16], [1, 2]>.predicate,
         CPred<"::prism::tilegpu::isSharedMemory(::llvm::cast<::mlir::MemRefType>($_self))">]>,
    "shared-memory buffer", "::mlir::MemRefType">;

//===----------------------------------------------------------------------===//
// Register layouts
//===----------------------------------------------------------------------===//

def TileGPU_ConvertOp : TileGPU_Op<"convert", [Pure]> {
  let summary = "Changes a tile's layout where no thread needs another's data";
  let description = [{
    The two layouts give every thread the same elements in the same order
    (for example a slice of a 2-d layout and a blocked 1-d layout that
    happen to coincide): the change moves no data. Other changes of layout
    go through shared memory.

    ```mlir
    %y = tilegpu.convert %x : tensor<64xf32, #a> -> tensor<64xf32, #b>
    ```
  }];
  let arguments = (ins TileGPU_Tile:$input);
  let results = (outs TileGPU_Tile:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shared memory
//===----------------------------------------------------------------------===//

def TileGPU_AllocOp : TileGPU_Op<"alloc"> {
  let summary = "A buffer in the block's shared memory";
  let description = [{
    A statically shaped shared-memory buffer of the enclosing kernel's
    block. Rows may be padded (a strided layout) so that a warp's accesses
    to one column fall into different banks. `offset` is its byte offset in
    the block's dynamic shared memory, set by `prism-tile-gpu-allocate-shared`
    from the buffers' live ranges.

    ```mlir
    %buf = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
    ```
  }];
  let arguments = (ins OptionalAttr<I64Attr>:$offset);
  let results = (outs TileGPU_Shared:$buffer);
  let assemblyFormat = "attr-dict `:` type($buffer)";
  let hasVerifier = 1;
}

def TileGPU_LocalStoreOp : TileGPU_Op<"local_store"> {
  let summary = "Writes a tile into a shared-memory buffer";
  let description = [{
    Every thread writes the elements its layout gives it (copies write the
    same value). The buffer has the tile's shape and element type.

    ```mlir
    tilegpu.local_store %x, %buf : tensor<64x64xbf16, #l>, memref<64x64xbf16, strided<[72, 1]>, 3>
    ```
  }];
  let arguments = (ins TileGPU_Tile:$value,
                       Arg<TileGPU_Shared, "the buffer", [MemWrite]>:$buffer);
  let assemblyFormat = [{
    $value `,` $buffer attr-dict `:` type($value) `,` type($buffer)
  }];
  let hasVerifier = 1;
}

def TileGPU_LocalLoadOp : TileGPU_Op<"local_load"> {
  let summary = "Reads a tile from a shared-memory buffer";
  let description = [{
    Every thread reads the elements the result's layout gives it.

    ```mlir
    %x = tilegpu.local_load %buf : memref<64x64xf32, 3> -> tensor<64x64xf32, #l>
    ```
  }];
  let arguments = (ins Arg<TileGPU_Shared, "the buffer", [MemRead]>:$buffer);
  let results = (outs TileGPU_Tile:$result);
  let assemblyFormat = "$buffer attr-dict `:` type($buffer) `->` type($result)";
  let hasVerifier = 1;
}

def TileGPU_AsyncCopyOp
    : TileGPU_Op<"async_copy", [AttrSizedOperandSegments]> {
  let summary = "Starts copying a tile from global to shared memory";
  let description = [{
    The copy of `tile.load`'s tile (same `indices`, `dims` and `bound`:
    rows outside `[0, bound)` become zero) into a shared buffer of the
    tile's shape, without passing through registers: each thread starts the
    copies of the pieces that `layout` (a `tensor` type with the tile's
    shape, element type and layout) gives it, in 16-byte pieces
    (`cp.async`). The bytes arrive later: `tilegpu.async_wait` waits for
    them, then a barrier makes them visible to the block.

    ```mlir
    tilegpu.async_copy %k[%b, %t0, %h, %c0] dims [1, 3] below(%T), %buf
        as tensor<64x64xbf16, #blocked>
        : memref<?x?x4x64xbf16>, memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
    ```
  }];
  let arguments = (ins Arg<AnyMemRef, "the global buffer", [MemRead]>:$source,
                       Variadic<Index>:$indices,
                       DenseI64ArrayAttr:$dims,
                       Optional<Index>:$bound,
                       Arg<TileGPU_Shared, "the shared buffer", [MemWrite]>:$dest,
                       TypeAttrOf<TileGPU_Tile>:$layout);
  let assemblyFormat = [{
    $source `[` $indices `]` `dims` $dims (`below` `(` $bound^ `)`)? `,` $dest
    `as` $layout attr-dict `:` type($source) `,` type($dest)
  }];
  let hasVerifier = 1;
}

def TileGPU_AsyncWaitOp : TileGPU_Op<"async_wait"> {
  let summary = "Ends a group of copies and waits for all but the latest";
  let description = [{
    Closes the group of `tilegpu.async_copy` this thread started since the
    last `async_wait` (or since the kernel began), then waits until at most
    `pending` groups are still in flight: with one group started per stage
    of a pipelined loop, `pending = stages - 1` leaves the later stages'
    copies running. Other threads' bytes are visible after the next barrier.

    ```mlir
    tilegpu.async_wait {pending = 1 : i64}
    ```
  }];
  let arguments = (ins I64Attr:$pending);
  let assemblyFormat = "attr-dict";
}

//===----------------------------------------------------------------------===//
// Computations on shared memory
//===----------------------------------------------------------------------===//

def TileGPU_MmaOp : TileGPU_Op<"mma"> {
  let summary = "Matrix product of shared-memory operands into accumulators";
  let description = [{
    `result = acc + op(a) op(b)` like `tile.dot`, with the operands read
    from shared memory (as stored: `transpose_a` reads `a` as K x M) and the
    result in an `#tilegpu.mma` layout. 16-bit operands use `ldmatrix` and
    `mma.sync`; f32 operands are multiplied in f32 by each thread for the
    elements it holds. `lower_a` and `lower` are `tile.dot`'s causal forms:
    each warp skips the 16-wide reduction steps (`lower_a`) or the 16 x 8
    result tiles (`lower`) wholly above the diagonal, and masks the ones
    it crosses.

    ```mlir
    %p = tilegpu.mma %q, %k transpose_b : memref<64x64xbf16, 3>, memref<64x64xbf16, 3>
        -> tensor<64x64xf32, #tilegpu.mma<warps = [4, 1]>>
    ```
  }];
  let arguments = (ins Arg<TileGPU_Shared, "left operand", [MemRead]>:$a,
                       Arg<TileGPU_Shared, "right operand", [MemRead]>:$b,
                       Optional<TileGPU_Tile>:$acc,
                       UnitAttr:$transpose_a, UnitAttr:$transpose_b,
                       UnitAttr:$lower_a, UnitAttr:$lower);
  let results = (outs TileGPU_Tile:$result);
  let assemblyFormat = [{
    $a `,` $b (`acc` `(` $acc^ `:` type($acc) `)`)? (`transpose_a` $transpose_a^)?
    (`transpose_b` $transpose_b^)? (`lower_a` $lower_a^)? (`lower` $lower^)?
    attr-dict `:` type($a) `,` type($b) `->` type($result)
  }];
  let hasVerifier = 1;
}

def TileGPU_DecayMmaOp : TileGPU_Op<"decay_mma"> {
  let summary = "tile.decay_dot of shared-memory operands";
  let description = [{
    `result[i, j] = sum_c a[i, c] b[j, c] 2^(ga[i, c] - gb[j, c])` for
    `j <= i`, else zero, with every operand in shared memory (f32) and the
    result in an `#tilegpu.mma` layout.

    ```mlir
    %p = tilegpu.decay_mma %q, %k, %g, %g : memref<64x64xf32, 3>, memref<64x64xf32, 3>,
        memref<64x64xf32, 3>, memref<64x64xf32, 3> -> tensor<64x64xf32, #m>
    ```
  }];
  let arguments = (ins Arg<TileGPU_Shared, "queries", [MemRead]>:$a,
                       Arg<TileGPU_Shared, "keys", [MemRead]>:$b,
                       Arg<TileGPU_Shared, "query decays", [MemRead]>:$ga,
                       Arg<TileGPU_Shared, "key decays", [MemRead]>:$gb);
  let results = (outs TileGPU_Tile:$result);
  let assemblyFormat = [{
    $a `,` $b `,` $ga `,` $gb attr-dict `:` type($a) `,` type($b) `,`
    type($ga) `,` type($gb) `->` type($result)
  }];
  let hasVerifier = 1;
}

def TileGPU_ReduceOp : TileGPU_Op<"reduce"> {
  let summary = "tile.reduce across the warps that share a row";
  let description = [{
    `tile.reduce` (`add`, or `max` with the `max` unit attribute) of a tile
    whose layout spreads `dim` over several warps: each warp reduces what
    its lanes hold, writes its partial results to row `w` of `scratch`
    (an f32 shared buffer of one row per warp along `dim`, and the kept
    extent as columns, or one element per warp for a 1-d input), and after
    a barrier every thread combines the partials of its elements. The
    result is laid out like `tile.reduce`'s (a slice, or an f32 scalar).

    ```mlir
    %r = tilegpu.reduce %x dim 1 scratch(%buf) : tensor<64x128xf32, #tilegpu.mma<warps = [4, 2]>>,
        memref<2x64xf32, 3> -> tensor<64xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.mma<warps = [4, 2]>>>
    ```
  }];
  let arguments = (ins TileGPU_Tile:$input, I64Attr:$dim, UnitAttr:$max,
                       Arg<TileGPU_Shared, "partials", [MemRead, MemWrite]>:$scratch);
  let results = (outs AnyTypeOf<[F32, TileGPU_Tile]>:$result);
  let assemblyFormat = [{
    $input (`max` $max^)? `dim` $dim `scratch` `(` $scratch `)` attr-dict `:`
    type($input) `,` type($scratch) `->` type($result)
  }];
  let hasVerifier = 1;
}

def TileGPU_ScanOp : TileGPU_Op<"scan"> {
  let summary = "Inclusive cumulative sum of a shared-memory buffer, in place";
  let description = [{
    `tile.cumsum` along dimension 0 of an f32 buffer: the block's threads
    each take whole columns (a 1-d buffer is one column).

    ```mlir
    tilegpu.scan %buf : memref<64x128xf32, 3>
    ```
  }];
  let arguments = (ins Arg<TileGPU_Shared, "the buffer", [MemRead, MemWrite]>:$buffer);
  let assemblyFormat = "$buffer attr-dict `:` type($buffer)";
  let hasVerifier = 1;
}

def TileGPU_TriInverseOp : TileGPU_Op<"tri_inverse"> {
  let summary = "tile.tri_inverse in a shared buffer, in place";
  let description = [{
    Overwrites a square shared buffer holding `l` with
    `(I + strictly_lower(l))^-1`: the inverses of the 16 x 16 diagonal
    blocks are found by forward substitution (a thread per column, a row at
    a time), then block row after block row the blocks left of the
    diagonal, `T_ij = -T_ii sum_{j <= k < i} L_ik T_kj`, spread over the
    block's threads; last, the upper triangle is cleared. A step that
    overwrites what other threads still read computes into registers and
    writes after a barrier. With `block(b)` (tile.tri_inverse's), only the
    diagonal blocks of `b` rows are inverted and everything outside them is
    cleared. A 16-bit buffer is read and solved in f32 and written back
    rounded.

    ```mlir
    tilegpu.tri_inverse %buf : memref<64x64xf32, 3>
    ```
  }];
  let arguments = (ins Arg<TileGPU_Shared, "L, then its inverse",
                           [MemRead, MemWrite]>:$buffer,
                       DefaultValuedAttr<I64Attr, "0">:$block);
  let assemblyFormat = [{
    $buffer (`block` `(` $block^ `)`)? attr-dict `:` type($buffer)
  }];
  let hasVerifier = 1;
}

def TileGPU_TriSolveOp : TileGPU_Op<"tri_solve"> {
  let summary = "tile.tri_solve with 16-bit operands, by blocks of 16 rows";
  let description = [{
    Writes `x = (I + strictly_lower(l))^-1 r` into `x`, block row after block
    row: `y_i = r_i - L_i x_<i` (the solved rows above, a tensor-core
    product), then `x_i = T_ii y_i` with `T_ii` the inverse of the diagonal
    block, which `t` holds (`tilegpu.tri_inverse block(16)` of `l`). Each
    warp owns whole columns of `x` (8-column tiles; the warps that get none
    wait), so a block row needs only the warp's own earlier rows: warp
    barriers, no block barrier. `y` is one block row of scratch. Every
    buffer has the 16-bit operand type: `r`, `y_i` and the solved rows are
    rounded to it, as a product's operands are; sums are f32.

    ```mlir
    tilegpu.tri_solve %l, %t, %r, %y, %x
        : memref<64x64xbf16, 3>, memref<64x64xbf16, 3>, memref<64x32xbf16, 3>,
          memref<16x32xbf16, 3>, memref<64x32xbf16, 3>
    ```
  }];
  let arguments = (ins Arg<TileGPU_Shared, "L", [MemRead]>:$l,
                       Arg<TileGPU_Shared, "its diagonal blocks' inverses",
                           [MemRead]>:$t,
                       Arg<TileGPU_Shared, "the right-hand side", [MemRead]>:$r,
                       Arg<TileGPU_Shared, "one block row of scratch",
                           [MemRead, MemWrite]>:$y,
                       Arg<TileGPU_Shared, "the solution", [MemRead, MemWrite]>:$x);
  let assemblyFormat = [{
    $l `,` $t `,` $r `,` $y `,` $x attr-dict `:` type($l) `,` type($t) `,`
    type($r) `,` type($y) `,` type($x)
  }];
  let hasVerifier = 1;
}

#endif // PRISM_DIALECT_TILEGPU_OPS
