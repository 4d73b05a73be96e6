#include "models/vit.h"

#include <cmath>

#include "util/error.h"

namespace fastimg::models {
namespace {

namespace nn = torch::nn;

// nn.MultiheadAttention's parameters (packed in_proj_weight/in_proj_bias, out_proj) with the
// attention itself done by scaled_dot_product_attention.
class SelfAttentionImpl : public nn::Module {
 public:
  SelfAttentionImpl(int64_t dim, int64_t heads, double dropout) : heads_(heads), dropout_(dropout) {
    in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * dim, dim}));
    in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * dim}));
    out_proj = register_module("out_proj", nn::Linear(dim, dim));
    // As nn.MultiheadAttention._reset_parameters; out_proj.weight keeps Linear's default init.
    torch::NoGradGuard no_grad;
    nn::init::xavier_uniform_(in_proj_weight);
    nn::init::zeros_(out_proj->bias);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    const int64_t n = x.size(0), length = x.size(1), dim = x.size(2);
    // (n, L, 3*dim) -> 3 x (n, heads, L, head_dim)
    auto qkv = torch::linear(x, in_proj_weight, in_proj_bias)
                   .view({n, length, 3, heads_, dim / heads_})
                   .permute({2, 0, 3, 1, 4});
    auto out = torch::scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], /*attn_mask=*/{},
                                                   is_training() ? dropout_ : 0.0);
    return out_proj(out.transpose(1, 2).reshape({n, length, dim}));
  }

  torch::Tensor in_proj_weight, in_proj_bias;
  nn::Linear out_proj{nullptr};

 private:
  int64_t heads_;
  double dropout_;
};
TORCH_MODULE(SelfAttention);

nn::LayerNorm layer_norm(int64_t dim) {
  return nn::LayerNorm(nn::LayerNormOptions({dim}).eps(1e-6));
}

class EncoderBlockImpl : public nn::Module {
 public:
  explicit EncoderBlockImpl(const ViTConfig& c)
      : ln_1(register_module("ln_1", layer_norm(c.hidden_dim))),
        self_attention(register_module("self_attention",
                                       SelfAttention(c.hidden_dim, c.num_heads, c.attention_dropout))),
        dropout(register_module("dropout", nn::Dropout(c.dropout))),
        ln_2(register_module("ln_2", layer_norm(c.hidden_dim))),
        mlp(register_module("mlp", nn::Sequential(nn::Linear(c.hidden_dim, c.mlp_dim), nn::GELU(),
                                                  nn::Dropout(c.dropout),
                                                  nn::Linear(c.mlp_dim, c.hidden_dim),
                                                  nn::Dropout(c.dropout)))) {
    // torchvision's MLPBlock init.
    torch::NoGradGuard no_grad;
    for (auto& module : mlp->modules(false)) {
      if (auto* linear = module->as<nn::Linear>()) {
        nn::init::xavier_uniform_(linear->weight);
        nn::init::normal_(linear->bias, 0.0, 1e-6);
      }
    }
  }

  torch::Tensor forward(const torch::Tensor& input) {
    auto x = input + dropout(self_attention(ln_1(input)));
    return x + mlp->forward(ln_2(x));
  }

  nn::LayerNorm ln_1;
  SelfAttention self_attention;
  nn::Dropout dropout;
  nn::LayerNorm ln_2;
  nn::Sequential mlp;
};
TORCH_MODULE(EncoderBlock);

class EncoderImpl : public nn::Module {
 public:
  EncoderImpl(const ViTConfig& c, int64_t length) {
    pos_embedding = register_parameter("pos_embedding", torch::empty({1, length, c.hidden_dim}));
    {
      torch::NoGradGuard no_grad;
      nn::init::normal_(pos_embedding, 0.0, 0.02);
    }
    dropout = register_module("dropout", nn::Dropout(c.dropout));
    for (int64_t i = 0; i < c.num_layers; ++i)
      layers->push_back("encoder_layer_" + std::to_string(i), EncoderBlock(c));
    register_module("layers", layers);
    ln = register_module("ln", layer_norm(c.hidden_dim));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return ln(layers->forward(dropout(x + pos_embedding)));
  }

  torch::Tensor pos_embedding;
  nn::Dropout dropout{nullptr};
  nn::Sequential layers;
  nn::LayerNorm ln{nullptr};
};
TORCH_MODULE(Encoder);

class VisionTransformerImpl : public ClassifierImpl {
 public:
  VisionTransformerImpl(const ViTConfig& c, const ModelOptions& options) : config_(c) {
    const int64_t grid = c.image_size / c.patch_size;
    conv_proj = register_module(
        "conv_proj", nn::Conv2d(nn::Conv2dOptions(3, c.hidden_dim, c.patch_size).stride(c.patch_size)));
    class_token = register_parameter("class_token", torch::zeros({1, 1, c.hidden_dim}));
    encoder = register_module("encoder", Encoder(c, grid * grid + 1));
    heads = register_module("heads", nn::Sequential());
    head = nn::Linear(c.hidden_dim, options.num_classes);
    heads->push_back("head", head);

    torch::NoGradGuard no_grad;
    // torchvision draws from a normal truncated at +-2 (absolute); with std = sqrt(1/768) ~ 0.036
    // the cut is ~55 sigma away, so a plain normal is the same distribution.
    const double fan_in = 3.0 * c.patch_size * c.patch_size;
    nn::init::normal_(conv_proj->weight, 0.0, std::sqrt(1.0 / fan_in));
    nn::init::zeros_(conv_proj->bias);
    nn::init::zeros_(head->weight);
    nn::init::zeros_(head->bias);
  }

  torch::Tensor forward(torch::Tensor x) override {
    if (x.size(2) != config_.image_size || x.size(3) != config_.image_size)
      fail("vit: input is {}x{}, this model takes {}x{} images", x.size(2), x.size(3),
           config_.image_size, config_.image_size);
    const int64_t n = x.size(0);
    x = conv_proj(x).flatten(2).transpose(1, 2);  // (n, patches, hidden)
    x = torch::cat({class_token.expand({n, -1, -1}), x}, 1);
    x = encoder(x);
    return heads->forward(x.select(1, 0));
  }

 private:
  ViTConfig config_;
  nn::Conv2d conv_proj{nullptr};
  torch::Tensor class_token;
  Encoder encoder{nullptr};
  nn::Sequential heads{nullptr};
  nn::Linear head{nullptr};
};

}  // namespace

ViTConfig vit_b_16_config() { return {}; }

Classifier make_vit(const ViTConfig& config, const ModelOptions& options) {
  return std::make_shared<VisionTransformerImpl>(config, options);
}

double vit_gflops(const ViTConfig& c, int resolution, int64_t num_classes) {
  const double grid = resolution / c.patch_size;
  const double length = grid * grid + 1;
  const double d = c.hidden_dim;
  double macs = 3.0 * c.patch_size * c.patch_size * d * grid * grid;
  const double per_layer = length * (3 * d * d + d * d + 2 * d * c.mlp_dim) + 2 * length * length * d;
  macs += c.num_layers * per_layer + d * num_classes;
  return macs / 1e9;
}

}  // namespace fastimg::models
