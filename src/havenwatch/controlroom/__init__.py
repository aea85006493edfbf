"""The control room (issue 5, being built: see docs/controlroom.md). Not an installed app yet:
so far only its rule compiler, which is pure and needs no database."""
