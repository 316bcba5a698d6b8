#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
#
# The logic of the GitHub Action in action.yml, which only hands its inputs over as INPUT_<NAME>
# variables (upper case, dashes as underscores), so that tests/github_action.rs can run this very
# script with a simulated runner environment. It first checks the runner (Linux, X64 or ARM64). Two
# modes:
#
#   build      one platform per job: `kaniko build --custom-platform P`, like docker/build-push-action:
#              with push, the image is pushed under every reference in `tags`. With push-by-digest (a
#              leg of a matrix), `--push-by-digest` instead, and the metadata file is copied into the
#              digests directory (INPUT_DIGESTS, default $RUNNER_TEMP/kaniko-digests) for
#              upload-artifact. `outputs: type=docker,dest=PATH` or `tar-path` adds --tar-path.
#              With cache: true, `--cache=true --arch-cache-repo-suffix` (each leg its own cache
#              repository), plus --cache-repo and --cache-ttl when given.
#   aggregate  `kaniko aggregate --digests-from DIR` over the downloaded digests directory: one OCI
#              image index (a Docker manifest list with oci-mode: docker) pushed to every tag.
#
# `tags`, `labels` and `annotations` take docker/metadata-action's outputs as they are (action/metadata.sh
# reads them): each reference is checked, and each annotation goes to the level its prefix names.
#
# Build secrets (build mode), in docker/build-push-action's formats: `secrets` (ID=VALUE items; a
# value may be quoted to span lines), `secret-files` (ID=PATH) and `secret-envs` (ID=VARIABLE). Values
# and file contents are written to 0600 files in the work directory and passed as
# `--secret id=ID,src=FILE`, never as arguments; variables as `--secret id=ID,env=VARIABLE`. Every line
# of every value is masked (::add-mask::) before anything is logged. The work directory goes on every
# exit (EXIT trap; bash runs it on SIGTERM, SIGINT and SIGHUP too).
#
# Signing (both modes; docs/signing-guide.md): with sign: true the cosign-key input (the key's PEM,
# from a secret) is written to a 0600 file of the work directory and passed as --cosign-key-path;
# the cosign-password input goes to kaniko as COSIGN_PASSWORD in its environment, never as an
# argument. Both are masked first and removed from the environment kaniko inherits. provenance:
# true adds --provenance to a pushed build.
#
# Outputs go to $GITHUB_OUTPUT (digest, imageid, metadata; build mode also platform, platform-pair,
# digests-dir, tar-path and isolation), a markdown table of tags, platforms, digest and size to
# $GITHUB_STEP_SUMMARY.
#
# RUN isolation (build mode): as root, kaniko's own `auto`. As an ordinary user (GitHub's `runner`),
# `rootless` when unprivileged user namespaces work, else `sudo -E kaniko … --isolation=chroot`:
# Ubuntu 24.04 runners set kernel.apparmor_restrict_unprivileged_userns=1, under which the namespace
# is created but gets no capabilities, so rootless builds fail at their first mount. The decision and
# its reason are logged. KANIKO_ACTION_USERNS_SYSCTL overrides the sysctl's path (tests point it at a
# file holding 1 or 0).
#
# The kaniko binary is INPUT_BINARY, or the static musl binary of the runner's architecture from the
# GitHub release v<.release-version>: $KANIKO_RELEASE_BASE_URL/v<version>/kaniko-<target triple>,
# checked against the `.sha256` file next to it. The base URL defaults to
# https://github.com/<repository>/releases/download with the repository from
# KANIKO_RELEASE_REPOSITORY, else the action's own (KANIKO_ACTION_REPOSITORY), else kaniko-rs/kaniko-rs.
set -euo pipefail

ACTION_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
USERNS_SYSCTL=${KANIKO_ACTION_USERNS_SYSCTL:-/proc/sys/kernel/apparmor_restrict_unprivileged_userns}
DEFAULT_REPOSITORY=kaniko-rs/kaniko-rs
# shellcheck source=action/metadata.sh
. "$ACTION_ROOT/action/metadata.sh"

log() { echo "kaniko-action: $*"; }
# A GitHub error annotation, then exit.
# On stderr, so that it is seen from inside a command substitution too.
fail() {
  echo "::error title=kaniko::$*" >&2
  exit 1
}

# The non-empty lines of a newline-separated input, trimmed (build-args, labels: values may hold commas).
lines() { printf '%s\n' "$1" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e '/^$/d'; }
# The items of a list input separated by newlines or commas (tags, platforms), as build-push-action reads them.
items() { lines "$(printf '%s\n' "$1" | tr ',' '\n')"; }

# The items of a list input read as docker/build-push-action reads it (its getInputList parses the
# input as CSV): one item per line, except that a field which starts with a double quote (at the start
# of a line or after a comma, spaces allowed before it) runs to the next lone quote, newlines and
# commas included, with "" standing for one quote. `join` puts the fields of a line back together
# with their commas (secrets, secret-files: values may hold commas); `split` makes each its own item
# (secret-envs). Items are trimmed and empty ones dropped. Sets ITEMS, and ITEM_LINES to the line each
# item starts on, so that errors can name a line without showing it. `name` names the input in errors.
csv_items() {
  local input=$1 name=$2 mode=$3 LC_ALL=C
  local i=0 n=${#1} c item='' line=1 start=1 quoted=0 field_start=1 quote_line=0
  ITEMS=()
  ITEM_LINES=()
  while [ "$i" -lt "$n" ]; do
    c=${input:i:1}
    if [ "$quoted" = 1 ]; then
      if [ "$c" != '"' ]; then
        item+=$c
        [ "$c" != $'\n' ] || line=$((line + 1))
      elif [ "${input:i+1:1}" = '"' ]; then
        item+='"'
        i=$((i + 1))
      else
        quoted=0
      fi
    elif [ "$c" = $'\n' ]; then
      csv_push "$item" "$start"
      item=''
      line=$((line + 1))
      start=$line
      field_start=1
    elif [ "$c" = '"' ] && [ "$field_start" = 1 ]; then
      quoted=1
      quote_line=$line
      field_start=0
    elif [ "$c" = , ] && [ "$mode" = split ]; then
      csv_push "$item" "$start"
      item=''
      field_start=1
    else
      item+=$c
      case "$c" in
        ,) field_start=1 ;;
        ' ' | $'\t') ;;
        *) field_start=0 ;;
      esac
    fi
    i=$((i + 1))
  done
  [ "$quoted" = 0 ] || fail "$name: the quoted item that starts on line $quote_line has no closing quote"
  csv_push "$item" "$start"
}

csv_push() {
  local item=$1
  item=${item#"${item%%[![:space:]]*}"}
  item=${item%"${item##*[![:space:]]}"}
  [ -z "$item" ] || {
    ITEMS+=("$item")
    ITEM_LINES+=("$2")
  }
}

# Asks the runner to hide a value in the log from now on. The log is matched line by line, so each
# line is masked on its own; the data is escaped as workflow commands unescape it (%, CR).
mask() {
  local line
  while IFS= read -r line; do
    [[ $line == *[![:space:]]* ]] || continue
    line=${line//'%'/%25}
    line=${line//$'\r'/%0D}
    printf '::add-mask::%s\n' "$line"
  done <<<"$1"
}

# Whether a secret ID can go into `--secret id=ID,…` as it is: no separator, quote or blank.
valid_secret_id() { [[ -n $1 && $1 != *[,\"[:space:][:cntrl:]]* ]]; }

# Splits an item of a secret input into SECRET_ID and SECRET_VALUE, or fails naming `where`; `what`
# names the value (VALUE, PATH, VARIABLE), `hint` (optional) ends the message of a line without `=`.
split_secret_item() {
  local item=$1 where=$2 what=$3 hint=${4:-}
  [[ $item == *=* ]] || fail "$where: expected ID=$what${hint:+ ($hint)}"
  SECRET_ID=${item%%=*}
  SECRET_VALUE=${item#*=}
  valid_secret_id "$SECRET_ID" || fail "$where: the ID is empty or holds a comma, a quote or a blank"
  [ -n "$SECRET_VALUE" ] || fail "$where: the ${what,,} is empty"
}

# Copies standard input into the next private file of $WORK/secrets and passes that to kaniko as
# the secret `id`.
add_secret_file() {
  local file
  file=$WORK/secrets/$((${#SECRET_ARGS[@]} / 2 + 1))
  (umask 077 && cat >"$file")
  SECRET_ARGS+=(--secret "id=$1,src=$file")
}

# Parses the secret inputs into SECRET_ARGS (`--secret` flags), writing values and copies of the
# files into $WORK/secrets (0700; files 0600). Errors name the input and the line; for `secrets`
# nothing of the line is shown (a line without `=` may be a bare value).
secret_args() {
  SECRET_ARGS=()
  [ -n "${INPUT_SECRETS:-}${INPUT_SECRET_FILES:-}${INPUT_SECRET_ENVS:-}" ] || return 0
  local i item where
  csv_items "${INPUT_SECRETS:-}" secrets join
  # Masked before any check can fail, and kept out of kaniko's environment.
  for item in "${ITEMS[@]}"; do mask "${item#*=}"; done
  unset INPUT_SECRETS
  mkdir -m 0700 "$WORK/secrets"
  for i in "${!ITEMS[@]}"; do
    split_secret_item "${ITEMS[i]}" "secrets: line ${ITEM_LINES[i]}" VALUE "the line is not shown, it may hold a secret"
    add_secret_file "$SECRET_ID" < <(printf '%s' "$SECRET_VALUE")
  done
  # Copied, as build-push-action does: a private file whatever the original's mode, at a path that
  # is safe inside --secret's comma-separated value.
  csv_items "${INPUT_SECRET_FILES:-}" secret-files join
  for i in "${!ITEMS[@]}"; do
    where="secret-files: line ${ITEM_LINES[i]} (${ITEMS[i]})"
    split_secret_item "${ITEMS[i]}" "$where" PATH
    [ -f "$SECRET_VALUE" ] && [ -r "$SECRET_VALUE" ] || fail "$where: $SECRET_VALUE is not a readable file"
    add_secret_file "$SECRET_ID" <"$SECRET_VALUE"
  done
  csv_items "${INPUT_SECRET_ENVS:-}" secret-envs split
  for i in "${!ITEMS[@]}"; do
    where="secret-envs: line ${ITEM_LINES[i]} (${ITEMS[i]})"
    split_secret_item "${ITEMS[i]}" "$where" VARIABLE
    [[ $SECRET_VALUE =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || fail "$where: $SECRET_VALUE is not an environment variable name"
    [ -n "${!SECRET_VALUE+set}" ] || fail "$where: the environment variable $SECRET_VALUE is not set"
    mask "${!SECRET_VALUE}"
    SECRET_ARGS+=(--secret "id=$SECRET_ID,env=$SECRET_VALUE")
  done
  [ ${#SECRET_ARGS[@]} -eq 0 ] || log "build secrets: $((${#SECRET_ARGS[@]} / 2)) (values masked, passed as files or variables)"
}

# Parses the signing inputs into SIGN_ARGS; `mode` is build or aggregate, `push` whether the build
# pushes. The key and password are masked and taken out of the environment first, whatever follows.
signing_args() {
  local mode=$1 push=$2 key=${INPUT_COSIGN_KEY:-} password=${INPUT_COSIGN_PASSWORD:-}
  SIGN_ARGS=()
  unset INPUT_COSIGN_KEY INPUT_COSIGN_PASSWORD
  if is_true "${INPUT_PROVENANCE:-}" false provenance; then
    case "$mode:$push" in
      build:true) SIGN_ARGS+=(--provenance) ;;
      build:false) fail "provenance: true needs push: true (the provenance is attached to the pushed image)" ;;
      aggregate:*) log "warning: provenance does nothing in aggregate mode (each build leg attaches its own)" ;;
    esac
  fi
  if ! is_true "${INPUT_SIGN:-}" false sign; then
    [ -z "$key$password" ] || log "warning: cosign-key and cosign-password do nothing without sign: true"
    return 0
  fi
  [ "$mode:$push" != build:false ] || fail "sign: true needs push: true (signatures name what the registry holds)"
  [ -n "$key" ] || fail "sign: true needs cosign-key: the contents of cosign.key, from a secret"
  [[ $key == *"-----BEGIN "*" PRIVATE KEY-----"* ]] ||
    fail "cosign-key: expected the contents of cosign.key (a PEM block, -----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----), not a path or a public key"
  (umask 077 && printf '%s\n' "$key" >"$WORK/cosign.key")
  if [ -n "$password" ]; then
    export COSIGN_PASSWORD=$password
  elif [ -z "${COSIGN_PASSWORD+set}" ]; then
    fail "sign: true needs cosign-password (or COSIGN_PASSWORD in the step's environment; set it empty for a key without a password)"
  fi
  SIGN_ARGS+=(--sign-images --cosign-key-path "$WORK/cosign.key")
  log "signing: on, key from the cosign-key input (masked), password in COSIGN_PASSWORD"
}

# Whether a boolean input is true; `default` when it is empty. `name` (optional) names the input in
# the error.
is_true() {
  local value=${1:-$2}
  case "${value,,}" in
    true | yes | 1) return 0 ;;
    false | no | 0) return 1 ;;
    *) fail "${3:+$3: }expected true or false, got '$1'" ;;
  esac
}

# The oci-mode input: oci (default), docker or auto, kaniko build's --oci-mode values.
oci_mode() {
  local mode=${INPUT_OCI_MODE:-oci}
  case "$mode" in
    oci | docker | auto) echo "$mode" ;;
    *) fail "oci-mode: expected oci, docker or auto, got '$mode'" ;;
  esac
}

# A string field of a flat JSON document (the metadata files), whatever the formatting.
json_string() { tr -d '\n' <"$2" | sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p"; }
json_number() { tr -d '\n' <"$2" | sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\([0-9][0-9]*\).*/\1/p"; }
# The image's size from a kaniko record: the whole image (imageSize), else the manifest's (an index).
record_size() {
  local s
  s=$(json_number imageSize "$1")
  [ -n "$s" ] || s=$(json_number size "$1")
  echo "$s"
}

# os/arch[/variant] of a metadata file.
json_platform() {
  local os arch variant
  os=$(json_string os "$1")
  arch=$(json_string architecture "$1")
  variant=$(json_string variant "$1")
  printf '%s/%s%s' "${os:-?}" "${arch:-?}" "${variant:+/$variant}"
}

human_size() {
  [ -n "$1" ] || { echo "—"; return; }
  awk -v n="$1" 'BEGIN { split("B KiB MiB GiB", u, " "); i = 1
    while (n >= 1024 && i < 4) { n /= 1024; i++ }
    if (i == 1) printf "%d %s\n", n, u[i]; else printf "%.1f %s\n", n, u[i] }'
}

human_duration() {
  if [ "$1" -ge 60 ]; then printf '%dm %02ds\n' $(($1 / 60)) $(($1 % 60)); else printf '%ds\n' "$1"; fi
}

# Writes one step output; multi-line values use GitHub's NAME<<DELIMITER form.
output() {
  local name=$1 value=$2 delimiter
  if [[ $value == *$'\n'* ]]; then
    delimiter="kaniko_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
    printf '%s<<%s\n%s\n%s\n' "$name" "$delimiter" "$value" "$delimiter" >>"$GITHUB_OUTPUT"
  else
    printf '%s=%s\n' "$name" "$value" >>"$GITHUB_OUTPUT"
  fi
}

summary() { printf '%s\n' "$@" >>"$GITHUB_STEP_SUMMARY"; }

summary_table_head() {
  summary "" "| Tags | Platforms | Digest | Size | Duration |" "| --- | --- | --- | --- | --- |"
}

# The platform of a runner architecture (RUNNER_ARCH: X86, X64, ARM, ARM64).
runner_platform() {
  case "$1" in
    X64) echo linux/amd64 ;;
    ARM64) echo linux/arm64 ;;
    ARM) echo linux/arm/v7 ;;
    X86) echo linux/386 ;;
    *) fail "unknown RUNNER_ARCH '$1'" ;;
  esac
}

# Path of the kaniko binary: INPUT_BINARY, or the release binary for this runner, downloaded once.
kaniko_binary() {
  if [ -n "${INPUT_BINARY:-}" ]; then
    [ -x "$INPUT_BINARY" ] || fail "binary: $INPUT_BINARY is not an executable file"
    echo "$INPUT_BINARY"
    return
  fi
  local version triple repository base url dest
  version=$(tr -d '[:space:]' <"$ACTION_ROOT/.release-version")
  case "${RUNNER_ARCH:-}" in
    X64) triple=x86_64-unknown-linux-musl ;;
    ARM64) triple=aarch64-unknown-linux-musl ;;
    *) fail "no kaniko release binary for RUNNER_ARCH '${RUNNER_ARCH:-}'; set the binary input" ;;
  esac
  repository=${KANIKO_RELEASE_REPOSITORY:-${KANIKO_ACTION_REPOSITORY:-$DEFAULT_REPOSITORY}}
  base=${KANIKO_RELEASE_BASE_URL:-https://github.com/$repository/releases/download}
  url="$base/v$version/kaniko-$triple"
  dest="$RUNNER_TEMP/kaniko-$version-$triple/kaniko"
  if [ ! -x "$dest" ]; then
    log "downloading $url" >&2
    mkdir -p "$(dirname "$dest")"
    curl -fsSL --retry 3 -o "$dest.download" "$url" || fail "cannot download $url"
    curl -fsSL --retry 3 -o "$dest.sha256" "$url.sha256" || fail "cannot download $url.sha256"
    local expected actual
    expected=$(cut -d' ' -f1 <"$dest.sha256")
    actual=$(sha256sum "$dest.download" | cut -d' ' -f1)
    [ "$expected" = "$actual" ] || fail "checksum mismatch for $url: expected $expected, got $actual"
    chmod 0755 "$dest.download"
    mv "$dest.download" "$dest"
  fi
  echo "$dest"
}

# Decides RUN isolation for a build; sets ISOLATION, RUN_AS (a command prefix) and logs why.
choose_isolation() {
  local requested=${INPUT_ISOLATION:-auto} reason restricted probe
  RUN_AS=()
  if [ "$(id -u)" -eq 0 ]; then
    ISOLATION=$requested
    log "isolation: $ISOLATION (running as root; with auto, kaniko picks container, rootless or chroot itself)"
    return
  fi
  case "$requested" in
    auto)
      restricted=
      [ ! -r "$USERNS_SYSCTL" ] || restricted=$(tr -d '[:space:]' <"$USERNS_SYSCTL")
      if [ "$restricted" = 1 ]; then
        reason="kernel.apparmor_restrict_unprivileged_userns=1 ($USERNS_SYSCTL): unprivileged user namespaces get no capabilities, so rootless isolation cannot mount or chroot"
      elif ! probe=$(unshare --user --map-root-user true 2>&1); then
        reason="cannot create an unprivileged user namespace (unshare --user --map-root-user: ${probe:-failed})"
      else
        ISOLATION=rootless
        log "isolation: rootless (unprivileged user namespaces work: unshare --user --map-root-user succeeded)"
        return
      fi
      ISOLATION=chroot
      ;;
    chroot)
      ISOLATION=chroot
      reason="requested by the isolation input"
      ;;
    rootless | container)
      ISOLATION=$requested
      log "isolation: $ISOLATION (requested by the isolation input)"
      return
      ;;
    *) fail "isolation: expected auto, rootless, chroot or container, got '$requested'" ;;
  esac
  if sudo -n true 2>/dev/null; then
    RUN_AS=(sudo -E)
    log "isolation: chroot as root through sudo -E, because $reason"
  else
    log "isolation: chroot without root (no password-less sudo), because $reason; a RUN instruction will fail"
  fi
}

# Runs kaniko (with the RUN_AS prefix, maybe empty), timing it into DURATION. What kaniko wrote as
# root goes back to this user, so that the outputs can be read and the work directory removed.
run_kaniko() {
  local start status=0
  start=$(date +%s)
  log "running: $(printf '%q ' "${RUN_AS[@]}" "$@")"
  "${RUN_AS[@]}" "$@" || status=$?
  DURATION=$(($(date +%s) - start))
  if [ ${#RUN_AS[@]} -gt 0 ]; then
    "${RUN_AS[@]}" chown -R "$(id -u):$(id -g)" "$WORK"
  fi
  [ "$status" -eq 0 ] || fail "kaniko ${2:-} failed with exit code $status"
}

# Writes a docker config with the registry credentials of the inputs, if any, and points kaniko at it;
# otherwise kaniko reads $DOCKER_CONFIG/config.json, then ~/.docker/config.json (made explicit here,
# because sudo may change HOME).
credentials() {
  if [ -n "${INPUT_REGISTRY:-}" ] || [ -n "${INPUT_USERNAME:-}" ] || [ -n "${INPUT_PASSWORD:-}" ]; then
    [ -n "${INPUT_REGISTRY:-}" ] && [ -n "${INPUT_USERNAME:-}" ] && [ -n "${INPUT_PASSWORD:-}" ] ||
      fail "registry, username and password go together"
    local dir auth
    dir=$(mktemp -d "$WORK/docker-config.XXXXXX")
    auth=$(printf '%s:%s' "$INPUT_USERNAME" "$INPUT_PASSWORD" | base64 | tr -d '\n')
    (
      umask 077
      printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$INPUT_REGISTRY" "$auth" >"$dir/config.json"
    )
    export DOCKER_CONFIG=$dir
    log "credentials: $INPUT_REGISTRY as $INPUT_USERNAME"
  elif [ -z "${DOCKER_CONFIG:-}" ] && [ -f "${HOME:-/nonexistent}/.docker/config.json" ]; then
    export DOCKER_CONFIG=$HOME/.docker
  fi
}

# Appends the words of INPUT_EXTRA_ARGS (split on whitespace, no quoting) to ARGS.
extra_args() {
  local word
  set -f
  for word in ${INPUT_EXTRA_ARGS:-}; do ARGS+=("$word"); done
  set +f
}

# Appends the layer cache's flags to ARGS (docs/caching.md). A leg builds one architecture, and one
# architecture's layers never serve another, so each leg gets its own cache repository:
# <cache repo>-amd64, <cache repo>-arm64 (--arch-cache-repo-suffix).
cache_args() {
  if ! is_true "${INPUT_CACHE:-}" false cache; then
    if [ -n "${INPUT_CACHE_REPO:-}${INPUT_CACHE_TTL:-}" ]; then
      log "warning: cache-repo and cache-ttl do nothing without cache: true"
    fi
    return
  fi
  ARGS+=(--cache=true --arch-cache-repo-suffix)
  [ -z "${INPUT_CACHE_REPO:-}" ] || ARGS+=("--cache-repo=$INPUT_CACHE_REPO")
  [ -z "${INPUT_CACHE_TTL:-}" ] || ARGS+=("--cache-ttl=$INPUT_CACHE_TTL")
  local repo=${INPUT_CACHE_REPO:-"<repository of the first tag>/cache"}
  log "layer cache: on, entries in $repo-<architecture>"
}

# The runner this step runs on: kaniko is a Linux program, and release binaries exist for X64 and
# ARM64. Checked before anything else, so that a macOS or Windows job fails with a reason instead of
# a Linux binary that cannot start.
check_runner() {
  case "${RUNNER_OS:-}" in
    Linux) ;;
    "") fail "RUNNER_OS is not set: this script runs as a step of a GitHub Actions job" ;;
    *) fail "kaniko-rs runs on Linux runners only (this job runs on ${RUNNER_OS} ${RUNNER_ARCH:-}): use runs-on: ubuntu-24.04 or ubuntu-24.04-arm, or a self-hosted Linux runner" ;;
  esac
  case "${RUNNER_ARCH:-}" in
    X64 | ARM64) ;;
    X86 | ARM)
      [ -n "${INPUT_BINARY:-}" ] ||
        fail "no kaniko release binary for RUNNER_ARCH ${RUNNER_ARCH} (there are x86_64 and aarch64 ones): run on an X64 or ARM64 runner, or set the binary input"
      ;;
    *) fail "unsupported RUNNER_ARCH '${RUNNER_ARCH:-}': kaniko-rs runs on X64 and ARM64 Linux runners" ;;
  esac
}

# `--flag=VALUE` for each item; the values may hold commas and spaces, kaniko gets each as one word.
flag_items() {
  local flag=$1 item
  shift
  for item in "$@"; do ARGS+=("$flag=$item"); done
}

# The tags as summary cells: each reference in backquotes, one per line.
tag_cell() {
  local tag cell=''
  for tag in "$@"; do cell+="${cell:+<br>}\`$tag\`"; done
  echo "${cell:-—}"
}

build() {
  local platform pair kaniko line digests_dir
  local platforms
  # First, so that the values are masked before anything else is logged.
  secret_args
  mapfile -t platforms < <(items "${INPUT_PLATFORMS:-}")
  case ${#platforms[@]} in
    0) platform=$(runner_platform "${RUNNER_ARCH:-}") ;;
    1) platform=${platforms[0]} ;;
    *) fail "build mode builds one platform per job (got ${platforms[*]}): use a matrix, one leg per platform, then mode: aggregate" ;;
  esac
  pair=${platform//\//-}
  if [ "$platform" != "$(runner_platform "$RUNNER_ARCH")" ]; then
    log "warning: building $platform on a $RUNNER_ARCH runner: RUN instructions cannot execute (there is no emulation); use a runner of that architecture"
  fi
  read_tags "${INPUT_TAGS:-}" tags
  local tags=("${TAGS[@]}")
  read_annotations "${INPUT_ANNOTATIONS:-}" "$platform"
  read_outputs "${INPUT_OUTPUTS:-}"
  local tar=${INPUT_TAR_PATH:-}
  if [ -n "$TAR_DEST" ]; then
    [ -z "$tar" ] || [ "$tar" = "$TAR_DEST" ] || fail "tar-path and outputs name two different tarballs ($tar, $TAR_DEST): give one"
    tar=$TAR_DEST
  fi
  local push=false by_digest=false
  is_true "${INPUT_PUSH:-}" false push && push=true
  is_true "${INPUT_PUSH_BY_DIGEST:-}" false push-by-digest && by_digest=true
  if [ "$push" = true ]; then
    [ ${#tags[@]} -gt 0 ] || fail "push needs tags: the references the image is pushed under (with push-by-digest, the repositories it is pushed to by digest)"
  elif [ "$by_digest" = true ]; then
    log "push-by-digest: nothing is pushed without push: true (a build-only run, e.g. a pull request)"
    by_digest=false
  fi
  if [ "$by_digest" = true ]; then
    [ ${#INDEX_ANNOTATIONS[@]} -eq 0 ] && [ ${#DESCRIPTOR_ANNOTATIONS[@]} -eq 0 ] ||
      log "annotations: the index: and manifest-descriptor: lines belong to the image index; give the same annotations to the aggregate step"
  else
    [ ${#INDEX_ANNOTATIONS[@]} -eq 0 ] && [ ${#DESCRIPTOR_ANNOTATIONS[@]} -eq 0 ] ||
      log "annotations: a single-platform build makes no image index, so the index: and manifest-descriptor: lines are not used"
  fi
  [ ${#INDEX_DESCRIPTOR_ANNOTATIONS[@]} -eq 0 ] ||
    log "annotations: index-descriptor: lines annotate an OCI layout's index.json, which kaniko does not write here: not used"
  [ "$OTHER_PLATFORM_ANNOTATIONS" = 0 ] || log "annotations: $OTHER_PLATFORM_ANNOTATIONS manifest[PLATFORM]: line(s) for other platforms than $platform: not used"
  kaniko=$(kaniko_binary)
  local mode
  mode=$(oci_mode)
  ARGS=(build --context "${INPUT_CONTEXT:-.}" --custom-platform "$platform" --oci-mode="$mode"
    --kaniko-dir "$WORK/kaniko" --cleanup --digest-file "$WORK/digest" --metadata-file "$WORK/metadata.json")
  [ -z "${INPUT_FILE:-}" ] || ARGS+=(--dockerfile "$INPUT_FILE")
  local tag
  for tag in "${tags[@]}"; do ARGS+=(--destination "$tag"); done
  while IFS= read -r line; do ARGS+=(--build-arg "$line"); done < <(lines "${INPUT_BUILD_ARGS:-}")
  while IFS= read -r line; do ARGS+=(--label "$line"); done < <(lines "${INPUT_LABELS:-}")
  flag_items --annotation "${MANIFEST_ANNOTATIONS[@]}"
  [ -z "${INPUT_TARGET:-}" ] || ARGS+=(--target "$INPUT_TARGET")
  [ -z "$tar" ] || ARGS+=(--tar-path "$tar")
  ARGS+=("${SECRET_ARGS[@]}")
  cache_args
  if [ "$push" = false ]; then
    ARGS+=(--no-push)
  elif [ "$by_digest" = true ]; then
    ARGS+=(--push-by-digest)
  fi
  signing_args build "$push"
  ARGS+=("${SIGN_ARGS[@]}")
  choose_isolation
  ARGS+=("--isolation=$ISOLATION")
  extra_args
  credentials
  run_kaniko "$kaniko" "${ARGS[@]}"

  local digest size imageid metadata
  digest=$(tr -d '[:space:]' <"$WORK/digest")
  metadata=$(cat "$WORK/metadata.json")
  size=$(record_size "$WORK/metadata.json")
  imageid=$(json_string containerimage.config.digest "$WORK/metadata.json")
  output digest "$digest"
  output imageid "${imageid:-$digest}"
  output metadata "$metadata"
  output platform "$platform"
  output platform-pair "$pair"
  output isolation "$ISOLATION"
  [ -z "$tar" ] || output tar-path "$tar"
  local pushed="not pushed" tags_cell
  tags_cell=$(tag_cell "${tags[@]}")
  if [ "$by_digest" = true ]; then
    digests_dir=${INPUT_DIGESTS:-$RUNNER_TEMP/kaniko-digests}
    mkdir -p "$digests_dir"
    # A copy made by this user, whoever ran kaniko, so upload-artifact and cleanup can handle it.
    cat "$WORK/metadata.json" >"$digests_dir/$pair.json"
    output digests-dir "$digests_dir"
    log "metadata for the aggregate job: $digests_dir/$pair.json"
    pushed="pushed by digest, no tag: the aggregate job tags the index"
    local repos=()
    for tag in "${tags[@]}"; do repos+=("$(repository_of "$tag")"); done
    tags_cell="— (by digest to $(tag_cell "${repos[@]}"))"
  elif [ "$push" = true ]; then
    pushed="pushed"
  else
    tags_cell="— (not pushed)"
  fi
  summary "### kaniko build: $platform ($pushed)"
  summary_table_head
  summary "| $tags_cell | $platform | \`$digest\` | $(human_size "$size") | $(human_duration "$DURATION") |"
  [ -z "$tar" ] || summary "" "Tarball for \`docker load\`: \`$tar\`"
}

aggregate() {
  local digests_dir=${INPUT_DIGESTS:-$RUNNER_TEMP/kaniko-digests} kaniko file mode
  if [ -n "${INPUT_SECRETS:-}${INPUT_SECRET_FILES:-}${INPUT_SECRET_ENVS:-}" ]; then
    unset INPUT_SECRETS
    log "warning: secrets, secret-files and secret-envs do nothing in aggregate mode (nothing is built)"
  fi
  mode=$(oci_mode)
  local from=(--digests-from "$digests_dir")
  if [ ! -d "$digests_dir" ]; then
    # kaniko can fetch the run's artifacts itself (extra-args: --github-artifacts PATTERN).
    case " ${INPUT_EXTRA_ARGS:-} " in
      *" --github-artifacts"*) from=() ;;
      *) fail "digests: $digests_dir is not a directory (download the build jobs' artifacts there, or pass --github-artifacts PATTERN in extra-args)" ;;
    esac
  fi
  read_tags "${INPUT_TAGS:-}" tags
  local tags=("${TAGS[@]}")
  [ ${#tags[@]} -gt 0 ] || fail "aggregate mode needs tags: the index is pushed under each of them"
  read_annotations "${INPUT_ANNOTATIONS:-}" ""
  [ ${#MANIFEST_ANNOTATIONS[@]} -eq 0 ] && [ "$OTHER_PLATFORM_ANNOTATIONS" = 0 ] ||
    log "annotations: the manifest lines were applied by the build legs (the platform manifests are not rebuilt here)"
  [ ${#INDEX_DESCRIPTOR_ANNOTATIONS[@]} -eq 0 ] ||
    log "annotations: index-descriptor: lines annotate an OCI layout's index.json; a registry keeps no descriptor of the index: not used"
  local index_annotations=("${INDEX_ANNOTATIONS[@]}")
  while IFS= read -r line; do index_annotations+=("$line"); done < <(lines "${INPUT_INDEX_ANNOTATIONS:-}")
  kaniko=$(kaniko_binary)
  RUN_AS=()
  ARGS=(aggregate "${from[@]}" --digest-file "$WORK/digest" --metadata-file "$WORK/metadata.json")
  local tag
  for tag in "${tags[@]}"; do ARGS+=(--destination "$tag"); done
  # An OCI index lists OCI or Docker manifests (auto); only docker asks for a Docker manifest list.
  [ "$mode" != docker ] || ARGS+=(--legacy-manifest-list)
  flag_items --index-annotations "${index_annotations[@]}"
  flag_items --manifest-descriptor-annotations "${DESCRIPTOR_ANNOTATIONS[@]}"
  signing_args aggregate true
  ARGS+=("${SIGN_ARGS[@]}")
  extra_args
  credentials
  run_kaniko "$kaniko" "${ARGS[@]}"

  local digest size metadata platforms=()
  digest=$(tr -d '[:space:]' <"$WORK/digest")
  metadata=$(cat "$WORK/metadata.json")
  size=$(json_number size "$WORK/metadata.json")
  output digest "$digest"
  output imageid "$digest"
  output metadata "$metadata"
  local kind="image index"
  [ "$mode" != docker ] || kind="manifest list"
  for file in "$digests_dir"/*.json; do
    [ -f "$file" ] || continue
    platforms+=("$(json_platform "$file")")
  done
  local platform_cell
  platform_cell=$(printf '%s<br>' "${platforms[@]}")
  summary "### kaniko aggregate: $kind"
  summary_table_head
  summary "| $(tag_cell "${tags[@]}") | ${platform_cell%<br>} | \`$digest\` | $(human_size "$size") | $(human_duration "$DURATION") |"
  summary "" "| Platform | Manifest digest | Image size |" "| --- | --- | --- |"
  for file in "$digests_dir"/*.json; do
    [ -f "$file" ] || continue
    summary "| $(json_platform "$file") | \`$(json_string digest "$file")\` | $(human_size "$(record_size "$file")") |"
  done
}

: "${RUNNER_TEMP:?RUNNER_TEMP is not set: this script runs as a GitHub Action step}"
: "${GITHUB_OUTPUT:?GITHUB_OUTPUT is not set}"
: "${GITHUB_STEP_SUMMARY:?GITHUB_STEP_SUMMARY is not set}"
mkdir -p "$RUNNER_TEMP"
WORK=$(mktemp -d "$RUNNER_TEMP/kaniko-action.XXXXXX")
# The work directory holds the credentials and the secret files written for kaniko, if any; bash
# runs the EXIT trap on a normal exit, on `fail` and on SIGTERM, SIGINT or SIGHUP (a cancelled job).
trap 'rm -rf "$WORK"' EXIT
# Before anything can be logged in either mode.
mask "${INPUT_COSIGN_KEY:-}"
mask "${INPUT_COSIGN_PASSWORD:-}"
check_runner
case "${INPUT_MODE:-build}" in
  build) build ;;
  aggregate) aggregate ;;
  *) fail "mode: expected build or aggregate, got '${INPUT_MODE}'" ;;
esac
