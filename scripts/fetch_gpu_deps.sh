#!/usr/bin/env bash
# Downloads the Debian 12 packages imagenet_train needs besides LibTorch and unpacks them into
# a prefix folder (default .gpudeps/), for a GPU machine that has a CUDA torch wheel but no
# package registry. Run it on a Debian 12 machine, copy the folder over, then build there with
# scripts/build_cuda.sh (which finds .gpudeps/ by itself). See docs/GPU.md.
#   scripts/fetch_gpu_deps.sh [dest]
set -euo pipefail
dest=${1:-.gpudeps}
pkgs=(
  libyaml-cpp-dev libyaml-cpp0.7
  libspdlog-dev libspdlog1.10 libfmt-dev libfmt9
  libcli11-dev
  libturbojpeg0-dev libturbojpeg0 libjpeg62-turbo libjpeg62-turbo-dev
  libopencv-core-dev libopencv-core406 libopencv-imgproc-dev libopencv-imgproc406
  libtbb12 libtbb-dev
  libgtest-dev googletest
  libstb-dev libstb0 zlib1g-dev
  # TensorBoard event files: protobuf lite and protoc (which needs libprotoc and libprotobuf);
  # LibTorch wheels hide their own protobuf's symbols, so the two do not meet
  libprotobuf-dev libprotobuf-lite32 libprotobuf32 protobuf-compiler libprotoc32
  # safetensors headers (header-only)
  nlohmann-json3-dev
  # photographs for `imagenet_train prepare imagenet-like` (bench/gpu_throughput.sh)
  lomiri-wallpapers-16.04
  # runtime closure of libopencv_core on a machine without X11/GL/BLAS libraries
  libglx0 libglvnd0 libx11-6 libxcb1 libxau6 libxdmcp6 libbsd0 libmd0
  libblas3 liblapack3 libgfortran5 libquadmath0
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "${pkgs[@]}" >/dev/null)
mkdir -p "$dest"
for deb in "$work"/*.deb; do dpkg -x "$deb" "$dest"; done
lib="$dest/usr/lib/x86_64-linux-gnu"
for so in blas/libblas.so.3 lapack/liblapack.so.3; do
  [[ -e $lib/$so && ! -e $lib/${so#*/} ]] && ln -s "$so" "$lib/${so#*/}"
done
# Only shared libraries travel (the GPU build links those); keep GoogleTest's static ones.
find "$dest" -name '*.a' ! -name 'libgtest*' ! -name 'libgmock*' -delete
rm -rf "$dest/usr/share/doc" "$dest/usr/share/man" "$dest/usr/src"
du -sh "$dest"
