// Implements logging/wandb_sync.h with posix_spawn: the child gets its own process group (a
// Ctrl-C that stops training does not cut an upload short), default signal handling and an
// empty signal mask (the trainer's threads block signals), /dev/null as stdin and the log
// file as stdout and stderr.
#include "imagenet/logging/wandb_sync.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "imagenet/util/fs.h"
#include "imagenet/util/strings.h"

extern char** environ;

namespace imagenet {
namespace {

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string wandb_run_id(const std::string& name) {
  std::string id = name;
  for (char& c : id)
    if (std::strchr("/\\#?%:", c) != nullptr || std::isspace(static_cast<unsigned char>(c)))
      c = '-';
  return id;
}

std::vector<std::string> wandb_sync_command(const WandbSyncOptions& options, bool append) {
  std::vector<std::string> argv = {"wandb", "sync", options.tensorboard_dir, "--sync-tensorboard"};
  if (!options.project.empty()) argv.insert(argv.end(), {"-p", options.project});
  if (!options.entity.empty()) argv.insert(argv.end(), {"-e", options.entity});
  const std::string id = wandb_run_id(options.run_name);
  if (!id.empty()) argv.insert(argv.end(), {"--id", id});
  if (append) argv.push_back("--append");
  return argv;
}

std::string shell_command_line(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& arg : argv) {
    if (!line.empty()) line += ' ';
    const bool plain = !arg.empty() && arg.find_first_not_of(
                                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                           "0123456789-_./=:,+@%") == std::string::npos;
    if (plain) {
      line += arg;
      continue;
    }
    line += '\'';
    for (char c : arg) line += c == '\'' ? std::string("'\\''") : std::string(1, c);
    line += '\'';
  }
  return line;
}

std::string find_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) return is_executable_file(name) ? name : "";
  const char* path = std::getenv("PATH");
  for (const std::string& dir : str_split(path ? path : "", ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (is_executable_file(candidate)) return candidate;
  }
  return "";
}

WandbSyncer::WandbSyncer(WandbSyncOptions options, std::string executable)
    : options_(std::move(options)), executable_(std::move(executable)) {
  path_ = find_executable(executable_);
}

std::string WandbSyncer::command_line() const {
  std::vector<std::string> argv = wandb_sync_command(options_, synced_ > 0);
  argv[0] = executable_;
  return shell_command_line(argv);
}

WandbNotes WandbSyncer::start() {
  if (!available())
    return {{str_cat("wandb_sync: no '", executable_,
                     "' on PATH; upload the event files with: ", command_line()),
             true}};
  WandbNotes notes = poll();
  if (child_ > 0) return notes;  // the last upload is still running
  std::vector<std::string> args = wandb_sync_command(options_, synced_ > 0);
  args[0] = path_;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t files;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&files);
  posix_spawnattr_init(&attr);
  posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  const std::string log = options_.log_path.empty() ? "/dev/null" : options_.log_path;
  posix_spawn_file_actions_addopen(&files, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&files, STDOUT_FILENO, STDERR_FILENO);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, path_.c_str(), &files, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    notes.push_back({str_cat("wandb_sync: cannot start ", path_, ": ", std::strerror(rc),
                             "; upload by hand with: ", command_line()),
                     true});
    return notes;
  }
  notes.push_back(
      {str_cat("wandb_sync: uploading (pid ", pid, ", output in ", log, "): ", command_line()),
       false});
  child_ = pid;
  return notes;
}

WandbNote WandbSyncer::ended(int status) {
  child_ = -1;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    ++synced_;
    return {"wandb_sync: upload finished", false};
  }
  const std::string how = WIFEXITED(status) ? str_cat("exit code ", WEXITSTATUS(status))
                                            : str_cat("signal ", WTERMSIG(status));
  return {str_cat("wandb_sync: wandb failed (", how, "); its output is in ", options_.log_path,
                  " (not logged in? run `wandb login`); training is not affected. Upload later "
                  "with: ",
                  command_line()),
          true};
}

WandbNotes WandbSyncer::poll() {
  if (child_ <= 0) return {};
  int status = 0;
  const pid_t done = ::waitpid(child_, &status, WNOHANG);
  if (done == child_) return {ended(status)};
  if (done < 0 && errno == ECHILD) child_ = -1;  // reaped elsewhere
  return {};
}

WandbNotes WandbSyncer::wait_for(double timeout_seconds) {
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration<double>(std::max(0.0, timeout_seconds));
  while (child_ > 0) {
    WandbNotes reaped = poll();
    if (child_ <= 0) return reaped;
    if (std::chrono::steady_clock::now() >= deadline)
      return {{str_cat("wandb_sync: the upload goes on in the background (pid ", child_,
                       ", output in ", options_.log_path, ")"),
               false}};
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return {};
}

WandbNotes WandbSyncer::finish(double timeout_seconds) {
  WandbNotes notes = wait_for(timeout_seconds);
  if (child_ > 0) return notes;  // still running: no second upload beside it
  for (WandbNote& n : start()) notes.push_back(std::move(n));
  if (child_ > 0)
    for (WandbNote& n : wait_for(timeout_seconds)) notes.push_back(std::move(n));
  return notes;
}

}  // namespace imagenet
