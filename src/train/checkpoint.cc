#include "train/checkpoint.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>

#include "util/atomic_file.h"
#include "util/error.h"
#include "util/zip_check.h"

namespace fastimg::train {
namespace {
constexpr const char* kEpochKey = "fastimg_epoch";
constexpr const char* kConfigKey = "fastimg_config";

torch::serialize::InputArchive open_archive(const std::string& path) {
  if (!std::filesystem::exists(path)) fail("{}: checkpoint not found", path);
  // LibTorch's reader does not check the records' CRC-32s: corrupted bytes would load as weights.
  if (const std::string problem = zip_integrity_problem(path); !problem.empty())
    fail("{}: damaged checkpoint: {}", path, problem);
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path);
  } catch (const c10::Error& e) {
    fail("{}: not a fastimg checkpoint ({})", path, e.what_without_backtrace());
  }
  return archive;
}

CheckpointInfo read_info(torch::serialize::InputArchive& archive, const std::string& path) {
  CheckpointInfo info;
  c10::IValue epoch, config;
  if (!archive.try_read(kEpochKey, epoch) || !archive.try_read(kConfigKey, config))
    fail("{}: not a fastimg checkpoint (missing epoch/config)", path);
  info.epoch = epoch.toInt();
  info.config_toml = config.toStringRef();
  c10::IValue next_step, best;
  if (archive.try_read("fastimg_next_step", next_step)) info.next_step = next_step.toInt();
  if (archive.try_read("fastimg_best_top1", best)) info.best_top1 = best.toDouble();
  torch::Tensor rng;
  if (archive.try_read("fastimg_rng_state", rng)) info.rng_state = rng;
  c10::IValue global_batch;
  if (archive.try_read("fastimg_global_batch", global_batch)) info.global_batch = global_batch.toInt();
  return info;
}
}  // namespace

void save_checkpoint(const std::string& path, torch::nn::Module& model, const optim::Optimizer* optimizer,
                     const CheckpointInfo& info, const DynamicLossScaler* scaler) {
  torch::serialize::OutputArchive archive;
  archive.write(kEpochKey, c10::IValue(info.epoch));
  archive.write(kConfigKey, c10::IValue(info.config_toml));
  archive.write("fastimg_next_step", c10::IValue(info.next_step));
  archive.write("fastimg_best_top1", c10::IValue(info.best_top1));
  if (info.rng_state.defined()) archive.write("fastimg_rng_state", info.rng_state);
  archive.write("fastimg_global_batch", c10::IValue(info.global_batch));
  if (scaler) {
    torch::serialize::OutputArchive scaler_archive;
    scaler->save(scaler_archive);
    archive.write("loss_scaler", scaler_archive);
  }
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  // Streamed straight into an AtomicFile: a full disk or a signal leaves the previous checkpoint
  // in place and no partial file behind.
  AtomicFile file(path);
  int write_errno = 0;
  try {
    // After a failed write() the rest is discarded but reported as written: the archive writer
    // turns a short count into an exception that escapes its destructor and aborts the process.
    archive.save_to([&](const void* data, size_t size) -> size_t {
      const char* p = static_cast<const char*>(data);
      for (size_t done = 0; done < size && write_errno == 0;) {
        const ssize_t n = ::write(file.fd(), p + done, size - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) write_errno = n < 0 ? errno : ENOSPC;
        else done += static_cast<size_t>(n);
      }
      return size;
    });
  } catch (const c10::Error& e) {
    fail("{}: cannot write checkpoint: {}", path, e.what_without_backtrace());
  }
  if (write_errno != 0) fail("{}: cannot write checkpoint: {}", path, std::strerror(write_errno));
  file.commit();
}

CheckpointInfo read_checkpoint_info(const std::string& path) {
  auto archive = open_archive(path);
  return read_info(archive, path);
}

CheckpointInfo load_checkpoint(const std::string& path, torch::nn::Module& model, optim::Optimizer* optimizer,
                               DynamicLossScaler* scaler) {
  auto archive = open_archive(path);
  CheckpointInfo info = read_info(archive, path);
  try {
    torch::serialize::InputArchive model_archive;
    archive.read("model", model_archive);
    model.load(model_archive);
    if (optimizer) {
      torch::serialize::InputArchive optimizer_archive;
      archive.read("optimizer", optimizer_archive);
      optimizer->load(optimizer_archive);
    }
    if (scaler) {
      torch::serialize::InputArchive scaler_archive;
      if (archive.try_read("loss_scaler", scaler_archive)) scaler->load(scaler_archive);
    }
  } catch (const c10::Error& e) {
    fail("{}: checkpoint does not match the model/optimizer: {}", path, e.what_without_backtrace());
  }
  return info;
}

}  // namespace fastimg::train
