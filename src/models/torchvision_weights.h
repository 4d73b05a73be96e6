#pragma once
// Exchanging weights with PyTorch: a file written by torch.save(dict_of_tensors, path), e.g.
// torch.save(dict(torchvision_model.state_dict()), path), loads into our model of the same name.
#include <torch/torch.h>

#include <map>
#include <string>

namespace fastimg::models {

// Copies every parameter and buffer from the file into `model`. Every key of the model must be in
// the file with the same shape (fixed BlurPool filters may be absent) and every key of the file
// must be in the model; otherwise throws fastimg::Error naming the offending keys.
void load_torchvision_state_dict(torch::nn::Module& model, const std::string& path);

// Every tensor of a torch.save(dict_of_tensors) file, by key.
std::map<std::string, torch::Tensor> load_tensor_dict(const std::string& path);

// The inverse, readable from Python with torch.load(path).
void save_torchvision_state_dict(torch::nn::Module& model, const std::string& path);

}  // namespace fastimg::models
