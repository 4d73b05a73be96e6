// Forward+backward seconds per image of fastimg's ResNets vs torchvision's (Python, same settings:
// thread count, batch, resolution, memory format), measured in the same run. Ours and the baseline
// alternate for --rounds rounds and each reports its fastest step, so that load from other
// processes on a shared machine hits both alike.
//   models_benchmark [--batch 16] [--resolution 128] [--threads 2] [--iters 5] [--rounds 2]
//                    [--channels-last] [--json]
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/registry.h"

namespace {

struct Args {
  int batch = 16;
  int resolution = 128;
  int threads = 2;
  int iters = 5;
  int rounds = 2;
  bool channels_last = false;
  bool json = false;
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      return std::stoi(argv[++i]);
    };
    if (arg == "--batch") a.batch = value();
    else if (arg == "--resolution") a.resolution = value();
    else if (arg == "--threads") a.threads = value();
    else if (arg == "--iters") a.iters = value();
    else if (arg == "--rounds") a.rounds = value();
    else if (arg == "--channels-last") a.channels_last = true;
    else if (arg == "--json") a.json = true;
    else throw std::runtime_error("unknown argument " + arg);
  }
  return a;
}

// Same protocol as torchvision_fwd_bwd.py: one warm-up step, the fastest of the timed ones.
double ours_seconds_per_image(const std::string& name, const Args& a) {
  torch::manual_seed(0);
  auto model = fastimg::models::make_model(name, {});
  model->train();
  auto x = torch::randn({a.batch, 3, a.resolution, a.resolution});
  if (a.channels_last) {
    fastimg::models::to_channels_last(*model);
    x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  }
  std::vector<double> times;
  for (int i = 0; i <= a.iters; ++i) {
    auto start = std::chrono::steady_clock::now();
    model->forward(x).sum().backward();
    model->zero_grad(/*set_to_none=*/true);
    if (i > 0) times.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return *std::min_element(times.begin(), times.end()) / a.batch;
}

nlohmann::json torchvision_seconds_per_image(const Args& a) {
  auto cmd = fmt::format("{} {} --models resnet18,resnet50 --batch {} --resolution {} --threads {} --iters {}{}",
                         FASTIMG_PYTHON, FASTIMG_TORCHVISION_SCRIPT, a.batch, a.resolution, a.threads, a.iters,
                         a.channels_last ? " --channels-last" : "");
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + cmd);
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  if (pclose(pipe) != 0) throw std::runtime_error("baseline failed: " + cmd + "\n" + out);
  return nlohmann::json::parse(out);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto a = parse(argc, argv);
    torch::set_num_threads(a.threads);
    std::map<std::string, double> ours, baseline;
    for (int round = 0; round < a.rounds; ++round) {
      auto keep_min = [](std::map<std::string, double>& best, const std::string& name, double s) {
        best[name] = best.count(name) ? std::min(best[name], s) : s;
      };
      for (std::string name : {"resnet18", "resnet50"}) keep_min(ours, name, ours_seconds_per_image(name, a));
      auto python = torchvision_seconds_per_image(a);
      for (std::string name : {"resnet18", "resnet50"}) keep_min(baseline, name, python.at(name).get<double>());
    }
    nlohmann::json rows = nlohmann::json::array();
    if (!a.json)
      fmt::print("fwd+bwd per image (fastest step), batch {}, {}px, {} threads{}\n{:<10} {:>16} {:>16} {:>8}\n", a.batch,
                 a.resolution, a.threads, a.channels_last ? ", channels-last" : "", "model",
                 "torchvision ms", "fastimg ms", "ratio");
    for (std::string name : {"resnet18", "resnet50"}) {
      const double base = baseline.at(name), mine = ours.at(name);
      // ratio > 1: we are faster (baseline time / our time).
      if (a.json)
        rows.push_back({{"model", name}, {"torchvision_s", base}, {"fastimg_s", mine}, {"ratio", base / mine}});
      else
        fmt::print("{:<10} {:>16.2f} {:>16.2f} {:>8.3f}\n", name, base * 1e3, mine * 1e3, base / mine);
    }
    if (a.json)
      fmt::print("{}\n", nlohmann::json{{"batch", a.batch}, {"resolution", a.resolution}, {"threads", a.threads},
                                        {"rounds", a.rounds}, {"channels_last", a.channels_last}, {"results", rows}}
                             .dump());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "models_benchmark: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
