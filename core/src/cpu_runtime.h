#pragma once
// Process-wide settings that inference on the CPU needs, applied when a CPU model is loaded.

namespace scorecam::detail {

// Uses every core for LibTorch's intra-op threads (Debian's LibTorch starts with one), unless
// OMP_NUM_THREADS says otherwise. On glibc, keeps freed memory for reuse instead of returning it
// to the system after every batch, unless the environment tunes malloc itself (MALLOC_*_ or
// GLIBC_TUNABLES): each masked batch allocates tens of megabytes of intermediate tensors, and
// fresh pages cost a page fault and zero-filling each, about a quarter of a frame's time for
// the bundled model on the project's 2-core VM (docs/benchmarks.md).
void tune_cpu_runtime();

}  // namespace scorecam::detail
