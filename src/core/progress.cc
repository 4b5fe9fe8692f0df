#include "core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>

namespace amdrn {
namespace {

std::mutex g_mutex;
ProgressCallback& Callback() {
  static ProgressCallback* callback = new ProgressCallback();
  return *callback;
}
bool g_quiet = false;

}  // namespace

void SetProgressCallback(ProgressCallback callback) {
  std::lock_guard<std::mutex> lock(g_mutex);
  Callback() = std::move(callback);
}

void SetProgressQuiet(bool quiet) { g_quiet = quiet; }

std::string FormatDuration(double seconds) {
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof(buf), "%.1fs", seconds);
  } else if (seconds < 3600) {
    std::snprintf(buf, sizeof(buf), "%dm%02ds", static_cast<int>(seconds) / 60,
                  static_cast<int>(seconds) % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%dh%02dm", static_cast<int>(seconds) / 3600,
                  (static_cast<int>(seconds) % 3600) / 60);
  }
  return buf;
}

Progress::Progress(std::string stage, int64_t total)
    : stage_(std::move(stage)),
      total_(std::max<int64_t>(total, 0)),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { Finish(); }

void Progress::Update(int64_t done) {
  done_ = std::min(done, total_ > 0 ? total_ : done);
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (Callback()) {
      Callback()(stage_, done_, total_);
      return;
    }
  }
  if (g_quiet) return;
  auto now = std::chrono::steady_clock::now();
  double since = std::chrono::duration<double>(now - last_draw_).count();
  if ((tty_ && since >= 0.1) || (!tty_ && since >= 5.0)) {
    last_draw_ = now;
    Draw(false);
  }
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    if (Callback()) {
      Callback()(stage_, done_, total_);
      return;
    }
  }
  if (g_quiet) return;
  Draw(true);
}

void Progress::Draw(bool final) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  double fraction = total_ > 0 ? static_cast<double>(done_) / total_ : 0.0;
  std::string eta = (rate > 0 && total_ > done_) ? FormatDuration((total_ - done_) / rate) : "-";
  char line[256];
  if (tty_) {
    constexpr int kWidth = 24;
    int filled = static_cast<int>(fraction * kWidth);
    std::string bar(filled, '#');
    bar.resize(kWidth, '.');
    std::snprintf(line, sizeof(line), "\r%s [%s] %lld/%lld %.1f/s eta %s %s\x1b[K", stage_.c_str(),
                  bar.c_str(), static_cast<long long>(done_), static_cast<long long>(total_), rate,
                  eta.c_str(), detail_.c_str());
    std::fputs(line, stderr);
    if (final) std::fputs("\n", stderr);
  } else {
    std::snprintf(line, sizeof(line), "%s: %lld/%lld (%.0f %%) %.1f/s %s %s\n", stage_.c_str(),
                  static_cast<long long>(done_), static_cast<long long>(total_), fraction * 100,
                  rate, final ? FormatDuration(elapsed).c_str() : ("eta " + eta).c_str(),
                  detail_.c_str());
    std::fputs(line, stderr);
  }
  std::fflush(stderr);
}

}  // namespace amdrn
