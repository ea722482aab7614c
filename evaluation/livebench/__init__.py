"""LiveBench-0831 scorers, written for this repository (LiveBench is git-only; its PyPI name is a placeholder).

Every rule here follows the scorers that FuseEval vendored for the FuseChat-3.0 numbers
(https://github.com/SLIT-AI/FuseChat-3.0/tree/5af2bad/FuseEval/General-Eval/LiveBench/livebench/process_results),
which are byte-identical to upstream LiveBench's ``livebench/process_results`` from commit ``e84e548``
(2024-10-21, "add --livebench-release-option") through ``ab834ea`` (2024-12-12):
https://github.com/LiveBench/LiveBench/tree/e84e548/livebench/process_results. No code was copied; each module
restates the rules in its own code and cites the upstream file it follows.

Layout: one module per category (``mathematics``, ``reasoning``, ``coding``, ``data_analysis``, ``language``,
``instruction_following``), each exporting ``SCORERS`` (task name -> scorer); ``release`` is the question filter,
``aggregate`` the LiveBench average, ``synthetic`` the tiny-world items, ``registry`` the dispatch.
"""

UPSTREAM = "https://github.com/LiveBench/LiveBench"
UPSTREAM_COMMIT = "e84e548"  # process_results identical from here through ab834ea (2024-12-12)
FUSEEVAL = "https://github.com/SLIT-AI/FuseChat-3.0/tree/5af2bad/FuseEval/General-Eval/LiveBench"
