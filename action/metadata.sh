# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
#
# Reading the action's list inputs the way docker/build-push-action reads them, so that the outputs
# of docker/metadata-action can be passed unchanged: `tags` (references, newline- or comma-separated),
# `annotations` (one `[LEVEL:]KEY=VALUE` per line, LEVEL being manifest, index, manifest-descriptor
# or index-descriptor, optionally qualified by a platform as in `manifest[linux/arm64]:`, BuildKit's
# syntax) and `outputs` (build-push-action's `type=docker,dest=PATH`). Sourced by entrypoint.sh,
# which defines `fail` and `log`; these functions read no INPUT_ variable themselves.

METADATA_ACTION_HINT="docker/metadata-action writes valid references from any branch or owner name (https://github.com/docker/metadata-action)"

# Checks one image reference of the `tags` input against the distribution reference grammar and
# fails naming `where` (the input and line) and the rule broken. Hand-written tags break on branch
# names with `/` and on owners with capitals, hence the hint.
check_reference() {
  local ref=$1 where=$2 name tag='' host='' path component rest
  name=${ref%%@*}
  [ "$name" = "$ref" ] || {
    rest=${ref#*@}
    [[ $rest =~ ^[a-z0-9]+:[a-f0-9]{32,}$ ]] ||
      fail "$where '$ref': '$rest' is not a digest (ALGORITHM:HEX); $METADATA_ACTION_HINT"
  }
  # The first component is a registry host when it has a dot or a port, or is localhost.
  if [[ $name == */* ]]; then
    component=${name%%/*}
    if [[ $component == *.* || $component == *:* || $component == localhost ]]; then
      host=$component
      name=${name#*/}
    fi
  fi
  path=$name
  # A colon before the last slash means the tag itself has a slash (a branch name such as
  # feature/x written into a tag).
  if [[ ${path%/*} == *:* && $path == */* ]]; then
    tag=${path#*:}
    fail "$where '$ref': the tag '$tag' contains '/', which a tag cannot hold (letters, digits, _, . and - only); $METADATA_ACTION_HINT"
  fi
  if [[ $path == *:* ]]; then
    tag=${path##*:}
    path=${path%:*}
  fi
  [ -n "$path" ] || fail "$where '$ref': no repository; $METADATA_ACTION_HINT"
  if [[ $path =~ [A-Z] ]]; then
    fail "$where '$ref': the repository '${host:+$host/}$path' must be lower case ('${host:+$host/}${path,,}'); $METADATA_ACTION_HINT"
  fi
  local IFS=/
  for component in $path; do
    [[ $component =~ ^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*$ ]] ||
      fail "$where '$ref': the repository component '$component' may only hold lower-case letters, digits and single separators (. _ __ -) between them; $METADATA_ACTION_HINT"
  done
  if [ -n "$tag" ] || [[ $name == *: ]]; then
    [[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] ||
      fail "$where '$ref': the tag '$tag' may only hold letters, digits, _, . and - (at most 128, not starting with . or -); $METADATA_ACTION_HINT"
  fi
}

# The repository of a reference: without its tag or digest (a registry port stays).
repository_of() {
  local ref=${1%%@*} last
  last=${ref##*/}
  [[ $last != *:* ]] || ref=${ref%:*}
  echo "$ref"
}

# The references of a `tags` input (newline- or comma-separated, as build-push-action and
# metadata-action's default separator have it), each checked; sets TAGS. `input` names the input.
read_tags() {
  local value=$1 input=$2 line n=0 item
  TAGS=()
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    local IFS=,
    for item in $line; do
      item=${item#"${item%%[![:space:]]*}"}
      item=${item%"${item##*[![:space:]]}"}
      [ -n "$item" ] || continue
      check_reference "$item" "$input: line $n"
      TAGS+=("$item")
    done
    unset IFS
  done <<<"$value"
}

# Sorts the lines of an `annotations` input by where they go, for a build of `platform` (empty in
# aggregate mode): MANIFEST_ANNOTATIONS (unprefixed and manifest:, manifest[PLATFORM]: when it is this
# platform), INDEX_ANNOTATIONS (index:), DESCRIPTOR_ANNOTATIONS (manifest-descriptor:) and
# INDEX_DESCRIPTOR_ANNOTATIONS (index-descriptor:), each as KEY=VALUE items. A line that is not
# [LEVEL:]KEY=VALUE, or names another level, fails naming its line.
read_annotations() {
  local value=$1 platform=$2 line n=0 level key qualifier
  MANIFEST_ANNOTATIONS=()
  INDEX_ANNOTATIONS=()
  DESCRIPTOR_ANNOTATIONS=()
  INDEX_DESCRIPTOR_ANNOTATIONS=()
  OTHER_PLATFORM_ANNOTATIONS=0
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line=${line#"${line%%[![:space:]]*}"}
    line=${line%"${line##*[![:space:]]}"}
    [ -n "$line" ] || continue
    key=${line%%=*}
    [[ $line == *=* && -n $key ]] ||
      fail "annotations: line $n '$line': expected KEY=VALUE or LEVEL:KEY=VALUE (LEVEL manifest, index, manifest-descriptor or index-descriptor), as docker/metadata-action writes them"
    level=manifest
    qualifier=''
    # The level is what comes before the first colon of the key; annotation keys have none.
    if [[ $key == *:* ]]; then
      level=${key%%:*}
      line=${line#*:}
      if [[ $level =~ ^([a-z-]+)\[([^]]*)\]$ ]]; then
        level=${BASH_REMATCH[1]}
        qualifier=${BASH_REMATCH[2]}
      fi
    fi
    [ -n "${line%%=*}" ] || fail "annotations: line $n: no key after '$level:'"
    case "$level" in
      manifest)
        if [ -n "$qualifier" ] && [ "$qualifier" != "$platform" ]; then
          OTHER_PLATFORM_ANNOTATIONS=$((OTHER_PLATFORM_ANNOTATIONS + 1))
        else
          MANIFEST_ANNOTATIONS+=("$line")
        fi
        ;;
      index) INDEX_ANNOTATIONS+=("$line") ;;
      manifest-descriptor) DESCRIPTOR_ANNOTATIONS+=("$line") ;;
      index-descriptor) INDEX_DESCRIPTOR_ANNOTATIONS+=("$line") ;;
      *) fail "annotations: line $n: unknown level '$level' (expected manifest, index, manifest-descriptor or index-descriptor)" ;;
    esac
  done <<<"$value"
}

# build-push-action's `outputs` input, as far as kaniko can honour it: `type=docker,dest=PATH` (a
# tarball `docker load` reads, kaniko's --tar-path). Sets TAR_DEST. Anything else fails saying so,
# rather than being ignored.
read_outputs() {
  local value=$1 line item type dest
  TAR_DEST=''
  while IFS= read -r line; do
    line=${line#"${line%%[![:space:]]*}"}
    [ -n "$line" ] || continue
    type='' dest=''
    local IFS=,
    for item in $line; do
      case "$item" in
        type=*) type=${item#type=} ;;
        dest=*) dest=${item#dest=} ;;
        *) fail "outputs: '$line': kaniko writes type=docker,dest=PATH only (unknown attribute '$item')" ;;
      esac
    done
    unset IFS
    [ "$type" = docker ] ||
      fail "outputs: '$line': kaniko writes type=docker,dest=PATH only (a tarball for docker load); use push for a registry"
    [ -n "$dest" ] || fail "outputs: '$line': type=docker needs dest=PATH (there is no Docker daemon to load into)"
    [ -z "$TAR_DEST" ] || fail "outputs: one type=docker output only"
    TAR_DEST=$dest
  done <<<"$value"
}
