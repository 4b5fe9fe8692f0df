#include "cli/command.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <thread>

#include <CLI/CLI.hpp>

#include "core/threads.h"

namespace amdrn::cli {
namespace {

std::map<std::string, Command>& Registry() {
  static auto* registry = new std::map<std::string, Command>();
  return *registry;
}

}  // namespace

int ExitCodeFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return kExitOk;
    case StatusCode::kInvalidArgument: return kExitInputRefused;
    case StatusCode::kNotFound: return kExitInputNotFound;
    case StatusCode::kDataLoss: return kExitInputNotFound;
    case StatusCode::kFailedPrecondition: return kExitGeometry;
    case StatusCode::kUnavailable: return kExitModel;
    case StatusCode::kResourceExhausted: return kExitResources;
    case StatusCode::kUnimplemented: return kExitUnsupported;
    case StatusCode::kInternal: return kExitFailure;
  }
  return kExitFailure;
}

int ReportError(const std::string& command, const Status& status) {
  std::fprintf(stderr, "amdrn %s: error: %s\n", command.c_str(), status.message().c_str());
  std::fflush(stderr);
  return ExitCodeFor(status);
}

std::vector<Command> Commands() {
  std::vector<Command> out;
  for (const auto& [name, command] : Registry()) out.push_back(command);
  return out;
}

CommandRegistrar::CommandRegistrar(const char* name, const char* summary, CommandFn run) {
  Registry()[name] = Command{name, summary, std::move(run)};
}

int ParseArgs(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::fputs(app.help().c_str(), stdout);
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: error: %s\nRun '%s --help' for usage.\n", app.get_name().c_str(),
                 e.what(), app.get_name().c_str());
    return kExitUsage;
  }
  return -1;
}

void ApplyThreadCount(int threads) { SetThreadCount(threads); }

}  // namespace amdrn::cli
