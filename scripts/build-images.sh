#!/usr/bin/env bash
# Builds every image the lab needs, offline (no registry), on the local engine:
#   lab/debian:bookworm   debootstrap --variant=minbase once (cached), then `docker import`
#   lesson images         lab-server/images/lessons/<dir>/Dockerfile, tags listed in <dir>/images
#   lab/registry          Debian's docker-registry (the mirror sandboxes pull from)
#   lab/sandbox:latest    the reader's Docker-in-Docker sandbox
# and pushes every lesson image into the named volume lab-mirror-data through a
# temporary writable registry on 127.0.0.1:$LAB_PUSH_PORT.
#
# Idempotent: each image carries a label lab.build.hash over its directory's files,
# its build args and the IDs of the lab images it is built FROM; an image whose
# label matches is skipped, a changed file rebuilds it (and what is built on it).
# Builds run one after another: parallel image builds only slow each other down.
#
# Every directory under lessons/ is built, in an order derived from the FROM
# lines: alphabetical, except that a directory comes after the ones whose
# images it is built FROM (a cycle, or a directory without Dockerfile or
# images file, is an error).
#
# Usage: scripts/build-images.sh [--force] [--no-mirror] [--only NAME ...] [--print-order]
#   --force       rebuild everything (the debootstrap cache is kept)
#   --no-mirror   do not push to the mirror volume
#   --only NAME   build only these directories (base, registry, sandbox, or a lesson dir)
#   --print-order print the lesson directories in build order and exit (no Docker needed)
# Env: LAB_IMAGE_CACHE (default /var/cache/lab-images), LAB_DEBIAN_MIRROR,
#      LAB_PUSH_PORT (default 5555), LAB_MIRROR_VOLUME (default lab-mirror-data),
#      LAB_IMAGES_DIR (default lab-server/images; tests point it at a scratch tree)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGES=${LAB_IMAGES_DIR:-$ROOT/lab-server/images}
CACHE=${LAB_IMAGE_CACHE:-/var/cache/lab-images}
DEBIAN_MIRROR=${LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
PUSH_PORT=${LAB_PUSH_PORT:-5555}
MIRROR_VOLUME=${LAB_MIRROR_VOLUME:-lab-mirror-data}
PUSH_CONTAINER=lab-mirror-push
BASE_IMAGE=lab/debian:bookworm
# The engine here is 20.10 without buildx; the classic builder is what it has.
export DOCKER_BUILDKIT=0

FORCE=0
MIRROR=1
ONLY=()
PRINT_ORDER=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) FORCE=1 ;;
    --no-mirror) MIRROR=0 ;;
    --only) shift; ONLY+=("${1:?--only needs a name}") ;;
    --print-order) PRINT_ORDER=1 ;;
    -h|--help) sed -n '2,/^set /{/^set /!p}' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

T0=$(date +%s)
BUILT=0
SKIPPED=0

say() { printf '%s\n' "$*"; }
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
elapsed() { echo $(( $(date +%s) - $1 ))s; }
wanted() {
  [ ${#ONLY[@]} -eq 0 ] && return 0
  local n
  for n in "${ONLY[@]}"; do [ "$n" = "$1" ] && return 0; done
  return 1
}
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
image_label() { docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true; }

# Hash of a directory's files (names + contents), independent of mtimes.
dir_hash() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-64
}

# The images a Dockerfile is built FROM, one per line: the image word of each
# FROM line (after any --flag), without `scratch` and the file's own stages.
from_images() {
  awk 'toupper($1) == "FROM" {
         i = 2; while ($i ~ /^--/) i++
         img[++n] = $i
         if (toupper($(i + 1)) == "AS") stage[$(i + 2)] = 1
       }
       END { for (j = 1; j <= n; j++) if (img[j] != "scratch" && !(img[j] in stage)) print img[j] }' "$1/Dockerfile"
}

# name[:tag] with the default tag spelled out, so `FROM x` matches `x:latest`.
with_tag() { case "${1##*/}" in *:*) echo "$1" ;; *) echo "$1:latest" ;; esac; }

# The lesson directories in build order (see the header), one per line.
lesson_order() {
  local lessons=$IMAGES/lessons d line x from
  local -A provider=() deps=() built=()
  local dirs=()
  for d in "$lessons"/*/; do
    d=${d%/}; d=${d##*/}
    [ -f "$lessons/$d/Dockerfile" ] || { echo "lessons/$d has no Dockerfile" >&2; return 1; }
    [ -f "$lessons/$d/images" ] || { echo "lessons/$d has no images file (the tags it builds)" >&2; return 1; }
    dirs+=("$d")
    while IFS= read -r line || [ -n "$line" ]; do
      line=${line%%#*}
      for x in $line; do case "$x" in *=*) ;; *) provider[$(with_tag "$x")]=$d ;; esac; done
    done < "$lessons/$d/images"
  done
  for d in "${dirs[@]}"; do
    deps[$d]=
    while IFS= read -r from; do
      x=${provider[$(with_tag "$from")]:-}
      [ -n "$x" ] && [ "$x" != "$d" ] && deps[$d]+=" $x"
    done < <(from_images "$lessons/$d")
  done
  local n=0 progress ready
  while [ "$n" -lt ${#dirs[@]} ]; do
    progress=0
    for d in "${dirs[@]}"; do
      [ -n "${built[$d]:-}" ] && continue
      ready=1
      for x in ${deps[$d]}; do [ -n "${built[$x]:-}" ] || ready=0; done
      [ "$ready" = 1 ] || continue
      echo "$d"; built[$d]=1; n=$((n + 1)); progress=1
      break
    done
    if [ "$progress" = 0 ]; then
      echo "lesson images built FROM each other in a cycle:" >&2
      for d in "${dirs[@]}"; do [ -n "${built[$d]:-}" ] || echo "  $d FROM the images of:${deps[$d]}" >&2; done
      return 1
    fi
  done
}

LESSON_DIRS=()
order=$(lesson_order) || exit 1
mapfile -t LESSON_DIRS <<< "$order"
if [ "$PRINT_ORDER" = 1 ]; then printf '%s\n' "${LESSON_DIRS[@]}"; exit 0; fi

command -v docker >/dev/null || { echo "docker CLI not found" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "cannot reach the Docker engine" >&2; exit 1; }

# ---------------------------------------------------------------- base image
build_base() {
  local hash overlay="$IMAGES/base/overlay" rootfs="$CACHE/bookworm-minbase"
  hash=$( { echo "minbase bookworm $DEBIAN_MIRROR v1"; dir_hash "$IMAGES/base"; } | sha256sum | cut -c1-64)
  if [ "$FORCE" = 0 ] && [ "$(image_label "$BASE_IMAGE" lab.build.hash)" = "$hash" ]; then
    say "    $BASE_IMAGE is up to date"; SKIPPED=$((SKIPPED + 1)); return
  fi
  local t; t=$(date +%s)
  mkdir -p "$CACHE"
  if [ ! -e "$CACHE/bookworm-minbase.complete" ]; then
    command -v debootstrap >/dev/null || { echo "debootstrap missing: apt-get install -y debootstrap" >&2; exit 1; }
    say "    debootstrap --variant=minbase bookworm (once, cached in $rootfs) ..."
    rm -rf "$rootfs.tmp"
    debootstrap --variant=minbase bookworm "$rootfs.tmp" "$DEBIAN_MIRROR" > "$CACHE/debootstrap.log" 2>&1 \
      || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
    rm -rf "$rootfs"; mv "$rootfs.tmp" "$rootfs"; touch "$CACHE/bookworm-minbase.complete"
  fi
  # Prune a staging copy, so the cache stays pristine and a changed overlay
  # can always be re-applied.
  local stage="$CACHE/stage.$$"
  rm -rf "$stage"; cp -a "$rootfs" "$stage"
  (
    cd "$stage"
    rm -rf var/cache/apt/* var/lib/apt/lists/* var/log/*.log var/log/apt/* tmp/* root/.bash_history
    find usr/share/doc -mindepth 2 ! -name copyright ! -type d -delete 2>/dev/null || true
    find usr/share/doc -mindepth 1 -type d -empty -delete 2>/dev/null || true
    rm -rf usr/share/man/* usr/share/info/* usr/share/lintian/* usr/share/groff/*
    find usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true
    : > etc/resolv.conf; echo localhost > etc/hostname
    rm -f etc/machine-id; : > etc/machine-id
  )
  cp -a "$overlay/." "$stage/"
  say "    importing $BASE_IMAGE ..."
  tar --numeric-owner -C "$stage" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["bash"]' \
    --change "LABEL lab.build.hash=$hash" \
    --change 'LABEL org.opencontainers.image.description="Debian bookworm minbase, debootstrapped offline for the Docker lessons lab"' \
    - "$BASE_IMAGE" >/dev/null
  rm -rf "$stage"
  say "    $BASE_IMAGE imported in $(elapsed "$t")"
  BUILT=$((BUILT + 1))
}

# ------------------------------------------------------- Dockerfile images
# The lab images a Dockerfile is built FROM (their IDs go into the hash, so a
# rebuilt base rebuilds what is on it).
parent_ids() {
  local from
  while IFS= read -r from; do
    echo "$from=$(image_id "$from")"
  done < <(from_images "$1")
}

# build_dir DIR TAGS... [-- ARG=VALUE ...]
build_one() {
  local dir=$1; shift
  local tags=() args=() x
  for x in "$@"; do
    case "$x" in *=*) args+=(--build-arg "$x") ;; *) tags+=("$x") ;; esac
  done
  local hash
  hash=$( { dir_hash "$dir"; printf '%s\n' "$@"; parent_ids "$dir"; } | sha256sum | cut -c1-64)
  local first=${tags[0]} id uptodate=1
  id=$(image_id "$first")
  if [ "$FORCE" = 1 ] || [ -z "$id" ] || [ "$(image_label "$first" lab.build.hash)" != "$hash" ]; then
    uptodate=0
  else
    for x in "${tags[@]}"; do [ "$(image_id "$x")" = "$id" ] || uptodate=0; done
  fi
  if [ "$uptodate" = 1 ]; then
    say "    ${tags[*]}: up to date"; SKIPPED=$((SKIPPED + 1)); return
  fi
  local t; t=$(date +%s)
  local tagargs=()
  for x in "${tags[@]}"; do tagargs+=(-t "$x"); done
  local log
  log="$CACHE/build-$(basename "$dir").log"
  mkdir -p "$CACHE"
  say "    building ${tags[*]} ..."
  if ! docker build --label "lab.build.hash=$hash" "${tagargs[@]}" "${args[@]}" "$dir" > "$log" 2>&1; then
    tail -30 "$log" >&2
    echo "build of $dir failed (full log: $log)" >&2
    exit 1
  fi
  say "    ${tags[*]}: built in $(elapsed "$t")"
  BUILT=$((BUILT + 1))
}

# Each non-empty, non-comment line of DIR/images is one build: tags and ARG=VALUE.
build_dir() {
  local dir=$1 line
  [ -f "$dir/images" ] || { echo "$dir/images missing" >&2; exit 1; }
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%%#*}
    [ -z "${line// }" ] && continue
    # shellcheck disable=SC2086
    build_one "$dir" $line
  done < "$dir/images"
}

# Every lesson image name, for the mirror (lab/* names are build-internal).
lesson_tags() {
  local d line x
  for d in "${LESSON_DIRS[@]}"; do
    while IFS= read -r line || [ -n "$line" ]; do
      line=${line%%#*}
      for x in $line; do case "$x" in *=*|lab/*) ;; *) echo "$x" ;; esac; done
    done < "$IMAGES/lessons/$d/images"
  done
}

# Where an image name lives in the mirror: Docker Hub official images under
# library/, other Hub names as they are, ghcr.io/... without the host (the
# sandbox resolves ghcr.io to the same mirror).
mirror_repo() {
  local name=$1 tag=latest
  case "${name##*/}" in *:*) tag=${name##*:}; name=${name%:*} ;; esac
  case "$name" in
    ghcr.io/*) name=${name#ghcr.io/} ;;
    */*) ;;
    *) name=library/$name ;;
  esac
  echo "$name:$tag"
}

# ------------------------------------------------------------------ mirror
push_mirror() {
  local state="$CACHE/mirror-state" want t
  t=$(date +%s)
  docker volume inspect "$MIRROR_VOLUME" >/dev/null 2>&1 || docker volume create "$MIRROR_VOLUME" >/dev/null
  want=$( {
    docker volume inspect -f '{{.CreatedAt}}' "$MIRROR_VOLUME"
    local tag
    for tag in $(lesson_tags); do echo "$tag $(mirror_repo "$tag") $(image_id "$tag")"; done
  } )
  if [ "$FORCE" = 0 ] && [ -f "$state" ] && [ "$(cat "$state")" = "$want" ]; then
    say "    mirror volume $MIRROR_VOLUME is up to date"; return
  fi
  docker rm -f "$PUSH_CONTAINER" >/dev/null 2>&1 || true
  docker run -d --name "$PUSH_CONTAINER" --label lab.role=mirror-push \
    -p "127.0.0.1:$PUSH_PORT:5000" \
    -v "$MIRROR_VOLUME:/var/lib/docker-registry" \
    lab/registry:latest serve /etc/docker/registry/push.yml >/dev/null
  # shellcheck disable=SC2064
  trap "docker rm -f $PUSH_CONTAINER >/dev/null 2>&1 || true" EXIT
  local i
  for i in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$PUSH_PORT/v2/" >/dev/null 2>&1 && break
    [ "$i" = 100 ] && { docker logs "$PUSH_CONTAINER" >&2; echo "push registry did not start" >&2; exit 1; }
    sleep 0.1
  done
  local tag dest n=0 total
  total=$(lesson_tags | wc -l)
  for tag in $(lesson_tags); do
    n=$((n + 1))
    dest="127.0.0.1:$PUSH_PORT/$(mirror_repo "$tag")"
    say "    [$n/$total] $tag -> $(mirror_repo "$tag")"
    docker tag "$tag" "$dest"
    if ! docker push "$dest" > "$CACHE/push.log" 2>&1; then
      cat "$CACHE/push.log" >&2; docker rmi "$dest" >/dev/null 2>&1 || true; exit 1
    fi
    docker rmi "$dest" >/dev/null
  done
  docker rm -f "$PUSH_CONTAINER" >/dev/null
  trap - EXIT
  echo "$want" > "$state"
  say "    mirror filled in $(elapsed "$t")"
}

# --------------------------------------------------------------------- main
if wanted base; then step "base image $BASE_IMAGE"; build_base; fi
[ -n "$(image_id "$BASE_IMAGE")" ] || { echo "$BASE_IMAGE is missing: run without --only first" >&2; exit 1; }

i=0
for d in "${LESSON_DIRS[@]}"; do
  i=$((i + 1))
  wanted "$d" || continue
  step "[$i/${#LESSON_DIRS[@]}] lesson image: $d"
  build_dir "$IMAGES/lessons/$d"
done

if wanted registry; then step "mirror registry image"; build_dir "$IMAGES/registry"; fi
if wanted sandbox; then step "sandbox image"; build_dir "$IMAGES/sandbox"; fi

if [ "$MIRROR" = 1 ] && [ ${#ONLY[@]} -eq 0 ]; then
  step "mirror volume $MIRROR_VOLUME"
  push_mirror
fi

step "done in $(elapsed "$T0"): $BUILT built, $SKIPPED up to date"
docker image ls --format '{{.Repository}}:{{.Tag}}\t{{.Size}}' \
  | grep -E "^(lab/|$(lesson_tags | sed -E 's/:[^:/]*$//' | sort -u | sed 's/[.]/\\./g' | paste -sd'|'))(:| )" \
  | sort | column -t || true
