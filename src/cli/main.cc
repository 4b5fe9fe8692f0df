// amdrn: one binary, one subcommand per pipeline step (see `amdrn --help`).
// Global options, accepted before or after the subcommand:
//   --log-level error|warn|info|debug, --log-file PATH, --quiet (no progress bars).

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/version.h"
#include "core/logging.h"
#include "core/progress.h"

namespace {

using amdrn::cli::kExitOk;
using amdrn::cli::kExitUsage;

void PrintUsage(FILE* out) {
  std::fprintf(out,
               "amdrn %s: implant-failure risk before sinus floor elevation, from CBCT and EMR\n\n"
               "Usage: amdrn [global options] <command> [options]\n\nCommands:\n",
               amdrn::cli::VersionString().c_str());
  for (const auto& command : amdrn::cli::Commands()) {
    std::fprintf(out, "  %-12s %s\n", command.name.c_str(), command.summary.c_str());
  }
  std::fprintf(out,
               "\nGlobal options:\n"
               "  -h, --help            this help; `amdrn <command> --help` for a command's\n"
               "  --version             versions of amdrn, ITK and LibTorch\n"
               "  --log-level LEVEL     error, warn, info (default) or debug\n"
               "  --log-file PATH       also append log lines to PATH\n"
               "  --quiet               no progress output\n\n"
               "Exit codes: 0 ok, 1 failure, 2 usage, 3 input not found or unreadable, 4 geometry,\n"
               "5 model, 6 resources, 7 partial batch, 8 input refused, 9 unsupported\n"
               "(docs/exit-codes.md).\n");
}

// Removes the global options from argv; returns false (message printed) on a usage error.
bool TakeGlobalOptions(std::vector<char*>* args) {
  std::vector<char*> kept;
  for (size_t i = 0; i < args->size(); ++i) {
    std::string arg = (*args)[i];
    auto value = [&](std::string* out) {
      size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        *out = arg.substr(eq + 1);
        return true;
      }
      if (i + 1 >= args->size()) return false;
      *out = (*args)[++i];
      return true;
    };
    if (arg == "--log-level" || arg.rfind("--log-level=", 0) == 0) {
      std::string level_text;
      amdrn::LogLevel level;
      if (!value(&level_text) || !amdrn::ParseLogLevel(level_text, &level)) {
        std::fprintf(stderr, "amdrn: error: --log-level expects error, warn, info or debug, found '%s'\n",
                     level_text.c_str());
        return false;
      }
      amdrn::SetLogLevel(level);
    } else if (arg == "--log-file" || arg.rfind("--log-file=", 0) == 0) {
      std::string path;
      if (!value(&path)) {
        std::fprintf(stderr, "amdrn: error: --log-file expects a path, found nothing\n");
        return false;
      }
      auto file = std::make_shared<std::ofstream>(path, std::ios::app);
      if (!*file) {
        std::fprintf(stderr, "amdrn: error: cannot open log file %s for appending\n", path.c_str());
        return false;
      }
      amdrn::SetLogSink([file](amdrn::LogLevel level, const std::string& message) {
        std::fprintf(stderr, "[%s] %s\n", amdrn::LogLevelName(level), message.c_str());
        *file << "[" << amdrn::LogLevelName(level) << "] " << message << "\n";
        file->flush();
      });
    } else if (arg == "--quiet") {
      amdrn::SetProgressQuiet(true);
    } else {
      kept.push_back((*args)[i]);
    }
  }
  *args = kept;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  if (!TakeGlobalOptions(&args)) return kExitUsage;
  if (args.size() < 2) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  std::string first = args[1];
  if (first == "-h" || first == "--help" || first == "help") {
    PrintUsage(stdout);
    return kExitOk;
  }
  if (first == "--version" || first == "version") {
    std::printf("%s\n", amdrn::cli::VersionReport().c_str());
    return kExitOk;
  }
  for (const auto& command : amdrn::cli::Commands()) {
    if (command.name == first) {
      // The subcommand sees "amdrn <name>" as its program name.
      std::string program = "amdrn " + command.name;
      std::vector<char*> sub_args;
      sub_args.push_back(program.data());
      for (size_t i = 2; i < args.size(); ++i) sub_args.push_back(args[i]);
      return command.run(static_cast<int>(sub_args.size()), sub_args.data());
    }
  }
  std::fprintf(stderr, "amdrn: error: expected a command (see amdrn --help), found '%s'\n",
               first.c_str());
  return kExitUsage;
}
