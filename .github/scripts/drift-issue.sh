#!/usr/bin/env bash
# Keep one open issue per drifted target: open it, update it while drift
# lasts, close it when the target is back in sync.
#
# usage: drift-issue.sh
# env:   GH_TOKEN, REPO (owner/name), TARGET (ACCOUNT/REGION),
#        DRIFT_DETECTED (true|false), BODY_FILE (markdown report), RUN_URL
# The issue is found by its label, by "[TARGET]" in its title and by its
# author: github-actions[bot] (the workflow's own token), never anyone else.
set -euo pipefail

: "${REPO:?}" "${TARGET:?}" "${DRIFT_DETECTED:?}" "${RUN_URL:?}"
label=drift
tag="[$TARGET]"
title="Drift detected on $tag"

issues=$(gh api --paginate "repos/$REPO/issues?state=open&labels=$label&per_page=100")
number=$(jq -rs --arg tag "$tag" \
  '[.[][] | select(.pull_request == null and .user.login == "github-actions[bot]"
     and (.title | contains($tag)))][0].number // empty' \
  <<<"$issues")

payload=$(mktemp)
trap 'rm -f "$payload"' EXIT

if [ "$DRIFT_DETECTED" = true ]; then
  : "${BODY_FILE:?}"
  # ("label" is a jq keyword, hence $name.)
  jq -n --rawfile report "$BODY_FILE" --arg title "$title" --arg name "$label" \
    --arg run "$RUN_URL" \
    '{title: $title, labels: [$name], body: ($report + "\nLast checked by " + $run + "\n")}' \
    >"$payload"
  if [ -n "$number" ]; then
    gh api --method PATCH "repos/$REPO/issues/$number" --input "$payload" >/dev/null
    echo "updated issue #$number"
  else
    # Matrix jobs may race to create the label: it only has to exist afterwards.
    gh api "repos/$REPO/labels/$label" >/dev/null 2>&1 \
      || gh api --method POST "repos/$REPO/labels" -f name="$label" -f color=d93f0b \
        -f description="Live AWS Lambda aliases differ from the manifests" >/dev/null \
      || gh api "repos/$REPO/labels/$label" >/dev/null
    gh api --method POST "repos/$REPO/issues" --input "$payload" >/dev/null
    echo "opened an issue for $TARGET"
  fi
elif [ "$DRIFT_DETECTED" = false ]; then
  if [ -n "$number" ]; then
    jq -n --arg run "$RUN_URL" '{body: ("Back in sync: " + $run)}' >"$payload"
    gh api --method POST "repos/$REPO/issues/$number/comments" --input "$payload" >/dev/null
    gh api --method PATCH "repos/$REPO/issues/$number" -f state=closed \
      -f state_reason=completed >/dev/null
    echo "closed issue #$number"
  else
    echo "$TARGET is in sync"
  fi
else
  echo "::error::DRIFT_DETECTED must be true or false, not '$DRIFT_DETECTED'" >&2
  exit 1
fi
