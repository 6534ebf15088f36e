"""The transactional outbox: jobs are enqueued in the transaction that causes them."""
