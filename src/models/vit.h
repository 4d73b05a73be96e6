#pragma once
// Vision Transformer with torchvision's VisionTransformer layout and state_dict keys (conv_proj,
// class_token, encoder.pos_embedding, encoder.layers.encoder_layer_<i>.{ln_1, self_attention,
// ln_2, mlp}, encoder.ln, heads.head). Attention runs through scaled_dot_product_attention so that
// fused kernels (flash / memory-efficient) are used on GPUs.
#include "models/classifier.h"

namespace fastimg::models {

struct ViTConfig {
  int64_t image_size = 224;  // fixed: the position embedding has one row per patch (+ class token)
  int64_t patch_size = 16;
  int64_t num_layers = 12;
  int64_t num_heads = 12;
  int64_t hidden_dim = 768;
  int64_t mlp_dim = 3072;
  double dropout = 0.0;            // torchvision's vit_b_16 defaults
  double attention_dropout = 0.0;
};

ViTConfig vit_b_16_config();

Classifier make_vit(const ViTConfig& config, const ModelOptions& options);

// Conv/linear multiply-accumulates plus the two attention matmuls (QK^T and AV), in 1e9. The
// resolution must equal config.image_size for the model to run; the count is given for any.
double vit_gflops(const ViTConfig& config, int resolution, int64_t num_classes = 1000);

}  // namespace fastimg::models
