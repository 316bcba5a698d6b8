#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
#
# The benchmark suite behind docs/performance.md: a fixed set of builds, each run several times with
# kaniko-rs (release build, --isolation=chroot) and, where `docker info` works, with the legacy
# `docker build` of the same Dockerfile on the same machine in the same run. Prints, per case, the
# median wall time of each builder, the ratio ours/docker and our peak RSS, then the median per-RUN
# snapshot time on a 100,000-file tree, as a markdown table (also written to target/bench/results.md).
#
# The warm-* cases measure rebuilds with the layer cache (--cache=true --cache-copy-layers=true, the
# cache repository in the bench registry, a fresh --kaniko-dir and --cache-dir each run, as on a new CI
# runner): one cold cached build fills the cache and is not counted, then every counted run is a
# rebuild that pushes the image. warm-rebuild and warm-run50 change nothing (every step should hit);
# warm-onefile changes one source file before each run (only the steps after that COPY should run).
# For them the report also gives the steps that ran and hit (the `cache miss` / `cache hit` records).
#
# Usage: hack/bench.sh               (every case, BENCH_RUNS=3 runs each)
#        BENCH_CASES=run50,rebuild BENCH_RUNS=5 hack/bench.sh
#        BENCH_CASES=warm-rebuild,warm-onefile BENCH_RUNS=1 hack/bench.sh   (quick check of the cache)
#        BENCH_DOCKER_RUNS=1 BENCH_DOCKER_TIMEOUT=1200 hack/bench.sh   (slow engines)
# Needs root (chroot isolation) and the packages hack/setup.sh installs. The base images are made from
# Debian's busybox-static and served by a throw-away docker-registry on a loopback port; nothing
# outside a temporary directory (and the docker engine's image store, cleaned afterwards) is touched.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RUNS=${BENCH_RUNS:-3}
# docker build on a fuse-overlayfs storage driver (rootless or nested engines) can take minutes per
# run; BENCH_DOCKER_RUNS lets a slow engine run fewer times than ours.
DOCKER_RUNS=${BENCH_DOCKER_RUNS:-$RUNS}
# Seconds after which a docker build is stopped and reported as "more than" that (0: no limit).
DOCKER_TIMEOUT=${BENCH_DOCKER_TIMEOUT:-0}
CASES=${BENCH_CASES:-copy50k,run1g,run50,stages6,rebuild,warm-rebuild,warm-run50,warm-onefile}
OUT=${BENCH_OUT:-$ROOT/target/bench/results.md}

if [ "$(id -u)" -ne 0 ]; then
  echo "hack/bench.sh: run as root (the builds use --isolation=chroot)" >&2
  exit 1
fi

bash hack/setup.sh >/dev/null
cargo build --release --locked --bin kaniko
KANIKO=$ROOT/target/release/kaniko

WORK=$(mktemp -d /var/tmp/kaniko-bench.XXXXXX)
REGISTRY_PID=
DOCKER=0
if docker info >/dev/null 2>&1; then DOCKER=1; fi

cleanup() {
  if [ -n "$REGISTRY_PID" ]; then kill "$REGISTRY_PID" 2>/dev/null || true; fi
  if [ "$DOCKER" = 1 ]; then
    docker image ls --format '{{.Repository}}:{{.Tag}}' | grep -E '^(kaniko-bench/|127\.0\.0\.1:[0-9]+/bench/)' |
      xargs -r docker image rm -f >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "bench: $*" >&2; }

# --- registry ---------------------------------------------------------------------------------
start_registry() {
  local attempt port
  for attempt in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 20000))
    mkdir -p "$WORK/registry"
    cat >"$WORK/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $WORK/registry/storage
http:
  addr: 127.0.0.1:$port
EOF
    /usr/bin/docker-registry serve "$WORK/registry/config.yml" >"$WORK/registry/log" 2>&1 &
    REGISTRY_PID=$!
    for _ in $(seq 1 50); do
      if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
        REGISTRY=127.0.0.1:$port
        return 0
      fi
      kill -0 "$REGISTRY_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$REGISTRY_PID" 2>/dev/null || true
    log "registry did not start on port $port (attempt $attempt): $(tail -n 2 "$WORK/registry/log")"
  done
  echo "hack/bench.sh: could not start docker-registry" >&2
  exit 1
}

# --- base images ------------------------------------------------------------------------------
# A busybox rootfs from the host architecture's busybox-static .deb, with every applet linked.
busybox_rootfs() {
  local dest=$1 arch deb
  arch=$(dpkg --print-architecture)
  deb=$(ls tests/fixtures/debs/busybox-static_*_"$arch".deb)
  mkdir -p "$WORK/deb" "$dest/bin" "$dest/etc" "$dest/tmp" "$dest/root"
  dpkg-deb -x "$deb" "$WORK/deb"
  cp "$WORK/deb/bin/busybox" "$dest/bin/busybox"
  local applet
  for applet in $("$dest/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dest/bin/$applet"
  done
  chmod 1777 "$dest/tmp"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dest/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$dest/etc/group"
}

# COUNT files of a few dozen bytes under DIR, 100 per directory (split writes a directory's worth
# in one process).
many_files() {
  local dir=$1 count=$2 d
  for d in $(seq 1 $((count / 100))); do
    mkdir -p "$dir/d$d"
    seq $((d * 1000)) $((d * 1000 + 999)) | (cd "$dir/d$d" && split -l 10 -d -a 3 - f)
  done
}

# Imports a root filesystem as a one-layer image and pushes it to the bench registry (the docker
# engine keeps its own copy, so docker builds start from a local base as they would on a warm runner).
publish_base() {
  local rootfs=$1 ref=$2
  tar -C "$rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' -c 'CMD ["sh"]' - "$ref" >/dev/null
  docker push -q "$ref" >/dev/null
}

# Without docker the bases are pushed by kaniko-rs itself: a FROM scratch build of the rootfs.
publish_base_without_docker() {
  local rootfs=$1 ref=$2
  printf 'FROM scratch\nCOPY . /\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nCMD ["sh"]\n' \
    >"$WORK/base.Dockerfile"
  "$KANIKO" build --context "$rootfs" --dockerfile "$WORK/base.Dockerfile" --destination "$ref" \
    --insecure-registry "$REGISTRY" --kaniko-dir "$WORK/kaniko-base" --cleanup -v error
}

make_bases() {
  log "building base images (busybox, busybox + 100,000 files)"
  busybox_rootfs "$WORK/rootfs-base"
  cp -a "$WORK/rootfs-base" "$WORK/rootfs-100k"
  many_files "$WORK/rootfs-100k/usr/share/bench" 100000
  local publish=publish_base_without_docker
  [ "$DOCKER" = 1 ] && publish=publish_base
  BASE=$REGISTRY/bench/base:1
  BASE100K=$REGISTRY/bench/base-100k:1
  $publish "$WORK/rootfs-base" "$BASE"
  $publish "$WORK/rootfs-100k" "$BASE100K"
  rm -rf "$WORK/rootfs-base" "$WORK/rootfs-100k" "$WORK/deb"
}

# --- cases ------------------------------------------------------------------------------------
make_cases() {
  local c=$WORK/cases
  mkdir -p "$c"

  # A 50,000-file context copied in one COPY.
  mkdir -p "$c/copy50k"
  many_files "$c/copy50k/src" 50000
  printf 'FROM %s\nCOPY src /src\n' "$BASE" >"$c/copy50k/Dockerfile"

  # One RUN writing 1 GiB across 20,000 files of 52,429 bytes (100 directories of 200): pseudo-random
  # hex text, which gzip shrinks to about a third, like typical build output. busybox has no split,
  # so awk writes the files.
  mkdir -p "$c/run1g"
  cat >"$c/run1g/Dockerfile" <<'EOF'
FROM {{BASE}}
RUN for d in $(seq 1 100); do mkdir -p /data/$d; done \
 && awk 'BEGIN { srand(1); while (length(s) < 52428) s = s sprintf("%08x", int(rand() * 4294967296)); \
    s = substr(s, 1, 52428); for (d = 1; d <= 100; d++) for (f = 1; f <= 200; f++) \
    { p = "/data/" d "/f" f; print s > p; close(p) } }'
EOF
  sed -i "s|{{BASE}}|$BASE|" "$c/run1g/Dockerfile"

  # 50 small RUN steps on a 100,000-file base; every other one changes nothing.
  mkdir -p "$c/run50"
  {
    printf 'FROM %s\n' "$BASE100K"
    local i
    for i in $(seq 1 25); do
      printf 'RUN echo step %d > /tmp/step%d\nRUN true\n' "$i" "$i"
    done
  } >"$c/run50/Dockerfile"

  # Five stages producing files with RUN, gathered by a sixth with COPY --from.
  mkdir -p "$c/stages6"
  {
    for i in 1 2 3 4 5; do
      printf 'FROM %s AS s%d\nRUN mkdir -p /out && awk '"'"'BEGIN { for (i = 1; i <= 2000; i++) { p = "/out/f" i; print i * %d > p; close(p) } }'"'"' && echo %d > /out/id\n' \
        "$BASE" "$i" "$i" "$i"
    done
    printf 'FROM %s\n' "$BASE"
    for i in 1 2 3 4 5; do printf 'COPY --from=s%d /out /s%d\n' "$i" "$i"; done
    printf 'RUN cat /s*/id > /ids\n'
  } >"$c/stages6/Dockerfile"

  # A typical small service rebuilt with nothing changed: docker answers from its layer cache.
  mkdir -p "$c/rebuild"
  many_files "$c/rebuild/app" 2000
  printf 'FROM %s\nCOPY app /app\nRUN find /app -type f | wc -l > /app/count\nENV APP=/app\nCMD ["cat", "/app/count"]\n' \
    "$BASE" >"$c/rebuild/Dockerfile"

  # The layer cache: the small service and the 50-step case rebuilt with nothing changed ...
  cp -a "$c/rebuild" "$c/warm-rebuild"
  cp -a "$c/run50" "$c/warm-run50"
  # ... and a service whose dependency steps come before its sources, rebuilt after one source file
  # changed: 4 cached steps, of which the last 2 (COPY app, RUN) should run.
  cp -a "$c/rebuild" "$c/warm-onefile"
  mkdir -p "$c/warm-onefile/deps"
  seq 1 200 | sed 's/^/lib/' >"$c/warm-onefile/deps/requirements.txt"
  cat >"$c/warm-onefile/Dockerfile" <<'EOF'
FROM {{BASE}}
COPY deps /deps
RUN mkdir -p /opt/lib && while read -r lib; do echo "$lib" > "/opt/lib/$lib"; done < /deps/requirements.txt
COPY app /app
RUN find /app -type f | wc -l > /app/count
ENV APP=/app
CMD ["cat", "/app/count"]
EOF
  sed -i "s|{{BASE}}|$BASE|" "$c/warm-onefile/Dockerfile"
}

is_warm() { case $1 in warm-*) return 0 ;; *) return 1 ;; esac; }

# The change warm-onefile makes before each build: new content for one source file.
change_one_file() {
  local case=$1 run=$2
  [ "$case" = warm-onefile ] || return 0
  printf 'changed for run %s at %s\n' "$run" "$(date +%s%N)" >"$WORK/cases/$case/app/d1/f000"
}

# --- running ----------------------------------------------------------------------------------
# Runs a command under GNU time; appends "seconds peak_kib" to FILE. The command's output goes to LOG.
timed() {
  local file=$1 log=$2
  shift 2
  if ! /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$log" 2>&1; then
    echo "hack/bench.sh: failed: $*" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  cat "$WORK/time" >>"$file"
}

ours() {
  local case=$1 run=$2
  local ctx=$WORK/cases/$case
  timed "$WORK/results/$case.ours" "$WORK/logs/$case.ours.$run.log" \
    "$KANIKO" build --context "$ctx" --dockerfile "$ctx/Dockerfile" --no-push \
    --insecure-registry "$REGISTRY" --isolation chroot --kaniko-dir "$WORK/kaniko" --cleanup \
    --log-format json -v debug
  rm -rf "$WORK/kaniko"
}

# A build with the layer cache on, pushed to the bench registry (the cache repository is the default,
# <destination repository>/cache). Mode `timed` times it; `fill` runs it untimed to fill the cache.
ours_cached() {
  local case=$1 run=$2 mode=$3
  local ctx=$WORK/cases/$case
  local cmd=("$KANIKO" build --context "$ctx" --dockerfile "$ctx/Dockerfile"
    --destination "$REGISTRY/bench/$case:$run" --cache=true --cache-copy-layers=true
    --cache-dir "$WORK/cache-dir" --insecure-registry "$REGISTRY" --isolation chroot
    --kaniko-dir "$WORK/kaniko" --cleanup --log-format json -v debug)
  mkdir -p "$WORK/cache-dir"
  if [ "$mode" = fill ]; then
    "${cmd[@]}" >"$WORK/logs/$case.fill.log" 2>&1 || {
      echo "hack/bench.sh: the cold cached build of $case failed" >&2
      tail -n 30 "$WORK/logs/$case.fill.log" >&2
      exit 1
    }
  else
    timed "$WORK/results/$case.ours" "$WORK/logs/$case.ours.$run.log" "${cmd[@]}"
  fi
  rm -rf "$WORK/kaniko" "$WORK/cache-dir"
}

docker_build() {
  local case=$1 run=$2 cache=${3---no-cache}
  local ctx=$WORK/cases/$case
  if [ "$DOCKER_TIMEOUT" -gt 0 ]; then
    local rc=0
    /usr/bin/time -f '%e %M' -o "$WORK/time" timeout "$DOCKER_TIMEOUT" \
      env DOCKER_BUILDKIT=0 docker build $cache -q -t "kaniko-bench/$case:$run" "$ctx" \
      >"$WORK/logs/$case.docker.$run.log" 2>&1 || rc=$?
    if [ "$rc" = 124 ]; then
      log "case $case: docker build stopped after ${DOCKER_TIMEOUT}s"
      echo "$DOCKER_TIMEOUT" >"$WORK/results/$case.docker-timeout"
      return 0
    elif [ "$rc" != 0 ]; then
      echo "hack/bench.sh: docker build of $case failed" >&2
      tail -n 30 "$WORK/logs/$case.docker.$run.log" >&2
      exit 1
    fi
    tail -n 1 "$WORK/time" >>"$WORK/results/$case.docker"
    return 0
  fi
  timed "$WORK/results/$case.docker" "$WORK/logs/$case.docker.$run.log" \
    env DOCKER_BUILDKIT=0 docker build $cache -q -t "kaniko-bench/$case:$run" "$ctx"
}

docker_clean() {
  local case=$1
  docker image ls --format '{{.Repository}}:{{.Tag}}' | grep "^kaniko-bench/$case:" |
    xargs -r docker image rm -f >/dev/null 2>&1 || true
}

median() { sort -n | awk '{v[NR]=$1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR+1)/2]; else printf "%.2f\n", (v[NR/2]+v[NR/2+1])/2}'; }

run_case() {
  local case=$1 run
  local with=""
  [ "$DOCKER" = 1 ] && with=" and docker build"
  log "case $case: $RUNS runs with kaniko-rs$with"
  if is_warm "$case"; then
    # The cold cached build fills the cache repository and is not counted.
    ours_cached "$case" fill fill
    for run in $(seq 1 "$RUNS"); do
      change_one_file "$case" "ours-$run"
      ours_cached "$case" "$run" timed
    done
  else
    for run in $(seq 1 "$RUNS"); do
      ours "$case" "$run"
    done
  fi
  [ "$DOCKER" = 1 ] || return 0
  case $case in
    # docker's no-change rebuild is the rebuild case's; filling its cache for the 50-step case takes
    # more than 20 minutes on a slow engine. warm-onefile is compared: docker re-runs the same steps.
    warm-rebuild | warm-run50) return 0 ;;
  esac
  if [ "$case" = rebuild ] || is_warm "$case"; then
    # The first build fills docker's cache and is not counted; every counted run rebuilds from it.
    docker_build "$case" warm "" && : >"$WORK/results/$case.docker"
    for run in $(seq 1 "$DOCKER_RUNS"); do
      change_one_file "$case" "docker-$run"
      docker_build "$case" "$run" ""
    done
  else
    for run in $(seq 1 "$DOCKER_RUNS"); do
      docker_build "$case" "$run"
      docker_clean "$case"
    done
  fi
  docker_clean "$case"
}

describe_case() {
  case $1 in
    copy50k) echo "COPY of a 50,000-file context" ;;
    run1g) echo "RUN writing 1 GiB in 20,000 files" ;;
    run50) echo "50 RUN steps on a 100,000-file base" ;;
    stages6) echo "6 stages, COPY --from" ;;
    rebuild) echo "no-change rebuild" ;;
    warm-rebuild) echo "no-change rebuild, layer cache" ;;
    warm-run50) echo "50 RUN steps, no-change rebuild, layer cache" ;;
    warm-onefile) echo "one source file changed, layer cache" ;;
  esac
}

report() {
  local case ours docker ratio rss snap
  echo "| case | kaniko-rs median (s) | docker build median (s) | ours/docker | kaniko-rs peak RSS (MiB) |"
  echo "|---|---:|---:|---:|---:|"
  for case in ${CASES//,/ }; do
    ours=$(cut -d' ' -f1 "$WORK/results/$case.ours" | median)
    rss=$(cut -d' ' -f2 "$WORK/results/$case.ours" | sort -n | tail -n 1 | awk '{printf "%.0f", $1/1024}')
    docker=-
    ratio=-
    if [ -s "$WORK/results/$case.docker" ]; then
      docker=$(cut -d' ' -f1 "$WORK/results/$case.docker" | median)
      ratio=$(awk -v a="$ours" -v b="$docker" 'BEGIN {if (b > 0) printf "%.2f", a/b; else print "-"}')
    elif [ -s "$WORK/results/$case.docker-timeout" ]; then
      # Stopped at the limit: docker's time is a lower bound, so the ratio is an upper bound.
      docker="> $(cat "$WORK/results/$case.docker-timeout")"
      ratio=$(awk -v a="$ours" -v b="$(cat "$WORK/results/$case.docker-timeout")" 'BEGIN {printf "< %.2f", a/b}')
    fi
    echo "| $(describe_case "$case") | $ours | $docker | $ratio | $rss |"
  done
  warm_report
  if [ -n "$(ls "$WORK"/logs/run50.ours.*.log 2>/dev/null)" ]; then
    # Per-RUN snapshot cost on the 100,000-file tree: the debug "snapshot" events of the RUN steps
    # that changed nothing (no layer) and of those that changed one file.
    snap=$(cat "$WORK"/logs/run50.ours.*.log | grep '"message":"snapshot"' | grep -v '"layer":"sha256' |
      sed -n 's/.*"elapsed_ms":\([0-9]*\).*/\1/p' | median)
    echo
    echo "Median no-change snapshot of the 100,000-file tree (per RUN, command excluded): ${snap} ms"
    snap=$(cat "$WORK"/logs/run50.ours.*.log | grep '"message":"snapshot"' | grep '"layer":"sha256' |
      sed -n 's/.*"elapsed_ms":\([0-9]*\).*/\1/p' | median)
    echo "Median snapshot with one changed file, layer written: ${snap} ms"
  fi
}

# Per warm case: the steps that ran (cache misses) and hit in each counted run; and how the 50-step
# no-change rebuild compares with the small service's (the target: within 1.5x).
warm_report() {
  local case log ran hit runs small big
  for case in ${CASES//,/ }; do
    is_warm "$case" || continue
    runs=
    for log in "$WORK"/logs/"$case".ours.*.log; do
      [ -f "$log" ] || continue
      ran=$(grep -c '"message":"cache miss"' "$log" || true)
      hit=$(grep -c '"message":"cache hit"' "$log" || true)
      runs="$runs${runs:+, }$ran ran/$hit hit"
    done
    if [ -n "$runs" ]; then
      echo
      echo "$(describe_case "$case"), cached steps per run: $runs"
    fi
  done
  if [ -s "$WORK/results/warm-rebuild.ours" ] && [ -s "$WORK/results/warm-run50.ours" ]; then
    small=$(cut -d' ' -f1 "$WORK/results/warm-rebuild.ours" | median)
    big=$(cut -d' ' -f1 "$WORK/results/warm-run50.ours" | median)
    echo
    echo "No-change rebuild with the cache, 50-step case / small service:" \
      "$(awk -v a="$big" -v b="$small" 'BEGIN {if (b > 0) printf "%.2f", a/b; else print "-"}')x (target: at most 1.5x)"
  fi
}

describe_machine() {
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), " \
    "$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)," \
    "filesystem $(stat -f -c %T /var/tmp) on /var/tmp"
  echo "kaniko-rs $("$KANIKO" version 2>/dev/null | head -n 1), isolation chroot, gzip level 1"
  if [ "$DOCKER" = 1 ]; then
    echo "docker $(docker version --format '{{.Server.Version}}'), legacy builder (DOCKER_BUILDKIT=0), storage driver $(docker info --format '{{.Driver}}')"
  else
    echo "docker: not available (docker info failed), kaniko-rs only"
  fi
  echo "Runs per case: kaniko-rs $RUNS, docker build $DOCKER_RUNS; $(date -u +%Y-%m-%dT%H:%MZ)"
  if [ "$DOCKER_TIMEOUT" -gt 0 ]; then echo "docker builds stopped after ${DOCKER_TIMEOUT}s"; fi
}

mkdir -p "$WORK/results" "$WORK/logs" "$(dirname "$OUT")"
start_registry
make_bases
make_cases
for case in ${CASES//,/ }; do
  [ -d "$WORK/cases/$case" ] || { echo "hack/bench.sh: unknown case $case" >&2; exit 2; }
  run_case "$case"
done
{
  describe_machine
  echo
  report
} | tee "$OUT"
