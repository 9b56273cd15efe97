//===- main.cpp - prism-bench: time compiled programs on the GPU ----------===//
//
// Reports what shared/targets.md asks of every benchmark: shape, dtypes,
// schedule, median and minimum time, tokens/s, achieved bandwidth over the
// fewest-bytes count and its fraction of the H200's 4.25 TB/s copy ceiling.
//
// Method:
// - Inputs are drawn by the harness (prism::ref::makeCase): random, never
//   zeros, with the distributions each role needs.
// - Each iteration is timed on the GPU with its own pair of events on one
//   stream; iterations are enqueued back to back and read after one sync.
// - When one set of caller buffers totals less than 120 MB (twice a 60 MB
//   L2), the program rotates over k copies of them (k = ceil(120 MB / size),
//   2 <= k <= 16): each launch then finds its data evicted by the launches
//   since its last use, as it would be in a model, instead of timing L2.
// - Fewest bytes = the sizes of all caller buffers (inputs read once,
//   outputs written once, read-write buffers once); workspaces not counted.
// - Tokens = B*T (heads are per token); T alone when there is no B.
//
// Default bindings, without --bind: S1 (B=8, T=4096) and S2 (B=2, T=16384)
// of targets.md; the head and key sizes are fixed by the manifest.
//
//===----------------------------------------------------------------------===//

#include "prism/Reference/Harness.h"
#include "prism/Runtime/Manifest.h"
#include "prism/Runtime/Runtime.hpp"
#include "prism/Support/Version.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <set>
#include <string>
#include <vector>

using namespace prism;
using runtime::Bindings;
using runtime::Manifest;

namespace {

constexpr double kCopyCeilingGBs = 4250.0; // H200 device-to-device copy.
constexpr int64_t kL2Bytes = 60LL << 20;
constexpr int kMaxSets = 16;

const char *kUsage =
    "usage: prism-bench [--warmup N] [--iters N] [--bind B=8,T=4096]... "
    "[--seed N]\n"
    "                   [--label TEXT] [--markdown] [--check] "
    "MANIFEST.json...\n"
    "\n"
    "Times each program on GPU 0 for every binding set (default: B=8,T=4096\n"
    "and B=2,T=16384). --warmup (default 10) launches before timing, --iters\n"
    "(default 50) timed launches. --check compares one run with the float64\n"
    "oracle first (slow at large shapes). --markdown prints a markdown "
    "table,\n"
    "a row as each case ends.\n";

struct Options {
  int warmup = 10;
  int iters = 50;
  uint64_t seed = 1;
  std::vector<Bindings> bindSets;
  std::string label;
  bool markdown = false;
  bool check = false;
  std::vector<std::string> manifests;
};

bool parseCount(const char *text, int &out) {
  char *end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (!*text || *end || value < 0 || value > 1000000)
    return false;
  out = static_cast<int>(value);
  return true;
}

bool parseOptions(int argc, char **argv, Options &options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "error: %s needs a value\n", arg.c_str());
        return nullptr;
      }
      return argv[++i];
    };
    const char *text = nullptr;
    if (arg == "--version") {
      std::printf("%s\n", prism::versionLine("prism-bench").c_str());
      std::exit(0);
    }
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--markdown") {
      options.markdown = true;
    } else if (arg == "--check") {
      options.check = true;
    } else if (arg == "--warmup" || arg == "--iters") {
      int &out = arg == "--warmup" ? options.warmup : options.iters;
      if (!(text = value()))
        return false;
      if (!parseCount(text, out) || (arg == "--iters" && out == 0)) {
        std::fprintf(stderr, "error: bad %s '%s'\n", arg.c_str(), text);
        return false;
      }
    } else if (arg == "--seed") {
      if (!(text = value()))
        return false;
      char *end = nullptr;
      options.seed = std::strtoull(text, &end, 10);
      if (!*text || *end) {
        std::fprintf(stderr, "error: bad seed '%s'\n", text);
        return false;
      }
    } else if (arg == "--label") {
      if (!(text = value()))
        return false;
      options.label = text;
    } else if (arg == "--bind") {
      if (!(text = value()) || !ref::addBindingSet(text, options.bindSets))
        return false;
    } else if (!ref::addManifestArgument(arg, options.manifests, kUsage)) {
      return false;
    }
  }
  if (options.manifests.empty()) {
    std::fputs(kUsage, stderr);
    return false;
  }
  if (options.bindSets.empty())
    options.bindSets = {{{"B", 8}, {"T", 4096}}, {{"B", 2}, {"T", 16384}}};
  return true;
}

/// One row of the report.
struct Row {
  std::string function, shape, dtypes, schedule, check = "-";
  double medianMs = 0, minMs = 0, tokens = 0;
  int64_t bytes = 0;
  int sets = 1;
};

/// "bf16,f32->bf16,f32": distinct input dtypes, then output dtypes.
std::string dtypeSummary(const Manifest &manifest) {
  std::set<std::string> in, out;
  for (const runtime::Buffer &buffer : manifest.buffers) {
    if (buffer.role == runtime::Role::Input)
      in.insert(runtime::dtypeName(buffer.dtype));
    else if (buffer.role == runtime::Role::Output)
      out.insert(runtime::dtypeName(buffer.dtype));
  }
  auto join = [](const std::set<std::string> &names) {
    std::string text;
    for (const std::string &name : names)
      text += (text.empty() ? "" : ",") + name;
    return text;
  };
  return join(in) + "->" + join(out);
}

/// The kernels' schedules in launch order ("chunked(64) + scan"); a kernel
/// without one is named instead.
std::string scheduleSummary(const Manifest &manifest) {
  std::string text;
  for (const runtime::Kernel &kernel : manifest.kernels)
    text += (text.empty() ? "" : " + ") +
            (kernel.schedule.empty() ? kernel.name : kernel.schedule);
  return text;
}

double median(std::vector<float> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

/// Runs once on freshly poisoned outputs and compares with the oracle.
std::string checkOnce(rt::Context &ctx, rt::Program &program,
                      const Manifest &manifest, const ref::Case &input,
                      std::vector<rt::DeviceBuffer> &device,
                      const std::vector<std::vector<int64_t>> &shapes) {
  std::vector<int> callers = manifest.callerBuffers();
  rt::Status status = program.launchBuffers(nullptr, device, shapes);
  if (status.ok())
    status = ctx.synchronize();
  ref::Case actual = input;
  for (size_t c = 0; c < callers.size() && status.ok(); ++c)
    if (manifest.buffers[callers[c]].access != runtime::Access::Read)
      status = device[c].download(actual.buffers[callers[c]].bytes.data());
  if (!status.ok())
    return "ERROR (" + status.message + ")";
  std::vector<std::vector<double>> expected;
  std::string error;
  if (!ref::evaluateOracle(manifest, input, expected, error))
    return "ERROR (oracle: " + error + ")";
  std::string result;
  bool pass = true;
  for (const ref::Check &check : ref::compare(manifest, actual, expected)) {
    char text[96];
    std::snprintf(text, sizeof(text), "%s%s %.1e", result.empty() ? "" : " ",
                  check.buffer.c_str(), check.relativeError);
    result += text;
    pass = pass && check.pass;
  }
  return (pass ? "PASS " : "FAIL ") + result;
}

/// Benchmarks one manifest under one binding set; false (with a message on
/// stderr) on any error.
bool benchCase(rt::Context &ctx, rt::Program &program, const Options &options,
               const Bindings &bindings, Row &row) {
  const Manifest &manifest = program.manifest();
  row.function = manifest.function;
  row.shape = runtime::formatBindings(manifest, bindings);
  row.dtypes = dtypeSummary(manifest);
  row.schedule = scheduleSummary(manifest);
  auto fail = [&](const std::string &what) {
    std::fprintf(stderr, "error: %s %s: %s\n", row.function.c_str(),
                 row.shape.c_str(), what.c_str());
    return false;
  };

  ref::Case input;
  std::string error;
  if (!ref::makeCase(manifest, bindings, options.seed, input, error))
    return fail("makeCase: " + error);

  std::vector<int> callers = manifest.callerBuffers();
  std::vector<std::vector<int64_t>> shapes;
  for (int i : callers) {
    shapes.push_back(input.buffers[i].shape);
    row.bytes += static_cast<int64_t>(input.buffers[i].bytes.size());
  }
  auto dim = [&](const char *symbol) -> double {
    auto it = bindings.find(symbol);
    return it == bindings.end() ? 1.0 : static_cast<double>(it->second);
  };
  bool hasT = bindings.count("T");
  row.tokens = hasT ? dim("B") * dim("T") : 0;

  // Set 0 from the host; further sets are device copies of it.
  row.sets = 1;
  if (row.bytes > 0 && row.bytes < 2 * kL2Bytes)
    row.sets = static_cast<int>(std::min<int64_t>(
        kMaxSets,
        std::max<int64_t>(2, (2 * kL2Bytes + row.bytes - 1) / row.bytes)));
  std::vector<std::vector<rt::DeviceBuffer>> sets(row.sets);
  for (int s = 0; s < row.sets; ++s) {
    for (size_t c = 0; c < callers.size(); ++c) {
      const ref::HostBuffer &host = input.buffers[callers[c]];
      sets[s].emplace_back(ctx, host.bytes.size());
      rt::DeviceBuffer &buffer = sets[s].back();
      if (!buffer.ok())
        return fail("allocating '" + manifest.buffers[callers[c]].name +
                    "': " + buffer.error());
      rt::Status status = s == 0 ? buffer.upload(host.bytes.data())
                                 : buffer.copyFrom(sets[0][c]);
      if (!status.ok())
        return fail("copying inputs: " + status.message);
    }
  }

  if (options.check)
    row.check = checkOnce(ctx, program, manifest, input, sets[0], shapes);

  rt::Stream stream(ctx);
  if (!stream.ok())
    return fail(stream.error());
  for (int i = 0; i < options.warmup; ++i) {
    rt::Status status =
        program.launchBuffers(&stream, sets[i % row.sets], shapes);
    if (!status.ok())
      return fail(status.message);
  }
  std::vector<rt::Event> starts, ends;
  for (int i = 0; i < options.iters; ++i) {
    starts.emplace_back(ctx);
    ends.emplace_back(ctx);
    if (!starts.back().ok() || !ends.back().ok())
      return fail(starts.back().ok() ? ends.back().error()
                                     : starts.back().error());
  }
  for (int i = 0; i < options.iters; ++i) {
    rt::Status status = starts[i].record(&stream);
    if (status.ok())
      status = program.launchBuffers(&stream, sets[i % row.sets], shapes);
    if (status.ok())
      status = ends[i].record(&stream);
    if (!status.ok())
      return fail(status.message);
  }
  std::vector<float> times(options.iters);
  for (int i = 0; i < options.iters; ++i) {
    rt::Status status = rt::Event::elapsed(starts[i], ends[i], times[i]);
    if (!status.ok())
      return fail(status.message);
  }
  row.medianMs = median(times);
  row.minMs = *std::min_element(times.begin(), times.end());
  return true;
}

//===----------------------------------------------------------------------===//
// Report
//===----------------------------------------------------------------------===//

std::vector<std::string> cells(const Row &row, const Options &options) {
  auto format = [](const char *spec, double value) {
    char text[64];
    std::snprintf(text, sizeof(text), spec, value);
    return std::string(text);
  };
  double seconds = row.medianMs * 1e-3;
  double gbs = seconds > 0 ? row.bytes / seconds / 1e9 : 0;
  std::vector<std::string> result;
  if (!options.label.empty())
    result.push_back(options.label);
  result.push_back(row.function);
  result.push_back(row.shape);
  result.push_back(row.dtypes);
  result.push_back(row.schedule);
  result.push_back(format("%.4f", row.medianMs));
  result.push_back(format("%.4f", row.minMs));
  result.push_back(row.tokens > 0 && seconds > 0
                       ? format("%.1f", row.tokens / seconds / 1e6)
                       : "-");
  result.push_back(format("%.1f", row.bytes / 1e6));
  result.push_back(format("%.0f", gbs));
  result.push_back(format("%.1f%%", 100.0 * gbs / kCopyCeilingGBs));
  result.push_back(std::to_string(row.sets));
  result.push_back(row.check);
  return result;
}

std::vector<std::string> headerOf(const Options &options) {
  std::vector<std::string> header;
  if (!options.label.empty())
    header.push_back("label");
  for (const char *name :
       {"function", "shape", "dtypes", "schedule", "median ms", "min ms",
        "Mtok/s", "MB moved", "GB/s", "of 4.25 TB/s", "sets", "check"})
    header.push_back(name);
  return header;
}

void printMarkdownLine(const std::vector<std::string> &cells) {
  std::string line = "|";
  for (const std::string &cell : cells)
    line += " " + cell + " |";
  std::printf("%s\n", line.c_str());
}

/// The markdown table's header; its rows follow as the cases end, so that a
/// run stopped at a time limit still leaves a table of what it measured.
void printMarkdownHeader(const Options &options) {
  std::vector<std::string> header = headerOf(options);
  printMarkdownLine(header);
  // Right-align the numbers: from "median ms" to "sets".
  size_t firstNumber = options.label.empty() ? 4 : 5;
  std::string line = "|";
  for (size_t c = 0; c < header.size(); ++c)
    line += c >= firstNumber && c + 1 < header.size() ? " ---: |" : " --- |";
  std::printf("%s\n", line.c_str());
}

/// The plain table, columns aligned, once every case has ended.
void printReport(const std::vector<Row> &rows, const Options &options) {
  std::vector<std::string> header = headerOf(options);
  std::vector<std::vector<std::string>> table = {header};
  for (const Row &row : rows)
    table.push_back(cells(row, options));
  std::vector<size_t> widths(header.size(), 0);
  for (const auto &line : table)
    for (size_t c = 0; c < line.size(); ++c)
      widths[c] = std::max(widths[c], line[c].size());
  for (const auto &line : table) {
    std::string text;
    for (size_t c = 0; c < line.size(); ++c) {
      std::string cell = line[c];
      cell.resize(widths[c], ' ');
      text += (c ? "  " : "") + cell;
    }
    while (!text.empty() && text.back() == ' ')
      text.pop_back();
    std::printf("%s\n", text.c_str());
  }
}

} // namespace

int main(int argc, char **argv) {
  // Line-buffered even into a file: a run stopped at its time limit still
  // leaves every finished line behind.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Options options;
  if (!parseOptions(argc, argv, options))
    return 2;

  // Every manifest is read first, with or without a GPU: a malformed one
  // is an error (exit 1) either way.
  bool manifestsOk = true;
  for (const std::string &path : options.manifests) {
    Manifest manifest;
    std::string error;
    if (!prism::runtime::loadManifest(path, manifest, error)) {
      std::fprintf(stderr, "error: %s\n", error.c_str());
      manifestsOk = false;
    }
  }
  rt::Context ctx(0);
  if (ctx.noDevice()) {
    std::printf("skipped: no GPU (%s)\n", ctx.error().c_str());
    return manifestsOk ? 0 : 1;
  }
  if (!ctx.ok()) {
    std::fprintf(stderr, "error: %s\n", ctx.error().c_str());
    return 1;
  }

  // Provenance, so that a pasted table says where it came from.
  std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", std::gmtime(&now));
  std::string command;
  for (int i = 0; i < argc; ++i)
    command += (i ? " " : "") + std::string(argv[i]);
  std::printf("%s device: %s; date: %s; warmup %d, iters %d, seed %" PRIu64
              "\n%s command: %s\n",
              options.markdown ? ">" : "#", ctx.deviceName().c_str(), date,
              options.warmup, options.iters, options.seed,
              options.markdown ? ">" : "#", command.c_str());
  if (options.markdown) {
    std::printf("\n");
    printMarkdownHeader(options);
  }

  std::vector<Row> rows;
  bool ok = true;
  for (const std::string &path : options.manifests) {
    rt::Program program(ctx, path);
    if (!program.ok()) {
      std::fprintf(stderr, "error: %s\n", program.error().c_str());
      ok = false;
      continue;
    }
    const Manifest &manifest = program.manifest();
    for (const Bindings &given : options.bindSets) {
      Bindings bindings;
      std::string missing;
      for (const std::string &symbol : manifest.symbols) {
        auto it = given.find(symbol);
        if (it == given.end())
          missing += (missing.empty() ? "" : ", ") + symbol;
        else
          bindings[symbol] = it->second;
      }
      if (!missing.empty()) {
        std::fprintf(stderr, "error: %s: --bind does not give %s\n",
                     manifest.function.c_str(), missing.c_str());
        ok = false;
        continue;
      }
      Row row;
      if (benchCase(ctx, program, options, bindings, row)) {
        // Progress as each case finishes: the markdown row itself, or a line
        // before the aligned table that follows at the end.
        if (options.markdown)
          printMarkdownLine(cells(row, options));
        else
          std::fprintf(stderr, "# %s %s: median %.4f ms\n",
                       row.function.c_str(), row.shape.c_str(), row.medianMs);
        rows.push_back(row);
      } else {
        ok = false;
      }
    }
  }
  if (!options.markdown)
    printReport(rows, options);
  bool allChecksPass = std::all_of(rows.begin(), rows.end(), [](const Row &r) {
    return r.check == "-" || r.check.rfind("PASS", 0) == 0;
  });
  return ok && allChecksPass ? 0 : 1;
}
