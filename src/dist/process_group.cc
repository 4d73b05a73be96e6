#include "dist/process_group.h"

#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef FASTIMG_HAS_CUDA
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <cstdlib>

#include "util/error.h"

namespace fastimg::dist {
namespace {

// c10::Error messages carry a C++ backtrace after the first line.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0; }

// Gloo binds to one address. Loopback rendezvous means one machine: bind loopback too, which also
// works in containers whose hostname does not resolve. GLOO_SOCKET_IFNAME wins, as in PyTorch.
std::shared_ptr<::gloo::transport::Device> gloo_device(const DistEnv& env) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return ::c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (is_loopback(env.master_addr)) return ::c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return ::c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

struct ProcessGroup::Impl {
  c10::intrusive_ptr<::c10d::Store> store;
  c10::intrusive_ptr<::c10d::Store> prefixed;  // our keys, e.g. the first failure
  c10::intrusive_ptr<::c10d::ProcessGroup> group;
};

namespace {
const std::string kFailureKey = "failure";

// The failure another rank published, or "" (the store may be gone with rank 0: then nothing).
std::string peer_failure(const c10::intrusive_ptr<::c10d::Store>& store) {
  try {
    if (store && store->check({kFailureKey})) {
      auto bytes = store->get(kFailureKey);
      return std::string(bytes.begin(), bytes.end());
    }
  } catch (...) {
  }
  return "";
}
}  // namespace

ProcessGroup::ProcessGroup(const DistEnv& env, ProcessGroupOptions options)
    : env_(env), options_(options), impl_(std::make_unique<Impl>()) {
  const std::string where = fmt::format("{}:{}", env.master_addr, env.master_port);
  try {
    if (env.world_size == 1) {
      impl_->store = c10::make_intrusive<::c10d::HashStore>();
    } else {
      ::c10d::TCPStoreOptions store_options;
      store_options.port = static_cast<uint16_t>(env.master_port);
      store_options.isServer = env.rank == 0;
      store_options.numWorkers = static_cast<size_t>(env.world_size);
      store_options.waitWorkers = true;
      store_options.timeout = options.connect_timeout;
      impl_->store = c10::make_intrusive<::c10d::TCPStore>(env.master_addr, store_options);
    }
  } catch (const std::exception& e) {
    fail("rank {} of {}: rendezvous at {} (MASTER_ADDR:MASTER_PORT) failed within {} s: {}", env.rank, env.world_size,
         where, options.connect_timeout.count() / 1000.0, first_line(e.what()));
  }
  try {
    // A prefix keeps our keys apart should anything else share the store.
    auto store = c10::make_intrusive<::c10d::PrefixStore>("fastimg/", impl_->store);
    impl_->prefixed = store;
    impl_->group = c10::make_intrusive<::c10d::ProcessGroup>(store, env.rank, env.world_size);
    if (options.backend == Backend::kGloo) {
      auto gloo_options = ::c10d::ProcessGroupGloo::Options::create(options.timeout);
      gloo_options->devices.push_back(gloo_device(env));
      auto gloo = c10::make_intrusive<::c10d::ProcessGroupGloo>(store, env.rank, env.world_size, gloo_options);
      impl_->group->setBackend(c10::DeviceType::CPU, ::c10d::ProcessGroup::BackendType::GLOO, gloo);
      impl_->group->setDefaultBackend(::c10d::ProcessGroup::BackendType::GLOO);
    } else {
#ifdef FASTIMG_HAS_CUDA
      // One GPU per local rank, bound before the communicator exists so NCCL initialises eagerly.
      const torch::Device cuda(torch::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
      impl_->group->setBoundDeviceId(cuda);
      auto nccl_options = ::c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = options.timeout;
      auto nccl = c10::make_intrusive<::c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, nccl_options);
      impl_->group->setBackend(c10::DeviceType::CUDA, ::c10d::ProcessGroup::BackendType::NCCL, nccl);
      impl_->group->setDefaultBackend(::c10d::ProcessGroup::BackendType::NCCL);
#else
      fail("the NCCL backend needs a GPU build of fastimg (FASTIMG_CUDA=ON)");
#endif
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail("rank {} of {}: creating the {} process group (rendezvous {}) failed: {}", env.rank, env.world_size,
         options.backend == Backend::kGloo ? "Gloo" : "NCCL", where, first_line(e.what()));
  }
}

ProcessGroup::~ProcessGroup() {
  try {
    if (impl_ && impl_->group) impl_->group->shutdown();
  } catch (...) {  // a peer already gone: nothing left to release cleanly
  }
}

torch::Device ProcessGroup::device() const {
  if (options_.backend == Backend::kNccl) return {torch::kCUDA, static_cast<c10::DeviceIndex>(env_.local_rank)};
  return torch::kCPU;
}

const c10::intrusive_ptr<::c10d::ProcessGroup>& ProcessGroup::c10d_group() const {
  if (!impl_->group) fail("the process group was shut down");
  return impl_->group;
}

namespace {
// Collectives fail with c10::Error (peer gone, timeout); the user gets one line naming the rank and,
// when the rank that failed first published why, its message.
std::string failure_message(const std::string& what, const std::string& error, int rank, int world_size,
                            const c10::intrusive_ptr<::c10d::Store>& store) {
  const std::string cause = peer_failure(store);
  if (!cause.empty()) return fmt::format("rank {} of {}: {} failed because {}", rank, world_size, what, cause);
  return fmt::format("rank {} of {}: {} failed (another rank probably exited or timed out): {}", rank, world_size,
                     what, first_line(error));
}

template <typename Fn>
void run_collective(const char* what, int rank, int world_size, const c10::intrusive_ptr<::c10d::Store>& store,
                    Fn&& fn) {
  try {
    fn();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(failure_message(what, e.what(), rank, world_size, store));
  }
}
}  // namespace

std::string ProcessGroup::collective_failure(const std::string& what, const std::string& error) const {
  return failure_message(what, error, rank(), world_size(), impl_->prefixed);
}

void ProcessGroup::publish_failure(const std::string& message) noexcept {
  if (!impl_->prefixed || world_size() == 1) return;
  try {
    const std::string text = fmt::format("rank {} failed: {}", rank(), first_line(message));
    // add() makes the first publisher win: later failures are usually consequences of the first.
    if (impl_->prefixed->add("failure_count", 1) == 1)
      impl_->prefixed->set(kFailureKey, std::vector<uint8_t>(text.begin(), text.end()));
  } catch (...) {  // the store may already be gone; the local error still reaches the user
  }
}

void ProcessGroup::all_reduce_(std::vector<torch::Tensor>& tensors, ReduceOp op) {
  if (tensors.empty()) return;
  run_collective("all_reduce", rank(), world_size(), impl_->prefixed, [&] {
    ::c10d::AllreduceOptions opts;
    opts.reduceOp = ::c10d::ReduceOp::SUM;  // kAvg divides below: Gloo has no AVG
    // One call per tensor: c10d's multi-tensor form means "one tensor per local device".
    std::vector<c10::intrusive_ptr<::c10d::Work>> works;
    for (auto& t : tensors) {
      std::vector<at::Tensor> one{t};
      works.push_back(c10d_group()->allreduce(one, opts));
    }
    for (auto& w : works) w->wait();
  });
  if (op == ReduceOp::kAvg && world_size() > 1)
    for (auto& t : tensors) t.div_(world_size());
}

void ProcessGroup::all_reduce_(torch::Tensor& tensor, ReduceOp op) {
  std::vector<torch::Tensor> tensors{tensor};
  all_reduce_(tensors, op);
}

void ProcessGroup::broadcast_(torch::Tensor& tensor, int root) {
  if (root < 0 || root >= world_size()) fail("broadcast root {} is not a rank of a world of {}", root, world_size());
  run_collective("broadcast", rank(), world_size(), impl_->prefixed, [&] {
    std::vector<at::Tensor> one{tensor};
    ::c10d::BroadcastOptions opts;
    opts.rootRank = root;
    c10d_group()->broadcast(one, opts)->wait();
  });
}

void ProcessGroup::barrier() {
  run_collective("barrier", rank(), world_size(), impl_->prefixed, [&] {
    ::c10d::BarrierOptions opts;
    if (options_.backend == Backend::kNccl) opts.device_ids = {env_.local_rank};
    c10d_group()->barrier(opts)->wait();
  });
}

double ProcessGroup::all_reduce_sum(double value) {
  auto t = torch::tensor({value}, torch::TensorOptions().dtype(torch::kFloat64).device(device()));
  all_reduce_(t, ReduceOp::kSum);
  return t.item<double>();
}

std::vector<double> ProcessGroup::all_gather(double value) {
  auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(device());
  std::vector<std::vector<at::Tensor>> outputs(1);
  for (int r = 0; r < world_size(); ++r) outputs[0].push_back(torch::empty({1}, opts));
  std::vector<at::Tensor> input{torch::tensor({value}, opts)};
  run_collective("all_gather", rank(), world_size(), impl_->prefixed,
                 [&] { c10d_group()->allgather(outputs, input)->wait(); });
  std::vector<double> values;
  for (auto& t : outputs[0]) values.push_back(t.item<double>());
  return values;
}

void ProcessGroup::shutdown() {
  if (!impl_->group) return;
  barrier();  // nobody tears the store down while a peer still talks to it
  impl_->group->shutdown();
  impl_->group.reset();
  impl_->prefixed.reset();
  impl_->store.reset();
}

}  // namespace fastimg::dist
