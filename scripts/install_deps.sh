#!/usr/bin/env bash
# Installs the Debian 12 packages imagenet_train needs to build, test and run the demo.
# Idempotent: does nothing when everything is installed already.
#   scripts/install_deps.sh
set -euo pipefail

packages=(
  # build tools
  cmake ninja-build g++ ccache clang-format
  # libraries
  libtorch-dev libgloo-dev libyaml-cpp-dev libcli11-dev libspdlog-dev
  libopencv-core-dev libopencv-imgproc-dev libturbojpeg0-dev libjpeg62-turbo-dev
  libstb-dev zlib1g-dev libgtest-dev
  # TensorBoard event files (protobuf lite, protoc at build time) and safetensors headers
  libprotobuf-dev protobuf-compiler nlohmann-json3-dev
  # reference values for tests and the Python baselines of bench/; python3-protobuf and
  # python3-crc32c read the event files back independently
  python3-torch python3-torchvision python3-numpy python3-pil python3-protobuf python3-crc32c
  # the demo's real data
  dataset-fashion-mnist
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install_deps: all ${#packages[@]} packages are installed"
  exit 0
fi

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "install_deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
