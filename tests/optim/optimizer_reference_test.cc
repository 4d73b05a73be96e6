// Each optimizer replays the Python reference's 100 steps (same model, data, per-step lr) and must
// end at the same parameters and BatchNorm statistics; save/load mid-way must not change anything.
#include <gtest/gtest.h>

#include <sstream>

#include "optim/loss.h"
#include "optim/optimizer.h"
#include "optim/sam.h"
#include "reference_data.h"
#include "util/error.h"

namespace fastimg::optim {
namespace {

using testing::doubles;
using testing::load_reference;
using testing::tensors;

// Mirrors Net in optim_reference.py.
struct NetImpl : torch::nn::Module {
  NetImpl()
      : fc1(register_module("fc1", torch::nn::Linear(torch::nn::LinearOptions(8, 12).bias(false)))),
        bn1(register_module("bn1", torch::nn::BatchNorm1d(12))),
        fc2(register_module("fc2", torch::nn::Linear(12, 4))) {}
  torch::Tensor forward(const torch::Tensor& x) { return fc2(torch::relu(bn1(fc1(x)))); }
  // In Python state_dict() order.
  std::vector<torch::Tensor> state() {
    return {fc1->weight,      bn1->weight,         bn1->bias,           bn1->running_mean,
            bn1->running_var, bn1->num_batches_tracked, fc2->weight, fc2->bias};
  }
  torch::nn::Linear fc1;
  torch::nn::BatchNorm1d bn1;
  torch::nn::Linear fc2;
};
TORCH_MODULE(Net);

void set_state(Net& net, const std::vector<torch::Tensor>& values) {
  torch::NoGradGuard no_grad;
  auto state = net->state();
  ASSERT_EQ(state.size(), values.size());
  for (size_t i = 0; i < state.size(); ++i) state[i].copy_(values[i]);
}

// The C++ options of each case in optim_reference.py's CASES.
OptimizerOptions case_options(const std::string& name) {
  OptimizerOptions o;
  o.eps = 1e-8;
  o.decay_bn_and_bias = true;  // the reference's decay_all, unless a case says otherwise
  if (name == "sgd") {
    o.name = "sgd", o.lr = 0.1, o.momentum = 0.9, o.weight_decay = 5e-4;
  } else if (name == "sgd_nesterov_nodecay") {
    o.name = "sgd", o.lr = 0.1, o.momentum = 0.875, o.nesterov = true, o.weight_decay = 1e-3;
    o.decay_bn_and_bias = false, o.no_decay_rule = "name";
  } else if (name == "sgd_plain") {
    o.name = "sgd", o.lr = 0.1, o.momentum = 0, o.weight_decay = 1e-4;
  } else if (name == "adam") {
    o.name = "adam", o.lr = 1e-2, o.weight_decay = 1e-3;
  } else if (name == "adamw_nodecay") {
    o.name = "adamw", o.lr = 1e-2, o.weight_decay = 0.05, o.decay_bn_and_bias = false;
  } else if (name == "sgd_schedule_free") {
    o.name = "sgd_schedule_free", o.lr = 0.5, o.momentum = 0.9, o.weight_decay = 5e-4, o.warmup_steps = 10;
    o.r = 0, o.weight_lr_power = 2;
  } else if (name == "adamw_schedule_free") {
    o.name = "adamw_schedule_free", o.lr = 5e-3, o.weight_decay = 0.01, o.warmup_steps = 20, o.r = 0.5;
    o.weight_lr_power = 1.5, o.decay_bn_and_bias = false;
  } else if (name == "sam_sgd") {
    o.name = "sam", o.sam_base = "sgd", o.lr = 0.1, o.momentum = 0.9, o.weight_decay = 5e-4, o.rho = 0.05;
    o.decay_bn_and_bias = false;
  } else if (name == "sam_adamw_adaptive") {
    o.name = "sam", o.sam_base = "adamw", o.lr = 1e-2, o.weight_decay = 0.05, o.rho = 0.5, o.sam_adaptive = true;
  } else if (name == "sam_v2_sgd_adaptive") {
    o.name = "sam_v2", o.sam_base = "sgd", o.lr = 0.1, o.momentum = 0.875, o.weight_decay = 5e-4, o.rho = 1.0;
    o.sam_adaptive = true;
  } else if (name == "sam_v2_sgd") {
    o.name = "sam_v2", o.sam_base = "sgd", o.lr = 0.1, o.momentum = 0.9, o.nesterov = true, o.weight_decay = 5e-4;
    o.rho = 0.05, o.decay_bn_and_bias = false;
  } else {
    ADD_FAILURE() << "unknown case " << name;
  }
  return o;
}

bool is_schedule_free(const std::string& name) { return name.ends_with("schedule_free"); }

// Runs steps [begin, end) of the reference's schedule and data.
void run_steps(Net& net, Optimizer& opt, const c10::Dict<c10::IValue, c10::IValue>& ref, const std::string& name,
               int begin, int end, std::vector<double>* losses) {
  const torch::Tensor xs = ref.at("x").toTensor(), ys = ref.at("y").toTensor();
  const std::vector<double> lrs = doubles(ref, "lrs");
  for (int t = begin; t < end; ++t) {
    opt.set_lr(lrs[t]);
    const torch::Tensor loss = opt.step([&] {
      net->zero_grad();
      torch::Tensor l = label_smoothing_cross_entropy(net->forward(xs[t]), ys[t], 0.1);
      l.backward();
      return l;
    });
    if (losses) losses->push_back(loss.item<double>());
    if (is_schedule_free(name) && t == static_cast<int>(lrs.size()) / 2) {
      opt.eval();
      opt.train();
    }
  }
}

void expect_close(const std::vector<torch::Tensor>& ours, const std::vector<torch::Tensor>& ref,
                  const std::string& what) {
  ASSERT_EQ(ours.size(), ref.size()) << what;
  for (size_t i = 0; i < ours.size(); ++i) {
    const torch::Tensor a = ours[i].detach().to(torch::kFloat64), b = ref[i].to(torch::kFloat64);
    const double diff = (a - b).abs().max().item<double>();
    const double scale = std::max(b.abs().max().item<double>(), 1e-3);
    EXPECT_LE(diff, 1e-5 * scale) << what << " tensor " << i << ": max |diff| " << diff << ", max |ref| " << scale;
  }
}

class OptimizerReference : public ::testing::TestWithParam<std::string> {};

TEST_P(OptimizerReference, Matches100StepsOfReference) {
  const std::string name = GetParam();
  const auto ref = load_reference(name);
  torch::manual_seed(0);
  Net net;
  set_state(net, tensors(ref, "init"));
  net->train();
  auto opt = make_optimizer(case_options(name), *net);
  opt->train();
  std::vector<double> losses;
  run_steps(net, *opt, ref, name, 0, 100, &losses);

  const std::vector<double> ref_losses = doubles(ref, "losses");
  ASSERT_EQ(losses.size(), ref_losses.size());
  for (size_t t = 0; t < losses.size(); ++t) {
    EXPECT_NEAR(losses[t], ref_losses[t], 1e-5 * std::abs(ref_losses[t])) << "loss at step " << t;
  }
  expect_close(net->state(), tensors(ref, "final"), name + " final state (train mode)");
  if (is_schedule_free(name)) {
    opt->eval();
    expect_close(net->parameters(), tensors(ref, "final_eval"), name + " x after eval()");
  }
}

TEST_P(OptimizerReference, SaveLoadMidwayGivesTheSameTrajectory) {
  const std::string name = GetParam();
  const auto ref = load_reference(name);
  const OptimizerOptions options = case_options(name);

  Net straight;
  set_state(straight, tensors(ref, "init"));
  auto opt = make_optimizer(options, *straight);
  opt->train();
  run_steps(straight, *opt, ref, name, 0, 100, nullptr);

  Net first;
  set_state(first, tensors(ref, "init"));
  auto opt1 = make_optimizer(options, *first);
  opt1->train();
  run_steps(first, *opt1, ref, name, 0, 50, nullptr);
  std::stringstream saved;
  {
    torch::serialize::OutputArchive archive;
    opt1->save(archive);
    archive.save_to(saved);
  }
  std::vector<torch::Tensor> midway;
  for (const torch::Tensor& t : first->state()) midway.push_back(t.detach().clone());
  opt1.reset();

  Net second;
  set_state(second, midway);
  auto opt2 = make_optimizer(options, *second);
  {
    torch::serialize::InputArchive archive;
    archive.load_from(saved);
    opt2->load(archive);
  }
  run_steps(second, *opt2, ref, name, 50, 100, nullptr);

  const auto a = straight->state(), b = second->state();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i])) << name << " tensor " << i;
  if (is_schedule_free(name)) {
    opt->eval();
    opt2->eval();
    const auto x1 = straight->parameters(), x2 = second->parameters();
    for (size_t i = 0; i < x1.size(); ++i) EXPECT_TRUE(torch::equal(x1[i], x2[i])) << name << " x " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, OptimizerReference,
                         ::testing::Values("sgd", "sgd_nesterov_nodecay", "sgd_plain", "adam", "adamw_nodecay",
                                           "sgd_schedule_free", "adamw_schedule_free", "sam_sgd",
                                           "sam_adamw_adaptive", "sam_v2_sgd_adaptive", "sam_v2_sgd"),
                         [](const auto& info) { return info.param; });

TEST(OptimizerState, LoadRejectsAnotherOptimizersState) {
  Net net;
  OptimizerOptions sgd;
  auto a = make_optimizer(sgd, *net);
  OptimizerOptions adam;
  adam.name = "adam";
  auto b = make_optimizer(adam, *net);
  std::stringstream saved;
  torch::serialize::OutputArchive out;
  a->save(out);
  out.save_to(saved);
  torch::serialize::InputArchive in;
  in.load_from(saved);
  EXPECT_THROW(b->load(in), fastimg::Error);
}

}  // namespace
}  // namespace fastimg::optim
