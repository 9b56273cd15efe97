// RUN: prism-opt %s -split-input-file -verify-diagnostics

// One case per diagnostic of the attributes of lowered programs
// (ProgramAttrs.td): their parsers and verifiers, then the dialect's checks
// of them against the function that carries them (ProgramAttrs.cpp).

//===----------------------------------------------------------------------===//
// #recurrence.buffer
//===----------------------------------------------------------------------===//

// expected-error @+2 {{expected ::prism::recurrence::BufferRole to be one of: input, output, workspace}}
// expected-error @+1 {{failed to parse Recurrence_BufferAttr parameter 'role'}}
func.func private @unknown_role(memref<4xf32> {recurrence.buffer = #recurrence.buffer<"q", inout, read>})

// -----

// expected-error @+2 {{expected ::prism::recurrence::BufferAccess to be one of: read, write, readwrite}}
// expected-error @+1 {{failed to parse Recurrence_BufferAttr parameter 'access'}}
func.func private @unknown_access(memref<4xf32> {recurrence.buffer = #recurrence.buffer<"q", input, rw>})

// -----

// expected-error @+1 {{buffer name must not be empty}}
func.func private @empty_name(memref<4xf32> {recurrence.buffer = #recurrence.buffer<"", input, read>})

// -----

// Only a workspace's sizes are computed.
// expected-error @+1 {{size 'ceildiv(T, 64)' of input buffer 'q' must be a symbol (an identifier)}}
func.func private @input_size_expression(memref<?xf32> {recurrence.buffer = #recurrence.buffer<"q", input, read, sizes = ["ceildiv(T, 64)"]>})

// -----

// expected-error @+1 {{size 'T; B' of buffer 'chunk_states' is neither a symbol nor an expression}}
func.func private @workspace_size_garbage(memref<?xf32> {recurrence.buffer = #recurrence.buffer<"chunk_states", workspace, readwrite, sizes = ["T; B"]>})

// -----

// expected-error @+1 {{size 'ceildiv(T, 64))' of buffer 'chunk_states' is neither a symbol nor an expression}}
func.func private @workspace_size_unbalanced(memref<?xf32> {recurrence.buffer = #recurrence.buffer<"chunk_states", workspace, readwrite, sizes = ["ceildiv(T, 64))"]>})

//===----------------------------------------------------------------------===//
// #recurrence.buffer on an argument
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{buffer 'q' (argument #0) must be a memref, got 'tensor<4xf32>'}}
func.func private @buffer_not_memref(tensor<4xf32> {recurrence.buffer = #recurrence.buffer<"q", input, read>})

// -----

// expected-error @+1 {{buffer 'q' has element type 'i8'; a manifest knows f32, f16, bf16, i32, i64}}
func.func private @buffer_element_type(memref<4xi8> {recurrence.buffer = #recurrence.buffer<"q", input, read>})

// -----

// expected-error @+1 {{buffer 'q' of type 'memref<?x?x4xf32>' has 2 dynamic dimensions but 1 sizes}}
func.func private @sizes_count(memref<?x?x4xf32> {recurrence.buffer = #recurrence.buffer<"q", input, read, sizes = ["B"]>})

// -----

// expected-error @+1 {{'recurrence.buffer' of argument #0 must be a #recurrence.buffer attribute}}
func.func private @buffer_not_buffer(memref<4xf32> {recurrence.buffer = "q"})

// -----

// expected-error @+1 {{'recurrence.name' of argument #0 must be a non-empty string}}
func.func private @name_not_string(tensor<4xf32> {recurrence.name = 1 : i64})

// -----

// expected-error @+1 {{unknown argument attribute 'recurrence.role'}}
func.func private @unknown_argument_attribute(memref<4xf32> {recurrence.role = "input"})

//===----------------------------------------------------------------------===//
// Attributes of ops
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{'recurrence.buffer' is an attribute of function arguments}}
func.func private @buffer_on_function() attributes {recurrence.buffer = #recurrence.buffer<"q", input, read>}

// -----

// expected-error @+1 {{unknown attribute 'recurrence.manifest'}}
func.func private @unknown_attribute() attributes {recurrence.manifest = "{}"}

// -----

// expected-error @+1 {{'recurrence.program' must be a #recurrence.program or #recurrence.step_program attribute}}
func.func private @program_not_program() attributes {recurrence.program = "{}"}

// -----

func.func @program_on_return() {
  // expected-error @+1 {{'recurrence.program' describes a lowered program (a function), not 'func.return'}}
  "func.return"() {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], output = 0>} : () -> ()
}

//===----------------------------------------------------------------------===//
// #recurrence.program
//===----------------------------------------------------------------------===//

// -----

// expected-error @+2 {{expected ::prism::recurrence::ForgetFamily to be one of: identity, scalar, diagonal, delta}}
// expected-error @+1 {{failed to parse Recurrence_ProgramAttr parameter 'forget'}}
func.func private @unknown_forget() attributes {recurrence.program = #recurrence.program<forget = lowrank, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], output = 0>}

// -----

// expected-error @+1 {{struct is missing required parameter: output}}
func.func private @missing_output() attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0]>}

// -----

// expected-error @+1 {{heads, key_dim and value_dim must be positive, got 0, 4, 4}}
func.func private @zero_heads() attributes {recurrence.program = #recurrence.program<forget = identity, heads = 0, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], output = 0>}

// -----

// expected-error @+1 {{'initial_state' refers to buffer -1: buffer indices are non-negative}}
func.func private @negative_index() attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], initial_state = -1, output = 0>}

// -----

// expected-error @+1 {{a program needs at least one key}}
func.func private @no_keys() attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, output = 0>}

// -----

// expected-error @+1 {{expected one inject gate per key (2), got 1}}
func.func private @inject_gates_count() attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0, 0], values = [0, 0], inject_gates = [0], output = 0>}

// -----

// expected-error @+1 {{'values' and 'refine' are exclusive}}
func.func private @values_and_refine() attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], refine = <anchor = 0, value = 0, gains = [0], activation = gelu>, output = 0>}

// -----

// expected-error @+1 {{expected one value per key (2), got 1}}
func.func private @values_count() attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0, 0], values = [0], output = 0>}

// -----

// expected-error @+1 {{expected one refine gain per key (1), got 2}}
func.func private @refine_gains_count() attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], refine = <anchor = 0, value = 0, gains = [0, 0], activation = gelu>, output = 0>}

// -----

// expected-error @+1 {{forget 'diagonal' needs 'log_decay'}}
func.func private @decay_without_log_decay() attributes {recurrence.program = #recurrence.program<forget = diagonal, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], output = 0>}

// -----

// expected-error @+1 {{forget 'identity' takes no 'log_decay'}}
func.func private @identity_with_log_decay() attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], log_decay = 0, output = 0>}

// -----

// expected-error @+1 {{forget 'delta' needs 'erase_key' and 'erase_strength'}}
func.func private @delta_without_erase_strength() attributes {recurrence.program = #recurrence.program<forget = delta, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], erase_key = 0, output = 0>}

// -----

// expected-error @+1 {{'erase_*' and 'normalize_erase_key' belong to forget 'delta', not 'scalar'}}
func.func private @erase_without_delta() attributes {recurrence.program = #recurrence.program<forget = scalar, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], log_decay = 0, normalize_erase_key = true, output = 0>}

// -----

// expected-error @+1 {{erase_beta_max must be 1 or 2, got 3.000000e+00}}
func.func private @erase_beta_max() attributes {recurrence.program = #recurrence.program<forget = delta, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], erase_key = 0, erase_strength = 0, erase_beta_max = 3.0, output = 0>}

//===----------------------------------------------------------------------===//
// #recurrence.program against its function
//===----------------------------------------------------------------------===//

// -----

// expected-error @+1 {{'func.func' op argument #1 has no 'recurrence.buffer' although the function has a 'recurrence.program'}}
func.func private @argument_without_buffer(
    memref<4xf32> {recurrence.buffer = #recurrence.buffer<"q", input, read>},
    memref<4xf32>)
    attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], output = 1>}

// -----

// expected-error @+1 {{'func.func' op has two buffers named 'q'}}
func.func private @duplicate_names(
    memref<4xf32> {recurrence.buffer = #recurrence.buffer<"q", input, read>},
    memref<4xf32> {recurrence.buffer = #recurrence.buffer<"q", output, write>})
    attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], output = 1>}

// -----

// expected-error @+1 {{'func.func' op 'short_convs.weight' refers to buffer 7 but the program has 2 buffers}}
func.func private @index_out_of_range(
    memref<4xf32> {recurrence.buffer = #recurrence.buffer<"q", input, read>},
    memref<4xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write>})
    attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], short_convs = [<input = 0, weight = 7, activation = none, output = 0>], output = 1>}

// -----

// expected-error @+1 {{'func.func' op 'final_state' is buffer 0 ('q'), which is not an output}}
func.func private @final_state_not_output(
    memref<4xf32> {recurrence.buffer = #recurrence.buffer<"q", input, read>},
    memref<4xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write>})
    attributes {recurrence.program = #recurrence.program<forget = identity, heads = 1, key_dim = 4, value_dim = 4, scale = 5.000000e-01, state_layout = kv, query = 0, keys = [0], values = [0], output = 1, final_state = 0>}

//===----------------------------------------------------------------------===//
// #recurrence.step_program and #recurrence.step_instr
//===----------------------------------------------------------------------===//

// -----

// expected-error @+2 {{unknown step op 'atan'}}
// expected-error @+1 {{failed to parse Recurrence_StepProgramAttr parameter 'body'}}
func.func private @step_unknown_op() attributes {recurrence.program = #recurrence.step_program<heads = 1, key_dim = 4, value_dim = 4, state_layout = kv, inputs = [0], output = 1, body = [<op = "atan", args = [1], shape = [4]>], yield_state = 0, yield_output = 2>}

// -----

// expected-error @+2 {{step op 'outer' takes 2 arguments, got 1}}
// expected-error @+1 {{failed to parse Recurrence_StepProgramAttr parameter 'body'}}
func.func private @step_arity() attributes {recurrence.program = #recurrence.step_program<heads = 1, key_dim = 4, value_dim = 4, state_layout = kv, inputs = [0], output = 1, body = [<op = "outer", args = [1], shape = [4, 4]>], yield_state = 2, yield_output = 1>}

// -----

// expected-error @+2 {{a step constant needs 'values'}}
// expected-error @+1 {{failed to parse Recurrence_StepProgramAttr parameter 'body'}}
func.func private @step_constant_without_values() attributes {recurrence.program = #recurrence.step_program<heads = 1, key_dim = 4, value_dim = 4, state_layout = kv, inputs = [0], output = 1, body = [<op = "constant">], yield_state = 0, yield_output = 1>}

// -----

// expected-error @+4 {{step instruction 1 ('mul') reads value 3, which is not defined before it}}
func.func private @step_reads_later_value(
    memref<?x?x1x4xf32> {recurrence.buffer = #recurrence.buffer<"x0", input, read, sizes = ["B", "T"]>},
    memref<?x?x1x4xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["B", "T"]>})
    attributes {recurrence.program = #recurrence.step_program<heads = 1, key_dim = 4, value_dim = 4, state_layout = kv, inputs = [0], output = 1, body = [<op = "tanh", args = [1], shape = [4]>, <op = "mul", args = [2, 3], shape = [4]>], yield_state = 0, yield_output = 3>}

// -----

// expected-error @+4 {{yielded value 9 is not a value of the body}}
func.func private @step_yield_out_of_range(
    memref<?x?x1x4xf32> {recurrence.buffer = #recurrence.buffer<"x0", input, read, sizes = ["B", "T"]>},
    memref<?x?x1x4xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["B", "T"]>})
    attributes {recurrence.program = #recurrence.step_program<heads = 1, key_dim = 4, value_dim = 4, state_layout = kv, inputs = [0], output = 1, body = [<op = "tanh", args = [1], shape = [4]>], yield_state = 0, yield_output = 9>}

// -----

// expected-error @+1 {{'func.func' op 'output' is buffer 0 ('x0'), which is not an output}}
func.func private @step_output_not_output(
    memref<?x?x1x4xf32> {recurrence.buffer = #recurrence.buffer<"x0", input, read, sizes = ["B", "T"]>},
    memref<?x?x1x4xf32> {recurrence.buffer = #recurrence.buffer<"o", output, write, sizes = ["B", "T"]>})
    attributes {recurrence.program = #recurrence.step_program<heads = 1, key_dim = 4, value_dim = 4, state_layout = kv, inputs = [0], output = 0, body = [<op = "tanh", args = [1], shape = [4]>], yield_state = 0, yield_output = 2>}
