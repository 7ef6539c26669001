"""`make bench`: measured throughput and memory of the pipeline's stages (never asserted)."""
