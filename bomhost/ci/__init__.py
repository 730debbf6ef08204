"""CI integration: talking to the forge a job runs on (the PR comment), kept out of the core."""
