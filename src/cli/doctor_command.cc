// fastimg doctor: what `fastimg train` would use on this machine, without training.
#include <fmt/format.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "dist/env.h"
#include "train/config.h"
#include "train/run_report.h"
#include "train/run_setup.h"

namespace fastimg::cli {
namespace {

void run_doctor(const std::vector<std::string>& overrides, bool json) {
  const train::TrainConfig config = train::load_config("", overrides);
  const dist::DistEnv env = dist::detect_env();
  const torch::Device device = train::pick_device(config.train.device, env.local_rank);
  const int threads = train::loader_threads(config, env);
  if (json) {
    nlohmann::json j = {{"device", train::describe_device(device)},
                        {"build", train::describe_build()},
                        {"cuda_build", train::built_with_cuda()},
                        {"nvidia_gpu_visible", train::nvidia_gpu_visible()},
                        {"cuda_devices", torch::cuda::is_available() ? torch::cuda::device_count() : 0},
                        {"loader_threads", threads},
                        {"intra_op_threads", at::get_num_threads()},
                        {"omp_wait_policy", std::getenv("OMP_WAIT_POLICY") ? std::getenv("OMP_WAIT_POLICY") : ""},
                        {"world_size", env.world_size}};
    fmt::print("{}\n", j.dump());
    return;
  }
  fmt::print("{}\n", train::start_line(config, device, env.world_size, threads));
  fmt::print("NVIDIA GPU visible to the driver: {}; CUDA devices usable here: {}\n",
             train::nvidia_gpu_visible() ? "yes" : "no", torch::cuda::is_available() ? torch::cuda::device_count() : 0);
}

void setup(CLI::App& app) {
  auto overrides = std::make_shared<std::vector<std::string>>();
  auto json = std::make_shared<bool>(false);
  app.add_option("--set", *overrides, "a config key as for `fastimg train` (e.g. train.device=cpu)");
  app.add_flag("--json", *json, "print one JSON object");
  app.callback([overrides, json] { run_doctor(*overrides, *json); });
}

const bool registered =
    register_command({"doctor", "print the device, build and settings `fastimg train` would use here", setup});

}  // namespace
}  // namespace fastimg::cli
