// Names of the config enums, as the YAML files spell them.
#include "imagenet/config/config.h"

namespace imagenet {

std::string to_string(Precision value) {
  switch (value) {
    case Precision::kFloat32:
      return "32";
    case Precision::kFloat16Mixed:
      return "16-mixed";
    case Precision::kBFloat16Mixed:
      return "bf16-mixed";
  }
  return "?";
}

std::string to_string(Accelerator value) {
  switch (value) {
    case Accelerator::kAuto:
      return "auto";
    case Accelerator::kCpu:
      return "cpu";
    case Accelerator::kCuda:
      return "cuda";
  }
  return "?";
}

std::string to_string(LrScheduler value) {
  switch (value) {
    case LrScheduler::kCosine:
      return "cosine";
    case LrScheduler::kConstant:
      return "constant";
  }
  return "?";
}

std::string to_string(LrScaling value) {
  switch (value) {
    case LrScaling::kLinear:
      return "linear";
    case LrScaling::kNone:
      return "none";
  }
  return "?";
}

std::string to_string(ClipAlgorithm value) {
  switch (value) {
    case ClipAlgorithm::kNorm:
      return "norm";
    case ClipAlgorithm::kValue:
      return "value";
  }
  return "?";
}

std::string to_string(DataFormat value) {
  return value == DataFormat::kShards ? "shards" : "folders";
}

std::string to_string(DistBackendChoice value) {
  switch (value) {
    case DistBackendChoice::kAuto:
      return "auto";
    case DistBackendChoice::kNccl:
      return "nccl";
    case DistBackendChoice::kGloo:
      return "gloo";
  }
  return "?";
}

}  // namespace imagenet
