#!/usr/bin/env bash
# Builds imagenet_train against a CUDA LibTorch 2.x into build-cuda/:
#   scripts/build_cuda.sh                       LibTorch of python3's torch wheel
#   LIBTORCH=/opt/libtorch scripts/build_cuda.sh   an unpacked LibTorch archive
# The other libraries come from the system, or from .gpudeps/ when it exists (see
# scripts/fetch_gpu_deps.sh and docs/GPU.md); DEPS_PREFIX names another such prefix.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${BUILD_DIR:-build-cuda}
if [[ -n ${LIBTORCH:-} ]]; then
  torch_prefix=$LIBTORCH
else
  torch_prefix=$(${PYTHON:-python3} -c 'import torch; print(torch.utils.cmake_prefix_path)')
fi
prefix=$torch_prefix
deps=${DEPS_PREFIX:-}
[[ -z $deps && -d .gpudeps/usr ]] && deps=$PWD/.gpudeps/usr
if [[ -n $deps ]]; then
  prefix="$prefix;$deps"
  export LD_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_PREFIX_PATH="$prefix" "$@"
cmake --build "$build_dir" -j "$(nproc)"
echo "built $build_dir/imagenet_train against $torch_prefix"
[[ -n $deps ]] && echo "run with: export LD_LIBRARY_PATH=$deps/lib/x86_64-linux-gnu:\$LD_LIBRARY_PATH"
exit 0
