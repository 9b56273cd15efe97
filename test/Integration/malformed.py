#!/usr/bin/env python3
"""Malformed-input fuzzer for prism-opt and prism-run.

For every specification in --examples, builds deterministic (seeded)
corrupted variants -- truncations at byte and line positions, shuffled,
swapped, deleted and duplicated lines, swapped or undefined operand names,
changed shapes (one dimension, or every use of a size or of a type), dtypes,
op names, keywords, type parameters, attribute values (schedule kinds and
parameters, beta_max, scale, state_layout), removed or altered returns, stray
bytes -- plus freshly synthesised, mostly valid specifications (any forget
family, rank, dtype mix, odd sizes, write path, schedule), sometimes stacked
with further corruptions. Each variant runs through

    prism-opt VARIANT
    prism-opt VARIANT --prism-cpu-pipeline
    prism-opt VARIANT --prism-gpu-pipeline=output-dir=TMP
    prism-run VARIANT

(plus, when the first succeeds, a round trip of its output through
`prism-opt -`, and with --ptxas an assembly of the emitted PTX).

A command passes when it exits 0, or exits non-zero with a diagnostic
containing "error" on stderr; when the variant does not parse and verify
(prism-opt VARIANT fails), every command's diagnostic must carry a
`FILE:line:col` location (or prism-run's `loc("FILE":line:col)`). A command
fails on a signal, an LLVM crash banner ("LLVM ERROR", "Assertion", "PLEASE
submit a bug report", "Stack dump", "terminate called", ...), a timeout, a
non-zero exit without "error", or a silently wrong result: prism-run printing
FAIL (output differs from the float64 oracle), a command accepting a file
that prism-opt rejects, "error:" on a zero exit, a printed module that does
not parse again, an unreadable GPU manifest, or PTX that ptxas rejects.

Variants whose correct run would be slow (estimated_work) are not drawn;
absurd sizes (>= 2^31) are, since they must be refused at once. Commands run
with an address-space limit (--mem-mb) so that an unchecked allocation fails
fast instead of swapping the machine.

Prints one line per failing variant and finally `N passed, N failed`; exits 1
on any failure. A variant is identified by EXAMPLE#INDEX for the given seed;
--keep DIR saves failing variants with a .log of every command's output.
"""

import argparse
import concurrent.futures
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

try:
    import resource
except ImportError:  # not on POSIX
    resource = None

CRASH_MARKERS = (
    "LLVM ERROR",
    "Assertion",
    "PLEASE submit a bug report",
    "Stack dump",
    "UNREACHABLE executed",
    "terminate called",
    "Segmentation fault",
    "AddressSanitizer",
    "UndefinedBehaviorSanitizer",
    "runtime error:",
)

# ---------------------------------------------------------------------------
# Mutations. Each takes (text, rng) and returns (new_text, description), or
# None when it does not apply to this text.
# ---------------------------------------------------------------------------

NUMBER_POOL = [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64,
               65, 127, 128, 129, 256, 1024, 1025, -1, -16,
               2 ** 31, 2 ** 32 + 64, 2 ** 62, 2 ** 63 - 1, 2 ** 64]
# Shape values small enough that a correct program still runs quickly.
SAFE_SHAPE_POOL = [0, 1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 32, 33, 48, 63, 65,
                   96, 128, 129]
HUGE_SHAPE_POOL = [2 ** 31, 2 ** 32, 2 ** 40, 2 ** 62, 2 ** 63 - 1]
DTYPES = ["f32", "f16", "bf16", "f64", "i32", "i64", "i1", "i8", "index",
          "tf32", "f8E4M3FN", "ui32", "complex<f32>", "none", "vector<4xf32>",
          "f80"]
RECURRENCE_OPS = ["identity_forget", "scalar_forget", "diagonal_forget",
                  "delta_forget", "inject", "refine", "short_conv", "scan",
                  "bogus_op"]
SCHEDULE_KINDS = ["sequential", "chunked_fused", "chunked_two_pass", "tree",
                  "bogus", ""]
SCHEDULE_PARAMS = ["chunk", "v_tile", "k_split", "warps", "stages"]
FAMILIES = ["identity", "scalar", "diagonal", "delta", "bogus"]
FLOAT_POOL = ["0.0", "1.0", "2.0", "3.0", "-1.0", "-2.0", "1.5", "0.5",
              "1.0e308", "-1.0e308", "1.0e-320", "0x7FF8000000000000",
              "0x7FF0000000000000", "0xFFF0000000000000", "2"]

SHAPE_RE = re.compile(r"(tensor|vector|memref)<([^<>]*?)>")
NAME_RE = re.compile(r"%[A-Za-z_][\w$.]*(?:#\d+)?|%\d+(?:#\d+)?")
DTYPE_RE = re.compile(r"\b(bf16|f16|f32)\b")
NUMBER_RE = re.compile(r"(?<![\w.#])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])")


def lines_of(text):
    return text.splitlines(keepends=True)


def pick_match(regex, text, rng):
    matches = list(regex.finditer(text))
    return rng.choice(matches) if matches else None


def replace_span(text, start, end, new):
    return text[:start] + new + text[end:]


def m_truncate_bytes(text, rng):
    if not text:
        return None
    cut = rng.randrange(0, len(text))
    return text[:cut], f"truncate at byte {cut}"


def m_truncate_lines(text, rng):
    lines = lines_of(text)
    cut = rng.randrange(0, len(lines))
    return "".join(lines[:cut]), f"truncate after line {cut}"


def m_shuffle_lines(text, rng):
    lines = lines_of(text)
    if len(lines) < 2:
        return None
    if rng.random() < 0.3:
        rng.shuffle(lines)
        return "".join(lines), "shuffle all lines"
    start = rng.randrange(0, len(lines) - 1)
    end = min(len(lines), start + rng.randint(2, 5))
    window = lines[start:end]
    rng.shuffle(window)
    lines[start:end] = window
    return "".join(lines), f"shuffle lines {start + 1}-{end}"


def m_swap_lines(text, rng):
    lines = lines_of(text)
    if len(lines) < 2:
        return None
    i, j = rng.sample(range(len(lines)), 2)
    lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines), f"swap lines {i + 1} and {j + 1}"


def m_delete_lines(text, rng):
    lines = lines_of(text)
    if not lines:
        return None
    start = rng.randrange(0, len(lines))
    count = rng.choice([1, 1, 1, 2, 3])
    del lines[start:start + count]
    return "".join(lines), f"delete {count} line(s) at {start + 1}"


def m_duplicate_lines(text, rng):
    lines = lines_of(text)
    if not lines:
        return None
    start = rng.randrange(0, len(lines))
    count = rng.choice([1, 1, 2, 4])
    chunk = lines[start:start + count]
    at = rng.choice([start, rng.randrange(0, len(lines) + 1)])
    lines[at:at] = chunk
    return "".join(lines), f"duplicate {len(chunk)} line(s) at {start + 1} to {at + 1}"


def m_duplicate_function(text, rng):
    m = re.search(r"func\.func @(\w+)", text)
    if not m:
        return None
    start = text.rfind("\n", 0, m.start()) + 1
    body = text[start:]
    if rng.random() < 0.5:
        return text + "\n" + body, "duplicate the function (same name)"
    renamed = body.replace("@" + m.group(1), "@" + m.group(1) + "_copy", 1)
    return text + "\n" + renamed, "duplicate the function (new name)"


def m_swap_operands(text, rng):
    names = sorted(set(n.group(0) for n in NAME_RE.finditer(text)))
    if len(names) < 2:
        return None
    a, b = rng.sample(names, 2)
    mode = rng.random()
    if mode < 0.4:
        # Replace one occurrence of a with b.
        occ = [m for m in NAME_RE.finditer(text) if m.group(0) == a]
        m = rng.choice(occ)
        return replace_span(text, m.start(), m.end(), b), f"one {a} -> {b}"
    if mode < 0.8:
        # Exchange every occurrence of a and b.
        def swap(m):
            return b if m.group(0) == a else a if m.group(0) == b else m.group(0)
        return NAME_RE.sub(swap, text), f"exchange {a} <-> {b}"
    # An undefined or malformed name.
    occ = list(NAME_RE.finditer(text))
    m = rng.choice(occ)
    new = rng.choice(["%undefined", "%", "%0", "%a#5", "%d#3", "%d#-1",
                      "%" + "x" * 300, "@" + m.group(0)[1:], m.group(0)[1:]])
    return replace_span(text, m.start(), m.end(), new), f"{m.group(0)} -> {new}"


def _mutate_dims(dims, rng, pool):
    parts = dims.split("x")
    # The element type is the last part; dimensions are the rest.
    if len(parts) < 2:
        return None
    i = rng.randrange(0, len(parts) - 1)
    old = parts[i]
    choice = rng.random()
    if choice < 0.15 and old != "?":
        parts[i] = "?"
    elif choice < 0.25:
        del parts[i]  # rank - 1
    elif choice < 0.32:
        parts.insert(i, str(rng.choice(pool)))  # rank + 1
    else:
        parts[i] = str(rng.choice(pool))
    return "x".join(parts), old, parts


def m_shape_one(text, rng):
    """Change one dimension of one tensor type."""
    m = pick_match(SHAPE_RE, text, rng)
    if not m:
        return None
    pool = NUMBER_POOL if rng.random() < 0.2 else SAFE_SHAPE_POOL
    r = _mutate_dims(m.group(2), rng, pool)
    if not r:
        return None
    new = f"{m.group(1)}<{r[0]}>"
    return replace_span(text, m.start(), m.end(), new), f"{m.group(0)} -> {new}"


def m_shape_global(text, rng):
    """Change one dimension value everywhere (keeps types consistent)."""
    values = sorted(set(d for m in SHAPE_RE.finditer(text)
                        for d in m.group(2).split("x")[:-1]))
    if not values:
        return None
    old = rng.choice(values)
    r = rng.random()
    if r < 0.08:
        new = str(rng.choice(HUGE_SHAPE_POOL))
    else:
        new = str(rng.choice([v for v in SAFE_SHAPE_POOL + ["?"] if str(v) != old]))

    def sub(m):
        parts = m.group(2).split("x")
        parts[:-1] = [new if d == old else d for d in parts[:-1]]
        return f"{m.group(1)}<{'x'.join(parts)}>"
    return SHAPE_RE.sub(sub, text), f"every dim {old} -> {new}"


def m_type_global(text, rng):
    """Change every occurrence of one exact tensor type: its dtype or one
    dimension. Values that share a type (q and k, v and the output) change
    together, so the result often still verifies: mixed dtypes and sizes."""
    types = sorted(set(m.group(0) for m in SHAPE_RE.finditer(text)))
    if not types:
        return None
    old = rng.choice(types)
    kind, body = old.split("<", 1)
    parts = body[:-1].split("x")
    if rng.random() < 0.5:
        parts[-1] = rng.choice([d for d in ["f32", "f16", "bf16", "f32", "f16", "bf16", "i32", "f64"]
                                if d != parts[-1]])
    else:
        i = rng.randrange(0, max(1, len(parts) - 1))
        parts[i] = str(rng.choice([v for v in SAFE_SHAPE_POOL + ["?"] if str(v) != parts[i]]))
    new = f"{kind}<{'x'.join(parts)}>"
    return text.replace(old, new), f"every {old} -> {new}"


def m_number(text, rng):
    """Change any integer or float literal (shapes, ranks, attributes)."""
    m = pick_match(NUMBER_RE, text, rng)
    if not m:
        return None
    new = str(rng.choice(NUMBER_POOL + FLOAT_POOL))
    return replace_span(text, m.start(), m.end(), new), f"number {m.group(0)} -> {new}"


def m_dtype(text, rng):
    m = pick_match(DTYPE_RE, text, rng)
    if not m:
        return None
    new = rng.choice([d for d in DTYPES if d != m.group(0)])
    if rng.random() < 0.35:
        # Every occurrence of that dtype.
        old = m.group(0)
        return re.sub(rf"\b{old}\b", new, text), f"every {old} -> {new}"
    return replace_span(text, m.start(), m.end(), new), f"one {m.group(0)} -> {new}"


def m_op_name(text, rng):
    ops = list(re.finditer(r"\brecurrence\.(\w+)|\bfunc\.func\b|\breturn\b", text))
    ops = [m for m in ops if not m.group(0).startswith("recurrence.schedule")]
    if not ops:
        return None
    m = rng.choice(ops)
    if m.group(0).startswith("recurrence."):
        new = "recurrence." + rng.choice([o for o in RECURRENCE_OPS if o != m.group(1)])
        if rng.random() < 0.15:
            new = rng.choice(["recurrenc." + m.group(1), "arith." + m.group(1),
                              '"recurrence.' + m.group(1) + '"'])
    elif m.group(0) == "return":
        new = rng.choice(["func.return", "retur", "recurrence.return", "return return"])
    else:
        new = rng.choice(["func.fun", "func.func private", "builtin.module", "llvm.func"])
    return replace_span(text, m.start(), m.end(), new), f"{m.group(0)} -> {new}"


def m_keyword(text, rng):
    """Change a keyword operand of the custom syntax."""
    kw = {
        "gelu": ["identity", "silu", "none", "relu", "GELU"],
        "silu": ["none", "gelu", "identity", "swish"],
        "keys": ["values", "gates", "key", "gains"],
        "values": ["keys", "gates", "value"],
        "gates": ["keys", "values", "gate", "gains"],
        "gate": ["gates", "initial", "bias"],
        "gains": ["gates", "keys"],
        "bias": ["cache", "gate", "initial"],
        "initial": ["gate", "initial_state", "bias"],
        "normalize": ["normalise", "normalize = true", "normalize = 0 : i1", "beta_max"],
        "vk": ["kv", "kk", "xy", "VK", ""],
        "kv": ["vk", "kk"],
    }
    matches = [m for m in re.finditer(r"\b(" + "|".join(kw) + r")\b", text)]
    matches = [m for m in matches if text[max(0, m.start() - 2):m.start()] != "//"]
    if not matches:
        return None
    m = rng.choice(matches)
    new = rng.choice(kw[m.group(1)])
    return replace_span(text, m.start(), m.end(), new), f"keyword {m.group(0)} -> {new}"


def m_type_param(text, rng):
    """Injection rank and forget family in the dialect types."""
    ms = list(re.finditer(r"!recurrence\.(injection|forget)<([^>]*)>", text))
    if not ms:
        return None
    m = rng.choice(ms)
    if m.group(1) == "injection":
        val = str(rng.choice([0, 1, 2, 3, 4, -1, 2 ** 31, 2 ** 63 - 1, "x", ""]))
    else:
        val = rng.choice([f for f in FAMILIES if f != m.group(2)])
    new = f"!recurrence.{m.group(1)}<{val}>"
    return replace_span(text, m.start(), m.end(), new), f"{m.group(0)} -> {new}"


def random_schedule(rng):
    kind = rng.choice(SCHEDULE_KINDS)
    params = []
    for p in rng.sample(SCHEDULE_PARAMS + ["bogus"], rng.randint(0, 3)):
        v = rng.choice(NUMBER_POOL + [16, 32, 64, 64, 4, 2, 1])
        params.append(f"{p} = {v}")
    if rng.random() < 0.05 and params:
        params.append(params[0])  # a parameter given twice
    body = ", ".join([kind] + params) if kind or params else ""
    if rng.random() < 0.05:
        body = body.replace(",", "", 1)
    return f"#recurrence.schedule<{body}>"


def random_attr(rng):
    which = rng.random()
    if which < 0.45:
        if rng.random() < 0.1:
            return "schedule = " + rng.choice(["3 : i64", '"sequential"', "unit",
                                                "#recurrence<state_layout vk>"])
        return "schedule = " + random_schedule(rng)
    if which < 0.6:
        return "state_layout = " + rng.choice([
            "#recurrence<state_layout vk>", "#recurrence<state_layout kv>",
            "#recurrence<state_layout xy>", '"vk"', "1 : i32", "#recurrence.schedule<tree>"])
    if which < 0.8:
        return "scale = " + rng.choice(FLOAT_POOL[:-1]) + rng.choice([" : f64", " : f64", " : f32", ""])
    if which < 0.95:
        return "beta_max = " + rng.choice(FLOAT_POOL[:-1]) + rng.choice([" : f64", " : f64", " : f16", ""])
    # The attributes of lowered programs, misplaced on a specification's op.
    return rng.choice(["normalize", "bogus_attr = 1", "recurrence.program = \"{}\"",
                       "recurrence.buffer = #recurrence.buffer<\"q\", input, read>"])


def _top_level_colon(text, start):
    """Index of the first ':' after start outside (), {}, <>, or -1."""
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c in "({<[":
            depth += 1
        elif c in ")}>]":
            depth -= 1
        elif c == ":" and depth == 0:
            return i
        elif c == "=" and depth == 0:
            return -1  # reached the next op
    return -1


def m_attribute(text, rng):
    """Set, change or add attributes of the scan and delta_forget."""
    ops = list(re.finditer(r"recurrence\.(scan|delta_forget|inject|refine|short_conv|"
                           r"scalar_forget|diagonal_forget|identity_forget)\b", text))
    if not ops:
        return None
    # Prefer the scan and the delta forget, which carry the attributes.
    weighted = [m for m in ops if m.group(1) in ("scan", "delta_forget")] * 3 + ops
    op = rng.choice(weighted)
    colon = _top_level_colon(text, op.end())
    end = colon if colon >= 0 else text.find("\n", op.end())
    if end < 0:
        end = len(text)
    region = text[op.end():end]
    attr = random_attr(rng)
    dm = re.search(r"\{(.*)\}", region, re.S)
    if dm:
        start, stop = op.end() + dm.start(), op.end() + dm.end()
        entries = [e.strip() for e in re.split(r",\s*(?=\w+\s*=|normalize)", dm.group(1)) if e.strip()]
        key = attr.split("=")[0].strip()
        r = rng.random()
        if r < 0.2 and entries:
            entries.pop(rng.randrange(len(entries)))
            desc = "drop an attribute"
        else:
            entries = [e for e in entries if not e.startswith(key)] + [attr]
            desc = f"set {attr}"
        new = "{" + ", ".join(entries) + "}" if entries or rng.random() < 0.5 else ""
        return replace_span(text, start, stop, new), f"{op.group(0)}: {desc}"
    insert_at = end if colon >= 0 else end
    # Keep the attribute dictionary on the op's line(s), before the colon.
    new_text = text[:insert_at].rstrip() + " {" + attr + "}\n      " + text[insert_at:].lstrip()
    if colon < 0:
        new_text = text[:insert_at] + " {" + attr + "}" + text[insert_at:]
    return new_text, f"{op.group(0)}: add {{{attr}}}"


def m_schedule(text, rng):
    """Change the schedule attribute in place (or add one)."""
    m = re.search(r"#recurrence\.schedule<[^>]*>", text)
    if not m:
        return m_attribute_forced(text, rng, "schedule = " + random_schedule(rng))
    new = random_schedule(rng)
    return replace_span(text, m.start(), m.end(), new), f"{m.group(0)} -> {new}"


def m_attribute_forced(text, rng, attr):
    op = re.search(r"recurrence\.scan\b", text)
    if not op:
        return None
    colon = _top_level_colon(text, op.end())
    if colon < 0:
        return None
    new_text = text[:colon].rstrip() + " {" + attr + "}\n      " + text[colon:]
    return new_text, f"scan: add {{{attr}}}"


def m_remove_return(text, rng):
    m = re.search(r"^[ \t]*return\b(.*)$", text, re.M)
    if not m:
        return None
    r = rng.random()
    if r < 0.4:
        return replace_span(text, m.start(), m.end() + 1, ""), "remove return"
    if r < 0.6:
        return replace_span(text, m.start(), m.end(), "  return"), "return without operands"
    body = m.group(1)
    parts = body.split(":")
    if len(parts) == 2 and "," in parts[0]:
        vals = [v.strip() for v in parts[0].split(",")]
        types = [t.strip() for t in re.split(r",\s*(?=tensor|!)", parts[1])]
        k = rng.randrange(len(vals))
        if rng.random() < 0.5:
            del vals[k]
            del types[k]
            return (replace_span(text, m.start(), m.end(),
                                 "  return " + ", ".join(vals) + " : " + ", ".join(types)),
                    "return one value fewer")
        vals.reverse()
        types.reverse()
        return (replace_span(text, m.start(), m.end(),
                             "  return " + ", ".join(vals) + " : " + ", ".join(types)),
                "return values reversed")
    return (replace_span(text, m.start(), m.end(), m.group(0) + ", %q : tensor<?x?x4x64xbf16>"),
            "return an extra value")


def m_bytes(text, rng):
    if not text:
        return None
    chars = "%:,()<>{}x?#=@!0123456789\n \"\\\x00\xff"
    out = text
    n = rng.randint(1, 3)
    for _ in range(n):
        i = rng.randrange(0, len(out))
        r = rng.random()
        if r < 0.33:
            out = out[:i] + out[i + 1:]
        elif r < 0.66:
            out = out[:i] + rng.choice(chars) + out[i:]
        else:
            out = out[:i] + rng.choice(chars) + out[i + 1:]
    return out, f"{n} byte edit(s)"


def m_synth(text, rng):
    """A fresh, mostly valid specification drawn from the dialect's grammar:
    any forget family, rank L, per-buffer dtypes, odd sizes, static or
    dynamic B and T, optional initial and final state, write path, schedule,
    layout and scale. Checks the compiled result against the oracle on
    programs no example covers (the text argument is not used)."""
    dt = lambda: rng.choice(["f32", "f16", "bf16"])
    fam = rng.choice(["identity", "scalar", "diagonal", "delta"])
    L = rng.choice([1, 1, 1, 2, 3])
    dims = [1, 2, 3, 4, 5, 8, 9, 15, 16, 17, 31, 32, 33, 48, 64]
    B = rng.choice(["?", "?", 1, 2, 3])
    T = rng.choice(["?", "?", "?", 1, 2, 15, 16, 17, 64, 77])
    H = rng.choice([1, 2, 3, 4])
    K = rng.choice(dims)
    V = rng.choice(dims)

    def ten(shape, d):
        return "tensor<" + "x".join(str(x) for x in shape) + "x" + d + ">"
    bthk, bthv, bth = [B, T, H, K], [B, T, H, V], [B, T, H]
    args, body = [], []

    def arg(name, ty):
        args.append((f"%{name}", ty))
        return f"%{name}", ty
    q = arg("q", ten(bthk, dt()))
    keys = [arg(f"k{l}", ten(bthk, dt())) for l in range(L)]
    if rng.random() < 0.3:
        # PRISM's write path: values are refinements of (short-conv'd) x.
        vt = ten(bthv, dt())
        v = arg("v", vt)
        anchor = arg("x", ten(bthv, dt()))
        if rng.random() < 0.6:
            W = rng.choice([1, 2, 3, 4, 16])
            w = arg("conv_w", ten([H, V, W], rng.choice(["f32", "f32", "bf16"])))
            extra = ""
            if rng.random() < 0.6:
                bias = arg("conv_b", ten([H, V], "f32"))
                extra += f" bias({bias[0]} : {bias[1]})"
            if rng.random() < 0.3 and W > 1:
                cache = arg("cache", ten([B, W - 1, H, V], dt()))
                extra += f" cache({cache[0]} : {cache[1]})"
            ut = ten(bthv, dt())
            body.append(f"  %u = recurrence.short_conv {rng.choice(['silu', 'none'])} "
                        f"{anchor[0]}, {w[0]}{extra}\n      : {anchor[1]}, {w[1]} -> {ut}")
            anchor = ("%u", ut)
        gains = [arg(f"p{l}", ten(bthv, dt())) for l in range(L)]
        dts = [ten(bthv, dt()) for _ in range(L)]
        res = "%d" if L == 1 else f"%d:{L}"
        body.append(f"  {res} = recurrence.refine {rng.choice(['gelu', 'identity'])} "
                    f"{anchor[0]}, {v[0]}\n      gains({', '.join(g[0] for g in gains)} : "
                    f"{', '.join(g[1] for g in gains)})\n      : {anchor[1]}, {v[1]} -> "
                    f"{', '.join(dts)}")
        values = [("%d" if L == 1 else f"%d#{l}", dts[l]) for l in range(L)]
    else:
        values = [arg(f"v{l}", ten(bthv, dt())) for l in range(L)]
    gates = [arg(f"b{l}", ten(bth, dt())) for l in range(L)] if rng.random() < 0.5 or fam == "delta" else []
    if fam == "identity":
        body.append("  %a = recurrence.identity_forget")
    elif fam == "scalar":
        g = arg("g", ten(bth, dt()))
        body.append(f"  %a = recurrence.scalar_forget {g[0]} : {g[1]}")
    elif fam == "diagonal":
        g = arg("g", ten(bthk, dt()))
        body.append(f"  %a = recurrence.diagonal_forget {g[0]} : {g[1]}")
    else:
        w = keys[0] if rng.random() < 0.7 else arg("w", ten(bthk, dt()))
        beta = gates[0] if rng.random() < 0.7 else arg("beta", ten(bth, dt()))
        text_ = f"  %a = recurrence.delta_forget {w[0]}, {beta[0]}"
        if rng.random() < 0.5:
            g = arg("g", ten(bth, dt()))
            text_ += f" gate({g[0]} : {g[1]})"
        attrs = []
        if rng.random() < 0.4:
            attrs.append("normalize")
        if rng.random() < 0.4:
            attrs.append(f"beta_max = {rng.choice(['1.0', '2.0'])} : f64")
        if attrs:
            text_ += " {" + ", ".join(attrs) + "}"
        body.append(text_ + f"\n      : {w[1]}, {beta[1]}")
    inj = (f"  %b = recurrence.inject\n      keys({', '.join(k[0] for k in keys)} : "
           f"{', '.join(k[1] for k in keys)})\n      values({', '.join(v[0] for v in values)} : "
           f"{', '.join(v[1] for v in values)})")
    if gates:
        inj += (f"\n      gates({', '.join(g[0] for g in gates)} : "
                f"{', '.join(g[1] for g in gates)})")
    body.append(inj + f"\n      -> !recurrence.injection<{L}>")
    vk = rng.random() < 0.3
    st = ten([B, H, V, K] if vk else [B, H, K, V], "f32")
    scan = "recurrence.scan %a, %b, " + q[0]
    if rng.random() < 0.4:
        s0 = arg("s0", st)
        scan += f" initial({s0[0]} : {s0[1]})"
    attrs = []
    if rng.random() < 0.5:
        kind = rng.choice(["sequential"] * 5 + ["chunked_fused", "chunked_two_pass", "tree"])
        params = []
        if kind != "sequential" and rng.random() < 0.6:
            params.append(f"chunk = {rng.choice([16, 32, 64, 128])}")
        if rng.random() < 0.4:
            params.append(f"v_tile = {rng.choice([d for d in [1, 2, 4, 8, 16, 32, 64] if V % d == 0])}")
        if kind == "sequential" and rng.random() < 0.3:
            params.append(f"k_split = {rng.choice([d for d in [1, 2, 4, 8, 16, 32] if K % d == 0])}")
        if rng.random() < 0.2:
            params.append(f"warps = {rng.choice([1, 2, 4, 8])}")
        if kind != "sequential" and rng.random() < 0.3:
            params.append(f"stages = {rng.choice([1, 2, 3, 4])}")
        attrs.append("schedule = #recurrence.schedule<" + ", ".join([kind] + params) + ">")
    if vk:
        attrs.append("state_layout = #recurrence<state_layout vk>")
    elif rng.random() < 0.2:
        attrs.append("state_layout = #recurrence<state_layout kv>")
    if rng.random() < 0.3:
        attrs.append(f"scale = {rng.choice(['0.5', '1.0', '0.125', '2.0', '0.01'])} : f64")
    if attrs:
        scan += " {" + ", ".join(attrs) + "}"
    ot = ten(bthv, dt())
    results = [ot]
    if rng.random() < 0.5:
        results.append(st)
    lhs = "%o, %s" if len(results) == 2 else "%o"
    body.append(f"  {lhs} = {scan}\n      : !recurrence.forget<{fam}>, "
                f"!recurrence.injection<{L}>, {q[1]}\n      -> {', '.join(results)}")
    body.append(f"  return {lhs} : {', '.join(results)}")
    sig = ",\n    ".join(f"{n}: {t}" for n, t in args)
    res_sig = results[0] if len(results) == 1 else "(" + ", ".join(results) + ")"
    spec = (f"// synthesised: {fam}, L = {L}\nfunc.func @synth(\n    {sig})\n    -> {res_sig} {{\n"
            + "\n".join(body) + "\n}\n")
    return spec, f"synthesised {fam} L={L} B={B} T={T} H={H} K={K} V={V}"


def m_structure(text, rng):
    """Programs of an unusual shape: nested modules, extra functions and
    declarations, foreign ops in the body, a second or unused scan, an
    unused forget, a scan whose results are not returned."""
    lines = lines_of(text)
    body = next((i for i, l in enumerate(lines) if l.rstrip().endswith("{")), None)
    choice = rng.randrange(8)
    if choice == 0:
        name = rng.choice(["", " @inner"])
        return "module" + name + " {\n" + text + "}\n", f"wrap in module{name}"
    if choice == 1:
        return (text + "\nfunc.func private @ext(%x: tensor<4xf32>) -> tensor<4xf32>\n",
                "add a declaration")
    if choice == 2:
        return text + "\nfunc.func @empty() {\n  return\n}\n", "add an empty function"
    if body is None:
        return None
    if choice == 3:
        op = rng.choice(["%c0 = arith.constant 0 : index",
                         "%cst = arith.constant 1.0 : f32",
                         "%e = tensor.empty() : tensor<2x3x4x8xf32>",
                         "%u = recurrence.identity_forget",
                         "\"recurrence.bogus\"() : () -> ()",
                         "%x = \"test.op\"() : () -> i32"])
        lines.insert(body + 1, "  " + op + "\n")
        return "".join(lines), f"insert {op}"
    scan = next((i for i, l in enumerate(lines) if "recurrence.scan" in l), None)
    if scan is None:
        return None
    end = scan
    while end + 1 < len(lines) and not lines[end].lstrip().startswith("->"):
        end += 1
    op = lines[scan:end + 1]
    ret = next((i for i, l in enumerate(lines) if re.match(r"\s*return\b", l)), None)
    if choice in (4, 5):
        # A second scan, results renamed; returned or not.
        dup = [re.sub(r"^(\s*)%(\w+)(, %(\w+))?(:\d+)? =",
                      lambda m: m.group(1) + "%" + m.group(2) + "_2" +
                      (", %" + m.group(4) + "_2" if m.group(3) else "") + (m.group(5) or "") + " =",
                      op[0])] + op[1:]
        lines[end + 1:end + 1] = dup
        if choice == 5 and ret is not None:
            r = ret + len(dup)
            lines[r] = re.sub(r"%(o|s)\b", r"%\1_2", lines[r])
            return "".join(lines), "a second scan, its results returned"
        return "".join(lines), "a second, unused scan"
    if choice == 6 and ret is not None:
        # Return the inputs instead of the scan's results.
        args = re.findall(r"(%\w+): (tensor<[^>]*>)", text)
        m = re.match(r"(\s*return\s+)(.*?)\s*:\s*(.*)$", lines[ret])
        if not args or not m:
            return None
        n = len(m.group(2).split(","))
        picks = [rng.choice(args) for _ in range(n)]
        lines[ret] = (m.group(1) + ", ".join(a for a, _ in picks) + " : " +
                      ", ".join(t for _, t in picks) + "\n")
        return "".join(lines), "return inputs, not the scan's results"
    # The scan's operand order rotated.
    m = re.search(r"recurrence\.scan (%\w+), (%\w+), (%\w+)", lines[scan])
    if not m:
        return None
    a, b, q = m.groups()
    order = rng.choice([(b, a, q), (q, b, a), (a, q, b), (a, a, q), (a, b, b)])
    lines[scan] = lines[scan][:m.start()] + "recurrence.scan " + ", ".join(order) + lines[scan][m.end():]
    return "".join(lines), f"scan operands {', '.join(order)}"


def m_deep_nesting(text, rng):
    """Nesting far beyond any specification (the parser recurses per level):
    the spec inside thousands of modules, or a deeply nested attribute,
    type or parenthesis. Must be refused with a located diagnostic."""
    depth = rng.choice([257, 300, 1000, 5000, 20000])
    choice = rng.randrange(4)
    if choice == 0:
        return "module {\n" * depth + text + "}\n" * depth, f"{depth} nested modules"
    opener, closer = [("[", "]"), ("(", ")"), ("{a = ", "}")][choice - 1]
    attr = opener * depth + "1" + closer * depth
    return (text + f"\nmodule attributes {{prism.deep = {attr}}} {{}}\n",
            f"attribute nested {depth} deep in {opener.strip()}")


def m_strip_comments_truncate(text, rng):
    """Truncate inside the code (not the header comment)."""
    first = re.search(r"^func\.func", text, re.M)
    if not first:
        return None
    cut = rng.randrange(first.start(), len(text))
    return text[:cut], f"truncate at byte {cut} (inside the code)"


MUTATORS = [
    ("truncate", m_truncate_bytes),
    ("truncate-code", m_strip_comments_truncate),
    ("truncate-lines", m_truncate_lines),
    ("shuffle", m_shuffle_lines),
    ("swap-lines", m_swap_lines),
    ("delete", m_delete_lines),
    ("duplicate", m_duplicate_lines),
    ("duplicate-func", m_duplicate_function),
    ("operands", m_swap_operands),
    ("shape", m_shape_one),
    ("shape-global", m_shape_global),
    ("type-global", m_type_global),
    ("number", m_number),
    ("dtype", m_dtype),
    ("op-name", m_op_name),
    ("keyword", m_keyword),
    ("type-param", m_type_param),
    ("attribute", m_attribute),
    ("schedule", m_schedule),
    ("return", m_remove_return),
    ("bytes", m_bytes),
    ("structure", m_structure),
    ("deep-nesting", m_deep_nesting),
    ("synth", m_synth),
    ("synth", m_synth),
]


def estimated_work(text):
    """Rough multiply-adds of prism-run on text (dynamic dims at their
    defaults), or None when some dimension is absurdly large: those variants
    must be diagnosed before any work, so they are kept."""
    biggest, widest = 1, 1
    for m in SHAPE_RE.finditer(text):
        dims = m.group(2).split("x")[:-1]
        n = 1
        for d in dims:
            if d == "?":
                n *= 77
            elif re.fullmatch(r"\d+", d):
                if int(d) >= 2 ** 31:
                    return None
                n *= int(d)
        biggest = max(biggest, n)
        if dims and re.fullmatch(r"\d+", dims[-1]):
            widest = max(widest, int(dims[-1]))
    return biggest * widest


# Larger correct programs take seconds each on a CPU; not worth the budget.
MAX_WORK = 1e8


def make_variants(name, text, count, seed, kinds=None):
    """count distinct variants of text, deterministic in (seed, name)."""
    mutators = [m for m in MUTATORS if not kinds or m[0] in kinds]
    variants = []
    seen = {text}
    for i in range(count):
        for attempt in range(20):
            rng = random.Random(f"{seed}:{name}:{i}:{attempt}")
            kind, fn = mutators[(i + attempt) % len(mutators)]
            out = fn(text, rng)
            if out is None:
                continue
            new, desc = out
            descs = [f"{kind}: {desc}"]
            # Sometimes stack a second or third mutation.
            while rng.random() < 0.2 and len(descs) < 3:
                kind2, fn2 = rng.choice([m for m in MUTATORS if m[0] != "synth"])
                out2 = fn2(new, rng)
                if out2 is not None:
                    new = out2[0]
                    descs.append(f"{kind2}: {out2[1]}")
            if new in seen:
                continue
            work = estimated_work(new)
            if work is not None and work > MAX_WORK:
                continue
            seen.add(new)
            variants.append((i, new, "; ".join(descs)))
            break
    return variants


# ---------------------------------------------------------------------------
# Running.
# ---------------------------------------------------------------------------

def limit_child(mem_mb):
    def apply():
        if resource is None:
            return
        try:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            if mem_mb:
                b = mem_mb * 1024 * 1024
                resource.setrlimit(resource.RLIMIT_AS, (b, b))
        except (ValueError, OSError):
            pass
    return apply


def run_cmd(cmd, timeout, mem_mb, stdin=None):
    env = dict(os.environ)
    env["LLVM_DISABLE_SYMBOLIZATION"] = "1"
    # A binary being relinked is briefly missing or not executable: retry.
    for attempt in range(60):
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                start_new_session=True, preexec_fn=limit_child(mem_mb), env=env)
            break
        except OSError:
            if attempt == 59:
                raise
            time.sleep(2)
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = proc.communicate()
        timed_out = True
    return {
        "rc": proc.returncode,
        "out": out.decode("utf-8", "replace"),
        "err": err.decode("utf-8", "replace"),
        "timed_out": timed_out,
        "seconds": time.monotonic() - start,
    }


def first_line(text, marker=None):
    for line in text.splitlines():
        if line.strip() and (marker is None or marker in line):
            return line.strip()[:200]
    return ""


def judge(res, path, need_location):
    """The reason a command's run fails, or None when it passes."""
    rc, err = res["rc"], res["err"]
    if res["timed_out"]:
        return "timeout"
    if rc < 0:
        return f"signal {-rc} ({first_line(err)})"
    if rc >= 128:
        return f"exit {rc} (signal?) ({first_line(err)})"
    for marker in CRASH_MARKERS:
        if marker in err:
            return f"crash: {first_line(err, marker)}"
    if rc == 0:
        if re.search(r"(^|\s)error:", err):
            return f"exit 0 but reported {first_line(err, 'error')}"
        return None
    if "error" not in err.lower():
        return f"exit {rc} without an error diagnostic ({first_line(err) or 'empty stderr'})"
    # prism-opt prints `FILE:L:C: error:`; a driver without a source manager
    # handler prints the location attribute, `loc("FILE":L:C): error:`.
    if need_location and not re.search(re.escape(path) + r'"?:\d+:\d+', err):
        return f"error without a {os.path.basename(path)}:line:col location ({first_line(err, 'error')})"
    return None


def check_variant(job):
    """Runs one variant through every command; returns a result dict."""
    (example, index, text, desc, opts) = job
    work = tempfile.mkdtemp(prefix="prism-malformed-")
    try:
        base = f"{os.path.splitext(example)[0]}-{index}.mlir"
        path = os.path.join(work, base)
        with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
            f.write(text)
        gpu_dir = os.path.join(work, "gpu")
        os.mkdir(gpu_dir)
        po, pr = opts["prism_opt"], opts["prism_run"]
        cmds = [
            ("opt", [po, path]),
            ("cpu", [po, path, "--prism-cpu-pipeline"]),
            ("gpu", [po, path, f"--prism-gpu-pipeline=output-dir={gpu_dir}"]),
            ("run", [pr, path]),
        ]
        failures = []
        results = {}
        for label, cmd in cmds:
            res = run_cmd(cmd, opts["timeout"], opts["mem_mb"])
            results[label] = res
            if label == "opt" and res["rc"] == 0 and not res["timed_out"]:
                # The printed module must parse again.
                rt = run_cmd([po, "-"], opts["timeout"], opts["mem_mb"],
                             stdin=res["out"].encode())
                results["roundtrip"] = rt
                why = judge(rt, "<stdin>", False)
                if why is None and rt["rc"] != 0:
                    why = f"printed module does not parse again ({first_line(rt['err'], 'error')})"
                if why:
                    failures.append(("roundtrip", f"{po} {path} | {po} -", why))
        parse_failed = results["opt"]["rc"] != 0 and not results["opt"]["timed_out"]
        for label, cmd in cmds:
            res = results[label]
            why = judge(res, path, need_location=parse_failed)
            if why is None and parse_failed and res["rc"] == 0:
                why = "accepted a file that prism-opt rejects"
            if label == "run" and (why is None or why.startswith("exit 1 without")):
                # Output that differs from the float64 oracle. (Outputs
                # with no elements are not checked, so no line is fine.)
                fails = [l for l in res["out"].splitlines() if l.startswith("FAIL")]
                if fails:
                    why = f"wrong result: {fails[0][:200]}"
            if why is None and label == "gpu" and res["rc"] == 0:
                for fname in sorted(os.listdir(gpu_dir)):
                    if fname.endswith(".json"):
                        try:
                            with open(os.path.join(gpu_dir, fname)) as f:
                                manifest = json.load(f)
                            module = manifest.get("module")
                            if module and not os.path.exists(os.path.join(gpu_dir, module)):
                                why = f"manifest {fname} names a missing module {module}"
                        except (ValueError, OSError) as e:
                            why = f"unreadable manifest {fname}: {e}"
                for fname in sorted(os.listdir(gpu_dir)):
                    if why is None and opts["ptxas"] and fname.endswith(".ptx"):
                        pa = run_cmd([opts["ptxas"], "-arch=sm_90a", os.path.join(gpu_dir, fname),
                                      "-o", os.devnull], opts["timeout"], 0)
                        results["ptxas"] = pa
                        if pa["rc"] != 0 or pa["timed_out"]:
                            why = f"ptxas rejects {fname}: {first_line(pa['err'])}"
            if why:
                failures.append((label, " ".join(cmd), why))
        kept = None
        if failures and opts["keep"]:
            kept = os.path.join(opts["keep"], base)
            shutil.copyfile(path, kept)
            with open(kept + ".log", "w") as log:
                log.write(f"// {desc}\n")
                for label, res in results.items():
                    log.write(f"==== {label}: rc={res['rc']} timed_out={res['timed_out']} "
                              f"{res['seconds']:.2f}s\n--- stdout\n{res['out'][-4000:]}\n"
                              f"--- stderr\n{res['err'][-8000:]}\n")
        return {"example": example, "index": index, "desc": desc, "path": path,
                "kept": kept, "failures": failures,
                "verified": results["opt"]["rc"] == 0,
                "ran": results["run"]["rc"] == 0 and "PASS" in results["run"]["out"],
                "seconds": sum(r["seconds"] for r in results.values())}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def resolve_tool(name):
    if os.path.sep in name:
        return os.path.abspath(name)
    found = shutil.which(name)
    if not found:
        sys.exit(f"error: cannot find {name} on PATH")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prism-opt", default="prism-opt")
    parser.add_argument("--prism-run", default="prism-run")
    parser.add_argument("--examples", required=True, help="directory of valid *.mlir specs")
    parser.add_argument("--variants", type=int, default=60,
                        help="variants per example file (default 60)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per command")
    parser.add_argument("--mem-mb", type=int, default=12288,
                        help="address-space limit of each command in MiB (0: none)")
    parser.add_argument("--ptxas", help="also assemble the GPU pipeline's PTX with this ptxas")
    parser.add_argument("--keep", help="copy failing variants (and a .log) here")
    parser.add_argument("--only", help="only examples whose file name contains this")
    parser.add_argument("--kinds", help="comma-separated mutation kinds to use (default: all)")
    parser.add_argument("--list", action="store_true", help="print the variants' descriptions only")
    args = parser.parse_args()

    opts = {
        "prism_opt": args.prism_opt if args.list else resolve_tool(args.prism_opt),
        "prism_run": args.prism_run if args.list else resolve_tool(args.prism_run),
        "timeout": args.timeout,
        "mem_mb": args.mem_mb,
        "keep": os.path.abspath(args.keep) if args.keep else None,
        "ptxas": resolve_tool(args.ptxas) if args.ptxas and not args.list else None,
    }
    if opts["keep"]:
        os.makedirs(opts["keep"], exist_ok=True)

    examples = sorted(f for f in os.listdir(args.examples) if f.endswith(".mlir"))
    if args.only:
        examples = [e for e in examples if args.only in e]
    if not examples:
        sys.exit(f"error: no *.mlir files in {args.examples}")
    jobs = []
    for example in examples:
        with open(os.path.join(args.examples, example), encoding="utf-8") as f:
            text = f.read()
        for index, variant, desc in make_variants(example, text, args.variants, args.seed,
                                                   args.kinds.split(",") if args.kinds else None):
            jobs.append((example, index, variant, desc, opts))
    if args.list:
        for example, index, _, desc, _ in jobs:
            print(f"{example}#{index}: {desc}")
        return 0

    start = time.monotonic()
    passed = failed = verified = ran = 0
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for r in pool.map(check_variant, jobs, chunksize=1):
            verified += r["verified"]
            ran += r["ran"]
            if not r["failures"]:
                passed += 1
                continue
            failed += 1
            label, cmd, why = r["failures"][0]
            where = r["kept"] or r["path"]
            cmd = cmd.replace(r["path"], where)
            more = f" (+{len(r['failures']) - 1} more)" if len(r["failures"]) > 1 else ""
            print(f"FAIL {r['example']}#{r['index']} [{r['desc']}]: {why}{more}: {cmd}"
                  + ("" if r["kept"] else " (variant not kept; use --keep DIR)"), flush=True)
    elapsed = time.monotonic() - start
    print(f"# {len(examples)} examples, {passed + failed} variants, seed {args.seed}, "
          f"{args.jobs} jobs, {elapsed:.1f}s; {verified} parsed and verified, "
          f"{ran} ran and matched the oracle", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
