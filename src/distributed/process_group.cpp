// Implements distributed/process_group.h on c10d. Gloo and NCCL derive from c10d::ProcessGroup
// in LibTorch 1.13 and from c10d::Backend in 2.x; both offer the same calls, so the code below
// differs between the two only in that one type and in creating the backend object.
#include "imagenet/distributed/process_group.h"

#include <torch/version.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

// Debian's LibTorch ships Gloo's headers; pip wheels (the CUDA builds) do not, though Gloo is
// compiled in. Without them the Gloo backend is left out and NCCL is the only one.
#if __has_include(<gloo/algorithm.h>)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#define IMAGENET_HAVE_GLOO 1
#endif

#if defined(IMAGENET_WITH_CUDA) && defined(USE_C10D_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#define IMAGENET_HAVE_NCCL 1
#endif

#include <functional>
#include <thread>

#include "imagenet/util/error.h"
#include "imagenet/util/log.h"

#define IMAGENET_TORCH_AT_LEAST(major, minor) \
  (TORCH_VERSION_MAJOR > (major) ||           \
   (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

namespace imagenet {
namespace {

#if TORCH_VERSION_MAJOR >= 2
using BackendBase = c10d::Backend;
#else
using BackendBase = c10d::ProcessGroup;
#endif

constexpr const char* kStopKey = "imagenet/stop";
constexpr const char* kCheckpointKey = "imagenet/checkpoint/";  // + the number agreed so far
constexpr const char* kArrivedKey = "imagenet/arrived";

/// The message of a c10d or Gloo exception, without LibTorch's C++ stack trace.
std::string exception_text(const std::exception& e) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
  auto newline = text.find('\n');
  if (newline != std::string::npos) text.resize(newline);
  while (!text.empty() && (text.back() == '.' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string seconds_text(std::chrono::milliseconds timeout) {
  return format_number(static_cast<double>(timeout.count()) / 1000.0) + " s";
}

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "localhost" || address == "::1";
}

/// Why a collective failed, and what probably happened.
std::string failure_text(const ProcessGroupOptions& options, const std::string& backend,
                         const std::string& what, const std::string& reason) {
  return str_cat(what, " failed on rank ", options.rank, " of ", options.world_size, " (", backend,
                 "): ", reason,
                 ". Another rank probably stopped (it crashed, was killed or ran out of memory; "
                 "its log says why), or the network failed. Collectives give up after "
                 "dist_timeout (",
                 seconds_text(options.timeout), ").");
}

std::vector<uint8_t> bytes_of(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

}  // namespace

struct PendingWork::Impl {
  c10::intrusive_ptr<c10d::Work> work;
  std::function<std::string(const std::string&)> describe_failure;  // from the reason
};

struct ProcessGroup::Impl {
  ProcessGroupOptions options;
  std::string backend_name;
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<BackendBase> backend;
#ifdef IMAGENET_HAVE_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;  // the same object, for shutdown()
#endif
  // The agreed stop: the step count and the signal, once some rank proposed one.
  bool stop_decided = false;
  bool stop_proposed = false;
  int64_t stop_step = 0;
  int stop_signal = 0;
  int64_t checkpoints_agreed = 0;  // agree_checkpoint: the next proposal's number
  int64_t checkpoint_step = -1;    // the agreed step of that proposal, -1 until known
  bool checkpoint_proposed = false;

  /// Runs a collective (or a store operation), turning c10d's and Gloo's exceptions into a
  /// RuntimeError that names the operation, this rank, and the likely cause.
  template <typename F>
  auto guarded(const std::string& what, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const std::exception& e) {
      throw RuntimeError(describe_failure(what, exception_text(e)));
    }
  }

  std::string describe_failure(const std::string& what, const std::string& reason) const {
    return failure_text(options, backend_name, what, reason);
  }

  PendingWork pending(c10::intrusive_ptr<c10d::Work> work, const std::string& what) const {
    PendingWork out;
    out.impl_ = std::make_shared<PendingWork::Impl>();
    out.impl_->work = std::move(work);
    out.impl_->describe_failure = [options = options, name = backend_name,
                                   what](const std::string& reason) {
      return failure_text(options, name, what, reason);
    };
    return out;
  }
};

void ProcessGroup::wait_for_ranks(Impl& m, const std::string& where) {
  const ProcessGroupOptions& options = m.options;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  int64_t arrived = 0;
  try {
    arrived = m.store->add(kArrivedKey, 1);
    while (arrived < options.world_size && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      arrived = m.store->add(kArrivedKey, 0);
    }
  } catch (const std::exception& e) {
    throw RuntimeError(str_cat("rendezvous failed on rank ", options.rank, " of ",
                               options.world_size, ": the store at ", where, " stopped answering (",
                               exception_text(e), "): rank 0, which hosts it, probably stopped."));
  }
  if (arrived < options.world_size)
    throw RuntimeError(str_cat(
        "rendezvous failed on rank ", options.rank, " of ", options.world_size, ": only ", arrived,
        " of ", options.world_size, " ranks arrived at ", where, " within dist_timeout (",
        seconds_text(options.timeout),
        "). Start the same command on every node, with its NODE_RANK and the same "
        "MASTER_ADDR, MASTER_PORT, devices and num_nodes; a node that failed before joining "
        "says why in its own output."));
}

void PendingWork::wait() {
  IMAGENET_CHECK(impl_ != nullptr, "wait() on an empty PendingWork");
  if (!impl_->work) return;  // a group of one: done when started
  try {
    impl_->work->wait();
  } catch (const std::exception& e) {
    throw RuntimeError(impl_->describe_failure(exception_text(e)));
  }
}

bool gloo_available() {
#ifdef IMAGENET_HAVE_GLOO
  return true;
#else
  return false;
#endif
}

ProcessGroup::ProcessGroup(const ProcessGroupOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.options = options;
  const bool cuda = options.device.is_cuda();
  const bool use_nccl =
      options.backend == DistBackend::kNccl || (options.backend == DistBackend::kAuto && cuda);
  m.backend_name = use_nccl ? "nccl" : "gloo";
#ifndef IMAGENET_HAVE_NCCL
  if (use_nccl)
    throw UsageError(str_cat(
        "dist_backend ", options.backend == DistBackend::kNccl ? "nccl" : "auto",
        " on CUDA needs a LibTorch built with NCCL (USE_C10D_NCCL); this build has none. Set "
        "dist_backend: gloo, or build against a CUDA LibTorch (scripts/build_cuda.sh)."));
#endif

#ifndef IMAGENET_HAVE_GLOO
  if (!use_nccl)
    throw UsageError(
        "the gloo backend (CPU training, or dist_backend: gloo) needs Gloo's C++ headers, which "
        "this LibTorch does not ship (pip wheels leave them out). On GPUs use dist_backend: nccl "
        "(the default on CUDA); for CPU runs build against Debian's LibTorch or a LibTorch "
        "archive.");
#endif

  // 1. Rendezvous: rank 0 hosts the store (unless torchrun's agent does); the others connect,
  // retrying until dist_timeout.
  const std::string where = str_cat(options.master_addr, ":", options.master_port);
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<std::uint16_t>(options.master_port);
    store_options.isServer = options.rank == 0 && !options.agent_store;
    store_options.numWorkers = static_cast<std::size_t>(options.world_size);
    store_options.waitWorkers = false;  // wait_for_ranks below, with a clear error
    store_options.timeout = options.timeout;
    store_options.multiTenant = true;
    c10::intrusive_ptr<c10d::Store> tcp =
        c10::make_intrusive<c10d::TCPStore>(options.master_addr, store_options);
    if (options.store_prefix.empty()) {
      m.store = tcp;
    } else {
      m.store = c10::make_intrusive<c10d::PrefixStore>(options.store_prefix, tcp);
    }
  } catch (const std::exception& e) {
    const bool host = options.rank == 0 && !options.agent_store;
    throw RuntimeError(str_cat(
        "rendezvous failed on rank ", options.rank, " of ", options.world_size, ": ",
        exception_text(e), ". ",
        host ? str_cat("Rank 0 hosts the store on port ", options.master_port,
                       ": is another run using it? Choose another MASTER_PORT.")
             : str_cat("This rank could not reach rank 0's store at MASTER_ADDR:MASTER_PORT = ",
                       where, " within dist_timeout (", seconds_text(options.timeout),
                       "): check that node 0 is running, that MASTER_ADDR is its address as "
                       "seen from this node, and that no firewall blocks the port.")));
  }

  // Every rank counts itself in and waits for the others (TCPStore's own wait for workers
  // gives up silently in 1.13, and a client never waits).
  wait_for_ranks(m, where);

  // 2. The backend: the only lines that differ between NCCL and Gloo.
  try {
    if (use_nccl) {
#ifdef IMAGENET_HAVE_NCCL
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = options.timeout;
      m.nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(m.store, options.rank,
                                                           options.world_size, nccl_options);
      m.backend = m.nccl;
#endif
    } else {
#ifdef IMAGENET_HAVE_GLOO
      auto gloo_options = c10d::ProcessGroupGloo::Options::create(options.timeout);
      if (!options.gloo_interfaces.empty()) {
        for (const auto& name : str_split(options.gloo_interfaces, ','))
          gloo_options->devices.push_back(
              c10d::ProcessGroupGloo::createDeviceForInterface(str_trim(name)));
      } else if (!options.multi_node && is_loopback(options.master_addr)) {
        gloo_options->devices.push_back(
            c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      m.backend = c10::make_intrusive<c10d::ProcessGroupGloo>(m.store, options.rank,
                                                              options.world_size, gloo_options);
#endif
    }
  } catch (const std::exception& e) {
    throw RuntimeError(str_cat(
        "connecting the ", m.backend_name, " backend failed on rank ", options.rank, " of ",
        options.world_size, ": ", exception_text(e), ". The ranks met at ", where,
        " but could not connect to each other within dist_timeout (", seconds_text(options.timeout),
        "); on several machines set GLOO_SOCKET_IFNAME (or "
        "NCCL_SOCKET_IFNAME) to the interface they share."));
  }
}

ProcessGroup::~ProcessGroup() {
#if defined(IMAGENET_HAVE_NCCL) && IMAGENET_TORCH_AT_LEAST(2, 4)
  // Without it, NCCL complains at exit that the group was not destroyed, and a peer can hang.
  if (impl_ && impl_->nccl) {
    try {
      impl_->nccl->shutdown();
    } catch (const std::exception& e) {
      log_warn(str_cat("NCCL shutdown: ", exception_text(e)));
    }
  }
#endif
}

std::shared_ptr<ProcessGroup> ProcessGroup::single_process(c10::Device device) {
  std::shared_ptr<ProcessGroup> group(new ProcessGroup());
  group->impl_ = std::make_unique<Impl>();
  group->impl_->options.device = device;
  group->impl_->backend_name = "none";
  return group;
}

bool ProcessGroup::distributed() const {
  return impl_->backend != nullptr;
}

int ProcessGroup::rank() const {
  return impl_->options.rank;
}

int ProcessGroup::size() const {
  return impl_->options.world_size;
}

std::string ProcessGroup::backend_name() const {
  return impl_->backend_name;
}

const ProcessGroupOptions& ProcessGroup::options() const {
  return impl_->options;
}

void ProcessGroup::all_reduce_sum(std::vector<at::Tensor> tensors) {
  if (!distributed()) return;
  impl_->guarded("all-reduce", [&] {
    for (auto& t : tensors) {
      std::vector<at::Tensor> one{t};
      impl_->backend->allreduce(one, c10d::AllreduceOptions())->wait();
    }
  });
}

PendingWork ProcessGroup::all_reduce_sum_async(at::Tensor tensor) {
  if (!distributed()) return impl_->pending({}, "gradient all-reduce");
  std::vector<at::Tensor> one{std::move(tensor)};
  auto work = impl_->guarded(
      "all-reduce", [&] { return impl_->backend->allreduce(one, c10d::AllreduceOptions()); });
  return impl_->pending(std::move(work), "gradient all-reduce");
}

void ProcessGroup::broadcast(std::vector<at::Tensor> tensors, int root) {
  if (!distributed()) return;
  impl_->guarded("broadcast", [&] {
    c10d::BroadcastOptions options;
    options.rootRank = root;
    for (auto& t : tensors) {
      std::vector<at::Tensor> one{t};
      impl_->backend->broadcast(one, options)->wait();
    }
  });
}

std::vector<at::Tensor> ProcessGroup::all_gather(const at::Tensor& tensor) {
  if (!distributed()) return {tensor.clone()};
  return impl_->guarded("all-gather", [&] {
    std::vector<at::Tensor> input{tensor.contiguous()};
    std::vector<std::vector<at::Tensor>> output(1);
    for (int r = 0; r < size(); ++r) output[0].push_back(at::empty_like(input[0]));
    impl_->backend->allgather(output, input, c10d::AllgatherOptions())->wait();
    return output[0];
  });
}

void ProcessGroup::barrier() {
  if (!distributed()) return;
  at::Tensor one = at::ones({1}, at::TensorOptions().device(impl_->options.device));
  impl_->guarded("barrier", [&] {
    std::vector<at::Tensor> tensors{one};
    impl_->backend->allreduce(tensors, c10d::AllreduceOptions())->wait();
  });
}

int ProcessGroup::agree_stop(int64_t steps, int local_signal) {
  if (!distributed()) return local_signal;
  Impl& m = *impl_;
  if (!m.stop_decided) {
    m.guarded("agreeing on a stop through the store", [&] {
      if (local_signal != 0 && !m.stop_proposed) {
        // The first proposal wins; compareSet returns whichever value is stored.
        m.stop_proposed = true;
        m.store->compareSet(kStopKey, {}, bytes_of(str_cat(steps + 1, " ", local_signal)));
      }
      if (!m.store->check({kStopKey})) return;
      std::vector<uint8_t> value = m.store->get(kStopKey);
      std::vector<std::string> parts = str_split(std::string(value.begin(), value.end()), ' ');
      IMAGENET_CHECK(parts.size() == 2, "malformed stop proposal in the store");
      m.stop_step = std::stoll(parts[0]);
      m.stop_signal = std::stoi(parts[1]);
      m.stop_decided = true;
    });
  }
  return m.stop_decided && steps >= m.stop_step ? m.stop_signal : 0;
}

bool ProcessGroup::agree_checkpoint(int64_t steps, bool local_due) {
  if (!distributed()) return local_due;
  Impl& m = *impl_;
  if (m.checkpoint_step < 0) {
    m.guarded("agreeing on a checkpoint step through the store", [&] {
      const std::string key = str_cat(kCheckpointKey, m.checkpoints_agreed);
      if (local_due && !m.checkpoint_proposed) {
        m.checkpoint_proposed = true;
        m.store->compareSet(key, {}, bytes_of(std::to_string(steps + 1)));
      }
      if (!m.store->check({key})) return;
      std::vector<uint8_t> value = m.store->get(key);
      m.checkpoint_step = std::stoll(std::string(value.begin(), value.end()));
    });
  }
  if (m.checkpoint_step < 0 || steps < m.checkpoint_step) return false;
  m.checkpoint_step = -1;
  m.checkpoint_proposed = false;
  ++m.checkpoints_agreed;
  return true;
}

}  // namespace imagenet
