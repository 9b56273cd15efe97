// RUN: prism-opt %s -split-input-file --prism-tile-gpu-assign-layouts | FileCheck %s
// RUN: prism-opt %s -split-input-file --prism-tile-gpu-assign-layouts="warps=8" | FileCheck %s --check-prefix=W8

// A kernel with products: f32 tiles take the mma layout of their shape,
// operands go to shared memory once per value, a 1-d tile takes the slice
// of the layout it is broadcast into, and a cumulative sum works in shared
// memory.

// CHECK-LABEL: func.func @chunk
// W8-LABEL: func.func @chunk
func.func @chunk(%q: memref<?x?x4x64xbf16>, %g: memref<?x?x4xf32>, %o: memref<?x?x4x64xf32>,
                 %T: index, %B: index) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  // CHECK: tile.kernel "scan" grid(%{{.+}}, %{{.+}}) attributes {tilegpu.warps = 4 : i64}
  // W8: tilegpu.warps = 8 : i64
  tile.kernel "scan" grid(%c4, %B) {
  ^bb0(%h: index, %b: index):
    // CHECK: %[[Q:.+]] = tile.load %{{.+}} : memref<?x?x4x64xbf16> -> tensor<64x64xbf16, #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>>
    %qc = tile.load %q[%b, %c0, %h, %c0] dims [1, 3] below(%T) : memref<?x?x4x64xbf16> -> tensor<64x64xbf16>
    // CHECK: %[[QS:.+]] = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
    // CHECK-NEXT: tilegpu.local_store %[[Q]], %[[QS]]
    // CHECK: %[[G:.+]] = tile.load %{{.+}} -> tensor<64xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.mma<warps = [4, 1]>>>
    %gc = tile.load %g[%b, %c0, %h] dims [1] below(%T) : memref<?x?x4xf32> -> tensor<64xf32>
    // CHECK: %[[GS:.+]] = tilegpu.alloc : memref<64xf32, #gpu.address_space<workgroup>>
    // CHECK: tilegpu.local_store %[[G]], %[[GS]]
    // CHECK-NEXT: tilegpu.scan %[[GS]]
    // CHECK-NEXT: %[[CS:.+]] = tilegpu.local_load %[[GS]] : memref<64xf32, #gpu.address_space<workgroup>> -> tensor<64xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.mma<warps = [4, 1]>>>
    %G = tile.cumsum %gc dim 0 : tensor<64xf32>
    // CHECK: tile.broadcast %[[CS]] dim 1 : tensor<64xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.mma<warps = [4, 1]>>> -> tensor<64x64xf32, #tilegpu.mma<warps = [4, 1]>>
    %gi = tile.broadcast %G dim 1 : tensor<64xf32> -> tensor<64x64xf32>
    // CHECK: %[[P:.+]] = tilegpu.mma %[[QS]], %[[QS]] transpose_b : {{.+}} -> tensor<64x64xf32, #tilegpu.mma<warps = [4, 1]>>
    // W8: tilegpu.mma {{.+}} -> tensor<64x64xf32, #tilegpu.mma<warps = [4, 2]>>
    %p = tile.dot %qc, %qc transpose_b : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
    // CHECK: %[[D:.+]] = arith.mulf %[[P]], %{{.+}} : tensor<64x64xf32, #tilegpu.mma<warps = [4, 1]>>
    // An f32 solve's factor, right after its matrix: the matrix stored in a
    // buffer of its own and inverted there in place.
    // CHECK-NEXT: %[[X:.+]] = tilegpu.alloc : memref<64x64xf32, strided<[72, 1]>, #gpu.address_space<workgroup>>
    // CHECK-NEXT: tilegpu.local_store %[[D]], %[[X]]
    // CHECK-NEXT: tilegpu.tri_inverse %[[X]] : memref<64x64xf32, strided<[72, 1]>, #gpu.address_space<workgroup>>
    %d = arith.mulf %p, %gi : tensor<64x64xf32>
    // CHECK: tile.reduce add %{{.+}} dim 1 : tensor<64x64xf32, #tilegpu.mma<warps = [4, 1]>> -> tensor<64xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.mma<warps = [4, 1]>>>
    %r = tile.reduce add %d dim 1 : tensor<64x64xf32> -> tensor<64xf32>
    // The total of rows held by four warps: each warp's partial through a
    // scratch row of shared memory.
    // CHECK: %[[SCRATCH:.+]] = tilegpu.alloc : memref<4xf32, #gpu.address_space<workgroup>>
    // CHECK-NEXT: tilegpu.reduce %{{.+}} dim 0 scratch(%[[SCRATCH]]) : tensor<64xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.mma<warps = [4, 1]>>>, memref<4xf32, #gpu.address_space<workgroup>> -> f32
    %total = tile.reduce add %r dim 0 : tensor<64xf32> -> f32
    // The solve: an f32 product of the inverse with the right-hand side.
    // CHECK: tilegpu.mma %[[X]], %{{.+}} : memref<64x64xf32, strided<[72, 1]>, #gpu.address_space<workgroup>>, memref<64x64xf32, {{.+}}> -> tensor<64x64xf32, #tilegpu.mma<warps = [4, 1]>>
    %x = tile.tri_solve %d, %p : tensor<64x64xf32>, tensor<64x64xf32> -> tensor<64x64xf32>
    %t = tile.splat %total : f32 -> tensor<64x64xf32>
    %y = arith.mulf %x, %t : tensor<64x64xf32>
    tile.store %y, %o[%b, %c0, %h, %c0] dims [1, 3] below(%T) : tensor<64x64xf32>, memref<?x?x4x64xf32>
  }
  return
}

// -----

// Without products, the sequential schedule's state rows: k_split lanes a
// row (here 4, 32 keys each), `rows` rows a lane; the step's key is a slice
// of the columns, its value one of the rows; the state is carried in its
// layout.

// CHECK-LABEL: func.func @step
func.func @step(%k: memref<?x?x4x128xbf16>, %v: memref<?x?x4x64xf32>, %T: index, %B: index)
    attributes {prism.schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 4, rows = 2, warps = 4, stages = 1>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant dense<0.0> : tensor<64x128xf32>
  tile.kernel "scan" grid(%c4, %B) {
  ^bb0(%h: index, %b: index):
    // CHECK: scf.for {{.+}} -> (tensor<64x128xf32, #tilegpu.blocked<size = [2, 32], threads = [8, 4], warps = [4, 1]>>)
    %s = scf.for %t = %c0 to %T step %c1 iter_args(%st = %zero) -> (tensor<64x128xf32>) {
      // CHECK: tile.load {{.+}} -> tensor<128xbf16, #tilegpu.slice<dim = 0, parent = #tilegpu.blocked<size = [2, 32], threads = [8, 4], warps = [4, 1]>>>
      %kt = tile.load %k[%b, %t, %h, %c0] dims [3] : memref<?x?x4x128xbf16> -> tensor<128xbf16>
      %kf = arith.extf %kt : tensor<128xbf16> to tensor<128xf32>
      // CHECK: tile.load {{.+}} -> tensor<64xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.blocked<size = [2, 32], threads = [8, 4], warps = [4, 1]>>>
      %vt = tile.load %v[%b, %t, %h, %c0] dims [3] : memref<?x?x4x64xf32> -> tensor<64xf32>
      %kk = tile.broadcast %kf dim 0 : tensor<128xf32> -> tensor<64x128xf32>
      %vv = tile.broadcast %vt dim 1 : tensor<64xf32> -> tensor<64x128xf32>
      %u = arith.mulf %kk, %vv : tensor<64x128xf32>
      %n = arith.addf %st, %u : tensor<64x128xf32>
      scf.yield %n : tensor<64x128xf32>
    }
  }
  return
}

// -----

// The walk of a state-dependent step body (kernel "step") takes the same
// rows: k_split lanes a row, the reduction along K a slice of them.

// CHECK-LABEL: func.func @step_body
func.func @step_body(%k: memref<?x?x4x128xbf16>, %o: memref<?x?x4x64xf32>, %T: index, %B: index)
    attributes {prism.schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 4, rows = 1, warps = 8, stages = 1>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant dense<0.0> : tensor<64x128xf32>
  tile.kernel "step" grid(%c4, %B) {
  ^bb0(%h: index, %b: index):
    // CHECK: scf.for {{.+}} -> (tensor<64x128xf32, #tilegpu.blocked<size = [1, 32], threads = [8, 4], warps = [8, 1]>>)
    %s = scf.for %t = %c0 to %T step %c1 iter_args(%st = %zero) -> (tensor<64x128xf32>) {
      %kt = tile.load %k[%b, %t, %h, %c0] dims [3] : memref<?x?x4x128xbf16> -> tensor<128xbf16>
      %kf = arith.extf %kt : tensor<128xbf16> to tensor<128xf32>
      %kk = tile.broadcast %kf dim 0 : tensor<128xf32> -> tensor<64x128xf32>
      %sk = arith.mulf %st, %kk : tensor<64x128xf32>
      // CHECK: tile.reduce add {{.+}} -> tensor<64xf32, #tilegpu.slice<dim = 1, parent = #tilegpu.blocked<size = [1, 32], threads = [8, 4], warps = [8, 1]>>>
      %z = tile.reduce add %sk dim 1 : tensor<64x128xf32> -> tensor<64xf32>
      %f = math.tanh %z : tensor<64xf32>
      %ff = tile.broadcast %f dim 1 : tensor<64xf32> -> tensor<64x128xf32>
      %u = arith.mulf %ff, %kk : tensor<64x128xf32>
      %n = arith.addf %st, %u : tensor<64x128xf32>
      tile.store %z, %o[%b, %t, %h, %c0] dims [3] : tensor<64xf32>, memref<?x?x4x64xf32>
      scf.yield %n : tensor<64x128xf32>
    }
  }
  return
}

// -----

// A kernel whose tiles the schedule's warps cannot hold in registers (a
// 128 x 128 f32 product is 512 registers a thread at 1 warp) gets the
// fewest warps at which its largest tile takes at most half of them (8:
// 64 registers); a kernel that fits keeps the schedule's warps.

// CHECK-LABEL: func.func @wide
func.func @wide(%m: memref<?x4x128x128xbf16>, %o: memref<?x4x128x128xf32>, %B: index)
    attributes {prism.schedule = #recurrence.schedule<tree, chunk = 64, v_tile = 32, warps = 1, stages = 1>} {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  // CHECK: tile.kernel "prefix" {{.+}} attributes {tilegpu.warps = 8 : i64}
  tile.kernel "prefix" grid(%c4, %B) {
  ^bb0(%h: index, %b: index):
    %a = tile.load %m[%b, %h, %c0, %c0] dims [2, 3] : memref<?x4x128x128xbf16> -> tensor<128x128xbf16>
    // CHECK: tilegpu.mma {{.+}} -> tensor<128x128xf32, #tilegpu.mma<warps = [8, 1]>>
    %p = tile.dot %a, %a : tensor<128x128xbf16>, tensor<128x128xbf16> -> tensor<128x128xf32>
    tile.store %p, %o[%b, %h, %c0, %c0] dims [2, 3] : tensor<128x128xf32>, memref<?x4x128x128xf32>
  }
  // CHECK: tile.kernel "small" {{.+}} attributes {tilegpu.warps = 1 : i64}
  tile.kernel "small" grid(%c4, %B) {
  ^bb0(%h: index, %b: index):
    %a = tile.load %m[%b, %h, %c0, %c0] dims [2, 3] : memref<?x4x128x128xbf16> -> tensor<32x128xbf16>
    %p = tile.dot %a, %a transpose_b : tensor<32x128xbf16>, tensor<32x128xbf16> -> tensor<32x32xf32>
    tile.store %p, %o[%b, %h, %c0, %c0] dims [2, 3] : tensor<32x32xf32>, memref<?x4x128x128xf32>
  }
  return
}

// -----

// A load issued an iteration early (the pipelined step's log decay) takes
// the layout of the loop's carried tile, which the initial load gave it: no
// trip through shared memory between the two.

// CHECK-LABEL: func.func @carried
func.func @carried(%g: memref<?x?x4x128xf32>, %T: index, %B: index)
    attributes {prism.schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 4, rows = 1, warps = 8, stages = 2>} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant dense<0.0> : tensor<64x128xf32>
  tile.kernel "scan" grid(%c4, %B) {
  ^bb0(%h: index, %b: index):
    // CHECK: %[[G0:.+]] = tile.load {{.+}} -> tensor<128xf32, #tilegpu.slice<dim = 0, parent = #tilegpu.blocked<size = [1, 32], threads = [8, 4], warps = [8, 1]>>>
    %g0 = tile.load %g[%b, %c0, %h, %c0] dims [3] : memref<?x?x4x128xf32> -> tensor<128xf32>
    // CHECK: scf.for
    %s:2 = scf.for %t = %c0 to %T step %c1 iter_args(%st = %zero, %gt = %g0) -> (tensor<64x128xf32>, tensor<128xf32>) {
      %n = arith.addi %t, %c1 : index
      // CHECK: %[[GN:.+]] = tile.load {{.+}} -> tensor<128xf32, #tilegpu.slice<dim = 0, parent = #tilegpu.blocked<size = [1, 32], threads = [8, 4], warps = [8, 1]>>>
      %gn = tile.load %g[%b, %n, %h, %c0] dims [3] : memref<?x?x4x128xf32> -> tensor<128xf32>
      %e = math.exp %gt : tensor<128xf32>
      %eb = tile.broadcast %e dim 0 : tensor<128xf32> -> tensor<64x128xf32>
      %sn = arith.mulf %st, %eb : tensor<64x128xf32>
      // CHECK-NOT: tilegpu.local_load
      // CHECK: scf.yield %{{.+}}, %[[GN]]
      scf.yield %sn, %gn : tensor<64x128xf32>, tensor<128xf32>
    }
  }
  return
}
// -----

// The solve with 16-bit operands: L's diagonal blocks inverted once in a
// buffer of their own where L is made (shared by both solves), then
// tilegpu.tri_solve from L's copy, that factor and the right-hand side's
// 16-bit copy into a buffer that the solution's products read directly.

// CHECK-LABEL: func.func @solve
func.func @solve(%w: memref<?x?x4x64xbf16>, %o: memref<?x?x4x64xf32>, %T: index, %B: index) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  tile.kernel "solve" grid(%c4, %B) {
  ^bb0(%h: index, %b: index):
    %wc = tile.load %w[%b, %c0, %h, %c0] dims [1, 3] below(%T) : memref<?x?x4x64xbf16> -> tensor<64x64xbf16>
    // CHECK: %[[P:.+]] = tilegpu.mma %{{.+}}, %{{.+}} transpose_b
    %p = tile.dot %wc, %wc transpose_b : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
    // CHECK: %[[R:.+]] = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
    %r = tile.dot %wc, %wc : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
    // CHECK: %[[L:.+]] = arith.truncf %[[P]] :
    // CHECK-NEXT: %[[LS:.+]] = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
    // CHECK-NEXT: tilegpu.local_store %[[L]], %[[LS]]
    // CHECK-NEXT: %[[F:.+]] = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
    // CHECK-NEXT: tilegpu.local_store %[[L]], %[[F]]
    // CHECK-NEXT: tilegpu.tri_inverse %[[F]] block(16)
    %l = arith.truncf %p : tensor<64x64xf32> to tensor<64x64xbf16>
    // CHECK: %[[Y:.+]] = tilegpu.alloc : memref<16x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
    // CHECK-NEXT: %[[X:.+]] = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #gpu.address_space<workgroup>>
    // CHECK-NEXT: tilegpu.tri_solve %[[LS]], %[[F]], %[[R]], %[[Y]], %[[X]]
    // CHECK-NEXT: %[[XL:.+]] = tilegpu.local_load %[[X]] : {{.+}} -> tensor<64x64xbf16, #tilegpu.mma<warps = [4, 1]>>
    // CHECK-NEXT: %[[XF:.+]] = arith.extf %[[XL]] : tensor<64x64xbf16, #tilegpu.mma<warps = [4, 1]>> to tensor<64x64xf32, #tilegpu.mma<warps = [4, 1]>>
    %x = tile.tri_solve %l, %r : tensor<64x64xbf16>, tensor<64x64xf32> -> tensor<64x64xf32>
    // CHECK: tilegpu.mma %[[X]], %[[X]] :
    %xb = arith.truncf %x : tensor<64x64xf32> to tensor<64x64xbf16>
    %q = tile.dot %xb, %xb : tensor<64x64xbf16>, tensor<64x64xbf16> -> tensor<64x64xf32>
    // CHECK-NOT: tilegpu.tri_inverse
    // CHECK: tilegpu.tri_solve %[[LS]], %[[F]],
    %z = tile.tri_solve %l, %q : tensor<64x64xbf16>, tensor<64x64xf32> -> tensor<64x64xf32>
    tile.store %z, %o[%b, %c0, %h, %c0] dims [1, 3] below(%T) : tensor<64x64xf32>, memref<?x?x4x64xf32>
  }
  return
}

// -----

// A splat used in another layout is made again there (every thread holds
// its scalar), never converted through shared memory.

// CHECK-LABEL: func.func @splat_follows_its_use
func.func @splat_follows_its_use(%k: memref<?x?x4x32xf32>, %o: memref<?x?x4x64xf32>, %B: index) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %scale = arith.constant 0.125 : f32
  tile.kernel "step" grid(%c4, %B) {
  ^bb0(%h: index, %b: index):
    %kt = tile.load %k[%b, %c0, %h, %c0] dims [3] : memref<?x?x4x32xf32> -> tensor<32xf32>
    %kb = tile.broadcast %kt dim 0 : tensor<32xf32> -> tensor<64x32xf32>
    // CHECK: %[[Z:.+]] = tile.reduce add {{.+}} -> tensor<64xf32, #tilegpu.slice<dim = 1, parent = [[L:.+]]>>
    %z = tile.reduce add %kb dim 1 : tensor<64x32xf32> -> tensor<64xf32>
    // CHECK: %[[S:.+]] = tile.splat %{{.+}} : f32 -> tensor<64xf32, #tilegpu.slice<dim = 1, parent = [[L]]>>
    // CHECK-NOT: tilegpu.local_load
    // CHECK: arith.mulf %[[Z]], %[[S]]
    %s = tile.splat %scale : f32 -> tensor<64xf32>
    %y = arith.mulf %z, %s : tensor<64xf32>
    tile.store %y, %o[%b, %c0, %h, %c0] dims [3] : tensor<64xf32>, memref<?x?x4x64xf32>
  }
  return
}
