"""The training loop, batching into tensors, and prediction for token classification."""
