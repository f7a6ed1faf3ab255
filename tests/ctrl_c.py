"""Children that a test interrupts with SIGINT must take Ctrl-C: a CI job started in the background
by a non-interactive shell runs with SIGINT ignored, and exec passes that on to every child."""

import signal


def restore_sigint():
    """preexec_fn for subprocess.Popen: SIGINT back to its default, so Python raises KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
