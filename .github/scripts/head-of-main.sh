#!/usr/bin/env bash
# Is this run's commit still the head of main? An older push's apply must not
# run after a newer one (it would revert the newer state): when main has moved
# on, the run skips with a notice and the newer commit's run applies.
#
# usage: head-of-main.sh
# env:   GH_TOKEN, REPO (owner/name), SHA (the run's commit), GITHUB_OUTPUT
# Writes current=true|false to GITHUB_OUTPUT.
set -euo pipefail

: "${REPO:?}" "${SHA:?}" "${GITHUB_OUTPUT:?}"
head=$(gh api "repos/$REPO/commits/main" --jq .sha)
if ! [[ $head =~ ^[0-9a-f]{40}$ ]]; then
  echo "::error::could not read the head of main (got '$head')" >&2
  exit 1
fi
if [ "$head" = "$SHA" ]; then
  echo "current=true" >>"$GITHUB_OUTPUT"
  echo "$SHA is the head of main"
else
  echo "current=false" >>"$GITHUB_OUTPUT"
  echo "::notice::main has moved on to $head: this run ($SHA) applies nothing; the run for the newer commit does"
fi
