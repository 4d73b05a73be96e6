#include "models/registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <functional>
#include <map>

#include "models/resnet.h"
#include "models/vgg.h"
#include "models/vit.h"
#include "util/error.h"

namespace fastimg::models {
namespace {

struct Entry {
  std::function<Classifier(const ModelOptions&)> make;
  std::function<double(int)> gflops;
};

const std::map<std::string, Entry>& registry() {
  static const std::map<std::string, Entry> entries = {
      {"resnet18", {[](auto& o) { return make_resnet(resnet18_config(), o); },
                    [](int r) { return resnet_gflops(resnet18_config(), r); }}},
      {"resnet50", {[](auto& o) { return make_resnet(resnet50_config(), o); },
                    [](int r) { return resnet_gflops(resnet50_config(), r); }}},
      {"resnet_mini", {[](auto& o) { return make_resnet(resnet_mini_config(), o); },
                       [](int r) { return resnet_gflops(resnet_mini_config(), r); }}},
      {"vgg16", {[](auto& o) { return make_vgg16(false, o); }, [](int r) { return vgg16_gflops(r); }}},
      {"vgg16_bn", {[](auto& o) { return make_vgg16(true, o); }, [](int r) { return vgg16_gflops(r); }}},
      {"vit_b_16", {[](auto& o) { return make_vit(vit_b_16_config(), o); },
                    [](int r) { return vit_gflops(vit_b_16_config(), r); }}},
  };
  return entries;
}

const Entry& find(const std::string& name) {
  auto it = registry().find(name);
  if (it == registry().end())
    fail("unknown model '{}' (known: {})", name, fmt::join(model_names(), ", "));
  return it->second;
}

}  // namespace

Classifier make_model(const std::string& name, const ModelOptions& options) {
  const bool is_resnet = name.rfind("resnet", 0) == 0;
  if (!is_resnet && registry().count(name) && (options.blurpool || options.zero_init_residual))
    fail("model '{}': blurpool and zero_init_residual apply to ResNets only", name);
  return find(name).make(options);
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (auto& [name, entry] : registry()) names.push_back(name);
  return names;
}

int64_t count_parameters(torch::nn::Module& m) {
  int64_t total = 0;
  for (auto& p : m.parameters()) total += p.numel();
  return total;
}

double forward_gflops(const std::string& name, int resolution) { return find(name).gflops(resolution); }

void to_channels_last(torch::nn::Module& m) {
  torch::NoGradGuard no_grad;
  for (auto& t : m.parameters())
    if (t.dim() == 4) t.set_data(t.contiguous(torch::MemoryFormat::ChannelsLast));
  for (auto& t : m.buffers())
    if (t.dim() == 4) t.set_data(t.contiguous(torch::MemoryFormat::ChannelsLast));
}

}  // namespace fastimg::models
