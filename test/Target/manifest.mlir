// RUN: prism-opt %s -split-input-file -prism-collect-launches | FileCheck %s

// The manifest (docs/manifest.md) is written from the attributes a lowering
// leaves on its program (lib/Target/Manifest.cpp): each buffer from its
// #recurrence.buffer and memref type (static sizes from the type, dynamic
// ones from `sizes`), the symbols in their order of first appearance
// (expressions are no symbols), the recurrence from #recurrence.program with
// -1 for absent buffers, `values` only without `refine`, the erase entries
// only for the delta forget. Keys are sorted; a program without launches
// gets no kernels.

// The gated delta rule with a refinement fed by a short convolution: every
// entry set.

// CHECK-LABEL: module attributes {prism.manifests = {prism_layer = "{
// CHECK-SAME: \22backend\22:\22cuda\22
// CHECK-SAME: \22buffers\22:[{\22access\22:\22read\22,\22dtype\22:\22bf16\22,\22name\22:\22q\22,\22role\22:\22input\22,\22shape\22:[\22B\22,\22T\22,2,16]}
// CHECK-SAME: {\22access\22:\22read\22,\22dtype\22:\22f32\22,\22name\22:\22conv0_weight\22,\22role\22:\22input\22,\22shape\22:[2,16,4]}
// CHECK-SAME: {\22access\22:\22read\22,\22dtype\22:\22bf16\22,\22name\22:\22conv0_cache\22,\22role\22:\22input\22,\22shape\22:[\22B\22,3,2,16]}
// CHECK-SAME: {\22access\22:\22read\22,\22dtype\22:\22f16\22,\22name\22:\22k\22,\22role\22:\22input\22,\22shape\22:[\22B\22,\22T\22,2,16]}
// CHECK-SAME: {\22access\22:\22write\22,\22dtype\22:\22f32\22,\22name\22:\22o\22,\22role\22:\22output\22,\22shape\22:[\22B\22,\22T\22,2,16]}
// CHECK-SAME: {\22access\22:\22readwrite\22,\22dtype\22:\22bf16\22,\22name\22:\22chunk_states\22,\22role\22:\22workspace\22,\22shape\22:[\22B\22,2,\22ceildiv(T, 64)\22,16,16]}]
// CHECK-SAME: \22function\22:\22prism_layer\22,\22kernels\22:[],\22module\22:\22prism_layer.ptx\22
// CHECK-SAME: \22recurrence\22:{\22erase_beta_max\22:2,\22erase_key\22:5,\22erase_strength\22:7,\22final_state\22:11,\22forget\22:\22delta\22,\22heads\22:2,\22initial_state\22:9,\22inject_gates\22:[7],\22key_dim\22:16,\22keys\22:[5],\22log_decay\22:8,\22normalize_erase_key\22:true,\22output\22:10,\22query\22:0,\22rank\22:1,\22refine\22:{\22activation\22:\22gelu\22,\22anchor\22:12,\22gains\22:[6],\22value\22:4},\22scale\22:0.25,\22short_convs\22:[{\22activation\22:\22silu\22,\22bias\22:-1,\22cache\22:3,\22input\22:1,\22output\22:12,\22weight\22:2}],\22state_layout\22:\22vk\22,\22value_dim\22:16}
// CHECK-SAME: \22symbols\22:[\22B\22,\22T\22],\22version\22:1}"}}
// CHECK-NOT:   func.func
func.func @prism_layer(
    %q: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"q", input, read, sizes = ["B", "T"]>},
    %x: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"conv0_in", input, read, sizes = ["B", "T"]>},
    %w: memref<2x16x4xf32> {recurrence.buffer = #recurrence.buffer<"conv0_weight", input, read>},
    %cache: memref<?x3x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"conv0_cache", input, read, sizes = ["B"]>},
    %v: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"v", input, read, sizes = ["B", "T"]>},
    %k: memref<?x?x2x16xf16> {recurrence.buffer = #recurrence.buffer<"k", input, read, sizes = ["B", "T"]>},
    %p: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"p0", input, read, sizes = ["B", "T"]>},
    %beta: memref<?x?x2xbf16> {recurrence.buffer = #recurrence.buffer<"beta", input, read, sizes = ["B", "T"]>},
    %g: memref<?x?x2xf32> {recurrence.buffer = #recurrence.buffer<"g", input, read, sizes = ["B", "T"]>},
    %s0: memref<?x2x16x16xf32> {recurrence.buffer = #recurrence.buffer<"initial_state", input, read, sizes = ["B"]>},
    %o: memref<?x?x2x16xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["B", "T"]>},
    %s: memref<?x2x16x16xf32> {recurrence.buffer = #recurrence.buffer<"final_state", output, write, sizes = ["B"]>},
    %u: memref<?x?x2x16xbf16> {recurrence.buffer = #recurrence.buffer<"u", workspace, readwrite, sizes = ["B", "T"]>},
    %states: memref<?x2x?x16x16xbf16> {recurrence.buffer = #recurrence.buffer<"chunk_states", workspace, readwrite, sizes = ["B", "ceildiv(T, 64)"]>})
    attributes {recurrence.program = #recurrence.program<forget = delta,
        heads = 2, key_dim = 16, value_dim = 16, scale = 0.25,
        state_layout = vk, query = 0, keys = [5], inject_gates = [7],
        log_decay = 8, erase_key = 5, erase_strength = 7,
        erase_beta_max = 2.0, normalize_erase_key = true,
        refine = <anchor = 12, value = 4, gains = [6], activation = gelu>,
        short_convs = [<input = 1, weight = 2, cache = 3, activation = silu, output = 12>],
        initial_state = 9, output = 10, final_state = 11>} {
  return
}

// -----

// Static buffers, a symbol that is not the first dimension, absent buffers
// as -1, empty lists.

// CHECK-LABEL: module attributes {prism.manifests = {linear_attention = "{
// CHECK-SAME: \22buffers\22:[{\22access\22:\22read\22,\22dtype\22:\22f32\22,\22name\22:\22k\22,\22role\22:\22input\22,\22shape\22:[2,8,1,4]},{\22access\22:\22read\22,\22dtype\22:\22f32\22,\22name\22:\22q\22,\22role\22:\22input\22,\22shape\22:[2,\22T\22,1,4]}
// CHECK-SAME: \22recurrence\22:{\22final_state\22:-1,\22forget\22:\22identity\22,\22heads\22:1,\22initial_state\22:-1,\22inject_gates\22:[],\22key_dim\22:4,\22keys\22:[0,0],\22log_decay\22:-1,\22output\22:2,\22query\22:1,\22rank\22:2,\22scale\22:0.17677669529663687,\22short_convs\22:[],\22state_layout\22:\22kv\22,\22value_dim\22:4,\22values\22:[0,0]}
// CHECK-SAME: \22symbols\22:[\22T\22]
func.func @linear_attention(
    %k: memref<2x8x1x4xf32> {recurrence.buffer = #recurrence.buffer<"k", input, read>},
    %q: memref<2x?x1x4xf32> {recurrence.buffer = #recurrence.buffer<"q", input, read, sizes = ["T"]>},
    %o: memref<2x8x1x4xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write>})
    attributes {recurrence.program = #recurrence.program<forget = identity,
        heads = 1, key_dim = 4, value_dim = 4, scale = 0.17677669529663687,
        state_layout = kv, query = 1, keys = [0, 0], values = [0, 0],
        output = 2>} {
  return
}

// -----

// Launches of one kernel (the tree schedule's rounds, after
// prism-unroll-host-loops) share its name; the kernel is moved once.

// CHECK-LABEL: module attributes {gpu.container_module, prism.manifests = {rounds = "{
// CHECK-SAME: \22kernels\22:[{\22block\22:[32,1,1],\22grid\22:[1,1,1],\22name\22:\22rounds_kernel0\22,\22params\22:[{\22kind\22:\22index\22,\22value\22:0}
// CHECK-SAME: {\22block\22:[32,1,1],\22grid\22:[2,1,1],\22name\22:\22rounds_kernel0\22,\22params\22:[{\22kind\22:\22index\22,\22value\22:1}
// CHECK-SAME: {\22block\22:[64,1,1],\22grid\22:[1,1,1],\22name\22:\22rounds_kernel1\22
// CHECK:       gpu.module @rounds_kernels
// CHECK-NEXT:    gpu.func @rounds_kernel0
// CHECK:         gpu.func @rounds_kernel1
// CHECK-NOT:   gpu.module
// CHECK-NOT:   gpu.func
module attributes {gpu.container_module} {
  gpu.module @k {
    gpu.func @round(%r: index, %buf: memref<?xf32>) kernel {
      gpu.return
    }
  }
  gpu.module @k2 {
    gpu.func @last(%buf: memref<?xf32>) kernel {
      gpu.return
    }
  }
  func.func @rounds(
      %buf: memref<?xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["T"]>})
      attributes {recurrence.program = #recurrence.program<forget = identity,
          heads = 1, key_dim = 4, value_dim = 4, scale = 0.5,
          state_layout = kv, query = 0, keys = [0], values = [0],
          output = 0>} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c32 = arith.constant 32 : index
    %c64 = arith.constant 64 : index
    gpu.launch_func @k::@round blocks in (%c1, %c1, %c1) threads in (%c32, %c1, %c1)
        args(%c0 : index, %buf : memref<?xf32>)
    gpu.launch_func @k::@round blocks in (%c2, %c1, %c1) threads in (%c32, %c1, %c1)
        args(%c1 : index, %buf : memref<?xf32>)
    gpu.launch_func @k2::@last blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1)
        args(%buf : memref<?xf32>)
    return
  }
}
