#pragma once
// Runs tests/python/models_reference.py for a torchvision model and checks that our model of the
// same name, loaded with the same weights, gives the same logits (eval and train mode), input
// gradient, first/last parameter gradients and BN running statistics (fp32, rtol 1e-4).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "models/registry.h"
#include "models/torchvision_weights.h"
#include "test_support.h"

namespace fastimg::models::testing {

// |actual - expected| <= atol + rtol * |expected|, atol a small fraction of the largest |expected|.
inline void expect_close(const std::string& what, const torch::Tensor& actual, const torch::Tensor& expected,
                         double rtol = 1e-4, double atol_fraction = 1e-5) {
  ASSERT_TRUE(actual.defined()) << what << ": no value";
  ASSERT_EQ(actual.sizes(), expected.sizes()) << what;
  auto a = actual.detach().contiguous().to(torch::kFloat64);
  auto e = expected.detach().contiguous().to(torch::kFloat64);
  const double atol = atol_fraction * std::max(e.abs().max().item<double>(), 1e-12);
  auto excess = (a - e).abs() - (atol + rtol * e.abs());
  EXPECT_LE(excess.max().item<double>(), 0.0)
      << what << ": max |diff| " << (a - e).abs().max().item<double>() << ", max |expected| "
      << e.abs().max().item<double>();
}

struct ReferenceCase {
  std::string model;
  int batch = 2;
  int resolution = 64;
  bool blurpool = false;
  bool channels_last = false;
};

inline void set_dropout_to_zero(torch::nn::Module& model) {
  for (auto& m : model.modules())
    if (auto* dropout = m->as<torch::nn::Dropout>()) dropout->options.p(0.0);
}

inline void expect_matches_torchvision(const ReferenceCase& c) {
  fastimg::testing::TempDir dir;
  auto args = fmt::format("--model {} --out {} --batch {} --resolution {}{}", c.model, dir.path().string(),
                          c.batch, c.resolution, c.blurpool ? " --blurpool" : "");
  auto result = fastimg::testing::run_python("models_reference.py", args);
  ASSERT_EQ(result.exit_code, 0);

  ModelOptions options;
  options.blurpool = c.blurpool;
  auto model = make_model(c.model, options);
  load_torchvision_state_dict(*model, (dir / "weights.pt").string());
  auto io = load_tensor_dict((dir / "io.pt").string());
  auto input = io.at("input");
  if (c.channels_last) {
    to_channels_last(*model);
    input = input.contiguous(torch::MemoryFormat::ChannelsLast);
  }

  model->eval();
  {
    torch::NoGradGuard no_grad;
    expect_close("logits (eval)", model->forward(input), io.at("logits_eval"));
  }

  set_dropout_to_zero(*model);
  model->train();
  auto x = input.clone().requires_grad_(true);
  auto logits = model->forward(x);
  expect_close("logits (train)", logits, io.at("logits_train"));
  (logits * io.at("loss_weight")).sum().backward();
  expect_close("d loss / d input", x.grad(), io.at("grad_input"));

  auto params = model->named_parameters();
  auto buffers = model->named_buffers();
  int checked = 0;
  for (auto& [key, expected] : io) {
    if (key.rfind("grad.", 0) == 0) {
      auto* p = params.find(key.substr(5));
      ASSERT_NE(p, nullptr) << key;
      expect_close(key, p->grad(), expected);
      ++checked;
    } else if (key.rfind("after.", 0) == 0) {
      auto* b = buffers.find(key.substr(6));
      ASSERT_NE(b, nullptr) << key;
      expect_close(key, *b, expected);
    }
  }
  EXPECT_EQ(checked, 2);
}

}  // namespace fastimg::models::testing
