// amdrn seg: the segmentation engine's verbs (nnU-Net v2 semantics, docs/segmentation.md).
// Dispatches `amdrn seg <verb> ...` to the verb functions of cli/seg_verbs.h.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/seg_verbs.h"

namespace amdrn::cli {
namespace {

struct Verb {
  const char* name;
  const char* summary;
  int (*run)(int, char**);
};

const Verb kVerbs[] = {
    {"plan", "fingerprint a raw nnU-Net dataset and write plans.json", RunSegPlan},
    {"preprocess", "crop, normalise and resample the training cases", RunSegPreprocess},
    {"train", "train a fold (or all) of a U-Net from preprocessed data", RunSegTrain},
    {"predict", "segment images with a trained or imported model", RunSegPredict},
    {"evaluate", "Dice, HD95 and NSD of predictions against references", RunSegEvaluate},
    {"import-nnunet", "convert a trained nnU-Net v2 model folder to an amdrn model",
     RunSegImportNnunet},
};

void PrintUsage(FILE* out) {
  std::fprintf(out, "Usage: amdrn seg <verb> [options]\n\nVerbs:\n");
  for (const Verb& verb : kVerbs) std::fprintf(out, "  %-14s %s\n", verb.name, verb.summary);
  std::fprintf(out, "\nRun 'amdrn seg <verb> --help' for a verb's options.\n");
}

int RunSeg(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    PrintUsage(argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitUsage : kExitOk;
  }
  for (const Verb& verb : kVerbs) {
    if (std::strcmp(argv[1], verb.name) != 0) continue;
    std::string name = std::string("amdrn seg ") + verb.name;
    std::vector<char*> args = {name.data()};
    for (int i = 2; i < argc; ++i) args.push_back(argv[i]);
    return verb.run(static_cast<int>(args.size()), args.data());
  }
  std::fprintf(stderr, "amdrn seg: error: unknown verb '%s'\n", argv[1]);
  PrintUsage(stderr);
  return kExitUsage;
}

}  // namespace

AMDRN_REGISTER_COMMAND("seg", "segment sinus, membrane and bone (nnU-Net v2 engine)", RunSeg);

}  // namespace amdrn::cli
