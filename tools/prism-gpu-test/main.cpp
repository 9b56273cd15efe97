//===- main.cpp - prism-gpu-test: compiled programs vs the oracle ---------===//
//
// Runs every manifest's program on the GPU on inputs drawn by the harness and
// compares its outputs with the float64 oracle (prism-math.md section 7).
// Outputs are uploaded NaN-poisoned, so an element the program never writes
// fails the comparison instead of passing with stale memory.
//
// Default shape bindings, when no --bind is given (one case per set):
//   B=2, T=77   (T not a multiple of any chunk size: a partial last chunk)
//   B=1, T=130  (more than two chunks of 64)
//   B=3, T=1    (a single token)
// Any other symbol takes 3, 2 and 1 in those sets. A --bind set that leaves a
// symbol out takes it from the first default set; symbols a manifest does
// not have are ignored, so one --bind serves several manifests.
//
//===----------------------------------------------------------------------===//

#include "prism/Reference/Harness.h"
#include "prism/Runtime/Manifest.h"
#include "prism/Runtime/Runtime.hpp"
#include "prism/Support/Version.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

using namespace prism;
using runtime::Bindings;
using runtime::Manifest;

namespace {

const char *kUsage =
    "usage: prism-gpu-test [--seed N]... [--bind B=2,T=77]... "
    "MANIFEST.json...\n"
    "\n"
    "Runs each program on GPU 0 for every binding set and seed, compares its\n"
    "outputs with the float64 oracle and prints one line per output:\n"
    "  PASS|FAIL <function> <bindings> <buffer> rel_err=... tol=... seed=N\n"
    "then 'N passed, N failed[, N skipped]'. Exit status 1 on any failure.\n"
    "Without --bind: B=2,T=77; B=1,T=130; B=3,T=1 (other symbols 3, 2, 1).\n"
    "Without --seed: seed 1. Without a GPU every case is skipped (status 0).\n";

struct Options {
  std::vector<uint64_t> seeds;
  std::vector<Bindings> bindSets;
  std::vector<std::string> manifests;
};

bool parseOptions(int argc, char **argv, Options &options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *name) -> const char * {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "error: %s needs a value\n%s", name, kUsage);
        return nullptr;
      }
      return argv[++i];
    };
    if (arg == "--version") {
      std::printf("%s\n", prism::versionLine("prism-gpu-test").c_str());
      std::exit(0);
    }
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--seed") {
      const char *text = value("--seed");
      char *end = nullptr;
      if (!text)
        return false;
      uint64_t seed = std::strtoull(text, &end, 10);
      if (!*text || *end) {
        std::fprintf(stderr, "error: bad seed '%s'\n", text);
        return false;
      }
      options.seeds.push_back(seed);
    } else if (arg == "--bind") {
      const char *text = value("--bind");
      if (!text || !ref::addBindingSet(text, options.bindSets))
        return false;
    } else if (!ref::addManifestArgument(arg, options.manifests, kUsage)) {
      return false;
    }
  }
  if (options.manifests.empty()) {
    std::fputs(kUsage, stderr);
    return false;
  }
  if (options.seeds.empty())
    options.seeds.push_back(1);
  return true;
}

/// The binding sets for `manifest`: the user's, completed from the first
/// default set, or the defaults (see the file comment).
std::vector<Bindings> bindingSets(const Manifest &manifest,
                                  const std::vector<Bindings> &user) {
  static const int64_t defaultB[] = {2, 1, 3}, defaultT[] = {77, 130, 1},
                       defaultOther[] = {3, 2, 1};
  std::vector<Bindings> defaults(3);
  for (int set = 0; set < 3; ++set)
    for (const std::string &symbol : manifest.symbols)
      defaults[set][symbol] = symbol == "B"   ? defaultB[set]
                              : symbol == "T" ? defaultT[set]
                                              : defaultOther[set];
  if (user.empty())
    return defaults;
  std::vector<Bindings> sets;
  for (const Bindings &given : user) {
    Bindings bindings = defaults[0];
    for (const auto &[symbol, value] : given)
      if (bindings.count(symbol))
        bindings[symbol] = value;
    sets.push_back(bindings);
  }
  return sets;
}

size_t numBindingSets(const Options &options) {
  return options.bindSets.empty() ? 3 : options.bindSets.size();
}

struct Tally {
  int passed = 0, failed = 0, skipped = 0;
};

/// Runs one case: the program on the harness's inputs, then the comparison.
void runCase(rt::Context &ctx, rt::Program &program, const Manifest &manifest,
             const Bindings &bindings, uint64_t seed, Tally &tally) {
  std::string where = manifest.function + " " +
                      runtime::formatBindings(manifest, bindings) +
                      " seed=" + std::to_string(seed);
  auto error = [&](const std::string &what) {
    std::printf("ERROR %s: %s\n", where.c_str(), what.c_str());
    ++tally.failed;
  };

  ref::Case input;
  std::string why;
  if (!ref::makeCase(manifest, bindings, seed, input, why))
    return error("makeCase: " + why);

  // Caller buffers in launch order, outputs as the harness poisoned them.
  std::vector<int> callers = manifest.callerBuffers();
  std::vector<rt::DeviceBuffer> device;
  std::vector<std::vector<int64_t>> shapes;
  for (int i : callers) {
    const ref::HostBuffer &host = input.buffers[i];
    device.emplace_back(ctx, host.bytes.size());
    if (!device.back().ok())
      return error("allocating '" + manifest.buffers[i].name +
                   "': " + device.back().error());
    rt::Status status = device.back().upload(host.bytes.data());
    if (!status.ok())
      return error("uploading '" + manifest.buffers[i].name +
                   "': " + status.message);
    shapes.push_back(host.shape);
  }
  rt::Status status = program.launchBuffers(nullptr, device, shapes);
  if (status.ok())
    status = ctx.synchronize();
  if (!status.ok())
    return error(status.message);

  ref::Case actual = input;
  for (size_t c = 0; c < callers.size(); ++c) {
    if (manifest.buffers[callers[c]].access == runtime::Access::Read)
      continue;
    status = device[c].download(actual.buffers[callers[c]].bytes.data());
    if (!status.ok())
      return error("downloading '" + manifest.buffers[callers[c]].name +
                   "': " + status.message);
  }

  std::vector<std::vector<double>> expected;
  if (!ref::evaluateOracle(manifest, input, expected, why))
    return error("oracle: " + why);
  std::vector<ref::Check> checks = ref::compare(manifest, actual, expected);
  if (checks.empty())
    return error("no output to compare");
  for (const ref::Check &check : checks) {
    std::printf("%s %s %s %s rel_err=%.3e tol=%.0e seed=%" PRIu64 " %s\n",
                ref::status(check), manifest.function.c_str(),
                runtime::formatBindings(manifest, bindings).c_str(),
                check.buffer.c_str(), check.relativeError, check.tolerance,
                seed, ref::describe(check).c_str());
    ++(check.pass ? tally.passed : tally.failed);
  }
}

void printTally(const Tally &tally) {
  std::printf("%d passed, %d failed", tally.passed, tally.failed);
  if (tally.skipped)
    std::printf(", %d skipped", tally.skipped);
  std::printf("\n");
}

} // namespace

int main(int argc, char **argv) {
  // Line-buffered even into a file: a run stopped at its time limit still
  // leaves every finished line behind.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Options options;
  if (!parseOptions(argc, argv, options))
    return 2;
  int casesPerManifest =
      static_cast<int>(numBindingSets(options) * options.seeds.size());

  rt::Context ctx(0);
  Tally tally;
  if (ctx.noDevice()) {
    // Still read every manifest: a malformed one fails here as on a GPU.
    std::printf("skipped: no GPU (%s)\n", ctx.error().c_str());
    for (const std::string &path : options.manifests) {
      Manifest manifest;
      std::string error;
      if (!runtime::loadManifest(path, manifest, error)) {
        std::printf("ERROR %s\n", error.c_str());
        ++tally.failed;
        continue;
      }
      tally.skipped += casesPerManifest;
    }
    printTally(tally);
    return tally.failed ? 1 : 0;
  }
  if (!ctx.ok()) {
    std::printf("ERROR initializing the GPU: %s\n", ctx.error().c_str());
    ++tally.failed;
    printTally(tally);
    return 1;
  }

  for (const std::string &path : options.manifests) {
    // Parsed here first so that a cpu-backend manifest is skipped by name
    // rather than refused by the GPU runtime.
    Manifest manifest;
    std::string error;
    if (!runtime::loadManifest(path, manifest, error)) {
      std::printf("ERROR %s\n", error.c_str());
      ++tally.failed;
      continue;
    }
    if (manifest.backend != "cuda") {
      std::printf("SKIP %s: backend '%s' (not a GPU program)\n",
                  manifest.function.c_str(), manifest.backend.c_str());
      tally.skipped += casesPerManifest;
      continue;
    }
    rt::Program program(ctx, path);
    if (!program.ok()) {
      std::printf("ERROR %s: %s\n", path.c_str(), program.error().c_str());
      ++tally.failed;
      continue;
    }
    for (const Bindings &bindings : bindingSets(manifest, options.bindSets))
      for (uint64_t seed : options.seeds)
        runCase(ctx, program, manifest, bindings, seed, tally);
  }
  printTally(tally);
  return tally.failed ? 1 : 0;
}
