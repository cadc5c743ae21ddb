"""Speed and memory targets, run with `make bench` (python -m bench). Never in unit tests."""
