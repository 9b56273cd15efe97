// RUN: prism-opt %s -split-input-file -prism-convert-recurrence-to-scf -verify-diagnostics

func.func @tree_not_lowered(%q: tensor<1x8x1x16xf32>, %k: tensor<1x8x1x16xf32>, %v: tensor<1x8x1x16xf32>)
    -> tensor<1x8x1x16xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<1x8x1x16xf32>) values(%v : tensor<1x8x1x16xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{schedule 'tree' has no lowering yet; use #recurrence.schedule<sequential>, <chunked_fused> or <chunked_two_pass>}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<tree>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x16xf32> -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}

// -----

func.func @chunked_too_many_warps(%q: tensor<1x8x1x16xf32>, %k: tensor<1x8x1x16xf32>, %v: tensor<1x8x1x16xf32>)
    -> tensor<1x8x1x16xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<1x8x1x16xf32>) values(%v : tensor<1x8x1x16xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{the state tile (16 x 16) has 2 16x8 tiles, not a multiple of 4 warps}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, chunk = 64, warps = 4>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x16xf32> -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}

// -----

func.func @chunked_key_not_multiple_of_16(%q: tensor<1x8x1x24xf32>, %k: tensor<1x8x1x24xf32>, %v: tensor<1x8x1x16xf32>)
    -> tensor<1x8x1x16xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<1x8x1x24xf32>) values(%v : tensor<1x8x1x16xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{chunked schedules need K to be a multiple of 16, got K = 24}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, chunk = 32, warps = 1>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x24xf32> -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}

// -----

func.func @key_too_wide(%q: tensor<1x8x1x512xf32>, %k: tensor<1x8x1x512xf32>, %v: tensor<1x8x1x16xf32>)
    -> tensor<1x8x1x16xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<1x8x1x512xf32>) values(%v : tensor<1x8x1x16xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{the sequential schedule keeps a state row in registers and supports K <= 256, got K = 512}}
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x512xf32>
      -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}

// -----

func.func @foreign_op(%q: tensor<1x8x1x16xf32>, %k: tensor<1x8x1x16xf32>, %v: tensor<1x8x1x16xf32>)
    -> tensor<1x8x1x16xf32> {
  %a = recurrence.identity_forget
  // expected-error @+1 {{is not supported inside a recurrence specification}}
  %k2 = arith.addf %k, %k : tensor<1x8x1x16xf32>
  %b = recurrence.inject keys(%k2 : tensor<1x8x1x16xf32>) values(%v : tensor<1x8x1x16xf32>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x16xf32>
      -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}

// -----

// expected-error @+1 {{must hold exactly one recurrence.scan, found 2}}
func.func @two_scans(%q: tensor<1x8x1x16xf32>, %k: tensor<1x8x1x16xf32>, %v: tensor<1x8x1x16xf32>)
    -> (tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<1x8x1x16xf32>) values(%v : tensor<1x8x1x16xf32>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x16xf32>
      -> tensor<1x8x1x16xf32>
  %p = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x16xf32>
      -> tensor<1x8x1x16xf32>
  return %o, %p : tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>
}

// -----

func.func @returns_input(%q: tensor<1x8x1x16xf32>, %k: tensor<1x8x1x16xf32>, %v: tensor<1x8x1x16xf32>)
    -> (tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>) {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<1x8x1x16xf32>) values(%v : tensor<1x8x1x16xf32>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x16xf32>
      -> tensor<1x8x1x16xf32>
  // expected-error @+1 {{may only return results of recurrence.scan}}
  return %o, %q : tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>
}

// -----

func.func @partial_refine(%q: tensor<1x8x1x16xf32>, %k: tensor<1x8x1x16xf32>, %u: tensor<1x8x1x16xf32>,
                          %p: tensor<1x8x1x16xf32>) -> tensor<1x8x1x16xf32> {
  %d:2 = recurrence.refine identity %u, %u gains(%p, %p : tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>)
      : tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32> -> tensor<1x8x1x16xf32>, tensor<1x8x1x16xf32>
  %a = recurrence.identity_forget
  // expected-error @+1 {{values must be all results of one recurrence.refine, in order, or none of them}}
  %b = recurrence.inject keys(%k : tensor<1x8x1x16xf32>) values(%d#1 : tensor<1x8x1x16xf32>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x16xf32>
      -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}


// -----

// expected-error @+1 {{buffer 'v' of type 'memref<1x8x1x4611686018427387904xf32>' is larger than 2^63 bytes}}
func.func @huge(%q: tensor<1x8x1x16xf32>, %k: tensor<1x8x1x16xf32>, %v: tensor<1x8x1x4611686018427387904xf32>)
    -> tensor<1x8x1x4611686018427387904xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<1x8x1x16xf32>) values(%v : tensor<1x8x1x4611686018427387904xf32>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x16xf32>
      -> tensor<1x8x1x4611686018427387904xf32>
  return %o : tensor<1x8x1x4611686018427387904xf32>
}

// -----

func.func @two_pass_too_many_warps(%q: tensor<1x8x1x16xf32>, %k: tensor<1x8x1x16xf32>, %v: tensor<1x8x1x16xf32>)
    -> tensor<1x8x1x16xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<1x8x1x16xf32>) values(%v : tensor<1x8x1x16xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{the state tile (16 x 16) has 2 16x8 tiles, not a multiple of 4 warps}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_two_pass, chunk = 64, warps = 4>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x16xf32> -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}

// -----

func.func @chunked_three_stages(%q: tensor<1x8x1x16xf32>, %k: tensor<1x8x1x16xf32>, %v: tensor<1x8x1x16xf32>)
    -> tensor<1x8x1x16xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<1x8x1x16xf32>) values(%v : tensor<1x8x1x16xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{chunked schedules take 1 or 2 stages (2: a walk loads the next chunk's queries and keys while it computes one), got 3}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_fused, chunk = 16, v_tile = 16, warps = 1, stages = 3>}
      : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x16xf32> -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}

// -----

func.func @two_pass_decay_two_stages(%q: tensor<1x8x1x16xf32>, %k: tensor<1x8x1x16xf32>, %v: tensor<1x8x1x16xf32>,
                                     %g: tensor<1x8x1xf32>) -> tensor<1x8x1x16xf32> {
  %a = recurrence.scalar_forget %g : tensor<1x8x1xf32>
  %b = recurrence.inject keys(%k : tensor<1x8x1x16xf32>) values(%v : tensor<1x8x1x16xf32>) -> !recurrence.injection<1>
  // expected-error @+1 {{stages = 2 needs a walk over the chunks; the two-pass schedule of the decay families has none (its kernels take one chunk each): use stages = 1}}
  %o = recurrence.scan %a, %b, %q {schedule = #recurrence.schedule<chunked_two_pass, chunk = 16, v_tile = 16, warps = 1, stages = 2>}
      : !recurrence.forget<scalar>, !recurrence.injection<1>, tensor<1x8x1x16xf32> -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}

// -----

// A program's name becomes its kernels' PTX symbols and its file names: a
// quoted symbol with '/' (or other characters) is refused, not written
// outside output-dir or handed to the PTX printer.
// expected-error @+1 {{'func.func' op name '../escaped' must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*) to be lowered: it names the program's kernels and files}}
func.func @"../escaped"(%q: tensor<1x8x1x16xf32>, %k: tensor<1x8x1x16xf32>, %v: tensor<1x8x1x16xf32>)
    -> tensor<1x8x1x16xf32> {
  %a = recurrence.identity_forget
  %b = recurrence.inject keys(%k : tensor<1x8x1x16xf32>) values(%v : tensor<1x8x1x16xf32>) -> !recurrence.injection<1>
  %o = recurrence.scan %a, %b, %q : !recurrence.forget<identity>, !recurrence.injection<1>, tensor<1x8x1x16xf32> -> tensor<1x8x1x16xf32>
  return %o : tensor<1x8x1x16xf32>
}
