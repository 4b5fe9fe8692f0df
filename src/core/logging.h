// Logging facade. Library code logs through AMDRN_LOG(level) << ...; the program that owns
// the process (CLI, tests, a server) decides where lines go by installing a sink. The
// default sink writes "[level] message" to stderr. Thread-safe: sink calls are serialised.
// Never log patient identifiers (names, IDs, birth dates, accession numbers).
#ifndef AMDRN_CORE_LOGGING_H_
#define AMDRN_CORE_LOGGING_H_

#include <functional>
#include <sstream>
#include <string>

namespace amdrn {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

using LogSink = std::function<void(LogLevel level, const std::string& message)>;

// Lines above `level` are dropped. Default: kInfo.
void SetLogLevel(LogLevel level);
LogLevel GetLogLevel();
// Parses "error", "warn", "info" or "debug"; returns false for anything else.
bool ParseLogLevel(const std::string& text, LogLevel* level);
const char* LogLevelName(LogLevel level);

// Replaces the sink; an empty function restores the default stderr sink.
void SetLogSink(LogSink sink);

// Sends one line to the sink if `level` is enabled.
void LogLine(LogLevel level, const std::string& message);

namespace internal {
class LogMessage {
 public:
  explicit LogMessage(LogLevel level) : level_(level) {}
  ~LogMessage() { LogLine(level_, stream_.str()); }
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};
}  // namespace internal

}  // namespace amdrn

#define AMDRN_LOG(level)                                                        \
  if (::amdrn::LogLevel::k##level > ::amdrn::GetLogLevel()) {                    \
  } else                                                                        \
    ::amdrn::internal::LogMessage(::amdrn::LogLevel::k##level).stream()

#endif  // AMDRN_CORE_LOGGING_H_
