"""How reports name actions, results and failure reasons (markdown)."""

from __future__ import annotations

ACTIONS = {
    "publish_version": "📦 publish",
    "create_alias": "➕ create",
    "update_alias": "🔄 update",
    "delete_alias": "🗑️ delete",
    "delete_version": "🧹 delete version",
    "put_provisioned_concurrency": "⚙️ set provisioned concurrency",
    "delete_provisioned_concurrency": "⚙️ remove provisioned concurrency",
    "create_event_source": "🔌 create event source",
    "update_event_source": "🔌 update event source",
    "delete_event_source": "🔌 delete event source",
    "create_function_url": "🔗 create function URL",
    "update_function_url": "🔗 update function URL",
    "delete_function_url": "🔗 delete function URL",
    "add_permission": "🔑 add permission",
    "remove_permission": "🔑 remove permission",
}
# apply's title counts ACTIONS in these words, in the same order.
PAST = (
    "published",
    "created",
    "updated",
    "deleted",
    "versions deleted",
    "set",
    "removed",
    "event sources created",
    "event sources updated",
    "event sources deleted",
    "URLs created",
    "URLs updated",
    "URLs deleted",
    "permissions added",
    "permissions removed",
)
STATUSES = {
    "applied": "✅ applied",
    "skipped": "⏭️ skipped",
    "failed": "❌ failed",
    "not_attempted": "⏸️ not attempted",
}
REASONS = {
    "invalid-manifest": "invalid manifests",
    "plan-error": "planning found errors",
    "plan-stale": "the saved plan is stale",
    "apply-failed": "some changes failed",
    "rollout-held": "a rollout is held (rolled back, blocked by an alarm, or edited by hand)",
    "interrupted": "interrupted by SIGINT/SIGTERM (see what was applied below)",
}
