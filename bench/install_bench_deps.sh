#!/usr/bin/env bash
# Installs what bench/data_loader.sh needs beyond scripts/install_deps.sh: the photographs that
# `imagenet_train prepare imagenet-like` cuts benchmark JPEGs from (Debian's
# lomiri-wallpapers-16.04, 15 photographs, 16 MB). Not needed to build or test.
set -euo pipefail
if dpkg-query -W -f='${Status}' lomiri-wallpapers-16.04 2>/dev/null | grep -q "install ok installed"; then
  exit 0
fi
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends \
  lomiri-wallpapers-16.04
