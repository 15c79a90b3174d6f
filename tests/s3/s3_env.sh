# A real S3 server on this machine, for the S3 tests and benchmarks. Source it, then:
#   s3_env_install                 npm's s3rver (pinned, into a cache folder) and s3fs; 1 if not
#   s3_env_enter_netns "$@"        re-runs the calling script in its own network and mount
#                                  namespace (loopback only; exit 77 where the kernel refuses)
#   s3_env_start WORK [DELAY_MS]   s3rver on 127.0.0.1:4569 and s3_proxy in front of it (each
#                                  request delayed DELAY_MS, every SigV4 signature checked);
#                                  exports AWS_* for it; everything stopped when the script exits
#   s3_env_proxy VAR ARGS...       another proxy in front of s3rver; its port goes into $VAR
#   s3_env_rate RATE               caps loopback bandwidth with tc tbf ("1gbit"); both hops of
#                                  client -> proxy -> server count
#   s3_env_load SRC_DIR PREFIX     puts a dataset folder into the bucket (with folder markers)
#   s3_env_faults RULES [PORT]     sets the fault rules of a proxy (tests/s3/s3_proxy.cpp)
#   s3_env_stats [PORT]            a proxy's counters (requests, faults, signatures checked)
#   s3_env_mount MNT [OPTIONS]     mounts the bucket with s3fs (through the proxy)
#   s3_env_unmount MNT             unmounts it and waits for its s3fs to end
# Needs S3_PROXY (the s3_proxy binary). Every wait is bounded; nothing outlives the script.

S3RVER_VERSION=3.7.1
S3RVER_HOME=${S3RVER_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/imagenet_train/s3rver-$S3RVER_VERSION}
S3_BUCKET=${S3_BUCKET:-imagenet}
S3_SERVER_PORT=4569
S3_ENV_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_S3_ENV_PIDS=()
_S3_ENV_MOUNTS=()

s3_env_install() {
  if [[ ! -f $S3RVER_HOME/node_modules/s3rver/bin/s3rver.js ]]; then
    command -v npm >/dev/null || { echo "s3_env: npm is missing (scripts/install_deps.sh)" >&2; return 1; }
    mkdir -p "$S3RVER_HOME"
    echo "s3_env: installing s3rver $S3RVER_VERSION into $S3RVER_HOME" >&2
    timeout 300 npm install --prefix "$S3RVER_HOME" --no-audit --no-fund --loglevel=error \
      "s3rver@$S3RVER_VERSION" >&2 || { echo "s3_env: npm install s3rver failed" >&2; return 1; }
  fi
  command -v s3fs >/dev/null || { echo "s3_env: s3fs is missing (scripts/install_deps.sh)" >&2; return 1; }
}

s3_env_enter_netns() {
  if [[ -z ${S3_ENV_IN_NETNS:-} ]]; then
    if ! unshare --net --mount true 2>/dev/null; then
      echo "SKIP: this kernel or container refuses a private network namespace (unshare -n)"
      exit 77
    fi
    S3_ENV_IN_NETNS=1 exec unshare --net --mount --propagation private -- bash "$0" "$@"
  fi
  ip link set lo up
}

_s3_env_wait_port() {  # PORT SECONDS
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

s3_env_stop() {
  local m p
  for m in "${_S3_ENV_MOUNTS[@]}"; do
    mountpoint -q "$m" && { fusermount -u -z "$m" 2>/dev/null || true; }
  done
  for p in "${_S3_ENV_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${_S3_ENV_PIDS[@]}"; do
    timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null || kill -KILL "$p" 2>/dev/null
  done
  _S3_ENV_PIDS=()
  _S3_ENV_MOUNTS=()
}

s3_env_start() {
  S3_ENV_WORK=$1
  local delay=${2:-0}
  mkdir -p "$S3_ENV_WORK/s3rver"
  trap s3_env_stop EXIT
  # s3rver makes ListObjectsV2 continuation tokens with DES, which Node 17+ (OpenSSL 3) has
  # only in its legacy provider: without it every truncated listing is a 500 InternalError.
  local legacy=()
  node --openssl-legacy-provider -e 0 2>/dev/null && legacy=(--openssl-legacy-provider)
  node "${legacy[@]}" "$S3RVER_HOME/node_modules/s3rver/bin/s3rver.js" -d "$S3_ENV_WORK/s3rver" -a 127.0.0.1 \
    -p "$S3_SERVER_PORT" ${S3RVER_VERBOSE:--s} --configure-bucket "$S3_BUCKET" >"$S3_ENV_WORK/s3rver.log" 2>&1 &
  _S3_ENV_PIDS+=($!)
  _s3_env_wait_port "$S3_SERVER_PORT" 30 || { echo "s3_env: s3rver did not start" >&2; cat "$S3_ENV_WORK/s3rver.log" >&2; return 1; }
  s3_env_proxy S3_PROXY_PORT --delay_ms "$delay" || return 1
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
  export AWS_ENDPOINT_URL=http://127.0.0.1:$S3_PROXY_PORT
  export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
  unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_S3
}

s3_env_proxy() {  # VAR [s3_proxy flags]: starts a proxy, its port into $VAR
  local var=$1 port_file
  shift
  port_file=$(mktemp -u "$S3_ENV_WORK/proxy.XXXX.port")
  "${S3_PROXY:?S3_PROXY must name the s3_proxy binary}" --upstream "127.0.0.1:$S3_SERVER_PORT" \
    --listen 127.0.0.1:0 --port_file "$port_file" --verify S3RVER:S3RVER "$@" \
    >>"$S3_ENV_WORK/proxy.log" 2>&1 &
  _S3_ENV_PIDS+=($!)
  local i
  for ((i = 0; i < 100; i++)); do [[ -s $port_file ]] && break; sleep 0.1; done
  [[ -s $port_file ]] || { echo "s3_env: s3_proxy did not start" >&2; cat "$S3_ENV_WORK/proxy.log" >&2; return 1; }
  printf -v "$var" '%s' "$(cat "$port_file")"
}

s3_env_rate() { tc qdisc replace dev lo root tbf rate "$1" burst 4mbit latency 100ms; }

s3_env_load() {  # SRC_DIR PREFIX
  /usr/bin/python3 "$S3_ENV_DIR/s3rver_load.py" "$S3_ENV_WORK/s3rver/$S3_BUCKET" "$1" "$2"
}

s3_env_faults() {  # RULES [PORT]
  curl -sS --max-time 5 -X PUT --data-binary "$1" "http://127.0.0.1:${2:-$S3_PROXY_PORT}/__proxy__/faults"
}

s3_env_stats() { curl -sS --max-time 5 "http://127.0.0.1:${1:-$S3_PROXY_PORT}/__proxy__/stats"; }

# s3_env_stat NAME [PORT]: one counter of a proxy (0 when unset).
s3_env_stat() { s3_env_stats "${2:-}" | sed -n "s/^$1=//p" | grep . || echo 0; }

s3_env_mount() {  # MNT [extra s3fs -o options, comma-separated]
  local mnt=$1 extra=${2:-}
  mkdir -p "$mnt"
  printf '%s:%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$S3_ENV_WORK/passwd-s3fs"
  chmod 600 "$S3_ENV_WORK/passwd-s3fs"
  s3fs "$S3_BUCKET" "$mnt" -o "passwd_file=$S3_ENV_WORK/passwd-s3fs,url=$AWS_ENDPOINT_URL" \
    -o use_path_request_style,endpoint=us-east-1,dbglevel=warn${extra:+,$extra} \
    >>"$S3_ENV_WORK/s3fs.log" 2>&1 || { cat "$S3_ENV_WORK/s3fs.log" >&2; return 1; }
  _S3_ENV_MOUNTS+=("$mnt")
  local i
  for ((i = 0; i < 100; i++)); do mountpoint -q "$mnt" && return 0; sleep 0.1; done
  echo "s3_env: s3fs did not mount $mnt" >&2
  return 1
}

s3_env_unmount() {  # MNT
  local pid i
  pid=$(pgrep -f -x "s3fs $S3_BUCKET $1 .*")
  fusermount -u "$1" || return 1
  [[ -n $pid ]] || return 0
  for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}
