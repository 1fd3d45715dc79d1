#!/usr/bin/env bash
# .ci/lib/windows-deps.sh - what the Windows build of ucscan needs, on Debian 12 (as root):
#
#   1. the packages: the mingw-w64 cross compiler, wine64 (the tests), CMake, perl (OpenSSL's
#      Configure), dpkg-dev (apt-get source), zip and groff (the release zip);
#   2. a deb-src entry for each Debian source the machine already uses (the same URIs,
#      suites and components, as deb822 in /etc/apt/sources.list.d/ucscan-deb-src.sources);
#   3. libuv, jansson, OpenSSL and cmocka from Debian's own source packages (`apt-get
#      source`, the versions apt would install), cross-built for x86_64-w64-mingw32 as
#      static libraries into a prefix OUTSIDE the checkout:
#        ${UC_WIN_CACHE:-/var/cache/ucscan-windows}/<key>/
#      where <key> hashes the build recipe of this script, the toolchain file, the compiler
#      and the four source versions. A prefix is built in a temporary directory and renamed
#      into place when complete, under a lock: an interrupted build leaves no half prefix,
#      two checkouts never build it twice at once, and a second run finds it and takes a
#      second or two. Prefixes unused for 30 days are removed.
#
# Nothing is downloaded except through apt. No libpcap: Npcap is not packaged, so the
# Windows build has no packet capture.
#
# Prints the prefix on stdout (the last line); progress and build logs go to stderr and to
# <cache>/logs/. Exits non-zero, naming the step and its log, when something fails.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src_root=$(cd "$here/../.." && pwd)
cache=${UC_WIN_CACHE:-/var/cache/ucscan-windows}
triplet=x86_64-w64-mingw32
jobs=${UC_WIN_JOBS:-$(nproc)}
export DEBIAN_FRONTEND=noninteractive

say() { printf 'windows-deps: %s\n' "$*" >&2; }
die() {
  say "$*"
  exit 1
}

# --- 1. packages -------------------------------------------------------------------------
pkgs=(gcc-mingw-w64-x86-64 wine64 cmake make perl pkg-config dpkg-dev xz-utils zip groff-base)
apt_get() { apt-get -o DPkg::Lock::Timeout=900 -o Acquire::Retries=3 "$@"; }
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
cc=$triplet-gcc-win32 # Win32 threads: libuv and OpenSSL use them; no winpthread to link
command -v "$cc" >/dev/null || die "$cc not found after installing gcc-mingw-w64-x86-64"

# --- 2. deb-src ----------------------------------------------------------------------------
# The "deb" entries apt reads now, as "URI|suite|components|signed-by" lines: deb822
# .sources files (stanzas of Types/URIs/Suites/Components/Signed-By) and one-line .list
# entries. Files apt ignores (other suffixes) are ignored here too.
deb_entries() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f && $f != */ucscan-deb-src.sources ]] || continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no")
          for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++)
            print u[i] "|" s[j] "|" comps "|" signed
        types = ""; nu = 0; ns = 0; comps = ""; signed = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^[ \t]+/, "")
        if (key == "types") types = $0
        else if (key == "uris") nu = split($0, u, /[ \t]+/)
        else if (key == "suites") ns = split($0, s, /[ \t]+/)
        else if (key == "components") comps = $0
        else if (key == "signed-by") signed = $0
        else if (key == "enabled") enabled = tolower($0)
      }
      END { flush() }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    sed -E 's/#.*//' "$f" | awk '
      $1 == "deb" {
        opts = ""; i = 2
        if ($2 ~ /^\[/) { while ($i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
        signed = ""
        if (match(opts, /signed-by=[^] ]+/)) signed = substr(opts, RSTART + 10, RLENGTH - 10)
        comps = ""
        for (k = i + 2; k <= NF; k++) comps = comps (comps ? " " : "") $k
        print $i "|" $(i + 1) "|" comps "|" signed
      }'
  done
}

# (the output is read whole: grep -q would stop apt-cache mid-write, and pipefail fail it)
src_version() { apt-cache showsrc --only-source "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n1; }
have_deb_src() { [[ -n $(src_version libuv1) ]]; }

if ! have_deb_src; then
  mapfile -t entries < <(deb_entries | sort -u)
  ((${#entries[@]})) || die "no Debian apt source found in /etc/apt/sources.list{,.d/}"
  out=/etc/apt/sources.list.d/ucscan-deb-src.sources
  {
    echo "# Added by ucscan's .ci/lib/windows-deps.sh: the sources of the machine's own Debian"
    echo "# packages, to cross-build libuv, jansson, OpenSSL and cmocka for Windows."
    for e in "${entries[@]}"; do
      IFS='|' read -r uri suite comps signed <<<"$e"
      echo
      echo "Types: deb-src"
      echo "URIs: $uri"
      echo "Suites: $suite"
      echo "Components: $comps"
      [[ -z $signed ]] || echo "Signed-By: $signed"
    done
  } >"$out"
  say "added deb-src entries ($out), updating the package lists"
  apt_get update -qq
  have_deb_src || die "apt-get source still finds no libuv1 source after adding $out"
fi

# --- 3. sources ----------------------------------------------------------------------------
# The Debian source packages, in the order they are built; the name of the library each
# leaves in the prefix, to tell a complete prefix from an interrupted one.
sources=(libuv1 jansson openssl cmocka)
mkdir -p "$cache/sources" "$cache/logs"

# The version apt would give, or, when the mirror no longer serves that one's files (a
# snapshot mirror may list a version it cannot serve), the next highest it can. A version
# found unavailable is not asked for again for a day.
fetch_source() {
  local pkg=$1 v stamp
  while read -r v; do
    [[ -n $v ]] || continue
    if [[ -f $cache/sources/${pkg}_${v#*:}.dsc ]]; then
      echo "$v"
      return 0
    fi
    stamp=$cache/sources/${pkg}_${v#*:}.unavailable
    if [[ -f $stamp ]] && (($(date +%s) - $(stat -c %Y "$stamp") < 86400)); then
      continue
    fi
    say "downloading the source of $pkg $v"
    if (cd "$cache/sources" && apt_get source -qq --download-only "$pkg=$v") \
      >"$cache/logs/fetch-$pkg.log" 2>&1 && [[ -f $cache/sources/${pkg}_${v#*:}.dsc ]]; then
      echo "$v"
      return 0
    fi
    say "$pkg $v: not available from the mirror (log: $cache/logs/fetch-$pkg.log); trying an older one"
    touch "$stamp"
  done < <(apt-cache showsrc --only-source "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -Vru)
  return 1
}

declare -A version
for p in "${sources[@]}"; do
  version[$p]=$(fetch_source "$p") || die "no source of $p could be downloaded (apt-get source $p)"
done

# >>> recipe: how the prefix is built. The cache key hashes this block (with the toolchain
# file, the compiler and the source versions), not the whole script: the rest can change
# without a rebuild; a change here makes a new prefix.
unpack() { # pkg -> prints the unpacked directory
  local pkg=$1 v=${version[$1]}
  (cd "$work" && dpkg-source --no-check -x "$cache/sources/${pkg}_${v#*:}.dsc" "$pkg") \
    >"$cache/logs/unpack-$pkg.log" 2>&1 || die "unpacking $pkg failed: $cache/logs/unpack-$pkg.log"
  echo "$work/$pkg"
}

cmake_cross() { # source dir, build dir, extra args...
  local s=$1 b=$2
  shift 2
  # C99 printf (%zu, %lld, %g as glibc writes it) from mingw's own stdio, as in ucscan:
  # jansson formats numbers with snprintf, cmocka its messages.
  cmake -S "$s" -B "$b" -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DUC_WIN_PREFIX="$stage" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$stage" -DCMAKE_INSTALL_LIBDIR=lib \
    -DCMAKE_C_FLAGS="-D__USE_MINGW_ANSI_STDIO=1" "$@"
}

step() { # name, function: runs it with its output in the log, times it
  local name=$1 t0 log=$cache/logs/build-$1.log
  t0=$(date +%s)
  say "building $name ${version[$name]} (log: $log)"
  "$2" >"$log" 2>&1 || die "building $name failed; the last lines of $log:
$(tail -n 30 "$log")"
  say "built $name in $(($(date +%s) - t0)) s"
}

build_libuv1() {
  local s
  s=$(unpack libuv1)
  cmake_cross "$s" "$work/libuv-build" -DLIBUV_BUILD_TESTS=OFF -DLIBUV_BUILD_BENCH=OFF
  cmake --build "$work/libuv-build" --target uv_a -j"$jobs"
  cp -r "$s/include/." "$stage/include/"
  cp "$work/libuv-build/libuv_a.a" "$stage/lib/libuv.a"
}

build_jansson() {
  local s
  s=$(unpack jansson)
  cmake_cross "$s" "$work/jansson-build" -DJANSSON_BUILD_SHARED_LIBS=OFF -DJANSSON_BUILD_DOCS=OFF \
    -DJANSSON_WITHOUT_TESTS=ON -DJANSSON_EXAMPLES=OFF
  cmake --build "$work/jansson-build" -j"$jobs"
  cmake --install "$work/jansson-build"
}

build_openssl() {
  local s
  s=$(unpack openssl)
  # Only the libraries (build_libs, install_dev): the openssl program, the tests and the
  # manuals are most of the build and none of them is used.
  (cd "$s" && perl Configure mingw64 no-shared no-tests no-module --cross-compile-prefix="$triplet-" \
    CC=gcc-win32 --prefix="$stage" --libdir=lib --openssldir="C:/ProgramData/ucscan/ssl" &&
    make -j"$jobs" build_libs && make install_dev)
}

build_cmocka() {
  local s
  s=$(unpack cmocka)
  cmake_cross "$s" "$work/cmocka-build" -DWITH_STATIC_LIB=ON -DWITH_EXAMPLES=OFF -DUNIT_TESTING=OFF
  cmake --build "$work/cmocka-build" --target cmocka-static -j"$jobs"
  cp "$s/include/cmocka.h" "$stage/include/"
  cp "$work/cmocka-build/src/libcmocka-static.a" "$stage/lib/libcmocka.a"
}
# <<< recipe

toolchain=$src_root/cmake/mingw-w64.cmake
key=$(
  {
    sed -n '/^# >>> recipe/,/^# <<< recipe/p' "${BASH_SOURCE[0]}"
    cat "$toolchain"
    "$cc" --version | head -n1
    dpkg-query -W -f='${Version}\n' mingw-w64-x86-64-dev
    for p in "${sources[@]}"; do echo "$p ${version[$p]}"; done
  } | sha256sum | cut -c1-16
)
prefix=$cache/$key

# Prefixes no checkout has used for 30 days (another recipe, older sources) go. Each use of a
# prefix touches its .used.
prune() {
  local d
  for d in "$cache"/*/.complete; do
    d=${d%/.complete}
    [[ -d $d && $d != "$prefix" && -n $(find "$d" -maxdepth 1 -name .used -mtime +30) ]] || continue
    say "removing $d: unused for 30 days"
    rm -rf "$d"
  done
}

if [[ -f $prefix/.complete ]]; then
  touch "$prefix/.used"
  say "cached: $prefix ($(for p in "${sources[@]}"; do printf '%s %s, ' "$p" "${version[$p]}"; done | sed 's/, $//'))"
  echo "$prefix"
  exit 0
fi

# --- 4. build ------------------------------------------------------------------------------
exec 9>"$cache/.lock"
if ! flock -n 9; then
  say "another checkout is building the dependencies: waiting for it ($cache/.lock)"
  flock 9
fi
if [[ -f $prefix/.complete ]]; then # built by another checkout while we waited
  echo "$prefix"
  exit 0
fi
work=$(mktemp -d "$cache/build.XXXXXX")
stage=$work/prefix
trap 'rm -rf "$work"' EXIT
mkdir -p "$stage/include" "$stage/lib"

t_all=$(date +%s)
for p in "${sources[@]}"; do
  step "$p" "build_$p"
done
for lib in libuv.a libjansson.a libcrypto.a libssl.a libcmocka.a; do
  [[ -f $stage/lib/$lib ]] || die "the build left no $stage/lib/$lib"
done
{
  for p in "${sources[@]}"; do echo "$p ${version[$p]}"; done
  echo "built $(date -u +%FT%TZ) in $(($(date +%s) - t_all)) s"
} >"$stage/.complete"
rm -rf "$prefix"
mv "$stage" "$prefix"
touch "$prefix/.used"
prune
say "dependencies built in $(($(date +%s) - t_all)) s: $prefix"
echo "$prefix"
