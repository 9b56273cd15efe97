// RUN: prism-opt %s -prism-select-schedule -prism-convert-recurrence-to-scf=target=gpu | FileCheck %s --check-prefix=GPU
// RUN: prism-opt %s -prism-select-schedule -prism-convert-recurrence-to-scf=target=cpu | FileCheck %s --check-prefix=CPU
// RUN: prism-opt %s -prism-select-schedule -prism-convert-recurrence-to-scf=target=gpu -prism-map-parallel-loops-to-gpu -convert-parallel-loops-to-gpu -prism-attach-shared-scratch -gpu-kernel-outlining -canonicalize -cse -prism-collect-launches | FileCheck %s --check-prefix=MANIFEST

// The chunked-two-pass schedule. Decay families: every chunk's update from a
// zero state and its log decay in parallel, then a scan over the chunks
// (elementwise, per state element) that stores each chunk's start state, then
// one program per (head, batch, chunk x V-tile) for the outputs. The delta
// forget: every chunk's summary in factored form in parallel (the values x0_t
// its solve gives from a zero start state, their response psi_t to the start
// state, the update B0 from a zero state, the log decay, the erase keys
// decayed to the chunk end), then a walk over the chunks per (head, batch,
// V-tile) that composes them (x_t = x0_t + S0 psi_t, then S <- S e^{G_end} +
// B0 + (S0 Psi^T) W~) and stores the start states and x_t, then the
// outputs. The workspaces are buffers of
// the program, sized from T.

func.func @simple_gla_two_pass(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                               %v: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4xf32>)
    -> tensor<?x?x4x64xbf16> {
  %a = recurrence.scalar_forget %g : tensor<?x?x4xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_two_pass>}
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}

// GPU-LABEL: func.func @simple_gla_two_pass(
// GPU-SAME:    %[[SSTATES:[a-z0-9]+]]: memref<?x4x?x64x64xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_states", workspace, readwrite, sizes = ["B", "ceildiv(T, 64)"]>}
// GPU-SAME:    %[[SUMS:[a-z0-9]+]]: memref<?x4x?x64x64xf32> {recurrence.buffer = #recurrence.buffer<"chunk_summaries", workspace, readwrite, sizes = ["B", "ceildiv(T, 64)"]>}
// GPU-SAME:    %[[DECAYS:[a-z0-9]+]]: memref<?x4x?xf32> {recurrence.buffer = #recurrence.buffer<"chunk_decays", workspace, readwrite, sizes = ["B", "ceildiv(T, 64)"]>}
// Summaries: (chunk x V-tile, head, batch), no chunk loop.
// GPU:         scf.parallel
// GPU:           nvvm.mma.sync
// GPU:           vector.store {{.*}}, %[[SUMS]][
// GPU:           memref.store {{.*}}, %[[DECAYS]][
// GPU:         } {prism.loop_roles = ["program", "program", "program", "lane"]}
// The scan: 4 state elements a lane, the chunks in order.
// GPU:         scf.parallel ({{.*}}) = ({{.*}}) to (%c4{{.*}}, %{{.*}}, %c4{{.*}}, %c256{{.*}})
// GPU:           scf.for
// GPU:             vector.store {{.*}}, %[[SSTATES]][{{.*}}] {alignment = 8 : i64} : memref<?x4x?x64x64xbf16>, vector<4xbf16>
// GPU:             vector.load %[[SUMS]][{{.*}}] {alignment = 16 : i64} : memref<?x4x?x64x64xf32>, vector<4xf32>
// GPU:             memref.load %[[DECAYS]][
// GPU:         } {prism.loop_roles = ["program", "program", "program", "lane"]}
// The outputs.
// GPU:         scf.parallel
// GPU:           vector.load %[[SSTATES]][
// GPU:           nvvm.mma.sync
// GPU:         } {prism.loop_roles = ["program", "program", "program", "lane"]}

func.func @gdn_two_pass(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                        %v: tensor<?x?x4x64xbf16>, %beta: tensor<?x?x4xbf16>,
                        %g: tensor<?x?x4xf32>) -> tensor<?x?x4x64xbf16> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      gates(%beta : tensor<?x?x4xbf16>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_two_pass>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}

// GPU-LABEL: func.func @gdn_two_pass(
// GPU-SAME:    %[[STATES:[a-z0-9]+]]: memref<?x4x?x64x64xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_states", workspace, readwrite, sizes = ["B", "ceildiv(T, 64)"]>}
// GPU-SAME:    %[[SUMS:[a-z0-9]+]]: memref<?x4x?x64x64xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_summaries", workspace, readwrite, sizes = ["B", "ceildiv(T, 64)"]>}
// GPU-SAME:    %[[DECAYS:[a-z0-9]+]]: memref<?x4x?xf32> {recurrence.buffer = #recurrence.buffer<"chunk_decays", workspace, readwrite, sizes = ["B", "ceildiv(T, 64)"]>}
// GPU-SAME:    %[[VALUES:[a-z0-9]+]]: memref<?x?x4x64xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_values", workspace, readwrite, sizes = ["B", "T"]>}
// GPU-SAME:    %[[RESPONSES:[a-z0-9]+]]: memref<?x?x4x64xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_responses", workspace, readwrite, sizes = ["B", "T"]>}
// GPU-SAME:    %[[ERASED:[a-z0-9]+]]: memref<?x?x4x64xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_erase_keys", workspace, readwrite, sizes = ["B", "T"]>}
// GPU-SAME:    prism.schedule = #recurrence.schedule<chunked_two_pass, chunk = 64, v_tile = 32, warps = 4, stages = 2>
// The summaries: (chunk x V-tile, head, batch) x lanes, no chunk loop; the
// solve from a zero state (x0) and the response to the start state (psi),
// the update from a zero state (B0), the log decay, the decayed erase keys.
// GPU:         %[[FCHUNKS:.+]] = arith.ceildivui
// GPU:         %[[FPROGRAMS:.+]] = arith.muli %[[FCHUNKS]]
// GPU:         scf.parallel ({{.*}}) = ({{.*}}) to (%[[FPROGRAMS]], %c4{{.*}}, %{{.*}}, %c128{{.*}})
// GPU-NOT:       scf.for %{{.*}} = %{{.*}} to %{{.*}}ceildiv
// GPU:           nvvm.mma.sync
// GPU:           vector.store {{.*}}, %[[VALUES]][
// GPU:           vector.store {{.*}}, %[[RESPONSES]][
// GPU:           vector.store {{.*}}, %[[SUMS]][
// GPU:           memref.store {{.*}}, %[[DECAYS]][
// GPU:           vector.store {{.*}}, %[[ERASED]][
// GPU:         } {prism.loop_roles = ["program", "program", "program", "lane"]}
// Their composition: (head, batch, V-tile) x lanes, the chunks in order,
// every operand of a chunk copied (cp.async) while the one before computes;
// x = x0 + S0 psi in place, the start states stored.
// GPU:         scf.parallel ({{.*}}) = ({{.*}}) to (%c4{{.*}}, %{{.*}}, %c2{{.*}}, %c128{{.*}})
// GPU:           nvgpu.device_async_copy %[[ERASED]][
// GPU:           nvgpu.device_async_copy %[[RESPONSES]][
// GPU:           nvgpu.device_async_copy %[[VALUES]][
// GPU:           nvgpu.device_async_copy %[[DECAYS]][
// GPU:           nvgpu.device_async_copy %[[SUMS]][
// GPU:           scf.for
// GPU:             nvgpu.device_async_copy %[[ERASED]][
// GPU:             nvgpu.device_async_copy %[[SUMS]][
// GPU:             nvgpu.device_async_wait %{{.*}} {numGroups = 1 : i32}
// GPU:             vector.store {{.*}}, %[[STATES]][
// GPU:             nvvm.mma.sync
// GPU:             nvvm.mma.sync
// GPU:             vector.store {{.*}}, %[[VALUES]][
// GPU:           } {prism.loop_roles = ["program", "program", "program", "lane"]}
// The outputs: (chunk x V-tile, head, batch) x lanes, no chunk loop.
// GPU:         %[[CHUNKS:.+]] = arith.ceildivui
// GPU:         %[[PROGRAMS:.+]] = arith.muli %[[CHUNKS]]
// GPU:         scf.parallel ({{.*}}) = ({{.*}}) to (%[[PROGRAMS]], %c4{{.*}}, %{{.*}}, %c128{{.*}})
// GPU-NOT:       scf.for %{{.*}} = %{{.*}} to %{{.*}}ceildiv
// GPU:           vector.load %[[VALUES]][
// GPU:           vector.load %[[STATES]][
// GPU:           nvvm.mma.sync
// GPU:         } {prism.loop_roles = ["program", "program", "program", "lane"]}

// CPU-LABEL: func.func @gdn_two_pass(
// CPU-SAME:    memref<?x4x?x64x64xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_states", workspace, readwrite, sizes = ["B", "ceildiv(T, 64)"]>}
// CPU:         scf.parallel
// CPU:         scf.parallel

// MANIFEST:      prism.manifests = {
// MANIFEST-SAME: gdn_two_pass =
// MANIFEST-SAME: \22name\22:\22chunk_states\22,\22role\22:\22workspace\22,\22shape\22:[\22B\22,4,\22ceildiv(T, 64)\22,64,64]
// MANIFEST-SAME: \22name\22:\22chunk_summaries\22,\22role\22:\22workspace\22,\22shape\22:[\22B\22,4,\22ceildiv(T, 64)\22,64,64]
// MANIFEST-SAME: \22name\22:\22chunk_decays\22,\22role\22:\22workspace\22,\22shape\22:[\22B\22,4,\22ceildiv(T, 64)\22]
// MANIFEST-SAME: \22name\22:\22chunk_values\22,\22role\22:\22workspace\22,\22shape\22:[\22B\22,\22T\22,4,64]
// MANIFEST-SAME: \22name\22:\22chunk_responses\22,\22role\22:\22workspace\22,\22shape\22:[\22B\22,\22T\22,4,64]
// MANIFEST-SAME: \22name\22:\22chunk_erase_keys\22,\22role\22:\22workspace\22,\22shape\22:[\22B\22,\22T\22,4,64]
// MANIFEST-SAME: \22grid\22:[\22ceildiv(T, 64)\22,4,\22B\22]
// MANIFEST-SAME: \22grid\22:[4,\22B\22,2]
// MANIFEST-SAME: \22grid\22:[\22ceildiv(T, 64)\22,4,\22B\22]
// MANIFEST-SAME: \22symbols\22:[\22B\22,\22T\22]
