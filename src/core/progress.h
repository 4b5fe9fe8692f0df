// Progress reporting. Work loops call Progress::Update(done); the reporter draws a redrawn
// one-line bar with rate and ETA when stderr is a terminal, and plain "stage: N/M (P %)"
// lines at most every few seconds otherwise. A ProgressCallback lets a server or a test
// observe progress instead. Not thread-safe: update one Progress from one thread, or guard it.
#ifndef AMDRN_CORE_PROGRESS_H_
#define AMDRN_CORE_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace amdrn {

using ProgressCallback = std::function<void(const std::string& stage, int64_t done, int64_t total)>;

// Where progress goes for the whole process. Default: draw on stderr (bar on a TTY,
// lines otherwise). SetProgressCallback({}) restores the default; SetProgressQuiet(true)
// silences the default drawing.
void SetProgressCallback(ProgressCallback callback);
void SetProgressQuiet(bool quiet);

class Progress {
 public:
  Progress(std::string stage, int64_t total);
  ~Progress();  // finishes the bar
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Update(int64_t done);
  void Increment(int64_t n = 1) { Update(done_ + n); }
  // Extra text drawn after the counters, e.g. "loss 0.31".
  void SetDetail(std::string detail) { detail_ = std::move(detail); }
  void Finish();

 private:
  void Draw(bool final);

  std::string stage_;
  int64_t total_;
  int64_t done_ = 0;
  std::string detail_;
  bool finished_ = false;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1h02m", "3m05s", "12.3s".
std::string FormatDuration(double seconds);

}  // namespace amdrn

#endif  // AMDRN_CORE_PROGRESS_H_
