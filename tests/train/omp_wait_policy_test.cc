// The fastimg executable runs with OpenMP's passive wait policy unless the user chose one
// (src/cli/omp_wait_policy.h): `fastimg doctor --json` reports what the process saw.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace fastimg::train {
namespace {

nlohmann::json doctor(const std::string& env) {
  auto r = testing::run_command(env + " " + testing::fastimg_exe().string() + " doctor --json --set train.device=cpu");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return nlohmann::json::parse(r.output.substr(r.output.find('{')));
}

TEST(OmpWaitPolicy, PassiveUnlessTheUserChoseAPolicy) {
  EXPECT_EQ(doctor("env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT")["omp_wait_policy"], "PASSIVE");
  EXPECT_EQ(doctor("env OMP_WAIT_POLICY=ACTIVE")["omp_wait_policy"], "ACTIVE");
  EXPECT_EQ(doctor("env -u OMP_WAIT_POLICY GOMP_SPINCOUNT=1000")["omp_wait_policy"], "");
}

}  // namespace
}  // namespace fastimg::train
