// Implements train/trainer.h: setup, the epoch loop, validation and checkpoints.
#include "imagenet/train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "imagenet/config/config_loader.h"
#include "imagenet/data/loader_options.h"
#include "imagenet/distributed/sync_batch_norm.h"
#include "imagenet/logging/progress.h"
#include "imagenet/logging/training_curves.h"
#include "imagenet/train/batch_input.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"

namespace imagenet {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string percent(double fraction) {
  return std::isnan(fraction) ? std::string("n/a") : str_printf("%.2f%%", 100.0 * fraction);
}

std::map<std::string, at::Tensor> model_state(const torch::nn::Module& model) {
  std::map<std::string, at::Tensor> state;
  for (auto& item : model.named_parameters()) state[item.key()] = item.value();
  for (auto& item : model.named_buffers()) state[item.key()] = item.value();
  return state;
}

}  // namespace

Trainer::Trainer(Config config, RunContext context, DataSplits data, RunPaths paths,
                 StopRequest stop_requested)
    : config_(std::move(config)),
      context_(context),
      data_(std::move(data)),
      paths_(std::move(paths)),
      stop_requested_(std::move(stop_requested)),
      top_k_(paths_.checkpoints_dir, config_.model.arch, config_.output.save_top_k) {
  if (!context_.group) context_.group = ProcessGroup::single_process(context_.device);
  const c10::Device device = context_.device;
  step_ = std::make_unique<TrainStep>(config_, device,
                                      static_cast<int64_t>(data_.train->classes.size()));

  // Loaders. Page-locked buffers let the copy to a GPU run asynchronously.
  auto make_loader_options = [&](bool train) {
    LoaderOptions o =
        loader_options_from_config(config_, train, context_.rank, context_.world_size);
    o.sampler.pad = false;  // validation: each image once over all ranks, so metrics are exact
    if (device.is_cuda() && config_.data.pin_memory) {
      o.allocator.allocate = [this](size_t bytes) {
        at::Tensor t = at::empty({static_cast<int64_t>(bytes)},
                                 at::TensorOptions().dtype(at::kByte).pinned_memory(true));
        pinned_buffers_.push_back(t);
        return static_cast<void*>(t.data_ptr());
      };
      o.allocator.release = [](void*) {};  // freed with pinned_buffers_
    }
    return o;
  };
  LoaderOptions train_options = make_loader_options(true);
  train_options.max_batches =
      config_.data.limit_train_batches.apply(batches_per_epoch(*data_.train, train_options));
  train_loader_ = std::make_unique<BatchLoader>(data_.train, train_options);
  LoaderOptions val_options = make_loader_options(false);
  val_options.max_batches =
      config_.data.limit_val_batches.apply(batches_per_epoch(*data_.val, val_options));
  val_loader_ = std::make_unique<BatchLoader>(data_.val, val_options);
  transfer_ = std::make_unique<BatchTransfer>(device, step_->channels_last());

  plan_ = make_training_plan(config_, context_.world_size, train_loader_->num_batches());
  if (context_.group->distributed()) setup_distributed();
  if (context_.is_main()) {
    ensure_directory(paths_.output_dir);
    csv_ = std::make_unique<MetricsCsv>(paths_.metrics_csv);
  }
}

Trainer::~Trainer() {
  // Loaders first: their threads write into the pinned buffers (and wait for copies).
  train_loader_.reset();
  val_loader_.reset();
}

void Trainer::setup_distributed() {
  ResNet& model = step_->model();
  // SyncBatchNorm: the same layers (so the same parameter names), statistics over all ranks.
  if (config_.dist.sync_batchnorm) {
    std::shared_ptr<ProcessGroup> group = context_.group;
    model->set_batch_norm_fn([group](torch::nn::BatchNorm2dImpl& layer, const at::Tensor& x) {
      return sync_batch_norm(layer, x, *group);
    });
  }
  // Every rank starts from rank 0's weights.
  broadcast_state();
  // Gradient buckets, all-reduced from hooks while backward runs; TrainStep waits for them
  // between backward and the optimizer step.
  GradientReducerOptions options;
  options.bucket_mb = config_.dist.dist_bucket_mb;
  std::vector<at::Tensor> params;
  for (const auto& p : model->parameters())
    if (p.requires_grad()) params.push_back(p);
  reducer_ = std::make_unique<GradientReducer>(context_.group, params, options);
  step_->set_after_backward([this] { reducer_->finish_backward(); });
  log_info(str_cat("data-parallel: ", reducer_->describe(), "; sync_batchnorm ",
                   config_.dist.sync_batchnorm ? "on"
                                               : "off (running statistics averaged across "
                                                 "ranks before validation and checkpoints)"));
}

void Trainer::broadcast_state() {
  // Parameters, buffers and momentum, in the same order on every rank (names sort the map).
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> tensors;
  for (const auto& p : step_->model()->parameters()) tensors.push_back(p);
  for (const auto& b : step_->model()->buffers()) tensors.push_back(b);
  for (const auto& [name, buffer] : step_->optimizer().momentum_buffers())
    tensors.push_back(buffer);
  context_.group->broadcast(tensors, /*root=*/0);
}

void Trainer::average_running_stats_if_local() {
  // Without sync_batchnorm each rank's running statistics follow its own batches.
  if (context_.group->distributed() && !config_.dist.sync_batchnorm)
    average_running_stats(step_->model()->batch_norm_layers(), *context_.group);
}

void Trainer::reduce_over_ranks(MetricSums& sums, int64_t* count) const {
  // Exact sums, not averages of averages: float64 holds counts exactly up to 2^53.
  at::Tensor host = at::tensor(
      {static_cast<double>(sums.loss_samples), static_cast<double>(sums.accuracy_samples),
       count ? static_cast<double>(*count) : 0.0},
      at::TensorOptions().dtype(at::kDouble));
  at::Tensor packed = at::cat(
      {sums.loss_sum.to(at::kDouble), sums.correct.to(at::kDouble), host.to(context_.device)});
  context_.group->all_reduce_sum({packed});
  packed = packed.cpu();
  auto value = [&](int64_t i) { return packed[i].item<double>(); };
  sums.loss_sum.fill_(value(0));
  sums.correct[0].fill_(static_cast<int64_t>(std::llround(value(1))));
  sums.correct[1].fill_(static_cast<int64_t>(std::llround(value(2))));
  sums.loss_samples = std::llround(value(3));
  sums.accuracy_samples = std::llround(value(4));
  if (count) *count = std::llround(value(5));
}

void Trainer::restore(const CheckpointData& checkpoint, const std::string& checkpoint_path) {
  at::NoGradGuard no_grad;
  auto state = model_state(*step_->model());
  for (const auto& [name, tensor] : state) {
    auto it = checkpoint.state_dict.find(name);
    if (it == checkpoint.state_dict.end())
      throw UsageError(str_cat(checkpoint_path, " has no tensor '", name, "' for this model."));
    if (it->second.sizes() != tensor.sizes())
      throw UsageError(str_cat(checkpoint_path, ": '", name, "' has shape ", it->second.sizes(),
                               ", the model expects ", tensor.sizes(), "."));
    tensor.copy_(it->second);  // keeps the device and memory format of the model
  }
  step_->optimizer().load_momentum_buffers(checkpoint.momentum);
  if (step_->scaler().enabled() && checkpoint.scaler_scale.defined())
    step_->scaler().load(checkpoint.scaler_scale, checkpoint.scaler_growth_tracker);
  progress_ = checkpoint.progress;
  top_k_.restore(checkpoint.top_k);
  resumed_from_ = checkpoint_path;
  if (context_.group->distributed()) {
    // Every rank read the same file; rank 0's copy decides all the same. The partial sums
    // of an interrupted epoch are over all ranks: rank 0 carries them, the others start at 0.
    broadcast_state();
    if (!context_.is_main()) {
      progress_.loss_sum = 0;
      progress_.loss_samples = progress_.correct1 = progress_.correct5 = 0;
      progress_.accuracy_samples = 0;
    }
  }
}

int Trainer::fit() {
  const int64_t epochs = config_.train.epochs;
  const Clock::time_point start = Clock::now();
  int epochs_this_run = 0;
  if (progress_.epoch >= epochs) {
    log_info(str_cat("nothing to do: the checkpoint finished epoch ", progress_.epoch - 1,
                     " and epochs is ", epochs, ". Raise epochs to train longer."));
    return 0;
  }
  while (progress_.epoch < epochs) {
    const int64_t epoch = progress_.epoch;
    EpochMetrics metrics;
    const Clock::time_point epoch_start = Clock::now();

    // Train one epoch; a stop signal saves a mid-epoch checkpoint and ends the run.
    if (train_epoch(epoch, &metrics) == EpochEnd::kStopped) {
      int signal = stop_signal();
      log_warn(str_cat("stopped by signal ", signal, " in epoch ", epoch, " after batch ",
                       progress_.batch_in_epoch, "; resume with --resume ", paths_.checkpoints_dir,
                       "/last.ckpt"));
      return 128 + signal;
    }
    const bool last_epoch_of_run =
        epoch + 1 >= epochs || (config_.train.stop_after_epochs > 0 &&
                                epochs_this_run + 1 >= config_.train.stop_after_epochs);

    // Load the next epoch's first batches while validation runs.
    if (!last_epoch_of_run) {
      train_loader_->start_epoch(epoch + 1);
      prefetched_epoch_ = epoch + 1;
    }
    EpochMetrics val = validate();
    metrics.val_loss = val.val_loss;
    metrics.val_acc1 = val.val_acc1;
    metrics.val_acc5 = val.val_acc5;
    metrics.seconds = seconds_since(epoch_start);
    end_epoch(epoch, metrics);
    ++epochs_this_run;
    if (int signal = stop_signal(); signal != 0) {
      log_warn(str_cat("stopped by signal ", signal, " after epoch ", epoch,
                       "; resume with --resume ", paths_.checkpoints_dir, "/last.ckpt"));
      return 128 + signal;
    }
    if (last_epoch_of_run && epoch + 1 < epochs) {
      log_info(str_cat("stopping after ", epochs_this_run,
                       " epochs as asked (stop_after_epochs); continue with --resume ",
                       paths_.checkpoints_dir, "/last.ckpt"));
      break;
    }
  }
  if (!top_k_.entries().empty()) {
    const TopKEntry& best = top_k_.entries().front();
    log_info(
        str_cat("best val/acc1 ", percent(best.score), " at epoch ", best.epoch, ": ", best.path));
  }
  log_info(str_cat("done in ", format_duration(seconds_since(start))));
  return 0;
}

Trainer::EpochEnd Trainer::train_epoch(int64_t epoch, EpochMetrics* metrics) {
  step_->model()->train();
  const int64_t steps = train_loader_->num_batches();
  const int64_t first = progress_.batch_in_epoch;  // > 0 when resuming mid-epoch
  if (prefetched_epoch_ != epoch || first > 0) train_loader_->start_epoch(epoch, first);
  prefetched_epoch_ = -1;

  MetricSums sums(context_.device);
  if (first > 0) {  // the partial sums of the interrupted epoch
    sums.loss_sum.fill_(progress_.loss_sum);
    sums.loss_samples = progress_.loss_samples;
    sums.correct[0].fill_(progress_.correct1);
    sums.correct[1].fill_(progress_.correct5);
    sums.accuracy_samples = progress_.accuracy_samples;
  }
  ProgressBar bar(str_cat("Epoch ", epoch), steps, first, config_.output.log_every_n_steps);
  const Clock::time_point start = Clock::now();
  double wait_seconds = 0;
  int64_t images = 0;  // on this rank; every rank trains as many per step
  auto all_images = [&] { return static_cast<double>(images) * context_.world_size; };
  auto postfix = [&] {
    double loss = last_loss_.defined() ? last_loss_.item<double>() : NAN;
    check_loss_is_finite(loss);
    double elapsed = std::max(seconds_since(start), 1e-9);
    return str_printf("img/s=%.0f, data=%.0f%%, lr=%.4g, train/loss=%.4g", all_images() / elapsed,
                      100.0 * wait_seconds / elapsed, step_->optimizer().lr(), loss);
  };

  for (int64_t b = first; b < steps; ++b) {
    // Wait for the batch (the time the loader could not keep up).
    const Clock::time_point wait_start = Clock::now();
    std::shared_ptr<const Batch> batch = train_loader_->next();
    IMAGENET_CHECK(batch != nullptr, "loader ended the epoch early at batch ", b);
    wait_seconds += seconds_since(wait_start);

    images += batch->size;
    train_step(std::move(batch), plan_.schedule.at(progress_.global_step), sums);
    progress_.batch_in_epoch = b + 1;

    bar.update(b + 1, postfix);
    if (context_.is_main() && progress_.global_step % config_.output.log_every_n_steps == 0) {
      double loss = last_loss_.item<double>();
      check_loss_is_finite(loss);
      csv_->log({{"train/loss_step", loss}, {"lr", step_->optimizer().lr()}}, epoch,
                progress_.global_step);
    }
    if (b + 1 < steps && stop_signal() != 0) {
      bar.finish(postfix());
      save_last_checkpoint(&sums);
      return EpochEnd::kStopped;
    }
  }
  bar.finish(postfix());

  const double seconds = seconds_since(start);
  const LoaderEpochStats loader_stats = train_loader_->epoch_stats();
  metrics->bad_samples = loader_stats.bad_samples;
  if (context_.group->distributed()) reduce_over_ranks(sums, &metrics->bad_samples);
  metrics->train_loss = sums.mean_loss();
  metrics->train_acc1 = sums.acc1();
  metrics->train_acc5 = sums.acc5();
  metrics->lr = step_->optimizer().lr();
  metrics->images_per_second = all_images() / std::max(seconds, 1e-9);
  metrics->data_wait = wait_seconds / std::max(seconds, 1e-9);
  metrics->read_retries = loader_stats.read_retries;
  if (metrics->data_wait > 0.5)
    metrics->data_advice = loader_bottleneck_advice(
        loader_stats, seconds, train_loader_->options(),
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  check_loss_is_finite(metrics->train_loss);
  return EpochEnd::kFinished;
}

void Trainer::train_step(std::shared_ptr<const Batch> batch, double lr, MetricSums& sums) {
  // The batch on the device (uint8 NHWC -> normalized float NCHW; the loader gets the buffer
  // back once copied), then one optimizer step at `lr`; accuracy only on batches that were
  // not mixed.
  const int64_t n = batch->size;
  DeviceBatch input = transfer_->to_device(std::move(batch), *train_loader_);
  StepResult result = step_->run(input, lr, progress_.global_step);
  ++progress_.global_step;
  last_loss_ = result.loss;
  sums.add_loss(result.loss, n);
  if (!result.mixed) sums.add_accuracy(result.logits, input.labels);
}

double Trainer::run_step_at_lr(double lr) {
  // The loader runs through epochs in order, each shuffled by (seed, epoch), as in fit().
  if (prefetched_epoch_ != progress_.epoch) {
    train_loader_->start_epoch(progress_.epoch, progress_.batch_in_epoch);
    prefetched_epoch_ = progress_.epoch;
  }
  std::shared_ptr<const Batch> batch = train_loader_->next();
  if (batch == nullptr) {
    progress_.epoch += 1;
    progress_.batch_in_epoch = 0;
    train_loader_->start_epoch(progress_.epoch);
    prefetched_epoch_ = progress_.epoch;
    batch = train_loader_->next();
    IMAGENET_CHECK(batch != nullptr, "the training loader has no batches");
  }
  step_->model()->train();
  MetricSums sums(context_.device);
  train_step(std::move(batch), lr, sums);
  progress_.batch_in_epoch += 1;
  if (!context_.group->distributed()) return last_loss_.item<double>();
  // Every rank must see the same loss to take the same decisions (smoothing, early stop).
  at::Tensor loss = last_loss_.detach().reshape({1}).to(at::kDouble, /*non_blocking=*/false,
                                                        /*copy=*/true);
  context_.group->all_reduce_sum({loss});
  return loss.item<double>() / context_.world_size;
}

EpochMetrics Trainer::validate() {
  average_running_stats_if_local();
  step_->model()->eval();
  at::NoGradGuard no_grad;
  val_loader_->start_epoch(0);
  MetricSums sums(context_.device);
  ProgressBar bar("Validation", val_loader_->num_batches(), 0, config_.output.log_every_n_steps);
  int64_t done = 0;
  while (std::shared_ptr<const Batch> batch = val_loader_->next()) {
    const int64_t n = batch->size;
    DeviceBatch input = transfer_->to_device(std::move(batch), *val_loader_);
    at::Tensor logits;
    {
      AutocastGuard autocast(context_.device.type(), config_.train.precision);
      logits = step_->model()->forward(input.images);
    }
    sums.add_loss(at::cross_entropy_loss(logits.to(at::kFloat), input.labels), n);
    sums.add_accuracy(logits, input.labels);
    bar.update(++done, nullptr);
  }
  bar.finish("");
  if (context_.group->distributed())
    reduce_over_ranks(sums);  // this rank's share of the images, summed
  EpochMetrics m;
  m.val_loss = sums.mean_loss();
  m.val_acc1 = sums.acc1();
  m.val_acc5 = sums.acc5();
  return m;
}

void Trainer::end_epoch(int64_t epoch, const EpochMetrics& m) {
  progress_.epoch = epoch + 1;
  progress_.batch_in_epoch = 0;
  if (context_.is_main()) write_epoch_results(epoch, m);
  // The checkpoint counts once every rank is past it; should rank 0 fail to write it, the
  // others stop here rather than train on.
  if (context_.group->distributed()) context_.group->barrier();
}

void Trainer::write_epoch_results(int64_t epoch, const EpochMetrics& m) {
  // The epoch's line in the log and its row in metrics.csv.
  log_info(str_cat("Epoch ", epoch, ": train/loss ", str_printf("%.4f", m.train_loss),
                   ", train/acc1 ", percent(m.train_acc1), ", val/loss ",
                   str_printf("%.4f", m.val_loss), ", val/acc1 ", percent(m.val_acc1),
                   ", val/acc5 ", percent(m.val_acc5), ", lr ", str_printf("%.4g", m.lr), ", ",
                   str_printf("%.1f", m.images_per_second), " img/s, data wait ",
                   percent(m.data_wait), ", ", format_duration(m.seconds)));
  if (m.bad_samples > 0 || m.read_retries > 0)
    log_warn(str_cat(m.bad_samples, " unreadable images were skipped (replaced) and ",
                     m.read_retries, " reads retried this epoch"));
  if (!m.data_advice.empty())
    log_warn(str_cat("the model waited for data ", percent(m.data_wait),
                     " of this epoch: the loader is the bottleneck. ", m.data_advice));
  csv_->log({{"train/loss", m.train_loss},
             {"train/acc1", m.train_acc1},
             {"train/acc5", m.train_acc5},
             {"val/loss", m.val_loss},
             {"val/acc1", m.val_acc1},
             {"val/acc5", m.val_acc5},
             {"lr", m.lr},
             {"train/images_per_sec", m.images_per_second},
             {"train/data_wait", m.data_wait},
             {"train/bad_samples", static_cast<double>(m.bad_samples)},
             {"train/read_retries", static_cast<double>(m.read_retries)},
             {"epoch_time_sec", m.seconds}},
            epoch, progress_.global_step);
  try {
    write_training_curves_png(paths_.metrics_csv, paths_.output_dir + "/curves.png");
  } catch (const std::exception& e) {  // a picture is not worth stopping a run for
    log_warn(str_cat("could not draw curves.png: ", e.what()));
  }

  // Checkpoints: last.ckpt always; a top-k file (a hard link to the same bytes) when among
  // the best by val/acc1. The table inside the checkpoint already includes this epoch.
  ensure_directory(paths_.checkpoints_dir);
  std::string top_k_path;
  std::vector<std::string> dropped;
  if (top_k_.should_save(m.val_acc1)) {
    top_k_path =
        top_k_.path_for(epoch, m.val_acc1, [](const std::string& p) { return path_exists(p); });
    dropped = top_k_.add({top_k_path, m.val_acc1, epoch});
  }
  CheckpointData data = snapshot(nullptr);
  data.metrics = {{"train/loss", m.train_loss}, {"train/acc1", m.train_acc1},
                  {"val/loss", m.val_loss},     {"val/acc1", m.val_acc1},
                  {"val/acc5", m.val_acc5},     {"lr", m.lr}};
  const std::string last = paths_.checkpoints_dir + "/last.ckpt";
  save_checkpoint(last, data);
  if (!top_k_path.empty() && ::link(last.c_str(), top_k_path.c_str()) != 0)
    save_checkpoint(top_k_path, data);  // no hard links on this file system: a second copy
  for (const auto& path : dropped) {
    if (path == resumed_from_ || path.rfind(paths_.checkpoints_dir + "/", 0) != 0) continue;
    remove_file(path);
  }
  write_file_atomic(paths_.checkpoints_dir + "/best_k_models.yaml", top_k_.to_yaml());
}

void Trainer::save_last_checkpoint(const MetricSums* partial) {
  if (!context_.group->distributed()) {
    ensure_directory(paths_.checkpoints_dir);
    save_checkpoint(paths_.checkpoints_dir + "/last.ckpt", snapshot(partial));
    return;
  }
  // Every rank takes part: the epoch's partial sums over all ranks, and (without sync BN) the
  // running statistics averaged for the file only. Each rank keeps its own statistics, as an
  // uninterrupted run would; the next validation averages them either way.
  MetricSums global(context_.device);
  if (partial != nullptr) {
    global.loss_sum.copy_(partial->loss_sum);
    global.correct.copy_(partial->correct);
    global.loss_samples = partial->loss_samples;
    global.accuracy_samples = partial->accuracy_samples;
    reduce_over_ranks(global);
  }
  std::vector<at::Tensor> own_stats;
  if (!config_.dist.sync_batchnorm) {
    for (auto* layer : step_->model()->batch_norm_layers()) {
      own_stats.push_back(layer->running_mean.clone());
      own_stats.push_back(layer->running_var.clone());
    }
    average_running_stats_if_local();
  }
  if (context_.is_main()) {
    ensure_directory(paths_.checkpoints_dir);
    save_checkpoint(paths_.checkpoints_dir + "/last.ckpt",
                    snapshot(partial != nullptr ? &global : nullptr));
  }
  if (!own_stats.empty()) {
    at::NoGradGuard no_grad;
    size_t i = 0;
    for (auto* layer : step_->model()->batch_norm_layers()) {
      layer->running_mean.copy_(own_stats[i++]);
      layer->running_var.copy_(own_stats[i++]);
    }
  }
  context_.group->barrier();
}

CheckpointData Trainer::snapshot(const MetricSums* partial) const {
  CheckpointData data;
  data.version = IMAGENET_VERSION;
  data.config_yaml = config_to_yaml(config_);
  data.arch = config_.model.arch;
  data.num_classes = static_cast<int64_t>(data_.train->classes.size());
  data.classes = data_.train->classes;
  data.progress = progress_;
  data.progress.world_size = context_.world_size;
  if (partial != nullptr) {
    data.progress.loss_sum = partial->loss_sum.item<double>();
    data.progress.loss_samples = partial->loss_samples;
    data.progress.correct1 = partial->correct[0].item<int64_t>();
    data.progress.correct5 = partial->correct[1].item<int64_t>();
    data.progress.accuracy_samples = partial->accuracy_samples;
  }
  data.top_k = top_k_.entries();
  data.lr = step_->optimizer().lr();
  data.state_dict = model_state(*step_->model());
  data.momentum = step_->optimizer().momentum_buffers();
  if (step_->scaler().enabled()) {
    data.scaler_scale = step_->scaler().scale_tensor();
    data.scaler_growth_tracker = step_->scaler().growth_tracker();
  }
  return data;
}

int Trainer::stop_signal() const {
  const int local = stop_requested_ ? stop_requested_() : 0;
  // Ranks may see a signal at different steps (or only some of them see it): they agree on
  // one step to stop after, so their collectives stay matched.
  return context_.group->agree_stop(progress_.global_step, local);
}

void Trainer::check_loss_is_finite(double loss) const {
  const bool no_loss_yet = !last_loss_.defined();
  if (std::isfinite(loss) || no_loss_yet) return;
  throw RuntimeError(str_cat(
      "the training loss became ", format_number(loss), " at step ", progress_.global_step,
      " (epoch ", progress_.epoch, "). The run diverged: lower lr (effective ",
      format_number(plan_.effective_lr),
      "), set gradient_clip_val, or use precision "
      "bf16-mixed instead of 16-mixed. checkpoints/last.ckpt holds the last finished epoch."));
}

}  // namespace imagenet
