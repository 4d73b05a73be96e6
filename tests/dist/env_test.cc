// Launch-environment parsing: torchrun, SLURM (nodelist forms), single process, and errors that
// name the offending variable.
#include "dist/env.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace fastimg::dist {
namespace {

using Vars = std::map<std::string, std::string>;

// The message of the fastimg::Error `fn` throws ("" when it does not throw).
template <typename Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(DistEnv, NoLauncherMeansOneProcess) {
  auto env = detect_env(Vars{});
  EXPECT_EQ(env.launcher, Launcher::kNone);
  EXPECT_EQ(env.rank, 0);
  EXPECT_EQ(env.world_size, 1);
  EXPECT_FALSE(env.distributed());
  EXPECT_TRUE(env.is_main());
}

TEST(DistEnv, ReadsTorchrunVariables) {
  auto env = detect_env(Vars{{"RANK", "5"},
                             {"WORLD_SIZE", "8"},
                             {"LOCAL_RANK", "1"},
                             {"LOCAL_WORLD_SIZE", "4"},
                             {"MASTER_ADDR", "10.0.0.7"},
                             {"MASTER_PORT", "1234"}});
  EXPECT_EQ(env.launcher, Launcher::kTorchrun);
  EXPECT_EQ(env.rank, 5);
  EXPECT_EQ(env.world_size, 8);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.local_world_size, 4);
  EXPECT_EQ(env.master_addr, "10.0.0.7");
  EXPECT_EQ(env.master_port, 1234);
  EXPECT_TRUE(env.distributed());
  EXPECT_FALSE(env.is_main());
}

TEST(DistEnv, HandSetRankWithoutLocalVariablesMeansOneNode) {
  auto env = detect_env(Vars{{"RANK", "1"}, {"WORLD_SIZE", "2"}});
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.local_world_size, 2);
  EXPECT_EQ(env.master_addr, "127.0.0.1");
  EXPECT_EQ(env.master_port, kDefaultMasterPort);
}

TEST(DistEnv, TorchrunWinsOverSlurm) {
  // torchrun started inside an srun step: torchrun's per-process variables are the truth.
  auto env = detect_env(Vars{{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "1"}});
  EXPECT_EQ(env.launcher, Launcher::kTorchrun);
  EXPECT_EQ(env.rank, 3);
}

TEST(DistEnv, ReadsSlurmVariablesAndFirstHostOfTheNodelist) {
  auto env = detect_env(Vars{{"SLURM_PROCID", "6"},
                             {"SLURM_NTASKS", "8"},
                             {"SLURM_LOCALID", "2"},
                             {"SLURM_TASKS_PER_NODE", "4(x2)"},
                             {"SLURM_JOB_NODELIST", "gpu[07-08]"}});
  EXPECT_EQ(env.launcher, Launcher::kSlurm);
  EXPECT_EQ(env.rank, 6);
  EXPECT_EQ(env.world_size, 8);
  EXPECT_EQ(env.local_rank, 2);
  EXPECT_EQ(env.local_world_size, 4);
  EXPECT_EQ(env.master_addr, "gpu07");
  EXPECT_EQ(env.master_port, kDefaultMasterPort);  // only SLURM variables: the default port
}

TEST(DistEnv, SlurmHonoursMasterAddrPortAndOlderNodelistName) {
  auto env = detect_env(Vars{{"SLURM_PROCID", "0"},
                             {"SLURM_NTASKS", "2"},
                             {"SLURM_NODELIST", "a1,b2"},
                             {"SLURM_NTASKS_PER_NODE", "1"},
                             {"MASTER_PORT", "40000"}});
  EXPECT_EQ(env.master_addr, "a1");
  EXPECT_EQ(env.master_port, 40000);
  EXPECT_EQ(env.local_world_size, 1);
  auto with_addr = detect_env(
      Vars{{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_NODELIST", "a1,b2"}, {"MASTER_ADDR", "head"}});
  EXPECT_EQ(with_addr.master_addr, "head");
}

TEST(DistEnv, FirstSlurmHostOfEveryNodelistForm) {
  EXPECT_EQ(first_slurm_host("node01"), "node01");
  EXPECT_EQ(first_slurm_host("node[01-04,07]"), "node01");
  EXPECT_EQ(first_slurm_host("node[7,01-04]"), "node7");
  EXPECT_EQ(first_slurm_host("node[001-100]-ib"), "node001-ib");
  EXPECT_EQ(first_slurm_host("rack[2-3]-node[08-09],other[1-2]"), "rack2-node08");
  EXPECT_EQ(first_slurm_host("alpha,beta[1-2]"), "alpha");
  EXPECT_EQ(first_slurm_host("gpu-a100-[3]"), "gpu-a100-3");
}

TEST(DistEnv, MalformedNodelistsAreErrorsNamingTheVariable) {
  for (const std::string bad : {"node[01-04", "node01]", "node[]", "node[a-b]", "", ",node1"}) {
    auto message = error_of([&] { first_slurm_host(bad, "SLURM_JOB_NODELIST"); });
    EXPECT_NE(message.find("SLURM_JOB_NODELIST"), std::string::npos) << "'" << bad << "': " << message;
  }
}

TEST(DistEnv, BadValuesAreErrorsNamingTheVariable) {
  struct Case {
    Vars vars;
    std::string variable;
  };
  const std::vector<Case> cases = {
      {{{"RANK", "0"}}, "WORLD_SIZE"},
      {{{"WORLD_SIZE", "2"}}, "RANK"},
      {{{"RANK", "x"}, {"WORLD_SIZE", "2"}}, "RANK"},
      {{{"RANK", "1"}, {"WORLD_SIZE", "2x"}}, "WORLD_SIZE"},
      {{{"RANK", "2"}, {"WORLD_SIZE", "2"}}, "RANK"},
      {{{"RANK", "-1"}, {"WORLD_SIZE", "2"}}, "RANK"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "0"}}, "WORLD_SIZE"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"LOCAL_RANK", "2"}, {"LOCAL_WORLD_SIZE", "2"}}, "LOCAL_RANK"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", "70000"}}, "MASTER_PORT"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_PORT", ""}}, "MASTER_PORT"},
      {{{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", ""}}, "MASTER_ADDR"},
      {{{"SLURM_PROCID", "4"}, {"SLURM_NTASKS", "4"}, {"SLURM_NODELIST", "n1"}}, "SLURM_PROCID"},
      {{{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "four"}, {"SLURM_NODELIST", "n1"}}, "SLURM_NTASKS"},
      {{{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_JOB_NODELIST", "n[1-2"}}, "SLURM_JOB_NODELIST"},
      {{{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}}, "SLURM_JOB_NODELIST"},
      {{{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_NODELIST", "n1"}, {"SLURM_TASKS_PER_NODE", "(x2)"}},
       "SLURM_TASKS_PER_NODE"},
  };
  for (const auto& c : cases) {
    auto message = error_of([&] { detect_env(c.vars); });
    EXPECT_NE(message.find(c.variable), std::string::npos)
        << "expected an error naming " << c.variable << ", got: '" << message << "'";
  }
}

}  // namespace
}  // namespace fastimg::dist
