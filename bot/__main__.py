"""`python -m bot` is `offboard-bot`."""

from bot.cli import main

main()
