"""The call: where and how requests are sent (target), what comes back (exchange, SSE), what it cost, recorded or replayed."""
