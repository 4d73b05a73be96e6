// Behaviour that has no Python reference: parameter groups, weight-decay exemptions, BatchNorm
// recalibration, SAM's skipped steps, the factory's errors.
#include <gtest/gtest.h>

#include <algorithm>

#include "optim/bn_recalibration.h"
#include "optim/optimizer.h"
#include "optim/param_groups.h"
#include "optim/sam.h"
#include "optim/schedule_free.h"
#include "util/error.h"

namespace fastimg::optim {
namespace {

struct ConvNetImpl : torch::nn::Module {
  ConvNetImpl()
      : conv(register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3).bias(false)))),
        norm(register_module("norm", torch::nn::BatchNorm2d(4))),
        ln(register_module("ln", torch::nn::LayerNorm(torch::nn::LayerNormOptions({4})))),
        head(register_module("head", torch::nn::Linear(4, 2))) {}
  torch::Tensor forward(const torch::Tensor& x) {
    return head(ln(norm(conv(x)).mean({2, 3})));
  }
  torch::nn::Conv2d conv;
  torch::nn::BatchNorm2d norm;
  torch::nn::LayerNorm ln;
  torch::nn::Linear head;
};
TORCH_MODULE(ConvNet);

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(ParamGroups, ModuleTypeRuleExemptsNormalizationParametersAndBiases) {
  ConvNet net;
  const auto names = no_decay_parameter_names(*net, NoDecayRule::kModuleType);
  EXPECT_EQ(names, (std::vector<std::string>{"norm.weight", "norm.bias", "ln.weight", "ln.bias", "head.bias"}));
  const auto groups = make_param_groups(*net, 0.1, false);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].weight_decay, 0.1);
  EXPECT_EQ(groups[0].params.size(), 2u);  // conv.weight, head.weight
  EXPECT_EQ(groups[1].weight_decay, 0.0);
  EXPECT_EQ(groups[1].params.size(), 5u);
  EXPECT_EQ(make_param_groups(*net, 0.1, true).size(), 1u);
}

TEST(ParamGroups, NameRuleFollowsTheReproductionProject) {
  ConvNet net;
  // "norm" and "ln" contain neither "bn" nor "bias": only biases are exempt by name.
  EXPECT_EQ(no_decay_parameter_names(*net, NoDecayRule::kName),
            (std::vector<std::string>{"norm.bias", "ln.bias", "head.bias"}));
  EXPECT_THROW(parse_no_decay_rule("names"), fastimg::Error);
}

// With zero gradients and no momentum, a step changes a parameter only through weight decay.
void step_with_zero_grads(Optimizer& opt, torch::nn::Module& net) {
  opt.step([&] {
    for (auto& p : net.parameters()) p.mutable_grad() = torch::zeros_like(p);
    return torch::zeros({});
  });
}

TEST(NoDecay, BatchNormAndBiasParametersAreNotDecayed) {
  for (const std::string name : {"sgd", "adam", "adamw"}) {
    ConvNet net;
    {
      torch::NoGradGuard no_grad;
      for (auto& p : net->parameters()) p.uniform_(0.5, 1.0);
    }
    std::map<std::string, torch::Tensor> before;
    for (const auto& item : net->named_parameters()) before[item.key()] = item.value().detach().clone();
    OptimizerOptions o;
    o.name = name, o.lr = 0.1, o.momentum = 0, o.weight_decay = 0.5, o.decay_bn_and_bias = false;
    auto opt = make_optimizer(o, *net);
    step_with_zero_grads(*opt, *net);
    const auto exempt = no_decay_parameter_names(*net, NoDecayRule::kModuleType);
    for (const auto& item : net->named_parameters()) {
      const bool same = torch::equal(item.value(), before[item.key()]);
      EXPECT_EQ(same, contains(exempt, item.key())) << name << " " << item.key();
    }
    if (name == "adamw") {  // decoupled: w *= 1 - lr·wd exactly
      EXPECT_TRUE(torch::allclose(net->conv->weight, before["conv.weight"] * (1 - 0.1 * 0.5)));
    }
  }
}

TEST(NoDecay, EverythingIsDecayedWhenEnabled) {
  ConvNet net;
  {
    torch::NoGradGuard no_grad;
    for (auto& p : net->parameters()) p.uniform_(0.5, 1.0);
  }
  std::vector<torch::Tensor> before;
  for (const auto& p : net->parameters()) before.push_back(p.detach().clone());
  OptimizerOptions o;
  o.momentum = 0, o.weight_decay = 0.5, o.lr = 0.1, o.decay_bn_and_bias = true;
  auto opt = make_optimizer(o, *net);
  step_with_zero_grads(*opt, *net);
  const auto after = net->parameters();
  for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(torch::allclose(after[i], before[i] * 0.95));
}

TEST(BnRecalibration, RunningStatisticsBecomeTheAverageOverTheBatches) {
  torch::nn::Sequential net(torch::nn::Linear(3, 5), torch::nn::BatchNorm1d(5));
  net->eval();
  torch::manual_seed(4);
  std::vector<torch::Tensor> batches;
  for (int i = 0; i < 4; ++i) batches.push_back(torch::randn({10, 3}) * (i + 1) + i);
  size_t next = 0;
  BnRecalibrationOptions options;
  options.num_samples = 25;  // stops after the batch that reaches 25: three batches
  const int64_t used = recalibrate_batchnorm(
      *net, [&] { net->forward(batches[next++]); return int64_t{10}; }, options);
  EXPECT_EQ(used, 30);
  EXPECT_EQ(next, 3u);
  EXPECT_FALSE(net->is_training());
  auto* bn = net[1]->as<torch::nn::BatchNorm1d>();
  ASSERT_NE(bn, nullptr);
  EXPECT_EQ(bn->options.momentum(), std::optional<double>(0.1));
  torch::NoGradGuard no_grad;
  torch::Tensor mean = torch::zeros({5}), var = torch::zeros({5});
  for (int i = 0; i < 3; ++i) {
    const torch::Tensor h = net[0]->as<torch::nn::Linear>()->forward(batches[i]);
    mean += h.mean(0) / 3;
    var += h.var(0, /*unbiased=*/true) / 3;
  }
  EXPECT_TRUE(torch::allclose(bn->running_mean, mean, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(bn->running_var, var, 1e-5, 1e-6));
}

TEST(Sam, NonFiniteGradientSkipsTheStepAndCountsIt) {
  for (const std::string name : {"sam", "sam_v2"}) {
    torch::nn::Linear net(3, 2);
    std::vector<torch::Tensor> before;
    for (const auto& p : net->parameters()) before.push_back(p.detach().clone());
    OptimizerOptions o;
    o.name = name;
    auto opt = make_optimizer(o, *net);
    opt->step([&] {
      net->zero_grad();
      torch::Tensor loss = net(torch::full({1, 3}, std::numeric_limits<float>::quiet_NaN())).sum();
      loss.backward();
      return loss;
    });
    EXPECT_EQ(dynamic_cast<Sam&>(*opt).skipped_steps(), 1) << name;
    const auto after = net->parameters();
    for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(torch::equal(after[i], before[i])) << name;
  }
}

TEST(Sam, V2FirstStepIsAPlainBaseStep) {
  torch::manual_seed(5);
  torch::nn::Linear a(3, 2), b(3, 2);
  {
    torch::NoGradGuard no_grad;
    b->weight.copy_(a->weight);
    b->bias.copy_(a->bias);
  }
  const torch::Tensor x = torch::randn({4, 3});
  OptimizerOptions o;
  o.name = "sam_v2", o.rho = 1.0;
  auto sam = make_optimizer(o, *a);
  o.name = "sgd";
  auto sgd = make_optimizer(o, *b);
  auto closure = [&](torch::nn::Linear& net) {
    return [&] {
      net->zero_grad();
      torch::Tensor loss = net(x).pow(2).sum();
      loss.backward();
      return loss;
    };
  };
  sam->step(closure(a));
  sgd->step(closure(b));
  EXPECT_TRUE(torch::equal(a->weight, b->weight));
  // The second step is perturbed, so the two part ways.
  sam->step(closure(a));
  sgd->step(closure(b));
  EXPECT_FALSE(torch::equal(a->weight, b->weight));
}

TEST(ScheduleFree, StepInEvalModeFailsAndTrainEvalRoundTripsToY) {
  torch::manual_seed(6);
  torch::nn::Linear net(3, 2);
  OptimizerOptions o;
  o.name = "sgd_schedule_free";
  auto opt = make_optimizer(o, *net);
  auto closure = [&] {
    net->zero_grad();
    torch::Tensor loss = net(torch::ones({2, 3})).pow(2).sum();
    loss.backward();
    return loss;
  };
  EXPECT_THROW(opt->step(closure), fastimg::Error);  // starts in eval mode, like the package
  opt->train();
  for (int i = 0; i < 3; ++i) opt->step(closure);
  const torch::Tensor y = net->weight.detach().clone();
  opt->eval();
  EXPECT_FALSE(torch::allclose(net->weight, y));
  opt->train();
  EXPECT_TRUE(torch::allclose(net->weight, y, 1e-5, 1e-6));
}

TEST(Factory, KnowsEveryOptimizerAndRejectsUnknownNames) {
  EXPECT_EQ(optimizer_names(), (std::vector<std::string>{"adam", "adamw", "adamw_schedule_free", "sam", "sam_v2",
                                                         "sgd", "sgd_schedule_free"}));
  torch::nn::Linear net(3, 2);
  OptimizerOptions o;
  o.name = "lamb";
  try {
    make_optimizer(o, *net);
    ADD_FAILURE() << "no error";
  } catch (const fastimg::Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown optimizer 'lamb'"), std::string::npos) << e.what();
  }
  o.name = "sam", o.sam_base = "sam";
  EXPECT_THROW(make_optimizer(o, *net), fastimg::Error);
  for (const std::string& name : optimizer_names()) {
    o.name = name, o.sam_base = "sgd";
    EXPECT_EQ(make_optimizer(o, *net)->name(), name);
  }
}

}  // namespace
}  // namespace fastimg::optim
