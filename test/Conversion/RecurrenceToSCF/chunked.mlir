// RUN: prism-opt %s -prism-select-schedule -prism-convert-recurrence-to-scf=target=gpu | FileCheck %s --check-prefix=GPU
// RUN: prism-opt %s -prism-select-schedule -prism-convert-recurrence-to-scf=target=cpu | FileCheck %s --check-prefix=CPU

// The chunked-fused schedule: one program per (head, batch, V-tile); on the
// GPU a fourth "lane" dimension holds the threads of a block, the scratch is
// a view of the module's shared buffer, phases end with barriers and 16-bit
// tiles go to mma.sync. On the CPU the lanes are loops inside each phase and
// the same tiles are scalar products; the scratch is allocated per program.

func.func @simple_gla(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                      %v: tensor<?x?x4x64xbf16>, %g: tensor<?x?x4xf32>)
    -> tensor<?x?x4x64xbf16> {
  %a = recurrence.scalar_forget %g : tensor<?x?x4xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}

// GPU: memref.global "public" @__prism_shared : memref<0xi8, #gpu.address_space<workgroup>>
// GPU-LABEL: func.func @simple_gla(
// GPU-SAME:    prism.schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 8, stages = 1>
// GPU:         scf.parallel
// GPU:           memref.alloca() : memref<{{[0-9]+}}xf32>
// GPU:           memref.get_global @__prism_shared {{.*}}prism.shared_bytes
// GPU:           memref.view {{.*}} to memref<64x72xbf16, #gpu.address_space<workgroup>>
// GPU:           gpu.barrier
// GPU:           scf.for
// GPU:             nvgpu.ldmatrix {{.*}}numTiles = 4 : i32, transpose = false{{.*}} -> vector<4x2xbf16>
// GPU:             nvgpu.ldmatrix {{.*}}numTiles = 2 : i32, transpose = false{{.*}} -> vector<2x2xbf16>
// GPU:             nvvm.mma.sync {{.*}}layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>
// GPU-SAME:          multiplicandAPtxType = #nvvm.mma_type<bf16>
// GPU:         prism.loop_roles = ["program", "program", "program", "lane"]

// CPU-LABEL: func.func @simple_gla(
// CPU-SAME:    prism.schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 8, stages = 1>
// CPU:         scf.parallel
// CPU:           memref.alloc() : memref<256x{{[0-9]+}}xf32>
// CPU:           memref.alloc() : memref<{{[0-9]+}}xi8>
// CPU:           scf.for {{.*}} = %{{.*}} to %c256
// CPU-NOT:       nvvm.mma.sync
// CPU-NOT:       gpu.barrier
// CPU:           memref.dealloc
// CPU:         prism.loop_roles = ["program", "program", "program"]

// Gated DeltaNet: the delta forget runs the decay kernel with one more,
// virtual, injection whose values come from a blocked triangular solve per
// chunk (here folded into the key's own slot, as the erase key is k): the inverted 16 x 16 diagonal blocks in one phase, then per block of
// 16 rows two steps that only synchronise the warp (each warp solves whole
// columns). On the CPU the same steps are lane loops.

func.func @gated_deltanet(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                          %v: tensor<?x?x4x64xbf16>, %beta: tensor<?x?x4xbf16>,
                          %g: tensor<?x?x4xf32>) -> tensor<?x?x4x64xbf16> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x4xf32>)
      : tensor<?x?x4x64xbf16>, tensor<?x?x4xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      gates(%beta : tensor<?x?x4xbf16>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, chunk = 32>}
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}

// GPU-LABEL: func.func @gated_deltanet(
// GPU-SAME:    prism.schedule = #recurrence.schedule<chunked_fused, chunk = 32, v_tile = 64, warps = 8, stages = 2>
// One injection slot (the erase key is the key k, so the solved values join
// its values), and the solve's buffers.
// GPU:           memref.view {{.*}} to memref<1x32x72xbf16, #gpu.address_space<workgroup>>
// GPU:           memref.view {{.*}} to memref<1x32x40xbf16, #gpu.address_space<workgroup>>
// GPU:           memref.view {{.*}} to memref<16x72xbf16, #gpu.address_space<workgroup>>
// GPU:           memref.view {{.*}} to memref<32x24xbf16, #gpu.address_space<workgroup>>
// Two stages: chunk 0's q and k by cp.async ahead of the walk, then in each
// chunk the next one's, and a wait for all groups but that one.
// GPU:           nvgpu.device_async_copy
// GPU:           nvgpu.device_async_create_group
// GPU:           scf.for
// GPU:             memref.view {{.*}} to memref<32x72xbf16, #gpu.address_space<workgroup>>
// GPU:             nvgpu.device_async_copy
// GPU:             nvgpu.device_async_create_group
// GPU-NEXT:        nvgpu.device_async_wait {{.*}} {numGroups = 1 : i32}
// GPU:           scf.for
// GPU:             nvvm.bar.warp.sync
// GPU:             nvvm.bar.warp.sync
// GPU:             nvvm.bar.warp.sync
// GPU:             nvvm.bar.warp.sync
// GPU-NOT:         nvvm.bar.warp.sync
// GPU:             gpu.barrier

// CPU-LABEL: func.func @gated_deltanet(
// CPU-NOT:       nvvm.bar.warp.sync
// CPU:           memref.dealloc
