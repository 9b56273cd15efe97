// RUN: prism-opt %s --prism-tile-gpu-sink-to-uses=chip=sm_90a | FileCheck %s --check-prefix=H
// RUN: prism-opt %s --prism-tile-gpu-sink-to-uses=chip=sm_80 | FileCheck %s --check-prefix=A

// Reads of shared memory that move to their user keep their buffers alive
// longer: three 66 KiB buffers then live at once (198 KiB), which an sm_90a
// block holds (227 KiB) and an sm_80 block does not (163 KiB). On sm_80 the
// reads stay where they were, each buffer dead before the next is written.

#m = #tilegpu.mma<warps = [4, 2]>
#smem = #gpu.address_space<workgroup>

// H-LABEL: func.func @budget
// H: tilegpu.local_store
// H-NEXT: tilegpu.alloc
// H-NEXT: tilegpu.local_store
// H-NEXT: tilegpu.alloc
// H-NEXT: tilegpu.local_store
// H-NEXT: tilegpu.local_load
// H-NEXT: tilegpu.local_load
// H-NEXT: arith.addf
// A-LABEL: func.func @budget
// A: tilegpu.local_store
// A-NEXT: tilegpu.local_load
// A-NEXT: tilegpu.alloc
// A-NEXT: tilegpu.local_store
// A-NEXT: tilegpu.local_load
// A-NEXT: tilegpu.alloc
// A-NEXT: tilegpu.local_store
// A-NEXT: tilegpu.local_load
func.func @budget(%n: index, %x: tensor<128x128xf32, #m>, %out: memref<128x128xf32>) {
  %c0 = arith.constant 0 : index
  tile.kernel "k" grid(%n) attributes {tilegpu.warps = 8 : i64} {
  ^bb0(%i: index):
    %a = tilegpu.alloc : memref<128x128xf32, strided<[132, 1]>, #smem>
    tilegpu.local_store %x, %a : tensor<128x128xf32, #m>, memref<128x128xf32, strided<[132, 1]>, #smem>
    %r = tilegpu.local_load %a : memref<128x128xf32, strided<[132, 1]>, #smem> -> tensor<128x128xf32, #m>
    %b = tilegpu.alloc : memref<128x128xf32, strided<[132, 1]>, #smem>
    tilegpu.local_store %x, %b : tensor<128x128xf32, #m>, memref<128x128xf32, strided<[132, 1]>, #smem>
    %s = tilegpu.local_load %b : memref<128x128xf32, strided<[132, 1]>, #smem> -> tensor<128x128xf32, #m>
    %c = tilegpu.alloc : memref<128x128xf32, strided<[132, 1]>, #smem>
    tilegpu.local_store %x, %c : tensor<128x128xf32, #m>, memref<128x128xf32, strided<[132, 1]>, #smem>
    %t = tilegpu.local_load %c : memref<128x128xf32, strided<[132, 1]>, #smem> -> tensor<128x128xf32, #m>
    %u = arith.addf %r, %s : tensor<128x128xf32, #m>
    %v = arith.addf %u, %t : tensor<128x128xf32, #m>
    tile.store %v, %out[%c0, %c0] dims [0, 1] : tensor<128x128xf32, #m>, memref<128x128xf32>
  }
  return
}
