"""The data exchange hub: flows in and out, receipts, feeds, webhooks, health."""
