#!/usr/bin/env bash
# Re-runs every shipped scenario and rewrites its committed outputs in results/<name>/.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
for scenario in scenarios/*.yaml; do
  ./target/release/kubesim run "$scenario" --quiet
  if grep -q '^variants:' "$scenario"; then
    ./target/release/kubesim compare "$scenario" --quiet
  fi
  if grep -q '^sweep:' "$scenario"; then
    ./target/release/kubesim sweep "$scenario" --quiet
  fi
done
