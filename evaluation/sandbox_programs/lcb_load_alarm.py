# First text of every LiveCodeBench program (``evaluation.code_exec.lcb_program``): LCB's load time-out.
#
# LCB loads a program under ``signal.alarm(timeout)``: its import header and top level must finish within it.
# The generated line after this text arms it; ``lcb_check`` cancels it once the program has loaded (an alarm
# left with the default disposition kills the child, a ``crashed`` verdict, as LCB fails a program that loads
# too slowly). No docstring: this text opens the program's module, whose ``__doc__`` must stay unset.

import signal as _fcx_sig0


def _fcx_arm_load_alarm(seconds: int) -> None:
    """``signal.alarm(seconds)`` (whole seconds, as LCB's)."""
    _fcx_sig0.alarm(int(seconds))
