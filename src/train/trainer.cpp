// Implements train/trainer.h: setup, the epoch loop, validation and the epoch's results.
#include "imagenet/train/trainer.h"

#include <chrono>
#include <cmath>
#include <thread>

#include "imagenet/checkpoint/model_state.h"
#include "imagenet/config/config_loader.h"
#include "imagenet/data/loader_options.h"
#include "imagenet/train/epoch_meter.h"
#include "imagenet/train/evaluation.h"
#include "imagenet/train/inference.h"
#include "imagenet/train/torch_compat.h"
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

}  // namespace

Trainer::Trainer(Config config, RunContext context, DataSplits data, RunPaths paths,
                 StopRequest stop_requested)
    : config_(std::move(config)),
      context_(std::move(context)),
      data_(std::move(data)),
      paths_(std::move(paths)),
      stop_requested_(std::move(stop_requested)),
      checkpoints_(paths_.checkpoints_dir, config_.model.arch, config_.output.save_top_k) {
  if (!context_.group) context_.group = ProcessGroup::single_process(context_.device);
  const c10::Device device = context_.device;
  step_ = std::make_unique<TrainStep>(train_step_options(config_), device,
                                      static_cast<int64_t>(data_.train->classes.size()));

  train_loader_ = open_run_loader(config_, data_.train, /*train=*/true, context_.rank,
                                  context_.world_size, device);
  val_loader_ = open_run_loader(config_, data_.val, /*train=*/false, context_.rank,
                                context_.world_size, device);
  transfer_ = std::make_unique<BatchTransfer>(device, step_->channels_last());
  // --weights: every rank reads the file (rank 0's copy is broadcast all the same); a resumed
  // run's checkpoint replaces them in restore().
  if (!config_.model.weights.empty())
    load_weights_into(step_->model(), config_.model.weights, /*allow_new_classifier=*/true);

  plan_ = make_training_plan(config_, context_.world_size, train_loader_->num_batches());
  data_parallel_ = std::make_unique<DataParallel>(*step_, context_.group, config_.dist);
  if (context_.is_main()) ensure_directory(paths_.output_dir);
}

void Trainer::open_metrics_log() {
  if (!context_.is_main() || log_) return;
  const OutputConfig& out = config_.output;
  MetricsLogOptions o;
  o.csv_path = paths_.metrics_csv;
  o.tensorboard_dir = paths_.output_dir + "/tensorboard";
  o.wandb = wandb_requested(config_);
  o.wandb_project = out.wandb_project;
  o.wandb_name = out.wandb_name.empty() ? out.name : out.wandb_name;
  o.wandb_sync_at_end = out.wandb_sync != WandbSync::kOff;
  o.wandb_sync_live = out.wandb_sync == WandbSync::kLive;
  o.wandb_log_path = paths_.output_dir + "/logs/wandb_sync.log";
  log_ = std::make_unique<MetricsLog>(o);
  log_->log_config(config_to_yaml(config_), progress_.global_step);
  log_info("TensorBoard: tensorboard --logdir " + o.tensorboard_dir + " (" + log_->event_file() +
           ")");
}

Trainer::~Trainer() {
  // Loaders first: their threads may wait for copies that the transfer started.
  train_loader_.reset();
  val_loader_.reset();
}

void Trainer::restore(const CheckpointData& checkpoint, const std::string& checkpoint_path) {
  load_model_state(*step_->model(), checkpoint.state_dict, checkpoint_path);
  step_->optimizer().load_momentum_buffers(checkpoint.momentum);
  if (step_->scaler().enabled() && checkpoint.scaler_scale.defined())
    step_->scaler().load(checkpoint.scaler_scale, checkpoint.scaler_growth_tracker);
  progress_ = checkpoint.progress;
  checkpoints_.restore(checkpoint.top_k, checkpoint_path);
  // Every rank read the same file; rank 0's copy decides all the same. The partial sums of an
  // interrupted epoch are over all ranks: rank 0 carries them, the others start at 0.
  data_parallel_->broadcast_state();
  if (!context_.is_main()) MetricSums(c10::kCPU).store(progress_);
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
  const std::string resume_hint = "; resume with --resume " + checkpoints_.last_path();
  open_metrics_log();
  // The event files are flushed and closed (and uploaded) however fit() ends.
  struct CloseLog {
    std::unique_ptr<MetricsLog>& log;
    ~CloseLog() { log.reset(); }
  } close_log{log_};
  while (progress_.epoch < epochs) {
    const int64_t epoch = progress_.epoch;
    EpochMetrics metrics;
    const Clock::time_point epoch_start = Clock::now();

    // Train one epoch; a stop signal saves a mid-epoch checkpoint and ends the run.
    if (train_epoch(epoch, &metrics) == EpochEnd::kStopped) {
      const int signal = stop_signal();
      log_warn(str_cat("stopped by signal ", signal, " in epoch ", epoch, " after batch ",
                       progress_.batch_in_epoch, resume_hint));
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
    const EpochMetrics val = validate();
    metrics.val_loss = val.val_loss;
    metrics.val_acc1 = val.val_acc1;
    metrics.val_acc5 = val.val_acc5;
    metrics.seconds = seconds_since(epoch_start);

    // The epoch's line, metrics.csv row, curves.png and checkpoints.
    end_epoch(epoch, metrics);
    ++epochs_this_run;
    if (const int signal = stop_signal(); signal != 0) {
      log_warn(str_cat("stopped by signal ", signal, " after epoch ", epoch, resume_hint));
      return 128 + signal;
    }
    if (last_epoch_of_run && epoch + 1 < epochs) {
      log_info(str_cat("stopping after ", epochs_this_run,
                       " epochs as asked (stop_after_epochs); continue with --resume ",
                       checkpoints_.last_path()));
      break;
    }
  }
  if (!checkpoints_.top_k().empty()) {
    const TopKEntry& best = checkpoints_.top_k().front();
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
  if (first > 0) sums.load(progress_);  // the partial sums of the interrupted epoch
  skipped_steps_ = 0;
  compat::reset_peak_memory(context_.device);
  const bool scaled = step_->scaler().enabled();
  EpochMeterOptions meter_options{str_cat("Epoch ", epoch),
                                  epoch,
                                  steps,
                                  first,
                                  config_.output.log_every_n_steps,
                                  context_.world_size,
                                  log_.get(),
                                  nullptr,
                                  [this](double loss) { check_loss_is_finite(loss); }};
  if (scaled) meter_options.loss_scale = [this] { return step_->scaler().scale_value(); };
  EpochMeter meter(std::move(meter_options));

  for (int64_t b = first; b < steps; ++b) {
    // 1. The next batch; the time spent waiting for it is the loader's bottleneck.
    std::shared_ptr<const Batch> batch = meter.wait_for([&] { return train_loader_->next(); });
    IMAGENET_CHECK(batch != nullptr, "loader ended the epoch early at batch ", b);
    const int64_t images = batch->size;

    // 2. One optimizer step at the scheduled LR.
    train_step(std::move(batch), plan_.schedule.at(progress_.global_step), sums);
    progress_.batch_in_epoch = b + 1;

    // 3. The progress line and metrics.csv's step rows.
    meter.step_done(b + 1, images, progress_.global_step, step_->optimizer().lr(), last_loss_);

    // 4. A stop signal (agreed by every rank) saves a mid-epoch checkpoint and ends the epoch.
    if (b + 1 < steps && stop_signal() != 0) {
      meter.finish();
      save_last_checkpoint(&sums);
      return EpochEnd::kStopped;
    }
  }
  meter.finish();

  const LoaderEpochStats loader_stats = train_loader_->epoch_stats();
  metrics->bad_samples = loader_stats.bad_samples;
  sums.sum_over_ranks(*context_.group, {&metrics->bad_samples});
  metrics->train_loss = sums.mean_loss();
  metrics->train_acc1 = sums.acc1();
  metrics->train_acc5 = sums.acc5();
  metrics->lr = step_->optimizer().lr();
  metrics->images_per_second = meter.images_per_second();
  metrics->data_wait = meter.data_wait();
  metrics->read_retries = loader_stats.read_retries;
  if (scaled) {
    metrics->loss_scale = step_->scaler().scale_value();
    metrics->skipped_steps = skipped_steps_;
  }
  if (const int64_t peak = compat::peak_memory_bytes(context_.device); peak >= 0)
    metrics->peak_memory_gb = static_cast<double>(peak) / (1 << 30);
  if (metrics->data_wait > 0.5)
    metrics->data_advice = loader_bottleneck_advice(
        loader_stats, meter.seconds(), train_loader_->options(),
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
  if (!result.stepped) ++skipped_steps_;
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
  // Every rank must see the same loss to take the same decisions (smoothing, early stop).
  at::Tensor loss = last_loss_.detach().reshape({1}).to(at::kDouble, /*non_blocking=*/false,
                                                        /*copy=*/true);
  context_.group->all_reduce_sum({loss});
  return loss.item<double>() / context_.world_size;
}

EpochMetrics Trainer::validate() {
  data_parallel_->average_running_stats();
  const MetricSums sums = evaluate(step_->model(), *val_loader_, *transfer_, *context_.group,
                                   {config_.train.precision, config_.output.log_every_n_steps});
  EpochMetrics m;
  m.val_loss = sums.mean_loss();
  m.val_acc1 = sums.acc1();
  m.val_acc5 = sums.acc5();
  return m;
}

void Trainer::end_epoch(int64_t epoch, const EpochMetrics& m) {
  progress_.epoch = epoch + 1;
  progress_.batch_in_epoch = 0;
  if (context_.is_main()) {
    report_epoch(epoch, progress_.global_step, m, *log_, paths_.output_dir);
    // last.ckpt always; a top-k file (a hard link to the same bytes) when among the best by
    // val/acc1. The table inside the checkpoint already includes this epoch.
    CheckpointData data = snapshot();
    data.metrics = {{"train/loss", m.train_loss}, {"train/acc1", m.train_acc1},
                    {"val/loss", m.val_loss},     {"val/acc1", m.val_acc1},
                    {"val/acc5", m.val_acc5},     {"lr", m.lr}};
    checkpoints_.save_epoch(epoch, m.val_acc1, std::move(data));
    log_->epoch_done();  // the event files flushed (and with wandb_sync: live, uploaded)
  }
  // The checkpoint counts once every rank is past it; should rank 0 fail to write it, the
  // others stop here rather than train on.
  context_.group->barrier();
}

void Trainer::save_last_checkpoint(const MetricSums* partial) {
  // Every rank takes part: the epoch's partial sums over all ranks, and (without sync BN) the
  // running statistics averaged for the file only.
  MetricSums global(context_.device);
  if (partial != nullptr) {
    global.loss_sum.copy_(partial->loss_sum);
    global.correct.copy_(partial->correct);
    global.loss_samples = partial->loss_samples;
    global.accuracy_samples = partial->accuracy_samples;
    global.sum_over_ranks(*context_.group);
  }
  data_parallel_->with_averaged_running_stats([&] {
    if (!context_.is_main()) return;
    CheckpointData data = snapshot();
    if (partial != nullptr) global.store(data.progress);
    checkpoints_.save_last(std::move(data));
  });
  context_.group->barrier();
}

CheckpointData Trainer::snapshot() const {
  CheckpointData data;
  data.version = IMAGENET_VERSION;
  data.config_yaml = config_to_yaml(config_);
  data.arch = config_.model.arch;
  data.num_classes = static_cast<int64_t>(data_.train->classes.size());
  data.classes = data_.train->classes;
  data.progress = progress_;
  data.progress.world_size = context_.world_size;
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
  // Ranks may see a signal at different steps (or only some of them see it): they agree on
  // one step to stop after, so their collectives stay matched.
  const int local = stop_requested_ ? stop_requested_() : 0;
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
