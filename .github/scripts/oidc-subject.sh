#!/usr/bin/env bash
# Run by hand, once per repository, by an admin: make the OIDC token's `sub`
# carry the git ref as well as the environment, so that AWS trust policies
# can require refs/heads/main for the write role. GitHub's default subject of
# an environment job is repo:OWNER/REPO:environment:NAME, with no ref: any
# branch of the repository adding `environment: production` to a job would
# match it unless the environment is restricted to main.
#
# usage: GH_TOKEN=... oidc-subject.sh OWNER/REPO [--apply]
# Without --apply it prints the current setting and the one it would set.
#
# Subjects afterwards (claim keys repo, context, ref):
#   apply job (environment production, on main):
#     repo:OWNER/REPO:environment:production:ref:refs/heads/main
#   rollout job (environment rollouts, on main):
#     repo:OWNER/REPO:environment:rollouts:ref:refs/heads/main
#   drift job (schedule, on main, no environment):
#     repo:OWNER/REPO:ref:refs/heads/main:ref:refs/heads/main
#   plan job (pull request):
#     repo:OWNER/REPO:pull_request:ref:refs/pull/NUMBER/merge
set -euo pipefail

repo=${1:?usage: oidc-subject.sh OWNER/REPO [--apply]}
mode=${2:-}
if ! [[ $repo =~ ^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$ ]]; then
  echo "not OWNER/REPO: $repo" >&2
  exit 1
fi

echo "current subject template of $repo:"
gh api "repos/$repo/actions/oidc/customization/sub"
wanted='{"use_default": false, "include_claim_keys": ["repo", "context", "ref"]}'
echo "wanted: $wanted"
if [ "$mode" = --apply ]; then
  gh api --method PUT "repos/$repo/actions/oidc/customization/sub" --input - <<<"$wanted"
  echo "set; update the roles' trust policies to the new subjects (README: least-privilege IAM)"
else
  echo "dry run: pass --apply to set it"
fi
