"""WebSocket streaming of outbox events."""
