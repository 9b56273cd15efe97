//===- Passes.td - prism passes ----------------------------*- tablegen -*-===//
//
// Every pass of prism, in pipeline order: schedule selection (Transforms),
// lowering of the recurrence ops to loop nests over buffers (Conversion), the
// GPU target mapping, and the export of PTX with its manifests (Target).
//
//===----------------------------------------------------------------------===//

#ifndef PRISM_PASSES
#define PRISM_PASSES

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Transforms
//===----------------------------------------------------------------------===//

def ClassifySteps : Pass<"prism-classify-steps", "mlir::ModuleOp"> {
  let summary = "Decide Definition 3.1 for every recurrence.step";
  let description = [{
    Classifies the body of every `recurrence.step` (prism/Analysis/StepForm.h)
    and reports the decision as a remark at the op: either the next state is
    `S_{t-1} A_t + B_t` with `A_t` and `B_t` free of the state (the paper's
    Definition 3.1: the recurrence may be evaluated in parallel over time),
    or it is not, with the value that makes it so, e.g. "reads S_{t-1} k_t
    through math.tanh", and a note at that value's op. A step whose
    `schedule` asks for a chunked or tree kind while its body is not of that
    form is an error with the same reason: only the sequential schedule is
    correct for it.

    A body that is of that form, with `A_t` a forget family of the dialect
    whose parameters are inputs (`I`, `exp(g_t) I`, `diag(exp(g_t))`,
    `exp(g_t) (I - beta_t w_t w_t^T)`), `B_t` a sum of outer products of
    inputs `beta_t^(l) d_t^(l) k_t^(l)T` and the output `scale * S_t q_t`,
    is rewritten into `recurrence.*_forget`, `recurrence.inject` and
    `recurrence.scan` (keeping its schedule, states and layout) and so gets
    every schedule; the remark says so. Where the body's form is right but
    its parameters are computed in a way those ops cannot take, the remark
    says which, and a parallel schedule is an error.
  }];
  let options = [
    Option<"rewriteToScan", "rewrite", "bool", "true",
           "Rewrite state-independent bodies into recurrence.scan where the "
           "structured ops express them">
  ];
}

def SelectSchedule : Pass<"prism-select-schedule", "mlir::ModuleOp"> {
  let summary = "Choose a schedule for every recurrence.scan that has none";
  let description = [{
    Fills in the `schedule` attribute of each `recurrence.scan` that lacks one,
    and every parameter left at 0 ("choose from the shape") of one that has
    it, so that the IR after this pass names the kernel shape a lowering will
    build. The default kind is `sequential`; for it `v_tile` (state rows per
    program) is the value width V up to 128, `k_split` gives each lane about
    32 entries of its state row (K = 128: 4 lanes a row), and `warps` follows
    from both. For the chunked kinds (`chunked_fused` and `chunked_two_pass`
    are lowered today, for every forget family),
    `v_tile` is 64 (or V; 128 for the diagonal decay and the delta forget's
    `chunked_fused` when V allows it and the scratch fits; 32 for the delta
    forget's `chunked_two_pass` at L = 1 when V > 32), `warps` the largest power of two that
    leaves each warp at least four 16 x 8 tiles of the state block, up to 8
    (up to 4 for the identity and scalar decays at K >= 128),
    `stages` 2 for the delta forget's walks (fused and two-pass) where the
    second buffers fit and 1 otherwise, and `chunk` the largest of
    64, 32, 16 whose per-program scratch fits a block's shared memory on
    `chip` (227 KiB on sm_90a, 163 KiB on sm_80: prism/Target/GPUTarget.h). The choice is then held to the lowering's own checks
    (with the GPU's limits): where the defaults would not lower (K = 512
    would put 256 floats of state in a lane), the parameters left free are
    searched (smaller V-tiles, more warps, smaller chunks). When no
    parameters lower at all (a chunked kind on V = 4), the defaults stay and
    the lowering reports the reason.

    With `mapping=tile` the lowering whose checks decide is the tile level
    and the GPU target mapping on `chip`, run on a copy of the scan's
    function up to its budgets (prism/Target/GPU/MappingCheck.h): for every
    kind, the sequential one included, the parameters left free are
    searched in the same order until the mapping accepts them (for the
    sequential walk: wider `k_split`, then narrower V-tiles).
  }];
  let options = [
    Option<"defaultKind", "default-kind", "std::string", "\"sequential\"",
           "Schedule kind used when a scan has none">,
    Option<"chip", "chip", "std::string", "\"sm_90a\"",
           "GPU whose limits the chosen parameters respect (sm_80, sm_90, "
           "sm_90a)">,
    Option<"mapping", "mapping", "std::string", "\"loops\"",
           "Whose checks the parameters must pass: 'loops' "
           "(prism-convert-recurrence-to-scf) or 'tile' (the tile level "
           "and the GPU target mapping)">
  ];
  let dependentDialects = [
    "::prism::recurrence::RecurrenceDialect",
    // What the copies of the mapping check create.
    "::prism::tile::TileDialect", "::prism::tilegpu::TileGPUDialect",
    "::mlir::arith::ArithDialect", "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::ub::UBDialect"
  ];
}

//===----------------------------------------------------------------------===//
// Conversion
//===----------------------------------------------------------------------===//

def ConvertRecurrenceToSCF
    : Pass<"prism-convert-recurrence-to-scf", "mlir::ModuleOp"> {
  let summary = "Lower recurrence specifications to loop nests over buffers";
  let description = [{
    Rewrites every function that holds a `recurrence.scan` into a program over
    buffers: tensor arguments become memref arguments, results become output
    memrefs appended to the arguments, and intermediate sequences (short
    convolution results) become workspace memrefs appended last. The body is
    one `scf.parallel` nest per kernel, in launch order: a nest per short
    convolution, then the scan, whose schedule decides the nest's shape.
    Parallel dimensions are tagged `prism.loop_roles` ("program" or "lane") so
    that a target mapping can place them. The refinement write path is fused
    into the scan's loads. Every argument gets a `#recurrence.buffer` (name,
    role, access, sizes of its dynamic dimensions) and the function a
    `#recurrence.program` (what it computes), from which the targets build
    the manifest of docs/manifest.md.

    `target` says where lanes run. On `gpu`, the `k_split` lanes that share a
    state row reduce their partial dot products with warp shuffles; on `cpu`
    lanes are loop iterations, so a row is never split (k_split = 1) and the
    algebra is otherwise identical.

    `chunked_fused` is one program per (head, batch, V-tile) walking chunks
    with barrier-separated phases of m16n8k16 tiles (ldmatrix and mma.sync on
    `gpu` for 16-bit inputs; the same fragments as scalar products on `cpu`).
    The delta forget runs as a decay recurrence with one more, virtual,
    injection (key w_t, value -beta_t e_t), whose values come from a blocked
    triangular solve per chunk: inverted 16 x 16 diagonal blocks, then block
    by block, each warp solving whole columns.

    `chunked_two_pass` splits the same phases over kernels, with workspaces
    the runtime allocates (sized by ceil(T / chunk)):
    - decay families: every chunk's update from a zero state (D^T K~, f32,
      `chunk_summaries`) and its total log decay (`chunk_decays`) in
      parallel, one program per (head, batch, chunk x V-tile); then a scan
      over the chunks by the composition rule, four state elements a lane,
      that stores every chunk's start state in `chunk_states`
      [B, H, ceil(T / chunk), V, K] (operand precision) and gives the final
      state;
    - the delta forget, whose chunk transition is a K x K matrix: first
      every chunk's summary in factored form, in parallel (one program per
      (head, batch, chunk), its V-tile all of V up to 128 where the scratch
      fits): the triangular solve from a zero start state (values x0_t) and
      the solved values' response to the start state (psi_t, K wide;
      x_t = x0_t + S0 psi_t), the update from a zero state (B0 = sum_l
      D_l^T K~_l + X0^T W~, `chunk_summaries` in the operand type), the
      erase keys decayed to the chunk end (w~_t, `chunk_erase_keys`) and the
      log decay (`chunk_decays`, gated); so the chunk maps S to e^{G_end} S +
      B0 + sum_t (S psi_t) w~_t^T. Then their composition over the chunks in
      order: a walk per (head, batch, V-tile) of two matrix products a
      chunk, every operand of the next chunk loaded while one computes
      (stages = 2, cp.async), that stores the start states and x_t
      (`chunk_values` [B, T, H, V]; `chunk_responses` [B, T, H, K] holds
      psi). Where the erase key is an injection key (DeltaNet, Gated
      DeltaNet, PRISM) the values carried are u_t = d_t + x_t of that key's
      slot;
    - then one program per (head, batch, chunk x V-tile) computes the
      chunk's outputs from its start state, its V-tile all of V up to 128
      where the scratch fits.
    `tree` is rejected with a diagnostic.
  }];
  let options = [
    Option<"target", "target", "std::string", "\"cpu\"",
           "Target of the loop nests: cpu or gpu">,
    Option<"chip", "chip", "std::string", "\"sm_90a\"",
           "GPU whose limits the kernels respect (sm_80, sm_90, sm_90a)">
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect", "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::nvgpu::NVGPUDialect"
  ];
}

def ConvertRecurrenceToTile
    : Pass<"prism-convert-recurrence-to-tile", "mlir::ModuleOp"> {
  let summary = "Rewrite recurrence specifications into tile programs";
  let description = [{
    Rewrites every function that holds a `recurrence.scan` whose schedule has
    a tile-level rewrite into a program over buffers (the same arguments,
    names and attributes as `prism-convert-recurrence-to-scf`) whose
    body is a sequence of `tile.kernel`s: one per short convolution (a
    program per 64 tokens, batch and head), then the scan's, as its schedule
    says. Each schedule is one file of lib/Conversion/RecurrenceToTile,
    written once for every forget family through the forget ops'
    `ForgetAlgebra` interface (the step, the chunk's decay and the chunk's
    own injections), every rank L and both write paths:
    - `sequential`: a program per (head, batch, V-tile) walks the tokens,
      `S <- S A_t + sum_l d_l k_l^T`, `o_t = scale S q_t`;
    - `chunked_fused`: a program per (head, batch, V-tile) walks the chunks
      carrying its state tile; per chunk the decayed scores, the outputs
      from the state and from the chunk, and the state update as tile
      products (the delta forget adds a virtual injection whose values a
      unit-triangular solve gives);
    - `chunked_two_pass`: the chunks' summaries in parallel (their update
      from a zero state, log decay and, for the delta forget, the response to
      the start state and the decayed erase keys), a walk per (head, batch,
      V-tile) composing them that stores every chunk's start state, then the
      chunks' outputs in parallel; workspaces `chunk_summaries`,
      `chunk_states`, `chunk_decays`, `chunk_responses`, `chunk_erase_keys`;
    - `tree`: the same summaries, each chunk's transition as its decay plus
      (for the delta forget) a dense K x K part, then a parallel prefix over
      the chunks by the composition rule in ceil(log2(chunks)) rounds (a host
      loop of kernels between two buffer sets, `prefix_updates0/1`,
      `prefix_decays0/1`, `prefix_transitions0/1`), every chunk's start state
      from the prefix before it, then the outputs in parallel.
    A `recurrence.step` that `prism-classify-steps` left a step (a
    state-dependent body) takes the sequential walk of StepWalk.cpp: the
    body's ops on the program's V-tile x K block of the state, token after
    token, the body carried to the manifest as `#recurrence.step_program`.
    Scans with another schedule (or none: run `prism-select-schedule`
    first) are left unchanged, for `prism-convert-recurrence-to-scf`.
  }];
  let options = [
    Option<"onlySteps", "only-steps", "bool", /*default=*/"false",
           "Rewrite only the state-dependent steps (the GPU's loop-nest "
           "path, which has no lowering of them, sends them here)">
  ];
  let dependentDialects = [
    "::prism::tile::TileDialect", "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::func::FuncDialect"
  ];
}

def MapParallelLoopsToGPU
    : Pass<"prism-map-parallel-loops-to-gpu", "mlir::func::FuncOp"> {
  let summary = "Place prism's parallel loop nests on GPU blocks and threads";
  let description = [{
    Turns the `prism.loop_roles` of each `scf.parallel` into GPU mapping
    attributes: "program" dimensions go to block x, y, z in order and "lane"
    dimensions to thread x, y, z. Upstream `convert-parallel-loops-to-gpu`
    then builds the launches.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def AttachSharedScratch : Pass<"prism-attach-shared-scratch", "mlir::ModuleOp"> {
  let summary = "Give each GPU launch the dynamic shared memory its kernel uses";
  let description = [{
    Chunked schedules carve their per-program scratch from a module-level
    workgroup buffer (`memref.global @__prism_shared`) whose uses carry the
    bytes they need (`prism.shared_bytes`). Inside each `gpu.launch` this pass
    replaces those uses with `gpu.dynamic_shared_memory` and sets the
    launch's dynamic shared memory size to the largest request, then erases
    the module-level buffer. Run it after `convert-parallel-loops-to-gpu`.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

//===----------------------------------------------------------------------===//
// Target
//===----------------------------------------------------------------------===//

def UnrollHostLoops : Pass<"prism-unroll-host-loops", "mlir::ModuleOp"> {
  let summary = "Unroll host loops of launches into lists of launches";
  let description = [{
    A manifest lists launches and has no loops. After outlining, every host
    `scf.for` with constant bounds that contains `gpu.launch_func`s (the
    tree schedule's prefix rounds) is unrolled, so that each iteration's
    launch has its own constant parameters; a canonicalization afterwards
    folds what depended on the induction variable (which buffer a round
    reads). Loops with other bounds are left for
    `prism-collect-launches` to report.
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def CollectLaunches : Pass<"prism-collect-launches", "mlir::ModuleOp"> {
  let summary = "Turn host launch code into kernel manifests";
  let description = [{
    For each host function, records its `gpu.launch_func` ops in order
    (kernel name, parameters, grid and block sizes as expressions over the
    dynamic dimensions) into the function's manifest, stores the completed
    manifests on the module as `prism.manifests`, and erases the host
    function: prism's runtime launches kernels from the manifest, so no host
    code is compiled for the GPU backend.

    Each kernel gets its launch bounds (`nvvm.maxntid`) and, where shared
    memory allows two or more blocks per SM, `nvvm.minctasm` for as many
    blocks as still leave each thread `min-registers` registers: ptxas then
    budgets registers for that occupancy.
  }];
  let options = [
    Option<"minRegisters", "min-registers", "int64_t", "128",
           "Registers per thread that an occupancy hint may not go below">,
    Option<"chip", "chip", "std::string", "\"sm_90a\"",
           "The chip whose shared memory and registers per SM bound the hint">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def ExportKernels : Pass<"prism-export-kernels", "mlir::ModuleOp"> {
  let summary = "Write the PTX of each GPU binary and its manifest to files";
  let description = [{
    Writes `<function>.ptx` and `<function>.manifest.json` for each manifest
    in `prism.manifests` into `output-dir` (created when missing; the option
    is required). Each `gpu.binary` must hold an assembly (PTX) object. The
    binaries and `prism.manifests` are then replaced by `prism.exported`, a
    dictionary from each program to the paths of its two files, so the
    module printed after the pipeline is a few lines, not the PTX.
  }];
  let options = [
    Option<"outputDir", "output-dir", "std::string", "\"\"",
           "Directory for .ptx and .manifest.json files">
  ];
}

//===----------------------------------------------------------------------===//
// Target: the GPU mapping of tile programs
//===----------------------------------------------------------------------===//

def TileGPUAssignLayouts
    : Pass<"prism-tile-gpu-assign-layouts", "mlir::ModuleOp"> {
  let summary = "Give every tile of a GPU kernel a layout";
  let description = [{
    The first step of the GPU target mapping (lib/Target/GPU). Every tile of
    a `tile.kernel` gets a `tilegpu` layout on its tensor type, chosen for
    the kernel as a whole:
    - a kernel with products (`tile.dot`, `tile.decay_dot`,
      `tile.tri_solve`) lays its 2-d f32 tiles out as `mma.sync`
      accumulators (`#tilegpu.mma`, rows of 16 dealt to the warps first);
    - a kernel without them takes blocked layouts: for the sequential
      schedule's walk, each state row split over `k_split` lanes with `rows`
      rows a lane (the schedule's parameters); otherwise rows of 16-byte
      pieces;
    - a 1-d tile takes the slice of the 2-d layout it is broadcast into.
    Products become `tilegpu.mma` / `tilegpu.decay_mma` on shared-memory
    copies of their operands (one copy per value). A triangular solve with
    16-bit operands inverts L's 16-row diagonal blocks once per L
    (`tilegpu.tri_inverse block(16)`) and solves block row after block row
    on tensor cores (`tilegpu.tri_solve`, into a buffer that the solution's
    products read); an f32 solve inverts L in place and multiplies.
    Cumulative sums work in shared memory (`tilegpu.scan`),
    reductions are kept within warps, and a tile that two ops want in
    different layouts moves through shared memory (`tilegpu.local_store`,
    `tilegpu.local_load`). The kernel gets `tilegpu.warps`: the schedule's
    warps, or more for a kernel whose tiles could not be held in the chip's
    registers at that count (one tile, or the tiles a loop carries, counted
    as evenly spread over the threads): the smallest power of two at which
    they take at most half of a thread's registers (fewer beyond 256
    threads, from the chip's registers per block), within the chip's
    threads per block; where none does, the kernel keeps the schedule's
    warps (and is refused). `widen=false` keeps the schedule's warps
    always (prism-select-schedule's checks of candidates). Such a kernel would otherwise
    be refused (`prism-tile-gpu-allocate-shared`); the tree schedule's K x K
    transition products at K = 128 are the case.
  }];
  let options = [
    Option<"warps", "warps", "int64_t", "0",
           "Warps per block (0: the program's schedule, else 4)">,
    Option<"chip", "chip", "std::string", "\"sm_90a\"",
           "The chip whose registers bound a kernel's tiles">,
    Option<"widen", "widen", "bool", "true",
           "Give kernels whose tiles the schedule's warps cannot hold more "
           "warps">
  ];
  let dependentDialects = ["::prism::tilegpu::TileGPUDialect",
                           "::mlir::gpu::GPUDialect"];
}

def TilePipelineLoads : Pass<"prism-tile-pipeline-loads", "mlir::ModuleOp"> {
  let summary = "Issue the loads of loop iterations `stages - 1` ahead";
  let description = [{
    Software pipelining of any tile kernel, the schedule's `stages`: in every
    loop of a `tile.kernel`, each `tile.load` or `memref.load` whose
    indices depend only on the induction variable (and values from outside
    the loop), from a buffer that the loop does not write, is issued
    `stages - 1` iterations early. The loop carries the loaded values; an
    iteration first loads for iteration `i + stages - 1` (zero past the
    upper bound), then computes with its own; the loads of the first
    iterations move before the loop. Run by the GPU mapping before layouts
    are assigned, so the carried tiles get layouts like any other.
  }];
  let options = [
    Option<"stages", "stages", "int64_t", "0",
           "Loads in flight per load (0: the program's schedule; 1: none)">
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect"];
}

def TileGPUAsyncCopies
    : Pass<"prism-tile-gpu-async-copies", "mlir::ModuleOp"> {
  let summary = "Loads of GPU kernels copied straight into shared memory";
  let description = [{
    After `prism-tile-pipeline-loads` and `prism-tile-gpu-assign-layouts`: a
    tile that a loop carries from one iteration to the next only to store
    it into a shared buffer (the operands of products) is copied there with
    `tilegpu.async_copy` (cp.async) instead, into two buffers that the
    iterations alternate: iteration i starts the copy for i + 1 and waits
    for its own (`tilegpu.async_wait {pending = 1}`); the loop no longer
    carries the tile in registers. The first iteration's copy starts before
    the loop. A loop whose second buffers would not fit the chip's shared
    memory beside the kernel's other buffers keeps its loads in registers.
    In a kernel without such loops (`stages = 1`), a `tile.load` only
    stored into a buffer that only products read becomes a copy into that
    buffer where it was stored, and one `tilegpu.async_wait {pending = 0}`
    goes before the first product that reads the copies: a chunk's loads
    are in flight together.
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_90a\"",
           "The GPU whose shared memory per block bounds the buffers">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def TileGPUSinkToUses : Pass<"prism-tile-gpu-sink-to-uses", "mlir::ModuleOp"> {
  let summary = "Compute each tile of a GPU kernel next to its uses";
  let description = [{
    Shortens the live ranges of tiles held in registers, after
    `prism-tile-gpu-assign-layouts`: every pure op of a `tile.kernel` moves
    down to just before its first user in its block (never into a loop or
    branch), and a cheap op (`tilegpu.local_load`, `tilegpu.convert`,
    broadcasts, splats, causal masks, widening, narrowing, elementwise
    add, subtract, multiply and negate) with a 2-d result is computed again
    before each later user instead of being kept alive between them; a
    `tile.store` moves up, with the pure ops only it uses, to just after the
    last op it depends on, unless an op in between touches its buffer. A
    shared-memory read moves or is repeated only where no op in between
    writes its buffer, and only in kernels whose buffers, kept alive longer
    that way, still fit the chip's shared memory.
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_90a\"",
           "The GPU whose shared memory per block bounds the buffers">
  ];
}

def TileGPUAllocateShared
    : Pass<"prism-tile-gpu-allocate-shared", "mlir::ModuleOp"> {
  let summary = "Place shared buffers and the barriers between their uses";
  let description = [{
    Gives every `tilegpu.alloc` of a kernel a byte offset in the block's
    dynamic shared memory (buffers whose live ranges do not overlap share
    bytes; a buffer used in a loop lives for the whole loop), refuses a
    kernel whose buffers exceed the chip's shared memory per block with a
    diagnostic naming both figures, records the total as
    `tilegpu.shared_bytes`, and inserts a `gpu.barrier` before every access
    that may read bytes another thread wrote, or overwrite bytes another
    thread read or wrote, since the last barrier. The bytes of a
    `tilegpu.async_copy` count as written at the thread's next
    `tilegpu.async_wait`, even when a barrier comes between the two.

    Where the block's shared memory can grow without costing an SM a block
    (the chip's shared memory per SM), it is spent on fewer barriers: two
    buffers of which one would take bytes the other freed since the last
    barrier are kept apart, and each `tilegpu.local_store` moves up (with
    its buffer's alloc and the single-use pure ops computing its tile) to
    just after what it waits for, so that stores gather before the barrier
    their readers need anyway; the stores move only where that needs fewer
    barriers (weighed by 64 per enclosing loop).
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_90a\"",
           "The GPU whose shared memory per block bounds the kernels">
  ];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def ConvertTileToGPU : Pass<"prism-convert-tile-to-gpu", "mlir::ModuleOp"> {
  let summary = "Lower tile kernels with layouts to GPU launches";
  let description = [{
    Every `tile.kernel` becomes a `gpu.launch` (its grid, one block of
    `32 x tilegpu.warps` threads per program, the program ids the block
    ids), and every tile with a layout the vector of the elements each
    thread holds: loads and stores as 16-byte vector accesses where the
    layout, the buffer and the indices allow, elementwise math per element
    (`math.exp2` as `ex2.approx.ftz`), reductions with xor shuffles,
    16-bit products as `ldmatrix` + `mma.sync m16n8k16` (and, on a chip
    with `stmatrix`, 16-bit tiles of an mma layout stored to shared memory
    four 8 x 8 matrices an instruction), the 16-bit triangular solve by
    block rows on tensor cores, f32 products, decayed products and scans as
    per-thread loops over shared memory, shared buffers as views of the
    block's dynamic shared memory.
  }];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_90a\"",
           "The chip whose instructions the per-thread code uses">
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect", "::mlir::nvgpu::NVGPUDialect",
    "::mlir::NVVM::NVVMDialect", "::mlir::LLVM::LLVMDialect",
    "::mlir::vector::VectorDialect", "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect", "::mlir::math::MathDialect"
  ];
}

//===----------------------------------------------------------------------===//
// Target: CPU host code
//===----------------------------------------------------------------------===//

def ConvertTileToLoops
    : Pass<"prism-convert-tile-to-loops", "mlir::ModuleOp"> {
  let summary = "Map tile programs onto the CPU: kernels to loop nests";
  let description = [{
    Rewrites every op of the `tile` dialect into upstream ops on tensors and
    buffers, so that `prism-tile-cpu-mapping` can bufferize the tiles and
    lower them to loops:
    - `tile.kernel`: an `scf.for` nest over its grid (first extent
      outermost), the body inlined; programs run one after the other.
    - `tile.load`: a fresh buffer (`memref.alloc`) filled by an `scf.for`
      nest of `memref.load`s, with `below` guarded by an `scf.if` (the
      coordinate along `dims[0]` is valid when `0 <= c < bound`, signed)
      that gives zero otherwise, then `bufferization.to_tensor restrict
      writable`. Not a `tensor.generate`: canonicalization folds a
      `tensor.extract` of one into a load at the extract, which could then
      read the buffer after a later store.
    - `tile.store`: an `scf.for` nest of `tensor.extract` and `memref.store`
      under the same guard.
    - `tile.dot`: a `linalg.generic` over (i, j, k), k a reduction, the
      transposes as indexing maps; 16-bit operands are extended to `f32`
      (`arith.extf`) and products and sums are `f32`; the output is the
      accumulator or a zero fill.
    - `tile.decay_dot`: a `linalg.generic` over (i, j, c) that adds
      `a[i, c] b[j, c] 2^(ga[i, c] - gb[j, c])` where `j <= i` and selects
      zero above the diagonal (so an infinite product there is dropped, not
      multiplied by zero).
    - `tile.cumsum`: an `scf.for` along `dim` (and one across it for 2-d
      tiles) that adds each element to its predecessor
      (`tensor.extract` / `tensor.insert`).
    - `tile.causal_mask`: a `linalg.generic` that selects `fill` where
      `j > i` (`j >= i` with `strict`), comparing `linalg.index`es.
    - `tile.tri_solve`: forward substitution on the right-hand side,
      `scf.for` over rows, columns and the row's strictly lower entries of
      L (extended to f32), on the tensor of the solution.
    - `tile.reduce`: `linalg.reduce` from a fill of 0 (`add`) or -inf
      (`max`, `arith.maximumf`).
    - `tile.broadcast`: `linalg.broadcast`; `tile.splat`: `linalg.fill` of a
      `tensor.empty`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect", "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::bufferization::BufferizationDialect"
  ];
}

def HostExpandF16 : Pass<"prism-host-expand-f16"> {
  let summary = "Expand f16 <-> f32 conversions into integer arithmetic";
  let description = [{
    Rewrites `arith.extf` from f16 to f32 and `arith.truncf` from f32 to f16
    (scalars and vectors; round to nearest even, the only mode the lowerings
    emit) into integer and f32 arithmetic, bit-exact with IEEE 754: signed
    zeros, subnormals, overflow to infinity, infinities and NaNs (a NaN
    truncates to a quiet NaN with the top bits of its payload). Without it the LLVM backend calls
    `__extendhfsf2` and `__truncsfhf2` on hosts without F16C, routines that
    not every system's runtime library provides; with it the host code of
    the CPU backend needs no such routine on any x86-64. `arith-expand` does
    the same for bf16 (`include-bf16=true`).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def HostIntegerStorage : Pass<"prism-host-integer-storage", "mlir::ModuleOp"> {
  let summary = "Hold bf16 and f16 values of LLVM dialect host code as i16";
  let description = [{
    Retypes every bf16 and f16 (scalar, vector, or inside an LLVM array) of
    LLVM dialect host code as i16 of the same bits: loads, stores, pointer
    offsets, block arguments, selects, vector shuffles and constants. Their
    meaning is unchanged, since after `arith-expand{include-bf16=true}` and
    `prism-host-expand-f16` such values are only moved, never computed on;
    an op that still computes on one is refused with its location. Without
    it, an x86-64 without native bf16 (or f16) holds a 16-bit value that
    lives across blocks (a loop-carried load) in an f32 register and
    truncates it back with a call of `__truncsfbf2`, which e.g. GCC 12's
    libgcc lacks. Run it last, on the LLVM dialect.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // PRISM_PASSES
