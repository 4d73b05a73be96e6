#pragma once
// Runs tests/python/models_reference.py for a torchvision model and checks that our model of the
// same name, loaded with the same weights, gives the same logits (eval and train mode), input
// gradient, first/last parameter gradients and BN running statistics (fp32, rtol 1e-4).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <map>
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
  bool channels_last_too = true;  // also check with model and input in channels-last
};

inline void set_dropout_to_zero(torch::nn::Module& model) {
  for (auto& m : model.modules())
    if (auto* dropout = m->as<torch::nn::Dropout>()) dropout->options.p(0.0);
}

// Where the build's test environment is incomplete, fill in what run_python needs (never overrides).
inline void ensure_python_environment() {
  setenv("FASTIMG_SOURCE_DIR", FASTIMG_MODELS_SOURCE_DIR, 0);
  setenv("FASTIMG_PYTHON", FASTIMG_MODELS_PYTHON, 0);
  setenv("OMP_NUM_THREADS", "2", 0);
}

inline void check_against(const ReferenceCase& c, const fastimg::testing::TempDir& dir,
                          const std::map<std::string, torch::Tensor>& io, bool channels_last) {
  SCOPED_TRACE(channels_last ? "channels-last" : "contiguous");
  const double grad_atol = 1e-5;
  ModelOptions options;
  options.blurpool = c.blurpool;
  auto model = make_model(c.model, options);
  load_torchvision_state_dict(*model, (dir / "weights.pt").string());
  auto input = io.at("input");
  if (channels_last) {
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
  expect_close("d loss / d input", x.grad(), io.at("grad_input"), 1e-4, grad_atol);

  auto params = model->named_parameters();
  auto buffers = model->named_buffers();
  int checked = 0;
  for (auto& [key, expected] : io) {
    if (key.rfind("grad.", 0) == 0) {
      auto* p = params.find(key.substr(5));
      ASSERT_NE(p, nullptr) << key;
      expect_close(key, p->grad(), expected, 1e-4, grad_atol);
      ++checked;
    } else if (key.rfind("after.", 0) == 0) {
      auto* b = buffers.find(key.substr(6));
      ASSERT_NE(b, nullptr) << key;
      expect_close(key, *b, expected);
    }
  }
  EXPECT_EQ(checked, 2);
}

// One Python run; our model is checked against it in contiguous and (optionally) channels-last.
inline void expect_matches_torchvision(const ReferenceCase& c) {
  ensure_python_environment();
  fastimg::testing::TempDir dir;
  auto args = fmt::format("--model {} --out {} --batch {} --resolution {}{}{}", c.model, dir.path().string(),
                          c.batch, c.resolution, c.blurpool ? " --blurpool" : "",
                          c.channels_last_too ? " --channels-last" : "");
  auto result = fastimg::testing::run_python("models_reference.py", args);
  ASSERT_EQ(result.exit_code, 0);
  check_against(c, dir, load_tensor_dict((dir / "io.pt").string()), false);
  // Compared with PyTorch in channels-last too: with train-mode BN on tiny batches the other
  // kernels' summation order alone moves gradients beyond 1e-4.
  if (c.channels_last_too) check_against(c, dir, load_tensor_dict((dir / "io_channels_last.pt").string()), true);
}

}  // namespace fastimg::models::testing
