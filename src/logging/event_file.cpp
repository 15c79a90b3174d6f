// Implements logging/event_file.h: Event messages (protobuf lite, generated from
// tensorboard_event.proto at build time) framed as TFRecords into a stdio stream.
#include "imagenet/logging/event_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>

#include <tensorboard_event.pb.h>

#include "imagenet/logging/tfrecord.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "imagenet/util/log.h"

namespace imagenet {
namespace {

namespace tb = imagenet::tensorboard;

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string this_hostname() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// Opens `path` only if it does not exist yet (O_EXCL): an event file is never appended to.
FILE* create_new(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return nullptr;
  FILE* file = ::fdopen(fd, "wb");
  if (file == nullptr) ::close(fd);
  return file;
}

}  // namespace

std::string event_file_name(double start_time, const std::string& hostname) {
  std::string host = hostname;
  for (char& c : host)
    if (c == '/' || c == '\\') c = '_';
  return str_cat("events.out.tfevents.", static_cast<int64_t>(std::floor(start_time)), ".", host);
}

struct EventFileWriter::State {
  std::string path;
  FILE* file = nullptr;

  void write_event(const tb::Event& event) {
    if (file == nullptr) throw RuntimeError(str_cat("event file ", path, " is closed"));
    const std::string record = tfrecord_frame(event.SerializeAsString());
    if (std::fwrite(record.data(), 1, record.size(), file) != record.size())
      throw RuntimeError(str_cat("cannot write ", path, ": ", std::strerror(errno)));
  }
};

EventFileWriter::EventFileWriter(const std::string& dir, const EventFileOptions& options)
    : state_(std::make_unique<State>()) {
  ensure_directory(dir);
  const double start = options.start_time > 0 ? options.start_time : now_seconds();
  const std::string base =
      dir + "/" +
      event_file_name(start, options.hostname.empty() ? this_hostname() : options.hostname);
  for (int n = 0; state_->file == nullptr; ++n) {
    state_->path = n == 0 ? base : str_cat(base, ".", n);
    state_->file = create_new(state_->path);
    if (state_->file == nullptr && (errno != EEXIST || n >= 1000))
      throw RuntimeError(
          str_cat("cannot create the event file ", state_->path, ": ", std::strerror(errno)));
  }
  tb::Event event;
  event.set_wall_time(start);
  event.set_file_version("brain.Event:2");
  state_->write_event(event);
  flush();
}

EventFileWriter::~EventFileWriter() {
  try {
    close();
  } catch (const std::exception& e) {
    log_warn(e.what());
  }
}

const std::string& EventFileWriter::path() const {
  return state_->path;
}

void EventFileWriter::add_scalar(const std::string& tag, double value, int64_t step,
                                 double wall_time) {
  tb::Event event;
  event.set_wall_time(wall_time > 0 ? wall_time : now_seconds());
  event.set_step(step);
  tb::Summary::Value* v = event.mutable_summary()->add_value();
  v->set_tag(tag);
  v->set_simple_value(static_cast<float>(value));
  state_->write_event(event);
}

void EventFileWriter::add_text(const std::string& tag, const std::string& text, int64_t step,
                               double wall_time) {
  tb::Event event;
  event.set_wall_time(wall_time > 0 ? wall_time : now_seconds());
  event.set_step(step);
  tb::Summary::Value* v = event.mutable_summary()->add_value();
  v->set_tag(tag);
  // TensorBoard's text plugin: plugin "text", content a TextPluginData of version 0 (empty).
  v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("text");
  tb::TensorProto* tensor = v->mutable_tensor();
  tensor->set_dtype(tb::DT_STRING);
  tensor->mutable_tensor_shape();  // a scalar: present, with no dimensions
  tensor->add_string_val(text);
  state_->write_event(event);
}

void EventFileWriter::add_session_start(int64_t step, double wall_time) {
  tb::Event event;
  event.set_wall_time(wall_time > 0 ? wall_time : now_seconds());
  event.set_step(step);
  event.mutable_session_log()->set_status(tb::SessionLog::START);
  state_->write_event(event);
}

void EventFileWriter::flush() {
  if (state_->file != nullptr && std::fflush(state_->file) != 0)
    throw RuntimeError(str_cat("cannot write ", state_->path, ": ", std::strerror(errno)));
}

void EventFileWriter::close() {
  if (state_->file == nullptr) return;
  FILE* file = state_->file;
  state_->file = nullptr;
  const bool flushed = std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
  const int saved = errno;
  const bool closed = std::fclose(file) == 0;
  if (!flushed || !closed)
    throw RuntimeError(
        str_cat("cannot write ", state_->path, ": ", std::strerror(flushed ? errno : saved)));
}

}  // namespace imagenet
