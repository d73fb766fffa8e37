"""State changes of reports: intake (every source) and triage (operators)."""
