"""The core's pages, one module per concept. Views parse, call one service or selector, render."""
