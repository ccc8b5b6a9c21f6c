"""Whole news archives: shards read in bounded memory, written atomically, a manifest to resume by, event tables.

The model runs elsewhere (`ittifaq.baselines.archive_run`, `ittifaq.baselines.ray_engine`); this package only
reads, screens and writes records, so it never imports a model or Ray.
"""
