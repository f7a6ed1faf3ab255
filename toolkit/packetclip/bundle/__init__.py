"""Model bundles: model.tflite + model.json + MODEL_CARD.md, the hand-off between the
distiller (or a user's own model) and the code generator, firmware and harness.

No torch or tensorflow here: reading a bundle must work wherever the harness runs.
"""

from packetclip.bundle.format import Bundle, load_bundle, write_bundle  # noqa: F401
