#pragma once
// Where this process sits in a multi-process run, read from the launcher's environment: torchrun
// (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT) or SLURM's srun
// (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_JOB_NODELIST). No launcher: one process.
// Header without LibTorch: the CLI and config code can include it cheaply.
#include <map>
#include <string>
#include <vector>

namespace fastimg::dist {

enum class Launcher { kNone, kTorchrun, kSlurm };

struct DistEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;  // selects the GPU on a node
  int local_world_size = 1;
  std::string master_addr = "127.0.0.1";  // where rank 0 serves the TCPStore
  int master_port = 29500;
  Launcher launcher = Launcher::kNone;

  bool distributed() const { return world_size > 1; }
  bool is_main() const { return rank == 0; }
};

constexpr int kDefaultMasterPort = 29500;

// Reads the real process environment.
DistEnv detect_env();
// Same rules over an explicit variable table (tests, `fastimg launch`). Throws fastimg::Error naming
// the variable for malformed or inconsistent values.
DistEnv detect_env(const std::map<std::string, std::string>& vars);

// The first host of a SLURM hostlist: "node[01-04,07],gpu3" -> "node01"; "a-[1-2]-b[7]" -> "a-1-b7".
// `variable` names the source in error messages.
std::string first_slurm_host(const std::string& nodelist, const std::string& variable = "SLURM_JOB_NODELIST");

// The variables detect_env() reads, so a launcher can forward exactly them.
const std::vector<std::string>& env_variable_names();

std::string to_string(Launcher launcher);

}  // namespace fastimg::dist
