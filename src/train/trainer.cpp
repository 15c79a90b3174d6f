// Implements train/trainer.h: setup, the epoch loop, validation and the epoch's results.
#include "imagenet/train/trainer.h"

#include <chrono>
#include <cmath>
#include <thread>

#include "imagenet/checkpoint/model_state.h"
#include "imagenet/config/config_loader.h"
#include "imagenet/data/loader_options.h"
#include "imagenet/distributed/sync_batch_norm.h"
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

/// Where a stopped run can resume from, if anywhere.
std::string last_checkpoint_note(const std::string& last) {
  return path_exists(last) ? last + " holds the last checkpoint written."
                           : std::string("No checkpoint was written yet.");
}

}  // namespace

Trainer::Trainer(Config config, RunContext context, DataSplits data, RunPaths paths,
                 StopRequest stop_requested)
    : config_(std::move(config)),
      context_(std::move(context)),
      data_(std::move(data)),
      paths_(std::move(paths)),
      stop_requested_(std::move(stop_requested)),
      checkpoints_(paths_.checkpoints_dir, config_.model.arch, config_.output.save_top_k,
                   config_.output.monitor == "val_ema/acc1" ? "val_ema_acc1" : "val_acc1") {
  step_options_skip_non_finite_ = train_step_options(config_).skip_non_finite;
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

  // Optimizer steps per epoch: groups of accumulate_grad_batches loader batches, the last one
  // possibly shorter (Lightning steps at the end of the epoch too).
  const int64_t accumulate = config_.train.accumulate_grad_batches;
  plan_ = make_training_plan(config_, context_.world_size,
                             (train_loader_->num_batches() + accumulate - 1) / accumulate);
  data_parallel_ = std::make_unique<DataParallel>(*step_, context_.group, config_.dist);
  make_ema();
  if (context_.is_main()) {
    ensure_directory(paths_.output_dir);
    // A process killed in the middle of a checkpoint write left its temporary file.
    if (const int stale = checkpoints_.remove_stale_files(); stale > 0)
      log_info(str_cat("removed ", stale, " temporary file(s) a killed run left in ",
                       paths_.checkpoints_dir));
  }
  last_checkpoint_time_ = Clock::now();
}

void Trainer::open_metrics_log() {
  if (!context_.is_main() || log_) return;
  const OutputConfig& out = config_.output;
  MetricsLogOptions o;
  o.csv_path = paths_.metrics_csv;
  o.tensorboard_dir = paths_.output_dir + "/tensorboard";
  o.resume_step = progress_.global_step;
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
  if (Sgd* sgd = step_->sgd()) {
    sgd->load_momentum_buffers(checkpoint.momentum);
  } else {
    step_->optimizer().load_state(checkpoint.optimizer_state);
  }
  if (step_->scaler().enabled() && checkpoint.scaler_scale.defined())
    step_->scaler().load(checkpoint.scaler_scale, checkpoint.scaler_growth_tracker);
  progress_ = checkpoint.progress;
  if (config_.ema.model_ema) {
    make_ema();  // from the restored weights, unless the checkpoint has the average
    if (!checkpoint.state_dict_ema.empty()) {
      ema_->load(checkpoint.state_dict_ema, checkpoint.ema_updates, checkpoint_path);
    } else {
      log_warn(str_cat(checkpoint_path,
                       " has no EMA weights (state_dict_ema): the EMA starts "
                       "again from its weights"));
    }
  }
  checkpoints_.restore(checkpoint.top_k, checkpoint_path);
  // Every rank read the same file; rank 0's copy decides all the same. The partial sums of an
  // interrupted epoch are over all ranks: rank 0 carries them, the others start at 0.
  data_parallel_->broadcast_state();
  if (!context_.is_main()) MetricSums(c10::kCPU).store(progress_);
}

int Trainer::fit() {
  const int64_t epochs = plan_.epochs;  // with cooldown_epochs
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
    if (ema_) {
      const EpochMetrics val_ema = validate(&ema_->model());
      metrics.val_ema_loss = val_ema.val_loss;
      metrics.val_ema_acc1 = val_ema.val_acc1;
      metrics.val_ema_acc5 = val_ema.val_acc5;
    }
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
    log_info(str_cat("best ", config_.output.monitor, " ", percent(best.score), " at epoch ",
                     best.epoch, ": ", best.path));
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

  const int64_t accumulate = config_.train.accumulate_grad_batches;
  const int64_t first_step = progress_.global_step;
  for (int64_t b = first; b < steps;) {
    // 1. The next batches (accumulate_grad_batches of them, fewer at the end), each on the
    // device as it comes (its loader slot is free again then); the time spent waiting for them
    // is the loader's bottleneck.
    std::vector<DeviceBatch> inputs;
    int64_t images = 0;
    for (int64_t k = 0; k < accumulate && b + k < steps; ++k) {
      std::shared_ptr<const Batch> batch = meter.wait_for([&] { return train_loader_->next(); });
      IMAGENET_CHECK(batch != nullptr, "loader ended the epoch early at batch ", b + k);
      images += batch->size;
      inputs.push_back(transfer_->to_device(std::move(batch), *train_loader_));
    }
    b += static_cast<int64_t>(inputs.size());

    // 2. One optimizer step at the scheduled LR.
    train_step(inputs, plan_.schedule.at(progress_.global_step), sums);
    progress_.batch_in_epoch = b;

    // 3. The progress line and metrics.csv's step rows (the bar counts loader batches).
    meter.step_done(b, images, progress_.global_step, step_->optimizer().lr(), last_loss_);

    // 4. A stop signal (agreed by every rank) saves a mid-epoch checkpoint and ends the epoch,
    // between optimizer steps; a periodic one (every n steps or minutes) is written in the
    // background.
    if (b < steps && stop_signal() != 0) {
      meter.finish();
      save_last_checkpoint(&sums);
      return EpochEnd::kStopped;
    }
    if (b < steps && periodic_checkpoint_due()) save_last_checkpoint(&sums, true);
  }
  meter.finish();
  // Under DDP an accumulated step all-reduces once, after its last micro-batch.
  if (const std::string reduced =
          data_parallel_->take_reduction_summary(progress_.global_step - first_step);
      !reduced.empty())
    log_info(str_cat("Epoch ", epoch, ": ", reduced));

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
        static_cast<int>(std::max(1u, std::thread::hardware_concurrency())),
        sample_origin(train_loader_->index()));
  check_loss_is_finite(metrics->train_loss);
  return EpochEnd::kFinished;
}

void Trainer::train_step(std::vector<DeviceBatch>& inputs, double lr, MetricSums& sums) {
  // One optimizer step at `lr` from the device batches; accuracy only on steps that were not
  // mixed.
  int64_t n = 0;
  for (const DeviceBatch& input : inputs) n += input.images.size(0);
  // The optimizer step of the epoch this is (torchvision's EMA rule counts them).
  const int64_t step_in_epoch = progress_.batch_in_epoch / config_.train.accumulate_grad_batches;
  StepResult result = step_->run(inputs, lr, progress_.global_step, progress_.epoch);
  ++progress_.global_step;
  if (ema_) ema_->after_step(step_->model(), progress_.global_step, step_in_epoch, progress_.epoch);
  last_loss_ = result.loss;
  if (!result.stepped) ++skipped_steps_;
  if (!result.stepped && step_options_skip_non_finite_) {
    skipped_non_finite_step(lr);  // not counted in the epoch's loss and accuracy
    return;
  }
  skipped_in_a_row_ = 0;
  sums.add_loss(result.loss, n);
  if (!result.mixed) {
    std::vector<at::Tensor> labels;
    for (const DeviceBatch& input : inputs) labels.push_back(input.labels);
    sums.add_accuracy(result.logits, inputs.size() == 1 ? labels.front() : at::cat(labels));
  }
}

double Trainer::run_step_at_lr(double lr) {
  // The loader runs through epochs in order, each shuffled by (seed, epoch), as in fit().
  if (prefetched_epoch_ != progress_.epoch) {
    train_loader_->start_epoch(progress_.epoch, progress_.batch_in_epoch);
    prefetched_epoch_ = progress_.epoch;
  }
  std::shared_ptr<const Batch> batch = train_loader_->next();  // no accumulation here
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
  // The batch on the device (uint8 NHWC -> normalized float NCHW; the loader gets the buffer
  // back once copied).
  std::vector<DeviceBatch> inputs;
  inputs.push_back(transfer_->to_device(std::move(batch), *train_loader_));
  train_step(inputs, lr, sums);
  progress_.batch_in_epoch += 1;
  // Every rank must see the same loss to take the same decisions (smoothing, early stop).
  at::Tensor loss = last_loss_.detach().reshape({1}).to(at::kDouble, /*non_blocking=*/false,
                                                        /*copy=*/true);
  context_.group->all_reduce_sum({loss});
  return loss.item<double>() / context_.world_size;
}

EpochMetrics Trainer::validate(ResNet* model) {
  if (model == nullptr) {
    data_parallel_->average_running_stats();
  } else {
    average_ema_running_stats();
  }
  const MetricSums sums =
      evaluate(model ? *model : step_->model(), *val_loader_, *transfer_, *context_.group,
               {config_.train.precision, config_.output.log_every_n_steps});
  EpochMetrics m;
  m.val_loss = sums.mean_loss();
  m.val_acc1 = sums.acc1();
  m.val_acc5 = sums.acc5();
  return m;
}

void Trainer::make_ema() {
  if (config_.ema.model_ema)
    ema_ = std::make_unique<EmaTracker>(config_.ema, step_->model(), plan_.total_batch,
                                        config_.train.epochs, config_.optim.warmup_epochs);
}

void Trainer::average_ema_running_stats() {
  // Every rank's EMA of the parameters is the same (they follow all-reduced gradients); its
  // BatchNorm statistics follow each rank's own, so without sync_batchnorm they are averaged,
  // for good, before the EMA is evaluated or saved (timm's distribute_bn on the EMA).
  if (ema_ && context_.world_size > 1 && !config_.dist.sync_batchnorm)
    average_running_stats(ema_->model()->batch_norm_layers(), *context_.group);
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
    if (ema_) {
      data.metrics["val_ema/loss"] = m.val_ema_loss;
      data.metrics["val_ema/acc1"] = m.val_ema_acc1;
      data.metrics["val_ema/acc5"] = m.val_ema_acc5;
    }
    const bool by_ema = config_.output.monitor == "val_ema/acc1";
    checkpoints_.save_epoch(epoch, by_ema ? m.val_ema_acc1 : m.val_acc1, std::move(data));
    log_->epoch_done();  // the event files flushed (and with wandb_sync: live, uploaded)
  }
  // The checkpoint counts once every rank is past it; should rank 0 fail to write it, the
  // others stop here rather than train on.
  context_.group->barrier();
}

bool Trainer::periodic_checkpoint_due() {
  // Steps are the same on every rank; rank 0's clock is proposed to the others (as a stop is),
  // so that all of them take part in the checkpoint after the same step.
  const int64_t every = config_.output.checkpoint_every_n_steps;
  bool due = every > 0 && progress_.global_step % every == 0;
  const double minutes = config_.output.checkpoint_every_minutes;
  if (minutes > 0) {
    const bool late = context_.is_main() && seconds_since(last_checkpoint_time_) >= minutes * 60;
    due = context_.group->agree_checkpoint(progress_.global_step, late) || due;
  }
  if (due) last_checkpoint_time_ = Clock::now();
  return due;
}

void Trainer::save_last_checkpoint(const MetricSums* partial, bool background) {
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
  average_ema_running_stats();
  data_parallel_->with_averaged_running_stats([&] {
    if (!context_.is_main()) return;
    CheckpointData data = snapshot();
    if (partial != nullptr) global.store(data.progress);
    if (!background) {
      checkpoints_.save_last(std::move(data));
    } else {
      // What the step waits for: the copy of the state (off the device on a GPU).
      const Clock::time_point copy_start = Clock::now();
      const bool started = checkpoints_.save_last_in_background(data);
      log_debug(started ? str_cat("step ", progress_.global_step,
                                  ": periodic checkpoint, state copied in ",
                                  str_printf("%.1f", 1000 * seconds_since(copy_start)),
                                  " ms, written in the background")
                        : str_cat("step ", progress_.global_step,
                                  ": the previous checkpoint is still being written; this one "
                                  "is skipped"));
    }
  });
  // A write in the background is not waited for: its failure stops rank 0 at its next save.
  if (!background) context_.group->barrier();
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
  if (Sgd* sgd = step_->sgd()) {
    data.momentum = sgd->momentum_buffers();
  } else {
    data.optimizer_state = step_->optimizer().state();
  }
  if (ema_) {
    data.state_dict_ema = ema_->state_dict();
    data.ema_updates = ema_->num_updates();
  }
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

std::string Trainer::non_finite_report(double loss, double lr) const {
  return str_cat(
      "the training loss is ", format_number(loss), " at step ", progress_.global_step, " (epoch ",
      progress_.epoch, ", lr ", format_number(lr), "); the last finite loss ",
      last_finite_step_ < 0
          ? std::string("was never seen")
          : str_cat("was ", format_number(last_finite_loss_), " at step ", last_finite_step_));
}

void Trainer::check_loss_is_finite(double loss) {
  const bool no_loss_yet = !last_loss_.defined();
  if (std::isfinite(loss)) {
    last_finite_loss_ = loss;
    last_finite_step_ = progress_.global_step;
  }
  // nan_policy: skip judges each step by its gradients (skipped_non_finite_step).
  if (std::isfinite(loss) || no_loss_yet || step_options_skip_non_finite_) return;
  throw RuntimeError(str_cat(
      non_finite_report(loss, step_->optimizer().lr()), ". The run diverged: lower lr (effective ",
      format_number(plan_.effective_lr),
      "), set gradient_clip_val, use precision bf16-mixed instead of 16-mixed, or nan_policy: "
      "skip. ",
      last_checkpoint_note(checkpoints_.last_path())));
}

void Trainer::skipped_non_finite_step(double lr) {
  ++skipped_in_a_row_;
  const std::string report = non_finite_report(last_loss_.item<double>(), lr);
  const int limit = config_.train.nan_skip_limit;
  if (skipped_in_a_row_ > limit)
    throw RuntimeError(
        str_cat(report, ". ", skipped_in_a_row_,
                " steps in a row had NaN or inf gradients, more than nan_skip_limit (", limit,
                "): the run diverged. Lower lr (effective ", format_number(plan_.effective_lr),
                ") or set gradient_clip_val. ", last_checkpoint_note(checkpoints_.last_path())));
  log_warn(str_cat(report, ": NaN or inf gradients, the update is skipped (nan_policy: skip, ",
                   skipped_in_a_row_, " of at most ", limit, " in a row)"));
}

}  // namespace imagenet
