// RUN: prism-opt %s -split-input-file -verify-diagnostics -prism-select-schedule | FileCheck %s
// RUN: prism-opt %s -split-input-file -verify-diagnostics -prism-select-schedule=default-kind=sequential | FileCheck %s
// RUN: prism-opt %s -split-input-file -verify-diagnostics -prism-select-schedule | prism-opt -split-input-file -prism-select-schedule | FileCheck %s
// RUN: prism-opt %s -split-input-file -verify-diagnostics -prism-select-schedule=default-kind=chunked_fused | FileCheck %s --check-prefix=FUSED
// RUN: prism-opt %s -split-input-file -verify-diagnostics -prism-select-schedule=default-kind=chunked_two_pass | FileCheck %s --check-prefix=TWOPASS
// RUN: prism-opt %s -split-input-file -verify-diagnostics -prism-select-schedule=default-kind=tree | FileCheck %s --check-prefix=TREE
// RUN: not prism-opt %s -split-input-file -prism-select-schedule=default-kind=blocked 2>&1 | FileCheck %s --check-prefix=BAD

// -prism-select-schedule gives every recurrence.scan a complete schedule:
// a scan without one gets the default kind (`default-kind`, sequential unless
// set), and every parameter left at 0 is chosen from the shape, while the
// parameters already given are kept. The third RUN line checks that the
// result parses again and that a second run changes nothing.
// -verify-diagnostics checks the case where the chosen schedule is refused.

// BAD: error: prism-select-schedule: unknown default-kind 'blocked'

//===----------------------------------------------------------------------===//
// Scans without a schedule get the default kind
//===----------------------------------------------------------------------===//

// Sequential: k_split halves each lane's share of a row (K / k_split) while
// that share stays above 32 floats; v_tile is the largest divisor of V up to
// 128 with v_tile * k_split <= 1024; warps is ceil(v_tile * k_split / 32),
// at most 32.
// Chunked kinds: chunk 64, v_tile 64 where 64 divides V and V otherwise,
// warps up to 8 (4 for the identity and scalar decays at K >= 128), 1 stage,
// no k_split.
// CHECK-LABEL: func.func @default_k64_v64(
// CHECK:         recurrence.scan
// CHECK-SAME:      {schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 2, rows = 1, warps = 4, stages = 2>}
// FUSED-LABEL: func.func @default_k64_v64(
// FUSED:         {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 8, stages = 1>}
// TWOPASS-LABEL: func.func @default_k64_v64(
// TWOPASS:       {schedule = #recurrence.schedule<chunked_two_pass, chunk = 64, v_tile = 64, warps = 8, stages = 1>}
// TREE-LABEL:  func.func @default_k64_v64(
// TREE:          {schedule = #recurrence.schedule<tree, chunk = 64, v_tile = 64, warps = 8, stages = 1>}
func.func @default_k64_v64(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                           %v: tensor<?x?x4x64xbf16>) -> tensor<?x?x4x64xbf16> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x64xbf16>
  return %o : tensor<?x?x4x64xbf16>
}

// -----

// CHECK-LABEL: func.func @default_k128_v128(
// CHECK:         %[[O:.+]], %[[S:.+]] = recurrence.scan
// CHECK-SAME:      {schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 4, rows = 1, warps = 8, stages = 2>}
// CHECK:         return %[[O]], %[[S]]
// FUSED-LABEL: func.func @default_k128_v128(
// FUSED:         {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 4, stages = 1>}
func.func @default_k128_v128(%q: tensor<2x16x4x128xf32>, %k: tensor<2x16x4x128xf32>,
                             %v: tensor<2x16x4x128xf32>, %g: tensor<2x16x4xf32>)
    -> (tensor<2x16x4x128xf32>, tensor<2x4x128x128xf32>) {
  %a = recurrence.scalar_forget %g : tensor<2x16x4xf32>
  %b = recurrence.inject keys(%k : tensor<2x16x4x128xf32>) values(%v : tensor<2x16x4x128xf32>)
      -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<2x16x4x128xf32>
      -> tensor<2x16x4x128xf32>, tensor<2x4x128x128xf32>
  return %o, %s : tensor<2x16x4x128xf32>, tensor<2x4x128x128xf32>
}

// -----

// The delta forget takes chunked V-tiles of 128 where its scratch fits (bf16
// operands), and 64 otherwise (f32 operands, below); its fused walk takes
// 2 stages where their second buffers fit.
// FUSED-LABEL: func.func @gated_deltanet_bf16(
// FUSED:         {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 128, warps = 8, stages = 2>}
func.func @gated_deltanet_bf16(%q: tensor<?x?x16x128xbf16>, %k: tensor<?x?x16x128xbf16>,
                               %v: tensor<?x?x16x128xbf16>, %beta: tensor<?x?x16xbf16>,
                               %g: tensor<?x?x16xf32>) -> tensor<?x?x16x128xbf16> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x16xf32>)
      : tensor<?x?x16x128xbf16>, tensor<?x?x16xbf16>
  %b = recurrence.inject keys(%k : tensor<?x?x16x128xbf16>) values(%v : tensor<?x?x16x128xbf16>)
      gates(%beta : tensor<?x?x16xbf16>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x16x128xbf16>
      -> tensor<?x?x16x128xbf16>
  return %o : tensor<?x?x16x128xbf16>
}

// -----

// FUSED-LABEL: func.func @gated_deltanet_f32(
// FUSED:         {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 8, stages = 1>}
func.func @gated_deltanet_f32(%q: tensor<?x?x16x128xf32>, %k: tensor<?x?x16x128xf32>,
                              %v: tensor<?x?x16x128xf32>, %beta: tensor<?x?x16xf32>,
                              %g: tensor<?x?x16xf32>) -> tensor<?x?x16x128xf32> {
  %a = recurrence.delta_forget %k, %beta gate(%g : tensor<?x?x16xf32>)
      : tensor<?x?x16x128xf32>, tensor<?x?x16xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x16x128xf32>) values(%v : tensor<?x?x16x128xf32>)
      gates(%beta : tensor<?x?x16xf32>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<delta>, !recurrence.injection<1>, tensor<?x?x16x128xf32>
      -> tensor<?x?x16x128xf32>
  return %o : tensor<?x?x16x128xf32>
}

// -----

// The diagonal decay takes chunked V-tiles of 128 too where they fit: its
// scores, the costly part, are then computed once per chunk.
// FUSED-LABEL: func.func @gla_bf16(
// FUSED:         {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 128, warps = 8, stages = 1>}
func.func @gla_bf16(%q: tensor<?x?x16x128xbf16>, %k: tensor<?x?x16x128xbf16>,
                    %v: tensor<?x?x16x128xbf16>, %g: tensor<?x?x16x128xf32>)
    -> tensor<?x?x16x128xbf16> {
  %a = recurrence.diagonal_forget %g : tensor<?x?x16x128xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x16x128xbf16>) values(%v : tensor<?x?x16x128xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<?x?x16x128xbf16>
      -> tensor<?x?x16x128xbf16>
  return %o : tensor<?x?x16x128xbf16>
}

// -----

// A value wider than 128 is split over programs of 128 state rows (64 for the
// chunked kinds).
// CHECK-LABEL: func.func @default_wide_v(
// CHECK:         {schedule = #recurrence.schedule<sequential, v_tile = 128, k_split = 2, rows = 1, warps = 8, stages = 2>}
// TREE-LABEL:  func.func @default_wide_v(
// TREE:          {schedule = #recurrence.schedule<tree, chunk = 64, v_tile = 64, warps = 8, stages = 1>}
func.func @default_wide_v(%q: tensor<?x?x2x64xf16>, %k: tensor<?x?x2x64xf16>,
                          %v: tensor<?x?x2x256xf16>) -> tensor<?x?x2x256xf16> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x?x2x64xf16>) values(%v : tensor<?x?x2x256xf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x2x64xf16>
      -> tensor<?x?x2x256xf16>
  return %o : tensor<?x?x2x256xf16>
}

// -----

// K = 32 leaves a whole row to one lane; K = 96 splits it over 4 lanes of 24.
// CHECK-LABEL: func.func @default_small_and_odd_k(
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 1, rows = 1, warps = 1, stages = 2>}
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 8, k_split = 1, rows = 1, warps = 1, stages = 2>}
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 4, rows = 1, warps = 8, stages = 2>}
func.func @default_small_and_odd_k(%q32: tensor<1x8x1x32xf32>, %v32: tensor<1x8x1x32xf32>,
                                   %q16: tensor<1x8x1x16xf32>, %v8: tensor<1x8x1x8xf32>,
                                   %q96: tensor<1x8x1x96xf32>, %v64: tensor<1x8x1x64xf32>) {
  %a = recurrence.identity_forget
  %b32 = recurrence.inject keys(%q32 : tensor<1x8x1x32xf32>) values(%v32 : tensor<1x8x1x32xf32>)
      -> !recurrence.injection<1>
  %o32 = recurrence.scan %a, %b32, %q32
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x32xf32> -> tensor<1x8x1x32xf32>
  %b16 = recurrence.inject keys(%q16 : tensor<1x8x1x16xf32>) values(%v8 : tensor<1x8x1x8xf32>)
      -> !recurrence.injection<1>
  %o16 = recurrence.scan %a, %b16, %q16
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x16xf32> -> tensor<1x8x1x8xf32>
  %b96 = recurrence.inject keys(%q96 : tensor<1x8x1x96xf32>) values(%v64 : tensor<1x8x1x64xf32>)
      -> !recurrence.injection<1>
  %o96 = recurrence.scan %a, %b96, %q96
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x96xf32> -> tensor<1x8x1x64xf32>
  return
}

// -----

// The state layout and the other attributes are left alone.
// CHECK-LABEL: func.func @default_vk_layout(
// CHECK-SAME:      %[[Q:.+]]: tensor<?x?x4x64xbf16>, %[[K:.+]]: tensor<?x?x4x64xbf16>, %[[V:.+]]: tensor<?x?x4x32xbf16>, %[[G:.+]]: tensor<?x?x4x64xf32>, %[[S0:.+]]: tensor<?x4x32x64xf32>)
// CHECK:         %[[A:.+]] = recurrence.diagonal_forget %[[G]]
// CHECK:         %[[B:.+]] = recurrence.inject keys(%[[K]] : tensor<?x?x4x64xbf16>) values(%[[V]] : tensor<?x?x4x32xbf16>) -> <1>
// CHECK:         %[[O:.+]], %[[S:.+]] = recurrence.scan %[[A]], %[[B]], %[[Q]] initial(%[[S0]] : tensor<?x4x32x64xf32>)
// CHECK-SAME:      {scale = 1.250000e-01 : f64, schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 2, rows = 1, warps = 2, stages = 2>, state_layout = #recurrence<state_layout vk>}
// CHECK:         return %[[O]], %[[S]]
func.func @default_vk_layout(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                             %v: tensor<?x?x4x32xbf16>, %g: tensor<?x?x4x64xf32>,
                             %s0: tensor<?x4x32x64xf32>)
    -> (tensor<?x?x4x32xbf16>, tensor<?x4x32x64xf32>) {
  %a = recurrence.diagonal_forget %g : tensor<?x?x4x64xf32>
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x32xbf16>)
      -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q initial(%s0 : tensor<?x4x32x64xf32>)
      {scale = 0.125, state_layout = #recurrence<state_layout vk>}
      : !recurrence.forget<diagonal>, !recurrence.injection<1>, tensor<?x?x4x64xbf16>
      -> tensor<?x?x4x32xbf16>, tensor<?x4x32x64xf32>
  return %o, %s : tensor<?x?x4x32xbf16>, tensor<?x4x32x64xf32>
}

//===----------------------------------------------------------------------===//
// Value and key widths that are not 64 or 128
//===----------------------------------------------------------------------===//

// -----

// V = 48: the whole of V in one program (not a power of two), 96 lanes in
// 3 warps. Chunked kinds take v_tile = V, as 64 does not divide 48.
// CHECK-LABEL: func.func @default_v48(
// CHECK-SAME:      %[[Q:.+]]: tensor<?x?x4x64xf32>, %[[V:.+]]: tensor<?x?x4x48xf32>)
// CHECK:         %[[A:.+]] = recurrence.identity_forget
// CHECK:         %[[B:.+]] = recurrence.inject keys(%[[Q]] : tensor<?x?x4x64xf32>) values(%[[V]] : tensor<?x?x4x48xf32>) -> <1>
// CHECK:         %[[O:.+]] = recurrence.scan %[[A]], %[[B]], %[[Q]] {schedule = #recurrence.schedule<sequential, v_tile = 48, k_split = 2, rows = 1, warps = 3, stages = 2>}
// CHECK:         return %[[O]]
// FUSED-LABEL: func.func @default_v48(
// FUSED:         {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 48, warps = 4, stages = 1>}
// TWOPASS-LABEL: func.func @default_v48(
// TWOPASS:       {schedule = #recurrence.schedule<chunked_two_pass, chunk = 64, v_tile = 48, warps = 4, stages = 1>}
// TREE-LABEL:  func.func @default_v48(
// TREE:          {schedule = #recurrence.schedule<tree, chunk = 64, v_tile = 48, warps = 4, stages = 1>}
func.func @default_v48(%q: tensor<?x?x4x64xf32>, %v: tensor<?x?x4x48xf32>) -> tensor<?x?x4x48xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%q : tensor<?x?x4x64xf32>) values(%v : tensor<?x?x4x48xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xf32> -> tensor<?x?x4x48xf32>
  return %o : tensor<?x?x4x48xf32>
}

// -----

// V = 4: a tile of 4 rows; its 8 lanes still take one whole warp.
// CHECK-LABEL: func.func @default_v4(
// CHECK:         %[[O:.+]] = recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 4, k_split = 2, rows = 1, warps = 1, stages = 2>}
// CHECK:         return %[[O]]
// FUSED-LABEL: func.func @default_v4(
// FUSED:         {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 4, warps = 1, stages = 1>}
// TREE-LABEL:  func.func @default_v4(
// TREE:          {schedule = #recurrence.schedule<tree, chunk = 64, v_tile = 4, warps = 1, stages = 1>}
func.func @default_v4(%q: tensor<2x8x4x64xbf16>, %v: tensor<2x8x4x4xbf16>) -> tensor<2x8x4x4xbf16> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%q : tensor<2x8x4x64xbf16>) values(%v : tensor<2x8x4x4xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x8x4x64xbf16> -> tensor<2x8x4x4xbf16>
  return %o : tensor<2x8x4x4xbf16>
}

// -----

// V = 192: 128 does not divide it, so two programs of 96 rows (192 lanes,
// 6 warps); the chunked kinds take tiles of 64.
// CHECK-LABEL: func.func @default_v192(
// CHECK:         %[[O:.+]] = recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 96, k_split = 2, rows = 1, warps = 6, stages = 2>}
// CHECK:         return %[[O]]
// FUSED-LABEL: func.func @default_v192(
// FUSED:         {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 8, stages = 1>}
// TWOPASS-LABEL: func.func @default_v192(
// TWOPASS:       {schedule = #recurrence.schedule<chunked_two_pass, chunk = 64, v_tile = 64, warps = 8, stages = 1>}
func.func @default_v192(%q: tensor<?x?x2x64xf16>, %v: tensor<?x?x2x192xf16>) -> tensor<?x?x2x192xf16> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%q : tensor<?x?x2x64xf16>) values(%v : tensor<?x?x2x192xf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x2x64xf16> -> tensor<?x?x2x192xf16>
  return %o : tensor<?x?x2x192xf16>
}

// -----

// K = 256: 8 lanes a row; 32 rows a program keep it within 256 lanes
// (8 warps).
// CHECK-LABEL: func.func @default_k256_v128(
// CHECK-SAME:      %[[Q:.+]]: tensor<2x16x4x256xf32>, %[[V:.+]]: tensor<2x16x4x128xf32>, %[[G:.+]]: tensor<2x16x4xf32>)
// CHECK:         %[[A:.+]] = recurrence.scalar_forget %[[G]]
// CHECK:         %[[B:.+]] = recurrence.inject keys(%[[Q]] : tensor<2x16x4x256xf32>) values(%[[V]] : tensor<2x16x4x128xf32>) -> <1>
// CHECK:         %[[O:.+]], %[[S:.+]] = recurrence.scan %[[A]], %[[B]], %[[Q]] {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 8, rows = 1, warps = 8, stages = 2>}
// CHECK:         return %[[O]], %[[S]]
// FUSED-LABEL: func.func @default_k256_v128(
// FUSED:         {schedule = #recurrence.schedule<chunked_fused, chunk = 32, v_tile = 64, warps = 4, stages = 1>}
// TREE-LABEL:  func.func @default_k256_v128(
// TREE:          {schedule = #recurrence.schedule<tree, chunk = 32, v_tile = 64, warps = 4, stages = 1>}
func.func @default_k256_v128(%q: tensor<2x16x4x256xf32>, %v: tensor<2x16x4x128xf32>, %g: tensor<2x16x4xf32>)
    -> (tensor<2x16x4x128xf32>, tensor<2x4x256x128xf32>) {
  %a = recurrence.scalar_forget %g : tensor<2x16x4xf32>
  %b = recurrence.inject keys(%q : tensor<2x16x4x256xf32>) values(%v : tensor<2x16x4x128xf32>)
      -> !recurrence.injection<1>
  %o, %s = recurrence.scan %a, %b, %q
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<2x16x4x256xf32>
      -> tensor<2x16x4x128xf32>, tensor<2x4x256x128xf32>
  return %o, %s : tensor<2x16x4x128xf32>, tensor<2x4x256x128xf32>
}

// -----

// Given v_tile and k_split are kept; only warps is chosen (128 * 8 = 1024
// lanes, 32 warps).
// CHECK-LABEL: func.func @explicit_v_tile128_k_split8(
// CHECK:         %[[O:.+]] = recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 128, k_split = 8, rows = 1, warps = 32, stages = 2>}
// CHECK:         return %[[O]]
// FUSED-LABEL: func.func @explicit_v_tile128_k_split8(
// FUSED:         {schedule = #recurrence.schedule<sequential, v_tile = 128, k_split = 8, rows = 1, warps = 32, stages = 2>}
// TREE-LABEL:  func.func @explicit_v_tile128_k_split8(
// TREE:          {schedule = #recurrence.schedule<sequential, v_tile = 128, k_split = 8, rows = 1, warps = 32, stages = 2>}
func.func @explicit_v_tile128_k_split8(%q: tensor<?x?x4x256xbf16>, %v: tensor<?x?x4x512xbf16>) -> tensor<?x?x4x512xbf16> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%q : tensor<?x?x4x256xbf16>) values(%v : tensor<?x?x4x512xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, v_tile = 128, k_split = 8>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x256xbf16> -> tensor<?x?x4x512xbf16>
  return %o : tensor<?x?x4x512xbf16>
}

// -----

// A given v_tile bounds the chosen k_split to 1024 lanes: 512 rows leave
// 2 lanes a row of K = 256, in 32 warps.
// CHECK-LABEL: func.func @explicit_v_tile512(
// CHECK:         {schedule = #recurrence.schedule<sequential, v_tile = 512, k_split = 2, rows = 1, warps = 32, stages = 2>}
func.func @explicit_v_tile512(%q: tensor<?x?x4x256xbf16>, %v: tensor<?x?x4x512xbf16>) -> tensor<?x?x4x512xbf16> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%q : tensor<?x?x4x256xbf16>) values(%v : tensor<?x?x4x512xbf16>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, v_tile = 512>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x256xbf16> -> tensor<?x?x4x512xbf16>
  return %o : tensor<?x?x4x512xbf16>
}

// -----

// A chosen schedule is checked against the lowering: a chunked kind on
// V = 1040 (64 does not divide it) would take v_tile = 1040 by default, which
// does not lower, so the selector searches and takes the widest V-tile that
// divides V and lowers (80), with its own chunk and warps.
// CHECK-LABEL: func.func @chunked_v_too_wide(
// CHECK: schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 80, warps = 8, stages = 1>
func.func @chunked_v_too_wide(%q: tensor<?x?x1x64xf32>, %v: tensor<?x?x1x1040xf32>) -> tensor<?x?x1x1040xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%q : tensor<?x?x1x64xf32>) values(%v : tensor<?x?x1x1040xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x1x64xf32> -> tensor<?x?x1x1040xf32>
  return %o : tensor<?x?x1x1040xf32>
}

// -----

// The sequential kind divides the same V into programs of 104 rows.
// CHECK-LABEL: func.func @sequential_v1040(
// CHECK:         {schedule = #recurrence.schedule<sequential, v_tile = 104, k_split = 2, rows = 1, warps = 7, stages = 2>}
func.func @sequential_v1040(%q: tensor<?x?x1x64xf32>, %v: tensor<?x?x1x1040xf32>) -> tensor<?x?x1x1040xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%q : tensor<?x?x1x64xf32>) values(%v : tensor<?x?x1x1040xf32>)
      -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x1x64xf32> -> tensor<?x?x1x1040xf32>
  return %o : tensor<?x?x1x1040xf32>
}

//===----------------------------------------------------------------------===//
// Given kinds and parameters are kept
//===----------------------------------------------------------------------===//

// -----

// A complete schedule is left as it is, whatever the default kind.
// CHECK-LABEL: func.func @explicit_complete(
// CHECK:         {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 1, rows = 1, warps = 2, stages = 2>}
// CHECK:         {schedule = #recurrence.schedule<tree, chunk = 128, v_tile = 16, warps = 8, stages = 1>}
// FUSED-LABEL: func.func @explicit_complete(
// FUSED:         {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 1, rows = 1, warps = 2, stages = 2>}
// FUSED:         {schedule = #recurrence.schedule<tree, chunk = 128, v_tile = 16, warps = 8, stages = 1>}
// TREE-LABEL:  func.func @explicit_complete(
// TREE:          {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 1, rows = 1, warps = 2, stages = 2>}
func.func @explicit_complete(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                             %v: tensor<?x?x4x64xbf16>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<1>
  %o0 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 1, warps = 2>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xbf16>
  %o1 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<tree, chunk = 128, v_tile = 16, warps = 8, stages = 1>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xbf16>
  return
}

// -----

// Sequential schedules with some parameters: the missing ones are filled,
// following the given ones (warps from the given v_tile and k_split).
// CHECK-LABEL: func.func @explicit_sequential_partial(
// CHECK:         {schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 2, rows = 1, warps = 4, stages = 2>}
// CHECK:         {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 2, rows = 1, warps = 2, stages = 2>}
// CHECK:         {schedule = #recurrence.schedule<sequential, v_tile = 32, k_split = 8, rows = 1, warps = 8, stages = 2>}
// CHECK:         {schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 1, rows = 1, warps = 2, stages = 2>}
// CHECK:         {schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 2, rows = 1, warps = 1, stages = 2>}
// TWOPASS-LABEL: func.func @explicit_sequential_partial(
// TWOPASS-COUNT-5: {schedule = #recurrence.schedule<sequential,
// TWOPASS-NOT:   chunked_two_pass
// TWOPASS:       return
func.func @explicit_sequential_partial(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>,
                                       %v: tensor<?x?x4x64xbf16>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<1>
  %o0 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xbf16>
  %o1 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, v_tile = 32>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xbf16>
  %o2 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, k_split = 8>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xbf16>
  %o3 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, k_split = 1>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xbf16>
  %o4 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<sequential, warps = 1>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xbf16>
  return
}

// -----

// Chunked schedules with some parameters; k_split is never chosen for them
// (and a given one is refused by the verifier: invalid.mlir).
// CHECK-LABEL: func.func @explicit_chunked_partial(
// CHECK:         {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 4, stages = 1>}
// CHECK:         {schedule = #recurrence.schedule<chunked_two_pass, chunk = 32, v_tile = 64, warps = 4, stages = 2>}
// CHECK:         {schedule = #recurrence.schedule<tree, chunk = 64, v_tile = 16, warps = 2, stages = 1>}
// FUSED-LABEL: func.func @explicit_chunked_partial(
// FUSED:         {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 4, stages = 1>}
// FUSED:         {schedule = #recurrence.schedule<chunked_two_pass, chunk = 32, v_tile = 64, warps = 4, stages = 2>}
// FUSED:         {schedule = #recurrence.schedule<tree, chunk = 64, v_tile = 16, warps = 2, stages = 1>}
func.func @explicit_chunked_partial(%q: tensor<2x64x4x128xf32>, %k: tensor<2x64x4x128xf32>,
                                    %v: tensor<2x64x4x128xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<2x64x4x128xf32>) values(%v : tensor<2x64x4x128xf32>)
      -> !recurrence.injection<1>
  %o0 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x64x4x128xf32> -> tensor<2x64x4x128xf32>
  %o1 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_two_pass, chunk = 32, stages = 2>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x64x4x128xf32> -> tensor<2x64x4x128xf32>
  %o2 = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<tree, v_tile = 16, warps = 2>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<2x64x4x128xf32> -> tensor<2x64x4x128xf32>
  return
}

//===----------------------------------------------------------------------===//
// Where scans are
//===----------------------------------------------------------------------===//

// -----

// Every scan is visited, nested ones included, and nothing else changes.
// CHECK-LABEL: func.func @nested(
// CHECK:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 2, rows = 1, warps = 4, stages = 2>}
// CHECK:         scf.execute_region
// CHECK:           recurrence.scan {{.+}} {schedule = #recurrence.schedule<sequential, v_tile = 64, k_split = 2, rows = 1, warps = 4, stages = 2>}
// FUSED-LABEL: func.func @nested(
// FUSED:         recurrence.scan {{.+}} {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 8, stages = 1>}
// FUSED:         scf.execute_region
// FUSED:           recurrence.scan {{.+}} {schedule = #recurrence.schedule<chunked_fused, chunk = 64, v_tile = 64, warps = 8, stages = 1>}
func.func @nested(%q: tensor<?x?x4x64xbf16>, %k: tensor<?x?x4x64xbf16>, %v: tensor<?x?x4x64xbf16>)
    -> (tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<?x?x4x64xbf16>) values(%v : tensor<?x?x4x64xbf16>)
      -> !recurrence.injection<1>
  %o0 = recurrence.scan %a, %b, %q
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xbf16>
  %o1 = scf.execute_region -> tensor<?x?x4x64xbf16> {
    %o = recurrence.scan %a, %b, %q
        : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<?x?x4x64xbf16> -> tensor<?x?x4x64xbf16>
    scf.yield %o : tensor<?x?x4x64xbf16>
  }
  return %o0, %o1 : tensor<?x?x4x64xbf16>, tensor<?x?x4x64xbf16>
}

// -----

// CHECK-LABEL: func.func @no_scan(
// CHECK-NOT:     schedule
// CHECK:         return
func.func @no_scan(%g: tensor<?x?x4xf32>) -> !recurrence.forget<scalar> {
  %a = recurrence.scalar_forget %g : tensor<?x?x4xf32>
  return %a : !recurrence.forget<scalar>
}
