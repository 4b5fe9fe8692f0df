#include "core/logging.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace amdrn {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mutex;
LogSink& Sink() {
  static LogSink* sink = new LogSink();
  return *sink;
}

}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }
LogLevel GetLogLevel() { return static_cast<LogLevel>(g_level.load()); }

bool ParseLogLevel(const std::string& text, LogLevel* level) {
  if (text == "error") *level = LogLevel::kError;
  else if (text == "warn" || text == "warning") *level = LogLevel::kWarn;
  else if (text == "info") *level = LogLevel::kInfo;
  else if (text == "debug") *level = LogLevel::kDebug;
  else return false;
  return true;
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "?";
}

void SetLogSink(LogSink sink) {
  std::lock_guard<std::mutex> lock(g_mutex);
  Sink() = std::move(sink);
}

void LogLine(LogLevel level, const std::string& message) {
  if (level > GetLogLevel()) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (Sink()) {
    Sink()(level, message);
  } else {
    std::fprintf(stderr, "[%s] %s\n", LogLevelName(level), message.c_str());
    std::fflush(stderr);
  }
}

}  // namespace amdrn
