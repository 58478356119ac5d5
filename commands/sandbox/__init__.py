"""The local sandbox cloud: signature-checking, stateful, seeded with demo data.

Sandbox                 start()/stop(), base_url, calls, count, delay, fail, world
serve(host, port)       run it in the foreground (``offboard-bot sandbox``)
DEMO_ACCESS_KEY_ID / DEMO_ACCESS_KEY_SECRET   the credentials it accepts by default
demo_world()            a fresh seeded World (ids in docs/ARCHITECTURE.md)
"""

from commands.sandbox.seed import demo_world
from commands.sandbox.server import (
    DEMO_ACCESS_KEY_ID,
    DEMO_ACCESS_KEY_SECRET,
    RecordedCall,
    Sandbox,
    serve,
)
from commands.sandbox.world import World

__all__ = [
    "DEMO_ACCESS_KEY_ID",
    "DEMO_ACCESS_KEY_SECRET",
    "RecordedCall",
    "Sandbox",
    "World",
    "demo_world",
    "serve",
]
