"""`reconciler iam-policy`: the least-privilege IAM policy for plan or apply."""

from __future__ import annotations

import argparse
import json
import logging

from reconciler.iam import MANAGED_POLICY_LIMIT, PARTITIONS, policy
from reconciler.manifest import load_manifests

NAME = "iam-policy"
AWS_OPTIONS = ("region",)
HELP = "print the IAM policy (JSON) the tool needs for the given manifests"

log = logging.getLogger("reconciler.iam")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", default=["manifests"], metavar="PATH")
    parser.add_argument(
        "--mode",
        choices=("read", "apply"),
        required=True,
        help="read: what plan/drift/status need; apply: that plus the mutations",
    )
    parser.add_argument("--account", help="account for manifests that name none")
    parser.add_argument(
        "--partition",
        choices=PARTITIONS,
        help="partition of the ARNs when no manifest names one in a function ARN "
        "(default: from the regions: cn-* aws-cn, us-gov-* aws-us-gov, else aws)",
    )


def run(args: argparse.Namespace) -> int:
    specs = load_manifests(args.paths).functions
    document = policy(
        specs, args.mode, account=args.account, region=args.region, partition=args.partition
    )
    text = json.dumps(document, indent=2)
    compact = len(json.dumps(document, separators=(",", ":")))
    if compact > MANAGED_POLICY_LIMIT:
        log.warning(
            "the policy is %d characters; IAM managed policies hold %d: split it, or use an inline policy",
            compact,
            MANAGED_POLICY_LIMIT,
        )
    print(text)
    return 0
