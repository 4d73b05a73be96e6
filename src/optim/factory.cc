// The one registry of optimizers: name -> constructor over param groups.
#include <fmt/ranges.h>

#include <map>

#include "optim/adam.h"
#include "optim/optimizer.h"
#include "optim/param_groups.h"
#include "optim/sam.h"
#include "optim/schedule_free.h"
#include "optim/sgd.h"
#include "util/error.h"

namespace fastimg::optim {
namespace {

using Factory = std::function<std::unique_ptr<Optimizer>(const OptimizerOptions&, std::vector<ParamGroup>)>;

std::unique_ptr<Optimizer> make_schedule_free(const OptimizerOptions& o, std::vector<ParamGroup> groups, bool adam) {
  ScheduleFreeOptions sf;
  sf.adam = adam;
  sf.momentum = o.momentum;
  sf.beta1 = o.beta1;
  sf.beta2 = o.beta2;
  sf.eps = o.eps;
  sf.warmup_steps = o.warmup_steps;
  sf.r = o.r;
  sf.weight_lr_power = o.weight_lr_power;
  return std::make_unique<ScheduleFree>(std::move(groups), o.lr, sf);
}

std::unique_ptr<Optimizer> make_sam(const OptimizerOptions& o, std::vector<ParamGroup> groups, bool single_pass) {
  if (o.sam_base == "sam" || o.sam_base == "sam_v2") fail("sam_base '{}': SAM cannot wrap SAM", o.sam_base);
  OptimizerOptions base = o;
  base.name = o.sam_base;
  return std::make_unique<Sam>(make_optimizer(base, std::move(groups)), o.rho, o.sam_adaptive, single_pass);
}

const std::map<std::string, Factory>& registry() {
  static const std::map<std::string, Factory> factories = {
      {"sgd",
       [](const OptimizerOptions& o, std::vector<ParamGroup> g) {
         return std::make_unique<Sgd>(std::move(g), o.lr, o.momentum, o.nesterov);
       }},
      {"adam",
       [](const OptimizerOptions& o, std::vector<ParamGroup> g) {
         return std::make_unique<Adam>(std::move(g), o.lr, o.beta1, o.beta2, o.eps, false);
       }},
      {"adamw",
       [](const OptimizerOptions& o, std::vector<ParamGroup> g) {
         return std::make_unique<Adam>(std::move(g), o.lr, o.beta1, o.beta2, o.eps, true);
       }},
      {"sgd_schedule_free",
       [](const OptimizerOptions& o, std::vector<ParamGroup> g) { return make_schedule_free(o, std::move(g), false); }},
      {"adamw_schedule_free",
       [](const OptimizerOptions& o, std::vector<ParamGroup> g) { return make_schedule_free(o, std::move(g), true); }},
      {"sam", [](const OptimizerOptions& o, std::vector<ParamGroup> g) { return make_sam(o, std::move(g), false); }},
      {"sam_v2",
       [](const OptimizerOptions& o, std::vector<ParamGroup> g) { return make_sam(o, std::move(g), true); }},
  };
  return factories;
}

}  // namespace

std::vector<std::string> optimizer_names() {
  std::vector<std::string> names;
  for (const auto& entry : registry()) names.push_back(entry.first);
  return names;
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options, std::vector<ParamGroup> groups) {
  auto it = registry().find(options.name);
  if (it == registry().end()) {
    fail("unknown optimizer '{}' (known: {})", options.name, fmt::join(optimizer_names(), ", "));
  }
  if (options.lr < 0) fail("optimizer '{}': lr must be >= 0, got {}", options.name, options.lr);
  if (options.weight_decay < 0) fail("optimizer '{}': weight_decay must be >= 0", options.name);
  return it->second(options, std::move(groups));
}

std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& options, torch::nn::Module& model) {
  // Check the name first so that a typo is reported before anything else.
  if (!registry().count(options.name)) return make_optimizer(options, std::vector<ParamGroup>{});
  return make_optimizer(options, make_param_groups(model, options.weight_decay, options.decay_bn_and_bias,
                                                   parse_no_decay_rule(options.no_decay_rule)));
}

}  // namespace fastimg::optim
