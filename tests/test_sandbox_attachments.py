"""The sandbox's emulator, patched where moto falls short (reconciler/sandbox/moto_gaps.py),
answers the gateway's attachment calls as the demo needs: a mapping made on alias `live`
is listed by the function's name with `live` as its qualifier, a hand-changed batch size
is seen, URLs and policies are per alias.

Each check runs in a child process: the patches are process-wide, and the tests' own moto
server must stay unpatched (its gaps are what the fidelity proxy is measured against)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import json
    from reconciler.aws.gateway import Connection, Session
    from reconciler.manifest.model import EventSourceSpec, FunctionUrlSpec, PermissionSpec
    from reconciler.sandbox import server as sandbox

    emulator = sandbox.start()
    try:
        sandbox.seed(emulator)
        queue = sandbox.create_queue(emulator, "orders")
        again = sandbox.create_queue(emulator, "orders")
        keys = ("testing", "testing")
        session = Session(Connection(region=sandbox.REGION, endpoint_url=emulator.url, credentials=keys))
        gw = session.gateway(sandbox.REGION)
        made = gw.create_event_source_mapping("orders-worker", "live", EventSourceSpec(queue, batch_size=10))
        listed = gw.event_source_mappings("orders-worker")
        # Someone changes the batch size by hand.
        session.client("lambda", sandbox.REGION).update_event_source_mapping(UUID=made.uuid, BatchSize=25)
        changed = gw.event_source_mappings("orders-worker")
        gone = gw.delete_event_source_mapping("orders-worker", "live", "00000000-0000-0000-0000-000000000000")
        gw.create_function_url("payments-api", "live", FunctionUrlSpec("AWS_IAM"))
        gw.add_permission(
            "payments-api",
            "live",
            PermissionSpec("url", "*", "lambda:InvokeFunctionUrl", function_url_auth_type="NONE"),
        )
        gw.add_permission("payments-api", "live", PermissionSpec("partner", "111122223333"))
        try:
            gw.add_permission("payments-api", "live", PermissionSpec("partner", "111122223333"))
            duplicate = "accepted"
        except Exception as exc:
            duplicate = type(exc).__name__
        print(json.dumps({
            "queue": queue,
            "again": again,
            "made": [made.qualifier, made.function_arn, made.batch_size],
            "listed": [[m.uuid == made.uuid, m.qualifier] for m in listed],
            "changed": [m.batch_size for m in changed],
            "gone": gone,
            "urls": [[u.qualifier, u.auth_type] for u in gw.function_urls("payments-api")],
            "other_urls": [u.qualifier for u in gw.function_urls("orders-worker")],
            "policy": [[s.sid, s.qualifier, s.principal, s.function_url_auth_type] for s in gw.policy("payments-api", "live")],
            "other_policy": gw.policy("payments-api", "1"),
            "duplicate": duplicate,
            "removed": [gw.remove_permission("payments-api", "live", "url"), gw.remove_permission("payments-api", "live", "url")],
        }))
    finally:
        emulator.stop()
    """
)


def test_the_sandbox_emulates_what_is_bound_to_aliases() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False, timeout=240
    )
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["queue"] == got["again"] == "arn:aws:sqs:eu-west-1:123456789012:orders"
    arn = "arn:aws:lambda:eu-west-1:123456789012:function:orders-worker:live"
    assert got["made"] == ["live", arn, 10]
    assert got["listed"] == [[True, "live"]]
    assert got["changed"] == [25]
    assert got["gone"] is False
    assert got["urls"] == [["live", "AWS_IAM"]] and got["other_urls"] == []
    assert got["policy"] == [
        ["url", "live", "*", "NONE"],
        ["partner", "live", "111122223333", None],
    ]
    assert got["other_policy"] == []
    assert got["duplicate"] == "ConflictError"
    assert got["removed"] == [True, False]
