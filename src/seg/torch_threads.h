// Connects LibTorch's intra-op thread pool to amdrn's process-wide thread count
// (core/threads.h), so `--threads` and AMDRN_THREADS size it like ITK's. Thread-safe.
#ifndef AMDRN_SEG_TORCH_THREADS_H_
#define AMDRN_SEG_TORCH_THREADS_H_

namespace amdrn::seg {

// Registers the hook once (later calls do nothing); the hook runs at once with the current
// count. LibTorch otherwise starts with one thread per core, or 1 in some builds.
void InstallTorchThreadHook();

}  // namespace amdrn::seg

#endif  // AMDRN_SEG_TORCH_THREADS_H_
