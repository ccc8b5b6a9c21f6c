"""Reading, validating and writing files: JSONL with file:line, the rule set, the fast columnar reader, atomic writes."""
