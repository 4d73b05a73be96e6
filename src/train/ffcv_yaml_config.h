#pragma once
// FFCV's own YAML configs (ffcv-imagenet's rn18/rn50 files), accepted unchanged: each FFCV key
// (`lr.lr`, `training.batch_size`, `resolution.min_res`, `validation.lr_tta`, ...) maps onto a
// fastimg key; keys that have no meaning here (in_memory, distributed) are accepted and ignored;
// anything else is an error naming the key and the file.
#include <string>
#include <utility>
#include <vector>

#include "train/config.h"

namespace fastimg::train {

void apply_ffcv_yaml(TrainConfig& config, const std::string& path);
// Every FFCV key with what it becomes (a fastimg key, "accepted, ignored" or "must be 0"), for docs.
std::vector<std::pair<std::string, std::string>> ffcv_yaml_keys();

}  // namespace fastimg::train
