// Implements distributed/launcher.h with fork/exec and a polling wait loop (signals only set a
// flag; everything else happens in the loop, outside the handler).
#include "imagenet/distributed/launcher.h"

#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <thread>

#include "imagenet/util/error.h"
#include "imagenet/util/log.h"

extern char** environ;

namespace imagenet {
namespace {

std::atomic<int> g_signal_count{0};
std::atomic<int> g_last_signal{0};

extern "C" void on_launcher_signal(int signal) {
  g_last_signal.store(signal);
  g_signal_count.fetch_add(1);
}

/// "K=V" strings: this process's environment with `extra` on top.
std::vector<std::string> merged_environment(const EnvironmentMap& extra) {
  EnvironmentMap env = current_environment();
  for (const auto& [key, value] : extra) env[key] = value;
  std::vector<std::string> out;
  for (const auto& [key, value] : env) out.push_back(key + "=" + value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct Worker {
  int rank = 0;
  pid_t pid = -1;
  bool running = false;
  int status = 0;
};

pid_t start_worker(const LaunchOptions& options, const WorkerSpec& spec) {
  // Everything the child needs is built before fork: only async-signal-safe calls after it.
  std::vector<std::string> args = options.argv;
  std::vector<std::string> env = merged_environment(spec.environment);
  std::vector<char*> argv = c_strings(args);
  std::vector<char*> envp = c_strings(env);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0)
    throw RuntimeError(
        str_cat("cannot start worker rank ", spec.rank, ": fork failed: ", std::strerror(errno)));
  if (pid == 0) {
    // Its own process group: a Ctrl-C in the terminal reaches the launcher only, which passes
    // it on once. And it dies with the launcher, should the launcher be killed.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    ::execve(options.executable.c_str(), argv.data(), envp.data());
    const char* reason = std::strerror(errno);
    ssize_t ignored = ::write(STDERR_FILENO, "error: cannot start a worker: execve failed: ", 45);
    ignored = ::write(STDERR_FILENO, reason, std::strlen(reason));
    ignored = ::write(STDERR_FILENO, "\n", 1);
    (void)ignored;
    ::_exit(127);
  }
  // Also from this side, so that the group exists before the first signal_all.
  ::setpgid(pid, pid);
  return pid;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

/// Signals each running worker's process group: the worker and whatever it started.
void signal_all(std::vector<Worker>& workers, int signal) {
  for (auto& w : workers)
    if (w.running && ::kill(-w.pid, signal) != 0) ::kill(w.pid, signal);
}

}  // namespace

std::string describe_exit_status(int status) {
  if (WIFEXITED(status)) {
    const int code = WEXITSTATUS(status);
    const char* meaning = code == 1 ? " (a runtime error)" : code == 2 ? " (a usage error)" : "";
    return str_cat("exited with code ", code, meaning);
  }
  if (WIFSIGNALED(status))
    return str_cat("was killed by signal ", WTERMSIG(status), " (", strsignal(WTERMSIG(status)),
                   ")");
  return str_cat("ended with status ", status);
}

LaunchResult run_workers(const LaunchOptions& options) {
  IMAGENET_CHECK(!options.workers.empty(), "no workers to start");
  g_signal_count.store(0);
  struct sigaction action {};
  action.sa_handler = on_launcher_signal;
  sigemptyset(&action.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  ::sigaction(SIGINT, &action, &old_int);
  ::sigaction(SIGTERM, &action, &old_term);

  std::vector<Worker> workers;
  LaunchResult result;
  int forwarded = 0;  // signals passed on to the workers
  bool stopping = false;
  std::chrono::steady_clock::time_point settle_until{}, kill_at{};
  try {
    for (const auto& spec : options.workers) {
      Worker w;
      w.rank = spec.rank;
      w.pid = start_worker(options, spec);
      w.running = true;
      workers.push_back(w);
    }
  } catch (...) {
    signal_all(workers, SIGKILL);
    for (auto& w : workers) ::waitpid(w.pid, nullptr, 0);
    ::sigaction(SIGINT, &old_int, nullptr);
    ::sigaction(SIGTERM, &old_term, nullptr);
    throw;
  }

  int running = static_cast<int>(workers.size());
  while (running > 0) {
    // Signals to this process: the first is passed on (the workers save and stop), the next
    // kills them.
    const int received = g_signal_count.load();
    if (received > forwarded) {
      forwarded = received;
      signal_all(workers, forwarded == 1 ? g_last_signal.load() : SIGKILL);
    }
    bool reaped = false;
    for (auto& w : workers) {
      if (!w.running) continue;
      const pid_t done = ::waitpid(w.pid, &w.status, WNOHANG);
      if (done != w.pid) continue;
      w.running = false;
      --running;
      reaped = true;
      const bool failed = exit_code_of(w.status) != 0;
      if (failed && result.exit_code == 0) {
        result.exit_code = exit_code_of(w.status);
        if (forwarded == 0) {
          // A worker failed on its own; the others cannot go on without it. Those about to
          // end anyway get `settle` to do so, then the rest are stopped.
          result.failed_rank = w.rank;
          result.message =
              str_cat("rank ", w.rank, " (pid ", w.pid, ") ", describe_exit_status(w.status));
          settle_until = std::chrono::steady_clock::now() + options.settle;
        } else {
          result.message = str_cat("the workers were stopped by signal ", g_last_signal.load());
        }
      }
    }
    if (result.failed_rank >= 0 && forwarded == 0 && !stopping && running > 0 &&
        std::chrono::steady_clock::now() >= settle_until) {
      log_error(str_cat(result.message, "; stopping the other ", running, " worker",
                        running > 1 ? "s" : "", "."));
      stopping = true;
      signal_all(workers, SIGTERM);
      kill_at = std::chrono::steady_clock::now() + options.grace;
    }
    if (stopping && running > 0 && std::chrono::steady_clock::now() >= kill_at) {
      log_warn(str_cat(running, " worker(s) still running ",
                       format_number(static_cast<double>(options.grace.count()) / 1000.0),
                       " s after SIGTERM: killing them."));
      signal_all(workers, SIGKILL);
      kill_at = std::chrono::steady_clock::time_point::max();
    }
    if (!reaped && running > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  return result;
}

int find_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw RuntimeError(str_cat("cannot open a socket: ", std::strerror(errno)));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  address.sin_port = 0;  // the kernel picks a free port
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    throw RuntimeError("cannot find a free TCP port: " + reason);
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace imagenet
