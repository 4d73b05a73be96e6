#include "cli/omp_wait_policy.h"

#include <unistd.h>

#include <cstdlib>

namespace fastimg::cli {

void ensure_passive_omp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  if (setenv("OMP_WAIT_POLICY", "PASSIVE", 0) != 0) return;
  execv("/proc/self/exe", argv);
  // execv failed (no /proc): keep running with the default policy; the variable set above keeps
  // child processes from trying again.
}

}  // namespace fastimg::cli
