#include "cpu_runtime.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include <ATen/Parallel.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

extern char** environ;

namespace scorecam::detail {
namespace {

bool environment_tunes_malloc() {
  for (char** entry = environ; *entry; ++entry) {
    if (std::strncmp(*entry, "MALLOC_", 7) == 0) return true;
    if (std::strncmp(*entry, "GLIBC_TUNABLES=", 15) == 0 && std::strstr(*entry, "glibc.malloc")) return true;
  }
  return false;
}

void keep_freed_memory() {
#if defined(__GLIBC__)
  if (environment_tunes_malloc()) return;
  // Blocks up to 32 MiB (glibc's largest threshold) come from the heap rather than their own
  // mapping, and up to 1 GiB of free heap is kept: the steady state of a stream is then page-fault free.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

}  // namespace

void tune_cpu_runtime() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!std::getenv("OMP_NUM_THREADS")) {
      at::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    }
    keep_freed_memory();
  });
}

}  // namespace scorecam::detail
