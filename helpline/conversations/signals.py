"""What conversations tells the apps above it, which it never imports (see architecture.md)."""

from __future__ import annotations

from django.dispatch import Signal

# A child's text (SMS or chat) was stored, sent after commit with: contact_id, message_id,
# channel, text. A receiver must not fail the sender: it runs after the text is safe.
text_stored = Signal()
