"""Conversations' periodic work: chats whose child went away unanswered are abandoned, and text
threads that went quiet are closed, whether or not any page is open."""

from __future__ import annotations

from helpline.common.periodic import Periodic
from helpline.conversations.chat import sweep_abandoned
from helpline.conversations.quiet import close_quiet_conversations

# A chat whose connection dropped is left CHILD_GONE_AFTER (60 s) later, 10 s late at most: a
# counsellor should not pick up a child who is gone. (A closed page ends its chat at once.)
ABANDONED_CHATS_SECONDS = 10.0
# Threads close after hours of quiet: a minute late is nothing.
QUIET_THREADS_SECONDS = 60.0

PERIODIC = [
    Periodic("conversations.abandoned_chats", ABANDONED_CHATS_SECONDS, sweep_abandoned),
    Periodic("conversations.quiet_threads", QUIET_THREADS_SECONDS, close_quiet_conversations),
]
