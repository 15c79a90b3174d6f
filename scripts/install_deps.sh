#!/usr/bin/env bash
# Installs the Debian 12 packages imagenet_train needs to build, test and run the demo.
# Idempotent: does nothing when everything is installed already.
#   scripts/install_deps.sh
set -euo pipefail

packages=(
  # build tools; clang and its sanitizer/libFuzzer runtimes for scripts/sanitize.sh and fuzz.sh
  cmake ninja-build g++ ccache clang-format clang libclang-rt-dev
  # libraries
  libtorch-dev libgloo-dev libyaml-cpp-dev libcli11-dev libspdlog-dev
  libopencv-core-dev libopencv-imgproc-dev libturbojpeg0-dev libjpeg62-turbo-dev
  libstb-dev zlib1g-dev libgtest-dev
  # the S3 client (src/s3): HTTP and SigV4 signing, ListObjectsV2's XML, SHA-256 and MD5
  libcurl4-openssl-dev libexpat1-dev libssl-dev
  # the S3 tests and benchmarks (tests/s3/s3_env.sh): a FUSE mount, namespaces, tc
  s3fs fuse iproute2
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
# Node.js and npm install the S3 test server (npm's s3rver, see tests/s3/s3_env.sh). A
# machine with NodeSource's nodejs has npm inside it, and Debian's npm package would conflict.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install_deps: all ${#packages[@]} packages are installed"
  exit 0
fi

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "install_deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
