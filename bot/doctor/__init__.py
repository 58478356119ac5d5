"""``offboard-bot doctor``: check a deployment before its first real request.

One line per check, ``ok`` or ``FAIL`` with what was checked and why it failed; the exit
status is 0 only when every check passed. See ``bot.doctor.report.run_doctor``.
"""

from bot.doctor.report import Check, run_doctor

__all__ = ["Check", "run_doctor"]
