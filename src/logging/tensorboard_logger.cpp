// Implements logging/tensorboard_logger.h over EventFileWriter.
#include "imagenet/logging/tensorboard_logger.h"

#include <cmath>

#include "imagenet/logging/event_file.h"
#include "imagenet/util/strings.h"

namespace imagenet {

TensorBoardLogger::TensorBoardLogger(const std::string& dir, int64_t resume_step)
    : dir_(dir), writer_(std::make_unique<EventFileWriter>(dir)) {
  // Every event of this file is at a step > resume_step, and everything the checkpoint's run
  // logged up to resume_step (its last step row, its epoch row) stays valid.
  if (resume_step > 0) writer_->add_session_start(resume_step + 1);
}

TensorBoardLogger::~TensorBoardLogger() = default;

const std::string& TensorBoardLogger::file() const {
  return writer_->path();
}

void TensorBoardLogger::log(const std::map<std::string, double>& metrics, int64_t epoch,
                            int64_t step) {
  for (const auto& [tag, value] : metrics)
    if (std::isfinite(value)) writer_->add_scalar(tag, value, step);
  writer_->add_scalar("epoch", static_cast<double>(epoch), step);
}

void TensorBoardLogger::log_text(const std::string& tag, const std::string& markdown,
                                 int64_t step) {
  writer_->add_text(tag, markdown, step);
}

void TensorBoardLogger::log_verbatim(const std::string& tag, const std::string& text,
                                     int64_t step) {
  std::string block;
  for (const std::string& line : str_split(text, '\n')) block += "    " + line + "\n";
  writer_->add_text(tag, block, step);
}

void TensorBoardLogger::flush() {
  writer_->flush();
}

}  // namespace imagenet
