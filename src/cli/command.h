// The amdrn subcommand registry and the helpers every subcommand shares: exit codes,
// error printing and CLI11 set-up. Each subcommand lives in its own file and registers
// itself with AMDRN_REGISTER_COMMAND; main.cc dispatches on the first argument.
#ifndef AMDRN_CLI_COMMAND_H_
#define AMDRN_CLI_COMMAND_H_

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"

namespace CLI {
class App;
}

namespace amdrn::cli {

// Documented in docs/exit-codes.md. Codes are only ever added, never renumbered.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailure = 1,          // unspecified failure or a bug in amdrn
  kExitUsage = 2,            // unknown option, missing or malformed value
  kExitInputNotFound = 3,    // input missing, unreadable or corrupt
  kExitGeometry = 4,         // invalid or inconsistent geometry (image/label mismatch, ...)
  kExitModel = 5,            // model package missing or invalid
  kExitResources = 6,        // out of memory or disk
  kExitPartial = 7,          // batch finished, some cases failed
  kExitInputRefused = 8,     // input readable but refused (DICOM pre-flight, bad values)
  kExitUnsupported = 9,      // a valid request amdrn does not support
};

// Maps a Status to the exit code above.
int ExitCodeFor(const Status& status);

// Prints "amdrn <command>: error: <message>" on stderr and returns ExitCodeFor(status).
int ReportError(const std::string& command, const Status& status);

using CommandFn = std::function<int(int argc, char** argv)>;

struct Command {
  std::string name;
  std::string summary;
  CommandFn run;
};

// All registered subcommands, sorted by name.
std::vector<Command> Commands();

class CommandRegistrar {
 public:
  CommandRegistrar(const char* name, const char* summary, CommandFn run);
};

// Parses argv with a configured CLI11 app. Returns -1 when the command should go on, or
// the exit code to return now (0 after --help, 2 after a usage error, message printed).
int ParseArgs(CLI::App& app, int argc, char** argv);

// Sets the thread count for ITK, OpenMP and LibTorch (0 = all cores).
void ApplyThreadCount(int threads);

}  // namespace amdrn::cli

#define AMDRN_REGISTER_COMMAND(name, summary, fn)                                  \
  static ::amdrn::cli::CommandRegistrar AMDRN_STATUS_CONCAT(amdrn_command_, __LINE__)( \
      name, summary, fn)

#endif  // AMDRN_CLI_COMMAND_H_
