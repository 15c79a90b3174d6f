// `imagenet_train preflight --config X [training flags]`: the checks to run before a long run
// (config and plan, data, step, pipeline, storage, the ranks, monitoring), launched as training
// is launched; writes only its report (preflight.json) and prints it as a table. Exit code 0
// when every check passes, 1 when one fails, 2 for a config error.
#pragma once

#include "imagenet/app/subcommand.h"

namespace imagenet {

void register_preflight_command(SubcommandContext& context);

}  // namespace imagenet
