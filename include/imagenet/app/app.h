// The command line: parses argv, dispatches to a subcommand, and turns errors into exit codes
// (0 success, 1 runtime failure, 2 usage or configuration error, 128 + signal when stopped).
#pragma once

namespace imagenet {

/// main() of imagenet_train (and of imagenet_lrfind, which is the same binary).
int app_main(int argc, char** argv);

}  // namespace imagenet
