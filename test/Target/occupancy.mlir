// RUN: prism-opt %s -prism-collect-launches | FileCheck %s --check-prefix=R128
// RUN: prism-opt %s -prism-collect-launches=min-registers=168 | FileCheck %s --check-prefix=R168
// RUN: prism-opt %s -prism-collect-launches=min-registers=64 | FileCheck %s --check-prefix=R64

// The occupancy hint: as many blocks per SM as shared memory allows (here
// 233472 / (40000 + 1024) = 5), but never so many that a thread of the
// 256-thread block keeps fewer than `min-registers` registers: 65536 /
// (256 x 128) = 2 blocks, 65536 / (256 x 64) = 4; at 168 a thread only one
// block fits, and no hint is given (ptxas may then use all 255).

// R128: gpu.func @occupancy_kernel0({{.*}}) kernel attributes {{{.*}}nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 2 : i32}
// R64: gpu.func @occupancy_kernel0({{.*}}) kernel attributes {{{.*}}nvvm.maxntid = array<i32: 256, 1, 1>, nvvm.minctasm = 4 : i32}
// R168: gpu.func @occupancy_kernel0({{.*}}) kernel attributes {{{.*}}nvvm.maxntid = array<i32: 256, 1, 1>}
// R168-NOT: nvvm.minctasm
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @chunk(%buf: memref<?xf32>) kernel {
      gpu.return
    }
  }
  func.func @occupancy(
      %buf: memref<?xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["T"]>})
      attributes {recurrence.program = #recurrence.program<forget = identity,
          heads = 1, key_dim = 4, value_dim = 4, scale = 0.5,
          state_layout = kv, query = 0, keys = [0], values = [0],
          output = 0>} {
    %c1 = arith.constant 1 : index
    %c256 = arith.constant 256 : index
    %bytes = arith.constant 40000 : i32
    gpu.launch_func @k::@chunk blocks in (%c1, %c1, %c1) threads in (%c256, %c1, %c1)
        dynamic_shared_memory_size %bytes args(%buf : memref<?xf32>)
    return
  }
}
