#pragma once
// The reproduction project's own TOML configs (github.com/WangZesen/Reproduce-ResNet: a train file
// such as config/train/resnet50-sgd.toml and a data file such as config/data/imagenet.toml, the
// pair its training script takes), accepted unchanged. Each of its keys maps onto fastimg keys with
// the value its code gives it, and a key the file leaves out gets the reference's default (not
// fastimg's); settings its code fixes (the DALI crop, the validation resize, the no-decay rule, BN
// recalibration) are set as that code does. Keys with no meaning here (wandb, log paths) are
// accepted and ignored; anything else is an error naming the file and the key.
// docs/reference/reproduce-resnet.md says where in the reference each value comes from.
//
//   fastimg train --config config/train/resnet50-sgd.toml --data-config config/data/imagenet.toml
#include <string>
#include <vector>

#include "train/config.h"

namespace fastimg::train {

// What a TOML file is, from its top-level keys: a fastimg config (any fastimg section, or none of
// the reference's keys), the reference's train file or its data file.
enum class ReproduceResNetFile { kNone, kTrain, kData };
ReproduceResNetFile reproduce_resnet_file_kind(const std::vector<std::string>& top_level_keys);

// Applies the reference's train file and data file (both needed, as its script needs both) to
// `config`; each error is one line naming the file and the key.
void apply_reproduce_resnet_toml(TrainConfig& config, const std::string& train_path, const std::string& data_path);

struct ReproduceResNetKey {
  std::string file;     // "train" or "data"
  std::string key;      // dotted, as in the file: "optim.rho", "dataloader.name"
  std::string becomes;  // the fastimg key(s) it sets, or "accepted, ignored (...)" / "must be ..."
};
// Every key of the reference's two files with what it becomes, for docs and tests.
std::vector<ReproduceResNetKey> reproduce_resnet_keys();

}  // namespace fastimg::train
