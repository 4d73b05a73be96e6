#pragma once
// OpenMP's default wait policy lets LibTorch's idle intra-op threads spin for a while after every
// parallel region. fastimg's loader threads share the cores with them, and under any other load
// the spinning threads take the loader's CPU: training ran 12x slower (90 vs 1070 images/s,
// bench/train/compare_pytorch.py with a second job on the 2 cores). The policy is read once when
// libgomp loads, before main, so the process re-executes itself with OMP_WAIT_POLICY=PASSIVE
// unless the user chose a policy (or a spin count) already.
namespace fastimg::cli {

// Returns only if no re-execution was needed (or it failed: then the run goes on as it is).
void ensure_passive_omp_wait(char** argv);

}  // namespace fastimg::cli
