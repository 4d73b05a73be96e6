#pragma once
// One c10d process group for the whole run: TCPStore rendezvous at MASTER_ADDR:MASTER_PORT (rank 0
// serves it), ProcessGroupGloo for CPU tensors and ProcessGroupNCCL for CUDA tensors (GPU builds).
// Collectives are blocking here; the overlapped gradient path lives in gradient_reducer.h.
#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "dist/env.h"

namespace c10d {
class ProcessGroup;
}

namespace fastimg::dist {

enum class Backend {
  kGloo,  // CPU tensors
  kNccl,  // CUDA tensors, one device per local rank; only in builds with FASTIMG_HAS_CUDA
};

enum class ReduceOp { kSum, kAvg };

struct ProcessGroupOptions {
  Backend backend = Backend::kGloo;
  // How long ranks wait for each other at rendezvous (TCPStore connect + all workers joining).
  std::chrono::milliseconds connect_timeout{std::chrono::minutes(5)};
  // How long one collective may wait before it fails: a dead peer ends the run with an error.
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
};

class ProcessGroup {
 public:
  // Rendezvous with the other ranks; throws fastimg::Error naming MASTER_ADDR:MASTER_PORT when they
  // cannot be reached within connect_timeout. A world of one needs no network.
  explicit ProcessGroup(const DistEnv& env, ProcessGroupOptions options = {});
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  int local_rank() const { return env_.local_rank; }
  bool is_main() const { return env_.rank == 0; }
  Backend backend() const { return options_.backend; }
  // The device collectives run on: CPU for Gloo, cuda:LOCAL_RANK for NCCL.
  torch::Device device() const;

  // In place, across all ranks. Gloo has no AVG: kAvg is a sum divided by the world size.
  void all_reduce_(std::vector<torch::Tensor>& tensors, ReduceOp op = ReduceOp::kSum);
  void all_reduce_(torch::Tensor& tensor, ReduceOp op = ReduceOp::kSum);
  void broadcast_(torch::Tensor& tensor, int root = 0);
  void barrier();
  // Metrics: one number per rank, reduced or gathered in rank order.
  double all_reduce_sum(double value);
  std::vector<double> all_gather(double value);

  // The one-line message for collective `what` failing here with `error`: names this rank and, when
  // the rank that failed first published why, that rank and its message. For collectives started
  // outside this class (the GradientReducer's).
  std::string collective_failure(const std::string& what, const std::string& error) const;

  // Records why this rank is about to fail (call before rethrowing), so the errors the other ranks
  // get when their next collective breaks name the rank that failed first and its message.
  void publish_failure(const std::string& message) noexcept;

  // Waits for every rank (barrier), then releases the group and the store. Idempotent; the
  // destructor releases without the barrier (it may run while unwinding from a peer's failure).
  void shutdown();

  // For c10d-level code (the Reducer, broadcast_coalesced).
  const c10::intrusive_ptr<::c10d::ProcessGroup>& c10d_group() const;

 private:
  struct Impl;
  DistEnv env_;
  ProcessGroupOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fastimg::dist
