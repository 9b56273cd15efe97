// RUN: prism-opt %s -split-input-file --prism-tile-gpu-allocate-shared -verify-diagnostics | FileCheck %s

// Offsets: buffers that are live together never share bytes; a buffer
// whose uses end before another's begins gives its bytes away. Barriers:
// before a read of bytes another thread may have written, and before a
// write over bytes another thread may still read, with the loop's own
// accesses assumed pending when an iteration starts.

#m = #tilegpu.mma<warps = [4, 1]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @offsets
func.func @offsets(%x: tensor<64x64xf32, #m>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  // CHECK: tile.kernel "k" grid({{.+}}) attributes {tilegpu.shared_bytes = 34816 : i64, tilegpu.warps = 4 : i64}
  tile.kernel "k" grid(%n) attributes {tilegpu.warps = 4 : i64} {
  ^bb0(%i: index):
    // CHECK: %[[A:.+]] = tilegpu.alloc {offset = 0 : i64}
    %a = tilegpu.alloc : memref<64x64xf32, strided<[68, 1]>, #smem>
    // CHECK-NEXT: tilegpu.local_store %{{.+}}, %[[A]]
    tilegpu.local_store %x, %a : tensor<64x64xf32, #m>, memref<64x64xf32, strided<[68, 1]>, #smem>
    // CHECK-NEXT: gpu.barrier
    // CHECK-NEXT: tilegpu.local_load %[[A]]
    %y = tilegpu.local_load %a : memref<64x64xf32, strided<[68, 1]>, #smem> -> tensor<64x64xf32, #m>
    // Live while %a is: the next 17 KiB.
    // CHECK: %[[B:.+]] = tilegpu.alloc {offset = 17408 : i64}
    %b = tilegpu.alloc : memref<64x64xf32, strided<[68, 1]>, #smem>
    // CHECK-NEXT: tilegpu.local_store %{{.+}}, %[[B]]
    tilegpu.local_store %y, %b : tensor<64x64xf32, #m>, memref<64x64xf32, strided<[68, 1]>, #smem>
    // CHECK-NEXT: gpu.barrier
    // CHECK-NEXT: tilegpu.scan %[[B]]
    tilegpu.scan %b : memref<64x64xf32, strided<[68, 1]>, #smem>
    // No barrier: %a was read before the last one, and no one wrote it since.
    // CHECK-NEXT: tilegpu.scan %[[A]]
    tilegpu.scan %a : memref<64x64xf32, strided<[68, 1]>, #smem>
    // After both: their bytes are free again.
    // CHECK: %[[C:.+]] = tilegpu.alloc {offset = 0 : i64}
    %c = tilegpu.alloc : memref<64x64xf32, strided<[68, 1]>, #smem>
    // A write over bytes %a's scan read: a barrier first.
    // CHECK-NEXT: gpu.barrier
    // CHECK-NEXT: tilegpu.local_store %{{.+}}, %[[C]]
    tilegpu.local_store %x, %c : tensor<64x64xf32, #m>, memref<64x64xf32, strided<[68, 1]>, #smem>
    // A loop that writes then reads one buffer: a barrier between, and one
    // before the write, which may overwrite the last iteration's reads.
    // CHECK: scf.for
    scf.for %t = %c0 to %n step %c1 {
      // CHECK-NEXT: gpu.barrier
      // CHECK-NEXT: tilegpu.local_store
      tilegpu.local_store %x, %c : tensor<64x64xf32, #m>, memref<64x64xf32, strided<[68, 1]>, #smem>
      // CHECK-NEXT: gpu.barrier
      // CHECK-NEXT: tilegpu.local_load
      %z = tilegpu.local_load %c : memref<64x64xf32, strided<[68, 1]>, #smem> -> tensor<64x64xf32, #m>
    }
  }
  return
}

// -----

// Bytes that a buffer read since the last barrier gives up are not taken
// by the next buffer while the block's shared memory can grow without
// costing an SM a block: one block an SM either way here (123 KiB, 140
// KiB), so %c gets bytes of its own and its store needs no barrier. (In
// @offsets above, six blocks an SM would become four: %c reuses %a's bytes
// after a barrier.)

#m = #tilegpu.mma<warps = [4, 1]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @apart
func.func @apart(%x: tensor<64x64xf32, #m>, %w: tensor<128x208xf32, #m>, %n: index) {
  // CHECK: tile.kernel "k" grid({{.+}}) attributes {tilegpu.shared_bytes = 143360 : i64, tilegpu.warps = 4 : i64}
  tile.kernel "k" grid(%n) attributes {tilegpu.warps = 4 : i64} {
  ^bb0(%i: index):
    %big = tilegpu.alloc : memref<128x208xf32, strided<[212, 1]>, #smem>
    tilegpu.local_store %w, %big : tensor<128x208xf32, #m>, memref<128x208xf32, strided<[212, 1]>, #smem>
    // CHECK: %[[A:.+]] = tilegpu.alloc {offset = 108544 : i64}
    %a = tilegpu.alloc : memref<64x64xf32, strided<[68, 1]>, #smem>
    tilegpu.local_store %x, %a : tensor<64x64xf32, #m>, memref<64x64xf32, strided<[68, 1]>, #smem>
    // CHECK: gpu.barrier
    // CHECK-NEXT: tilegpu.local_load %[[A]]
    %y = tilegpu.local_load %a : memref<64x64xf32, strided<[68, 1]>, #smem> -> tensor<64x64xf32, #m>
    // CHECK-NEXT: %[[C:.+]] = tilegpu.alloc {offset = 125952 : i64}
    %c = tilegpu.alloc : memref<64x64xf32, strided<[68, 1]>, #smem>
    // CHECK-NEXT: tilegpu.local_store %{{.+}}, %[[C]]
    tilegpu.local_store %y, %c : tensor<64x64xf32, #m>, memref<64x64xf32, strided<[68, 1]>, #smem>
    // CHECK-NEXT: gpu.barrier
    // CHECK-NEXT: tilegpu.local_load %[[C]]
    %z = tilegpu.local_load %c : memref<64x64xf32, strided<[68, 1]>, #smem> -> tensor<64x64xf32, #m>
    %v = tilegpu.local_load %big : memref<128x208xf32, strided<[212, 1]>, #smem> -> tensor<128x208xf32, #m>
  }
  return
}

// -----

// Stores gather early where that needs fewer barriers (and the block's
// shared memory still lets an SM hold as many blocks): each moves up, with
// its buffer's alloc and the single-use pure ops that compute its tile, to
// just after what it waits for.

#m = #tilegpu.mma<warps = [4, 1]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @gather
func.func @gather(%x: tensor<64x64xf32, #m>, %w: tensor<128x208xf32, #m>, %n: index) {
  tile.kernel "k" grid(%n) attributes {tilegpu.warps = 4 : i64} {
  ^bb0(%i: index):
    // The store of -x waits for nothing: it goes first, with its buffer
    // and the negation, and its load needs no barrier of its own.
    // CHECK: %[[C:.+]] = tilegpu.alloc
    // CHECK-NEXT: %[[T:.+]] = arith.negf
    // CHECK-NEXT: tilegpu.local_store %[[T]], %[[C]]
    // CHECK: gpu.barrier
    // CHECK: gpu.barrier
    // CHECK-NOT: gpu.barrier
    // CHECK: tilegpu.local_load %[[C]]
    %big = tilegpu.alloc : memref<128x208xf32, strided<[212, 1]>, #smem>
    tilegpu.local_store %w, %big : tensor<128x208xf32, #m>, memref<128x208xf32, strided<[212, 1]>, #smem>
    %a = tilegpu.alloc : memref<64x64xf32, strided<[68, 1]>, #smem>
    tilegpu.local_store %x, %a : tensor<64x64xf32, #m>, memref<64x64xf32, strided<[68, 1]>, #smem>
    %p = tilegpu.local_load %a : memref<64x64xf32, strided<[68, 1]>, #smem> -> tensor<64x64xf32, #m>
    %b = tilegpu.alloc : memref<64x64xf32, strided<[68, 1]>, #smem>
    tilegpu.local_store %p, %b : tensor<64x64xf32, #m>, memref<64x64xf32, strided<[68, 1]>, #smem>
    %q = tilegpu.local_load %b : memref<64x64xf32, strided<[68, 1]>, #smem> -> tensor<64x64xf32, #m>
    %c = tilegpu.alloc : memref<64x64xf32, strided<[68, 1]>, #smem>
    %t = arith.negf %x : tensor<64x64xf32, #m>
    tilegpu.local_store %t, %c : tensor<64x64xf32, #m>, memref<64x64xf32, strided<[68, 1]>, #smem>
    %r = tilegpu.local_load %c : memref<64x64xf32, strided<[68, 1]>, #smem> -> tensor<64x64xf32, #m>
    %v = tilegpu.local_load %big : memref<128x208xf32, strided<[212, 1]>, #smem> -> tensor<128x208xf32, #m>
  }
  return
}

// -----

#smem = #gpu.address_space<workgroup>

func.func @too_big(%n: index) {
  // expected-error @+1 {{needs 266240 bytes of shared memory per block; sm_90a has 232448}}
  tile.kernel "k" grid(%n) attributes {tilegpu.warps = 4 : i64} {
  ^bb0(%i: index):
    %a = tilegpu.alloc : memref<256x256xf32, strided<[260, 1]>, #smem>
    tilegpu.scan %a : memref<256x256xf32, strided<[260, 1]>, #smem>
  }
  return
}

// -----

// Registers: a state tile that one warp would carry through the chunk loop
// (128 x 128 f32 over 32 threads: 512 registers each) is refused with the
// budget named, before it could compile into spills.
#one = #tilegpu.mma<warps = [1, 1]>

func.func @too_many_registers(%n: index, %s: tensor<128x128xf32, #one>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%n) attributes {tilegpu.warps = 1 : i64} {
  ^bb0(%i: index):
    // expected-error @+1 {{needs 512 registers per thread for the tiles its loop carries; sm_90a has 255 (use more warps, a smaller chunk or a smaller v_tile)}}
    %r = scf.for %t = %c0 to %n step %c1 iter_args(%x = %s) -> (tensor<128x128xf32, #one>) {
      scf.yield %x : tensor<128x128xf32, #one>
    }
  }
  return
}

// -----

// Two carried tiles that fit alone but not together (2 x 128 registers).
#two = #tilegpu.mma<warps = [1, 1]>

func.func @carried_together(%n: index, %s: tensor<64x64xf32, #two>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  tile.kernel "k" grid(%n) attributes {tilegpu.warps = 1 : i64} {
  ^bb0(%i: index):
    // expected-error @+1 {{needs 256 registers per thread for the tiles its loop carries}}
    %r:2 = scf.for %t = %c0 to %n step %c1 iter_args(%x = %s, %y = %s) -> (tensor<64x64xf32, #two>, tensor<64x64xf32, #two>) {
      scf.yield %y, %x : tensor<64x64xf32, #two>, tensor<64x64xf32, #two>
    }
  }
  return
}

// -----

// A copy's bytes land at the thread's next wait: a barrier between the
// copy and the wait (here for another buffer's store) does not make them
// visible, so the product after the wait gets one of its own.

#b = #tilegpu.blocked<size = [1, 8], threads = [4, 8], warps = [4, 1]>
#m = #tilegpu.mma<warps = [4, 1]>
#smem = #gpu.address_space<workgroup>

// CHECK-LABEL: func.func @copy_lands_at_wait
// CHECK: tilegpu.async_copy
// CHECK-NEXT: tilegpu.local_store
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: tilegpu.local_store
// CHECK-NEXT: tilegpu.async_wait {pending = 0 : i64}
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: tilegpu.mma
func.func @copy_lands_at_wait(%k: memref<?x?x64xbf16>, %o: memref<?x?x64xf32>, %x: tensor<64x64xbf16, #m>, %n: index, %T: index) {
  %c0 = arith.constant 0 : index
  tile.kernel "k" grid(%n) attributes {tilegpu.warps = 4 : i64} {
  ^bb0(%b: index):
    %ks = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #smem>
    %xs = tilegpu.alloc : memref<64x64xbf16, strided<[72, 1]>, #smem>
    tilegpu.async_copy %k[%b, %c0, %c0] dims [1, 2] below(%T), %ks as tensor<64x64xbf16, #b> : memref<?x?x64xbf16>, memref<64x64xbf16, strided<[72, 1]>, #smem>
    tilegpu.local_store %x, %xs : tensor<64x64xbf16, #m>, memref<64x64xbf16, strided<[72, 1]>, #smem>
    tilegpu.local_store %x, %xs : tensor<64x64xbf16, #m>, memref<64x64xbf16, strided<[72, 1]>, #smem>
    tilegpu.async_wait {pending = 0 : i64}
    %p = tilegpu.mma %ks, %ks transpose_b : memref<64x64xbf16, strided<[72, 1]>, #smem>, memref<64x64xbf16, strided<[72, 1]>, #smem> -> tensor<64x64xf32, #m>
    tile.store %p, %o[%b, %c0, %c0] dims [1, 2] below(%T) : tensor<64x64xf32, #m>, memref<?x?x64xf32>
  }
  return
}
