"""Arabic text: proclitic-aware tokenization and orthographic normalization."""
