#include "train/metrics.h"

#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace fastimg::train {

MetricsSink::MetricsSink(const std::string& path, bool append) : path_(path) {
  file_ = std::fopen(path.c_str(), append ? "a" : "w");
  if (!file_) fail("{}: cannot open for writing: {}", path, std::strerror(errno));
}

MetricsSink::~MetricsSink() {
  if (file_) std::fclose(file_);
}

void MetricsSink::write(const nlohmann::json& record) {
  std::string line = record.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
    fail("{}: write failed: {}", path_, std::strerror(errno));
}

}  // namespace fastimg::train
