#!/usr/bin/env bash
# Create or update the one pull-request comment that carries a report's marker.
#
# usage: sticky-comment.sh BODY_FILE
# env:   GH_TOKEN, REPO (owner/name), PR_NUMBER
# The body's first line is the hidden marker (<!-- reconciler:... -->): the
# comment whose body starts with it is edited in place, so each pull request
# keeps one report comment however often it is pushed to. Only a comment
# written by github-actions[bot] (the workflow's own token) counts: another
# bot or app could otherwise plant the marker and have its comment edited.
set -euo pipefail

body_file=$1
: "${REPO:?}" "${PR_NUMBER:?}"
marker=$(head -n 1 "$body_file")
case $marker in
  '<!-- reconciler:'*' -->') ;;
  *) echo "::error::$body_file does not start with a reconciler marker" >&2; exit 1 ;;
esac

payload=$(mktemp)
trap 'rm -f "$payload"' EXIT
jq -n --rawfile body "$body_file" '{body: $body}' >"$payload"

# Pages come back as separate JSON arrays; jq -s joins them.
comments=$(gh api --paginate "repos/$REPO/issues/$PR_NUMBER/comments?per_page=100")
existing=$(jq -rs --arg marker "$marker" \
  '[.[][] | select(.user.login == "github-actions[bot]" and .user.type == "Bot"
     and (.body | startswith($marker)))][0].id // empty' \
  <<<"$comments")

if [ -n "$existing" ]; then
  gh api --method PATCH "repos/$REPO/issues/comments/$existing" --input "$payload" >/dev/null
  echo "updated comment $existing"
else
  gh api --method POST "repos/$REPO/issues/$PR_NUMBER/comments" --input "$payload" >/dev/null
  echo "created a comment on #$PR_NUMBER"
fi
