#!/usr/bin/env bash
# Generates the neutral peer workloads W1-W3 and converts them to kubesim inputs under
# benches/peer/w1, w2, w3 (not committed). Needs the neutral workload generator
# (gen_workload.py, see the README's "Neutral peer workloads"); its path is the argument.
#
#   scripts/peer-workloads.sh path/to/gen_workload.py [w1 w2 w3]
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 path/to/gen_workload.py [w1 w2 w3]" >&2
  exit 2
fi
generator=$1
shift
cd "$(dirname "$0")/.."
ids=("$@")
[ ${#ids[@]} -gt 0 ] || ids=(w1 w2 w3)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for id in "${ids[@]}"; do
  case $id in
    w1) flags=(--nodes 1000 --pods 20000 --seed 1) ;;
    w2) flags=(--nodes 1000 --pods 100000 --seed 1) ;;
    w3) flags=(--nodes 5000 --pods 1000000 --seed 1) ;;
    *) echo "unknown workload $id (expected w1, w2 or w3)" >&2; exit 2 ;;
  esac
  python3 "$generator" "${flags[@]}" --no-kubernetriks --out "$tmp/$id" >/dev/null
  python3 scripts/convert_peer_workload.py "$tmp/$id" "benches/peer/$id" --name "peer-$id"
done
