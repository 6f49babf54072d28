"""What happened in a deliberation, announced after the transaction that did it commits.

Other apps (the notices of the notifications app, caches) connect here instead of the
deliberation services calling them: a rolled-back change announces nothing. Receivers get
ids, never instances, and load what they need.
"""

from django.db import transaction
from django.dispatch import Signal

topic_raised = Signal()  # topic_id, actor_id
step_changed = Signal()  # topic_id, source, target, outcome, actor_id
comment_posted = Signal()  # comment_id, topic_id, actor_id
objection_answered = Signal()  # objection_id, topic_id, actor_id
meeting_scheduled = Signal()  # meeting_id, actor_id (None when the deliberation day was scheduled automatically)
meeting_moved = Signal()  # meeting_id, previous_starts_at, actor_id
meeting_cancelled = Signal()  # meeting_id, actor_id


def send_on_commit(signal, sender, **kwargs):
    transaction.on_commit(lambda: signal.send_robust(sender=sender, **kwargs))
