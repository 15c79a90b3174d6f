// Implements train/epoch_meter.h.
#include "imagenet/train/epoch_meter.h"

#include <algorithm>
#include <cmath>

#include "imagenet/logging/training_curves.h"
#include "imagenet/util/log.h"
#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

std::string percent(double fraction) {
  return std::isnan(fraction) ? std::string("n/a") : str_printf("%.2f%%", 100.0 * fraction);
}

}  // namespace

void report_epoch(int64_t epoch, int64_t global_step, const EpochMetrics& m, MetricsLog& log,
                  const std::string& output_dir) {
  log_info(str_cat(
      "Epoch ", epoch, ": train/loss ", str_printf("%.4f", m.train_loss), ", train/acc1 ",
      percent(m.train_acc1), ", val/loss ", str_printf("%.4f", m.val_loss), ", val/acc1 ",
      percent(m.val_acc1), ", val/acc5 ", percent(m.val_acc5),
      std::isnan(m.val_ema_loss)
          ? std::string()
          : str_cat(", val_ema/loss ", str_printf("%.4f", m.val_ema_loss), ", val_ema/acc1 ",
                    percent(m.val_ema_acc1), ", val_ema/acc5 ", percent(m.val_ema_acc5)),
      ", lr ", str_printf("%.4g", m.lr), ", ", str_printf("%.1f", m.images_per_second),
      " img/s, data wait ", percent(m.data_wait), ", ", format_duration(m.seconds)));
  if (m.bad_samples > 0 || m.read_retries > 0)
    log_warn(str_cat(m.bad_samples, " unreadable images were skipped (replaced) and ",
                     m.read_retries, " reads retried this epoch"));
  if (!m.data_advice.empty())
    log_warn(str_cat("the model waited for data ", percent(m.data_wait),
                     " of this epoch: the loader is the bottleneck. ", m.data_advice));
  std::map<std::string, double> row = {{"train/loss", m.train_loss},
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
                                       {"epoch_time_sec", m.seconds}};
  // Columns that exist only where they mean something (metrics.csv keeps every column seen).
  if (!std::isnan(m.loss_scale)) row["train/loss_scale"] = m.loss_scale;
  if (m.skipped_steps >= 0) row["train/skipped_steps"] = static_cast<double>(m.skipped_steps);
  if (!std::isnan(m.peak_memory_gb)) row["train/peak_memory_gb"] = m.peak_memory_gb;
  if (!std::isnan(m.val_ema_loss)) {
    row["val_ema/loss"] = m.val_ema_loss;
    row["val_ema/acc1"] = m.val_ema_acc1;
    row["val_ema/acc5"] = m.val_ema_acc5;
  }
  log.log(row, epoch, global_step);
  try {
    write_training_curves_png(log.csv_path(), output_dir + "/curves.png");
  } catch (const std::exception& e) {  // a picture is not worth stopping a run for
    log_warn(str_cat("could not draw curves.png: ", e.what()));
  }
}

EpochMeter::EpochMeter(EpochMeterOptions options)
    : options_(std::move(options)),
      bar_(options_.title, options_.steps, options_.first_step, options_.log_every_n_steps),
      start_(Clock::now()),
      row_start_(start_) {}

void EpochMeter::step_done(int64_t done, int64_t images, int64_t global_step, double lr,
                           const at::Tensor& loss) {
  images_ += images;
  lr_ = lr;
  loss_ = loss;
  bar_.update(done, [this] { return postfix(); });
  if (options_.log == nullptr || global_step % options_.log_every_n_steps != 0) return;
  // Throughput and data wait over the steps since the previous row: what a per-epoch mean
  // hides (a slow start, a stall mid-epoch).
  const Clock::time_point now = Clock::now();
  const double window = std::max(std::chrono::duration<double>(now - row_start_).count(), 1e-9);
  std::map<std::string, double> row = {
      {"train/loss_step", loss_value()},
      {"lr", lr},
      {"train/lr", lr},
      {"train/images_per_sec_step",
       static_cast<double>(images_ - row_images_) * options_.world_size / window},
      {"train/data_wait_step", std::min(1.0, (wait_seconds_ - row_wait_seconds_) / window)}};
  row_start_ = now;
  row_images_ = images_;
  row_wait_seconds_ = wait_seconds_;
  if (options_.loss_scale) row["train/loss_scale"] = options_.loss_scale();
  options_.log->log(row, options_.epoch, global_step);
}

void EpochMeter::finish() {
  bar_.finish(postfix());
}

double EpochMeter::seconds() const {
  return std::max(std::chrono::duration<double>(Clock::now() - start_).count(), 1e-9);
}

double EpochMeter::images_per_second() const {
  return static_cast<double>(images_) * options_.world_size / seconds();
}

double EpochMeter::data_wait() const {
  return wait_seconds_ / seconds();
}

double EpochMeter::loss_value() const {
  const double loss = loss_.defined() ? loss_.item<double>() : NAN;
  if (options_.check_loss && loss_.defined()) options_.check_loss(loss);
  return loss;
}

std::string EpochMeter::postfix() const {
  return str_printf("img/s=%.0f, data=%.0f%%, lr=%.4g, train/loss=%.4g", images_per_second(),
                    100.0 * data_wait(), lr_, loss_value());
}

}  // namespace imagenet
