"""The permanent bad-input suite (issue 12 item 7): cases, the two runners, and the shared inputs."""
