"""Distill a teacher run into an int8 TFLM student bundle.

Heavy modules (torch, litert-torch) load only when a function here runs:

    from packetclip.distill import distill
    result = distill("runs/teacher", board="mps2-an386", out="models/my-student")
"""


def distill(*args, **kwargs):
    from packetclip.distill.pipeline import distill as _distill

    return _distill(*args, **kwargs)
