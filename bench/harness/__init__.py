"""Shared pieces of the processors benchmarks: the stack, worker processes, workloads, progress."""
