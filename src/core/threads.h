// The process-wide worker thread count. Libraries that keep their own pools (ITK, OpenMP,
// LibTorch) register a hook here so one call sets them all and they do not oversubscribe
// the CPU. Default: AMDRN_THREADS from the environment, else all cores.
#ifndef AMDRN_CORE_THREADS_H_
#define AMDRN_CORE_THREADS_H_

#include <functional>

namespace amdrn {

int GetThreadCount();
// 0 means all cores. Calls every registered hook with the resolved count.
void SetThreadCount(int threads);
// Hooks run on each SetThreadCount and once when registered.
void AddThreadCountHook(std::function<void(int threads)> hook);

}  // namespace amdrn

#endif  // AMDRN_CORE_THREADS_H_
