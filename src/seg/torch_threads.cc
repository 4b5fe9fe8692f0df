#include "seg/torch_threads.h"

#include <ATen/Parallel.h>

#include <mutex>

#include "core/threads.h"

namespace amdrn::seg {

void InstallTorchThreadHook() {
  static std::once_flag once;
  std::call_once(once, [] {
    AddThreadCountHook([](int threads) {
      if (threads > 0 && at::get_num_threads() != threads) at::set_num_threads(threads);
    });
  });
}

}  // namespace amdrn::seg
