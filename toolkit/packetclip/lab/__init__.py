"""packetclip lab: real labelled traffic from real tools in isolated network namespaces (run.run_lab)."""
