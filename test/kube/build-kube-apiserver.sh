#!/usr/bin/env bash
# Builds kube-apiserver from the Go module proxy into a per-version cache and prints its path.
#
# `go install k8s.io/kubernetes/cmd/kube-apiserver@vX` is refused because k8s.io/kubernetes' go.mod
# replaces its k8s.io/* staging modules with ./staging/src paths. A scratch module that points each
# of those at its published v0.<minor>.<patch> release builds the same binary. Skipped when the
# binary for this version is already cached. `--print-path` prints where the binary goes, and builds
# nothing: the tests find it there.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.33.13}"
STAGING_VERSION="v0.${KUBE_VERSION#v1.}"
CACHE_DIR="${KUBE_APISERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ml-platform/kube-apiserver}/$KUBE_VERSION"
BIN="$CACHE_DIR/kube-apiserver"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"

if [[ "${1:-}" == --print-path ]]; then
  echo "$BIN"
  exit 0
fi

if [[ -x "$BIN" ]] && "$BIN" --version 2>/dev/null | grep -qx "Kubernetes $KUBE_VERSION"; then
  echo "$BIN"
  exit 0
fi

work="$CACHE_DIR/module"
rm -rf "$work"
mkdir -p "$work"
cd "$work"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
"$GO" mod init ml-platform.local/kube-apiserver-build >/dev/null 2>&1

# The staging modules are exactly the ones k8s.io/kubernetes replaces with ./staging paths.
upstream_mod="$("$GO" mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
mapfile -t staging < <(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/.*#\1#p' "$upstream_mod")
if ((${#staging[@]} == 0)); then
  echo "no staging replace directives found in $upstream_mod" >&2
  exit 1
fi
edits=()
for module in "${staging[@]}"; do
  edits+=("-replace=$module=$module@$STAGING_VERSION")
done
"$GO" mod edit "${edits[@]}" "-require=k8s.io/kubernetes@$KUBE_VERSION"
"$GO" get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" >&2

# The version stamp is what `kube-apiserver --version` and the API's /version report.
minor="${KUBE_VERSION#v1.}"
minor="${minor%%.*}"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean"
done
CGO_ENABLED=0 "$GO" build -trimpath -ldflags "$ldflags" -o "$BIN.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
mv "$BIN.tmp" "$BIN"
echo "$BIN"
