"""Benchmarking minisep against torch: cases, timing, reports. `benchmarks/` holds thin scripts over it."""
