#!/usr/bin/env python3
"""Malformed-input fuzzer for prism-opt and prism-run.

For every specification in --examples, builds deterministic (seeded)
corrupted variants -- truncations, shuffled / deleted / duplicated lines,
swapped operand names, changed shapes, dtypes, op names and attribute values,
removed returns, stray bytes -- and runs each through

    prism-opt VARIANT
    prism-opt VARIANT --prism-cpu-pipeline
    prism-opt VARIANT --prism-gpu-pipeline=output-dir=TMP
    prism-run VARIANT

(plus, when the first succeeds, a round trip of its output through
`prism-opt -`). A command passes when it exits 0, or exits non-zero with a
diagnostic containing "error" on stderr; when the variant does not parse and
verify, the diagnostic must carry a `file:line:col` location. A command fails
on a signal, an LLVM crash banner ("LLVM ERROR", "Assertion", "PLEASE submit a
bug report", "Stack dump", ...), a timeout, a non-zero exit without "error",
or a silently wrong result: prism-run printing FAIL (output differs from the
float64 oracle), exiting 0 without PASS, a command accepting a file that
prism-opt rejects, an "error:" on a zero exit, or unreadable GPU manifests.

Prints one line per failing variant and finally `N passed, N failed`; exits 1
on any failure.
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
HUGE_SHAPE_POOL = [2 ** 20, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 62, 2 ** 63 - 1]
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
    return rng.choice(["normalize", "bogus_attr = 1", "prism.manifest = \"{}\""])


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
    ("number", m_number),
    ("dtype", m_dtype),
    ("op-name", m_op_name),
    ("keyword", m_keyword),
    ("type-param", m_type_param),
    ("attribute", m_attribute),
    ("schedule", m_schedule),
    ("return", m_remove_return),
    ("bytes", m_bytes),
]


def make_variants(name, text, count, seed):
    """count distinct variants of text, deterministic in (seed, name)."""
    variants = []
    seen = {text}
    for i in range(count):
        for attempt in range(20):
            rng = random.Random(f"{seed}:{name}:{i}:{attempt}")
            kind, fn = MUTATORS[(i + attempt) % len(MUTATORS)]
            out = fn(text, rng)
            if out is None:
                continue
            new, desc = out
            descs = [f"{kind}: {desc}"]
            # Sometimes stack a second or third mutation.
            while rng.random() < 0.2 and len(descs) < 3:
                kind2, fn2 = rng.choice(MUTATORS)
                out2 = fn2(new, rng)
                if out2 is not None:
                    new = out2[0]
                    descs.append(f"{kind2}: {out2[1]}")
            if new in seen:
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
            if why is None and label == "run":
                fails = [l for l in res["out"].splitlines() if l.startswith("FAIL")]
                if fails:
                    why = f"wrong result: {fails[0][:200]}"
                elif res["rc"] == 0 and "PASS" not in res["out"]:
                    why = "exit 0 without any PASS line"
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
    parser.add_argument("--variants", type=int, default=40,
                        help="variants per example file (default 40)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per command")
    parser.add_argument("--mem-mb", type=int, default=8192,
                        help="address-space limit of each command in MiB (0: none)")
    parser.add_argument("--keep", help="copy failing variants (and a .log) here")
    parser.add_argument("--only", help="only examples whose file name contains this")
    parser.add_argument("--list", action="store_true", help="print the variants' descriptions only")
    args = parser.parse_args()

    opts = {
        "prism_opt": resolve_tool(args.prism_opt),
        "prism_run": resolve_tool(args.prism_run),
        "timeout": args.timeout,
        "mem_mb": args.mem_mb,
        "keep": os.path.abspath(args.keep) if args.keep else None,
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
        for index, variant, desc in make_variants(example, text, args.variants, args.seed):
            jobs.append((example, index, variant, desc, opts))
    if args.list:
        for example, index, _, desc, _ in jobs:
            print(f"{example}#{index}: {desc}")
        return 0

    start = time.monotonic()
    passed = failed = 0
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for r in pool.map(check_variant, jobs, chunksize=1):
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
          f"{args.jobs} jobs, {elapsed:.1f}s", file=sys.stderr)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
