#include "models/resnet.h"

#include "models/blurpool.h"
#include "models/sync_batch_norm.h"

namespace fastimg::models {
namespace {

namespace nn = torch::nn;

nn::Conv2dOptions conv_options(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return nn::Conv2dOptions(in, out, kernel).stride(stride).padding(kernel / 2).bias(false);
}

// Conv that gets the blur when FFCV's rule says so and BlurPool is on.
BlurConv2d make_conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, bool blurpool) {
  auto options = conv_options(in, out, kernel, stride);
  return BlurConv2d(options, blurpool && wants_blur(options));
}

// torchvision's shortcut: a Sequential named "downsample" holding conv (0) and BN (1). Every BN
// runs through batch_norm() (sync_batch_norm.h), the downsample's through forward_sequential().
nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride, bool blurpool) {
  return nn::Sequential(make_conv(in, out, 1, stride, blurpool), nn::BatchNorm2d(out));
}

class BasicBlockImpl : public nn::Module {
 public:
  BasicBlockImpl(int64_t in, int64_t width, int64_t stride, bool blurpool)
      : conv1(register_module("conv1", make_conv(in, width, 3, stride, blurpool))),
        bn1(register_module("bn1", nn::BatchNorm2d(width))),
        conv2(register_module("conv2", make_conv(width, width, 3, 1, blurpool))),
        bn2(register_module("bn2", nn::BatchNorm2d(width))) {
    if (stride != 1 || in != width) downsample = register_module("downsample", make_downsample(in, width, stride, blurpool));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto out = torch::relu(batch_norm(*bn1, conv1(x)));
    out = batch_norm(*bn2, conv2(out));
    out += downsample ? forward_sequential(*downsample, x) : x;
    return torch::relu(out);
  }
  nn::BatchNorm2d last_bn() { return bn2; }

  BlurConv2d conv1;
  nn::BatchNorm2d bn1;
  BlurConv2d conv2;
  nn::BatchNorm2d bn2;
  nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

class BottleneckImpl : public nn::Module {
 public:
  static constexpr int64_t expansion = 4;
  BottleneckImpl(int64_t in, int64_t width, int64_t stride, bool blurpool)
      : conv1(register_module("conv1", make_conv(in, width, 1, 1, blurpool))),
        bn1(register_module("bn1", nn::BatchNorm2d(width))),
        conv2(register_module("conv2", make_conv(width, width, 3, stride, blurpool))),
        bn2(register_module("bn2", nn::BatchNorm2d(width))),
        conv3(register_module("conv3", make_conv(width, width * expansion, 1, 1, blurpool))),
        bn3(register_module("bn3", nn::BatchNorm2d(width * expansion))) {
    if (stride != 1 || in != width * expansion)
      downsample = register_module("downsample", make_downsample(in, width * expansion, stride, blurpool));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto out = torch::relu(batch_norm(*bn1, conv1(x)));
    out = torch::relu(batch_norm(*bn2, conv2(out)));
    out = batch_norm(*bn3, conv3(out));
    out += downsample ? forward_sequential(*downsample, x) : x;
    return torch::relu(out);
  }
  nn::BatchNorm2d last_bn() { return bn3; }

  BlurConv2d conv1;
  nn::BatchNorm2d bn1;
  BlurConv2d conv2;
  nn::BatchNorm2d bn2;
  BlurConv2d conv3;
  nn::BatchNorm2d bn3;
  nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

class ResNetImpl : public ClassifierImpl {
 public:
  ResNetImpl(const ResNetConfig& config, const ModelOptions& options) {
    const int64_t base = config.base_width;
    // The stem has 3 input channels, so FFCV's rule never blurs it.
    conv1 = register_module("conv1", nn::Conv2d(conv_options(3, base, 7, 2).padding(3)));
    bn1 = register_module("bn1", nn::BatchNorm2d(base));
    const int64_t expansion = config.bottleneck ? BottleneckImpl::expansion : 1;
    int64_t in = base;
    for (int stage = 0; stage < 4; ++stage) {
      const int64_t width = base << stage;
      nn::Sequential layer;
      for (int64_t i = 0; i < config.blocks[stage]; ++i) {
        const int64_t stride = (stage > 0 && i == 0) ? 2 : 1;
        if (config.bottleneck)
          layer->push_back(Bottleneck(in, width, stride, options.blurpool));
        else
          layer->push_back(BasicBlock(in, width, stride, options.blurpool));
        in = width * expansion;
      }
      layers[stage] = register_module("layer" + std::to_string(stage + 1), layer);
    }
    fc = register_module("fc", nn::Linear(in, options.num_classes));
    init(options.zero_init_residual);
  }

  torch::Tensor forward(torch::Tensor x) override {
    x = torch::relu(batch_norm(*bn1, conv1(x)));
    x = torch::max_pool2d(x, 3, 2, 1);
    for (auto& layer : layers) x = layer->forward(x);
    x = torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
    return fc(x);
  }

 private:
  // torchvision: Kaiming normal (fan_out, relu) for convs, BN gamma 1 / beta 0, Linear default.
  void init(bool zero_init_residual) {
    torch::NoGradGuard no_grad;
    for (auto& module : modules(/*include_self=*/false)) {
      if (auto* conv = module->as<nn::Conv2d>()) {
        nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
      } else if (auto* bn = module->as<nn::BatchNorm2d>()) {
        nn::init::ones_(bn->weight);
        nn::init::zeros_(bn->bias);
      }
    }
    // Each block then starts as the identity (Goyal et al.), as torchvision's zero_init_residual.
    if (zero_init_residual) {
      for (auto& module : modules(false)) {
        if (auto* block = module->as<BasicBlockImpl>()) nn::init::zeros_(block->last_bn()->weight);
        if (auto* block = module->as<BottleneckImpl>()) nn::init::zeros_(block->last_bn()->weight);
      }
    }
  }

  nn::Conv2d conv1{nullptr};
  nn::BatchNorm2d bn1{nullptr};
  std::array<nn::Sequential, 4> layers{nn::Sequential{nullptr}, nn::Sequential{nullptr},
                                       nn::Sequential{nullptr}, nn::Sequential{nullptr}};
  nn::Linear fc{nullptr};
};

int64_t conv_out(int64_t size, int64_t kernel, int64_t stride, int64_t padding) {
  return (size + 2 * padding - kernel) / stride + 1;
}

}  // namespace

ResNetConfig resnet18_config() { return {false, {2, 2, 2, 2}, 64}; }
ResNetConfig resnet50_config() { return {true, {3, 4, 6, 3}, 64}; }
ResNetConfig resnet_mini_config() { return {false, {1, 1, 1, 1}, 16}; }

Classifier make_resnet(const ResNetConfig& config, const ModelOptions& options) {
  return std::make_shared<ResNetImpl>(config, options);
}

double resnet_gflops(const ResNetConfig& config, int resolution, int64_t num_classes) {
  const int64_t base = config.base_width;
  double macs = 0;
  int64_t h = conv_out(resolution, 7, 2, 3);
  macs += double(base) * 3 * 49 * h * h;
  h = conv_out(h, 3, 2, 1);  // max pool
  const int64_t expansion = config.bottleneck ? 4 : 1;
  int64_t in = base;
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t width = base << stage;
    for (int64_t i = 0; i < config.blocks[stage]; ++i) {
      const int64_t stride = (stage > 0 && i == 0) ? 2 : 1;
      const int64_t out_h = conv_out(h, 3, stride, 1);
      const double hw = double(out_h) * out_h;
      if (config.bottleneck) {
        macs += double(in) * width * h * h + double(width) * width * 9 * hw + double(width) * width * 4 * hw;
      } else {
        macs += double(in) * width * 9 * hw + double(width) * width * 9 * hw;
      }
      if (stride != 1 || in != width * expansion) macs += double(in) * width * expansion * hw;
      in = width * expansion;
      h = out_h;
    }
  }
  macs += double(in) * num_classes;
  return macs / 1e9;
}

}  // namespace fastimg::models
