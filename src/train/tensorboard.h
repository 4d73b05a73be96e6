#pragma once
// TensorBoard scalar logging: an events.out.tfevents.* file that `tensorboard --logdir` reads.
//
// The file is a TFRecord stream (length, masked CRC-32C of the length, payload, masked CRC-32C of
// the payload) of tensorflow.Event protobuf messages. Only the few fields that scalars need are
// written (wall_time, step, file_version, summary.value{tag, simple_value}), encoded by hand: this
// keeps protoc and TensorBoard's .proto files out of the build.
#include <cstdint>
#include <cstdio>
#include <string>

namespace fastimg::train {

// CRC-32C (Castagnoli), as TFRecord uses; exposed for tests.
uint32_t crc32c(const void* data, size_t size);

class TensorBoardWriter {
 public:
  // Creates <dir>/events.out.tfevents.<unix time>.<host> and writes the file_version record.
  explicit TensorBoardWriter(const std::string& dir);
  ~TensorBoardWriter();
  TensorBoardWriter(const TensorBoardWriter&) = delete;
  TensorBoardWriter& operator=(const TensorBoardWriter&) = delete;

  void add_scalar(const std::string& tag, double value, int64_t step);
  void flush();
  const std::string& path() const { return path_; }

 private:
  void write_record(const std::string& payload);

  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace fastimg::train
