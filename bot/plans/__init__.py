"""Offboarding a member as one plan, bot side (issue 10): storing, gating, running.

    filing.py   discover, propose, store the plan with gate 1 and queue its card
    gates.py    a gate as a request: its steps as signed, its approvals by the usual rules
    codec.py    a plan step to and from JSON (stored with the step, shown on the card)
    runner.py   PlanRunner: claim approved gates behind the door, run their steps in
                waves, take over steps whose lease ran out, move the plan on
    stepping.py one step: built, marked sent, sent once, settled and verified by a read
    phases.py   between the gates: the fresh check, gate 2 and the requester's choices

The cloud side is ``commands.member_plan``; nothing here names an operation.
"""
