#include "dist/env.h"

#include <charconv>
#include <cstdlib>

#include "util/error.h"

namespace fastimg::dist {
namespace {

using Vars = std::map<std::string, std::string>;

const std::string* find(const Vars& vars, const std::string& name) {
  auto it = vars.find(name);
  return it == vars.end() ? nullptr : &it->second;
}

// Strict: the whole value must be a decimal integer in [min, max].
int parse_int(const Vars& vars, const std::string& name, int min, int max) {
  const std::string& text = vars.at(name);
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size())
    fail("environment variable {}='{}' is not an integer", name, text);
  if (value < min || value > max) fail("environment variable {}={} is out of range [{}, {}]", name, value, min, max);
  return value;
}

int parse_or(const Vars& vars, const std::string& name, int fallback, int min, int max) {
  return find(vars, name) ? parse_int(vars, name, min, max) : fallback;
}

constexpr int kMaxRanks = 1 << 24;

void check_consistent(const DistEnv& env, const char* rank_var, const char* local_rank_var) {
  if (env.rank >= env.world_size)
    fail("environment variable {}={} must be smaller than the world size {}", rank_var, env.rank, env.world_size);
  if (env.local_rank >= env.local_world_size)
    fail("environment variable {}={} must be smaller than the local world size {}", local_rank_var, env.local_rank,
         env.local_world_size);
}

void read_master(const Vars& vars, DistEnv& env) {
  if (auto* addr = find(vars, "MASTER_ADDR")) {
    if (addr->empty()) fail("environment variable MASTER_ADDR is empty");
    env.master_addr = *addr;
  }
  env.master_port = parse_or(vars, "MASTER_PORT", kDefaultMasterPort, 1, 65535);
}

DistEnv from_torchrun(const Vars& vars) {
  for (const char* name : {"RANK", "WORLD_SIZE"})
    if (!find(vars, name))
      fail("environment variable {} is not set (torchrun sets RANK and WORLD_SIZE together)", name);
  DistEnv env;
  env.launcher = Launcher::kTorchrun;
  env.world_size = parse_int(vars, "WORLD_SIZE", 1, kMaxRanks);
  env.rank = parse_int(vars, "RANK", 0, kMaxRanks);
  // Hand-set RANK/WORLD_SIZE without the local pair means one node.
  env.local_world_size = parse_or(vars, "LOCAL_WORLD_SIZE", env.world_size, 1, kMaxRanks);
  env.local_rank = parse_or(vars, "LOCAL_RANK", find(vars, "LOCAL_WORLD_SIZE") ? 0 : env.rank, 0, kMaxRanks);
  check_consistent(env, "RANK", "LOCAL_RANK");
  read_master(vars, env);
  return env;
}

// SLURM_TASKS_PER_NODE looks like "4(x2),3": the first count is this job's per-node count on
// homogeneous allocations, the only kind where LOCAL_WORLD_SIZE is meaningful anyway.
int slurm_tasks_per_node(const Vars& vars, int fallback) {
  if (find(vars, "SLURM_NTASKS_PER_NODE")) return parse_int(vars, "SLURM_NTASKS_PER_NODE", 1, kMaxRanks);
  if (auto* text = find(vars, "SLURM_TASKS_PER_NODE")) {
    int value = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc() || value < 1) fail("environment variable SLURM_TASKS_PER_NODE='{}' is malformed", *text);
    (void)end;
    return value;
  }
  return fallback;
}

DistEnv from_slurm(const Vars& vars) {
  DistEnv env;
  env.launcher = Launcher::kSlurm;
  const char* ntasks_var = find(vars, "SLURM_NTASKS") ? "SLURM_NTASKS" : "SLURM_NPROCS";
  env.world_size = parse_int(vars, ntasks_var, 1, kMaxRanks);
  env.rank = parse_int(vars, "SLURM_PROCID", 0, kMaxRanks);
  env.local_rank = parse_or(vars, "SLURM_LOCALID", 0, 0, kMaxRanks);
  env.local_world_size = slurm_tasks_per_node(vars, env.local_rank + 1);
  check_consistent(env, "SLURM_PROCID", "SLURM_LOCALID");
  read_master(vars, env);
  if (!find(vars, "MASTER_ADDR")) {
    const char* list_var = find(vars, "SLURM_JOB_NODELIST") ? "SLURM_JOB_NODELIST"
                           : find(vars, "SLURM_NODELIST")   ? "SLURM_NODELIST"
                                                            : nullptr;
    if (list_var) {
      env.master_addr = first_slurm_host(vars.at(list_var), list_var);
    } else if (env.world_size > 1) {
      fail("neither SLURM_JOB_NODELIST nor MASTER_ADDR is set: cannot find rank 0's host");
    }
  }
  return env;
}

}  // namespace

std::string first_slurm_host(const std::string& nodelist, const std::string& variable) {
  // Hosts are separated by commas outside brackets; a bracket holds ranges "01-04,07" of which the
  // first one's start, zero padding kept, names the first host.
  std::string host;
  size_t i = 0;
  while (i < nodelist.size() && nodelist[i] != ',') {
    char c = nodelist[i];
    if (c == ']') fail("environment variable {}='{}' has an unmatched ']'", variable, nodelist);
    if (c != '[') {
      host += c;
      ++i;
      continue;
    }
    size_t close = nodelist.find(']', i);
    if (close == std::string::npos) fail("environment variable {}='{}' has an unmatched '['", variable, nodelist);
    std::string inner = nodelist.substr(i + 1, close - i - 1);
    std::string first = inner.substr(0, inner.find_first_of(",-"));
    if (first.empty() || first.find_first_not_of("0123456789") != std::string::npos)
      fail("environment variable {}='{}' has a malformed range '[{}]'", variable, nodelist, inner);
    host += first;
    i = close + 1;
  }
  if (host.empty()) fail("environment variable {}='{}' names no host", variable, nodelist);
  return host;
}

DistEnv detect_env(const std::map<std::string, std::string>& vars) {
  if (find(vars, "RANK") || find(vars, "WORLD_SIZE")) return from_torchrun(vars);
  if (find(vars, "SLURM_PROCID") && (find(vars, "SLURM_NTASKS") || find(vars, "SLURM_NPROCS"))) return from_slurm(vars);
  return DistEnv{};
}

const std::vector<std::string>& env_variable_names() {
  static const std::vector<std::string> names = {"RANK",
                                                 "WORLD_SIZE",
                                                 "LOCAL_RANK",
                                                 "LOCAL_WORLD_SIZE",
                                                 "MASTER_ADDR",
                                                 "MASTER_PORT",
                                                 "SLURM_PROCID",
                                                 "SLURM_NTASKS",
                                                 "SLURM_NPROCS",
                                                 "SLURM_LOCALID",
                                                 "SLURM_NODELIST",
                                                 "SLURM_JOB_NODELIST",
                                                 "SLURM_NTASKS_PER_NODE",
                                                 "SLURM_TASKS_PER_NODE"};
  return names;
}

DistEnv detect_env() {
  std::map<std::string, std::string> vars;
  for (const auto& name : env_variable_names())
    if (const char* value = std::getenv(name.c_str())) vars[name] = value;
  return detect_env(vars);
}

std::string to_string(Launcher launcher) {
  switch (launcher) {
    case Launcher::kTorchrun:
      return "torchrun";
    case Launcher::kSlurm:
      return "slurm";
    case Launcher::kNone:
      break;
  }
  return "none";
}

}  // namespace fastimg::dist
