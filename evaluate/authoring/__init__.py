"""The corpus workflow: authoring sources, the build, statistics, agreement, Hub publishing."""
