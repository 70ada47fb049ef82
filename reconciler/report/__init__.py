"""Reports: text, JSON and markdown renderings of plans, applies and drift.

The JSON report documents are the contract every renderer works from:

    # Report JSON documents (format_version 1) — produced by `plan|apply|drift --format json`

    Every command that takes `--format json` prints exactly ONE JSON document on stdout, even when it
    exits 1 (then `failure_reason` is set and `errors` is non-empty). Common top-level keys:
      format_version: 1
      kind: "plan" | "apply" | "drift"
      tool_version: "0.1.0"
      generated_at: ISO-8601 UTC string
      target: null | {"account": "123456789012" | null, "region": "eu-west-1" | null}   (set with --target)
      manifests: {"paths": [...], "files": [...], "digest": "sha256:<hex>"}
      failure_reason: null | "invalid-manifest" | "plan-error" | "plan-stale" | "apply-failed" | "rollout-held"
      errors: [{"function": str|null, "region": str|null, "alias": str|null, "kind": str, "message": str,
                "file": str|null, "line": int|null}]   # file/line: where the manifest declares the
                # function (or the alias the error names); null for a run-wide error. A manifest
                # validation error (kind "invalid-manifest") has the file and line it is at, and
                # "col": int|null; its message does not repeat them (line/col null: whole file)
      functions: [{"function": str, "region": str|null, "account": str|null, "status": str, "reason": str|null,
                   "file": str|null, "line": int|null}]

    ## kind = "plan"
      has_changes: bool
      summary: {"publish": int, "create": int, "update": int, "delete": int}
      changes: list of
        {"action": "publish_version" | "create_alias" | "update_alias" | "delete_alias",
         "function": "payments-api", "region": "eu-west-1", "account": "123456789012" | null,
         "alias": "live" | null (null for publish_version),
         "before": null | {"version": "2", "weights": {"4": 0.1}, "description": "text" | null},
         "after":  null | {"version": "3" | null, "weights": {}, "description": "text" | null},
            # publish_version: before null, after {"version": null, "code_sha256": "...", "description": ...}
            # an alias pointing at a version still to be published has after.version null and
            # after.version_label e.g. "release (new from $LATEST)"; version_label is always present in
            # before/after for display, e.g. "stable (3)".
         "fields": ["version", "weights", "description"]   # which fields change (update_alias)
         "traffic_shift": bool,                              # true when version or weights change
         "summary": "one human line describing the change"}
      notes: [{"function": str, "region": str|null, "alias": str|null, "message": str}]   # info, e.g. unmanaged alias kept
      function status values: "unchanged" | "changes" | "error"

    ## kind = "apply"
      same keys as plan (changes = what was planned), plus
      success: bool
      each change has "status": "applied" | "skipped" | "failed" | "not_attempted", "message": str|null
      function status values: "unchanged" | "changed" | "failed" | "not_attempted" (reason says why);
      each function has "next_step": str|null, what to check when the run could not finish the job
      (e.g. provisioned concurrency not confirmed READY because the run was interrupted)

    ## kind = "drift"
      in_sync: bool
      drift: [{"function": str, "region": str|null, "account": str|null, "alias": str|null,
               "kind": "alias_missing" | "version_differs" | "weights_differ" | "description_differs"
                       | "unmanaged_alias" | "pinned_version_missing" | "version_unpublished" | "rollout_failed"
                   | "rollout_interrupted" | "provisioned_concurrency_differs"
                   | "event_source_missing" | "event_source_differs" | "function_url_missing"
                   | "function_url_differs" | "permission_missing" | "permission_differs"
                   | "attachment_unmanaged" (see schemas/drift.schema.json for every kind),
               "expected": any JSON | null, "actual": any JSON | null, "message": str}]
      info: same shape as drift items (e.g. kind "unmanaged_alias" where prune is false, kind "converging"
            for an in-flight rollout, "bound_to_version" for a mapping, URL or statement bound to a
            version or the unqualified function): reported, not drift
      function status values: "in_sync" | "drifted" | "converging" | "error"

    ## kind = "validate" (`validate --format json`, schemas/validate.schema.json)
      format_version, kind, tool_version, generated_at, manifests, failure_reason, errors (the
      invalid-manifest entries above), plus valid: bool and
      summary: null | {"files": int, "functions": int, "aliases": int}   # null when invalid
"""

from __future__ import annotations
