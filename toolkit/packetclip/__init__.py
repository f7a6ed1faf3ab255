"""packetclip: PacketCLIP intrusion detection, distilled to int8 and run on microcontrollers.

Importing this package is cheap: no torch, no tensorflow. Each stage lives in its own
subpackage (data, bundle, teacher, distill, codegen, build, device, swap) and is imported
on demand.
"""

__version__ = "0.1.0"
