#!/usr/bin/env bash
# Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0
# Checks that every source and script file carries the license header in its first lines.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=0
while IFS= read -r f; do
  if ! head -n 3 "$f" | grep -q "SPDX-License-Identifier: Apache-2.0"; then
    echo "missing license header: $f"
    missing=1
  fi
done < <(git ls-files --cached --others --exclude-standard -- '*.rs' '*.sh' 'Makefile' '.ci/run' | while read -r f; do [ -f "$f" ] && echo "$f"; done)
if [ "$missing" -ne 0 ]; then
  echo "add: // Copyright 2026 The kaniko-rs Authors. SPDX-License-Identifier: Apache-2.0 (or # for scripts)"
  exit 1
fi
echo "boilerplate: ok"
