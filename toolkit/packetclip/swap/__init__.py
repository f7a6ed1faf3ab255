"""SWaP: size (flash, RAM), weight and power (latency, energy per inference) per board, against budgets."""
