#pragma once
// metrics.jsonl: one JSON object per line (train log steps, evaluations, the final summary),
// flushed per line so a crashed or running job can be plotted.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace fastimg::train {

class MetricsSink {
 public:
  // append = true keeps earlier lines (resume).
  MetricsSink(const std::string& path, bool append);
  ~MetricsSink();
  MetricsSink(const MetricsSink&) = delete;
  MetricsSink& operator=(const MetricsSink&) = delete;
  void write(const nlohmann::json& record);

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
};

}  // namespace fastimg::train
