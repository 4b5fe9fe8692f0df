#include "core/threads.h"

#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace amdrn {
namespace {

std::mutex g_mutex;
int g_threads = 0;
std::vector<std::function<void(int)>>& Hooks() {
  static auto* hooks = new std::vector<std::function<void(int)>>();
  return *hooks;
}

int Resolve(int threads) {
  if (threads > 0) return threads;
  if (const char* env = std::getenv("AMDRN_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  int hw = static_cast<int>(std::thread::hardware_concurrency());
  return hw > 0 ? hw : 1;
}

}  // namespace

int GetThreadCount() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_threads == 0) g_threads = Resolve(0);
  return g_threads;
}

void SetThreadCount(int threads) {
  std::vector<std::function<void(int)>> hooks;
  int n;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    g_threads = n = Resolve(threads);
    hooks = Hooks();
  }
  for (auto& hook : hooks) hook(n);
}

void AddThreadCountHook(std::function<void(int threads)> hook) {
  int n = GetThreadCount();
  hook(n);
  std::lock_guard<std::mutex> lock(g_mutex);
  Hooks().push_back(std::move(hook));
}

}  // namespace amdrn
