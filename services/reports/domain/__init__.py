"""What the office's documents say (pure: no bus, no database, no file format): the quarterly
调度会 pack built from the figures as they stood at the quarter's end."""
