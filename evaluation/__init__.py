"""FuseEval-style evaluation: generation, per-benchmark scoring, results tables."""
