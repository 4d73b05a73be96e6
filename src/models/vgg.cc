#include "models/vgg.h"

#include <array>

#include "models/sync_batch_norm.h"

namespace fastimg::models {
namespace {

namespace nn = torch::nn;

// torchvision's configuration "D": output channels per conv, 0 = 2x2 max pool.
constexpr std::array<int64_t, 18> kVgg16 = {64, 64, 0, 128, 128, 0, 256, 256, 256, 0,
                                            512, 512, 512, 0, 512, 512, 512, 0};

class VggImpl : public ClassifierImpl {
 public:
  VggImpl(bool batch_norm, const ModelOptions& options) {
    int64_t in = 3;
    for (int64_t out : kVgg16) {
      if (out == 0) {
        features->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));
        continue;
      }
      features->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1)));
      if (batch_norm) features->push_back(nn::BatchNorm2d(out));
      features->push_back(nn::ReLU(nn::ReLUOptions(/*inplace=*/true)));
      in = out;
    }
    register_module("features", features);
    classifier = register_module(
        "classifier", nn::Sequential(nn::Linear(512 * 7 * 7, 4096), nn::ReLU(true), nn::Dropout(0.5),
                                     nn::Linear(4096, 4096), nn::ReLU(true), nn::Dropout(0.5),
                                     nn::Linear(4096, options.num_classes)));
    init();
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = forward_sequential(*features, x);  // its BNs through batch_norm() (SyncBatchNorm)
    x = torch::adaptive_avg_pool2d(x, {7, 7}).flatten(1);
    return classifier->forward(x);
  }

 private:
  // torchvision: Kaiming normal (fan_out, relu) for convs, N(0, 0.01) for linears, zero biases.
  void init() {
    torch::NoGradGuard no_grad;
    for (auto& module : modules(/*include_self=*/false)) {
      if (auto* conv = module->as<nn::Conv2d>()) {
        nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
        nn::init::zeros_(conv->bias);
      } else if (auto* bn = module->as<nn::BatchNorm2d>()) {
        nn::init::ones_(bn->weight);
        nn::init::zeros_(bn->bias);
      } else if (auto* linear = module->as<nn::Linear>()) {
        nn::init::normal_(linear->weight, 0.0, 0.01);
        nn::init::zeros_(linear->bias);
      }
    }
  }

  nn::Sequential features;
  nn::Sequential classifier{nullptr};
};

}  // namespace

Classifier make_vgg16(bool batch_norm, const ModelOptions& options) {
  return std::make_shared<VggImpl>(batch_norm, options);
}

double vgg16_gflops(int resolution, int64_t num_classes) {
  double macs = 0;
  int64_t in = 3;
  int64_t h = resolution;
  for (int64_t out : kVgg16) {
    if (out == 0) {
      h /= 2;
      continue;
    }
    macs += double(in) * out * 9 * h * h;
    in = out;
  }
  macs += 512.0 * 49 * 4096 + 4096.0 * 4096 + 4096.0 * num_classes;
  return macs / 1e9;
}

}  // namespace fastimg::models
