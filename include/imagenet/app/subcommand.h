// What each subcommand's registration gets: the CLI11 app to add itself to, where to leave
// the function that runs it once the command line is parsed, and the whole command line.
// Each subcommand's file (src/app/<name>_command.cpp) declares its flags (help, default,
// handler together) and its run function; app.cpp only calls the registrations.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace imagenet {

/// Runs the chosen subcommand; returns the process exit code.
using CommandAction = std::function<int()>;

struct SubcommandContext {
  CLI::App& app;
  /// Set by the subcommand's callback when the command line chooses it.
  CommandAction& action;
  /// argv as given (argv[0] included): `--devices N` starts it again once per worker.
  std::vector<std::string> argv;
};

}  // namespace imagenet
