"""What conform sends: `--inputs random[:N]` (seeded random int8 inputs) or `--inputs FILE.npy`
(the user's recorded int8 inputs), checked against the bundle before anything connects.

    X, where = conform_inputs(bundle, "random:500")      # X: int8 [N, input_size]
"""

import io

import numpy as np

from packetclip.errors import PacketclipError

DEFAULT_RANDOM = 200
SEED = 0
NPY_MAX_BYTES = 1 << 30


def conform_inputs(bundle, spec, limit=None):
    """-> (int8 array [n, input_size], description). One-line errors name the file and the fix."""
    shape = tuple(bundle.input_shape[1:]) if len(bundle.input_shape) > 1 else tuple(bundle.input_shape)
    size = bundle.input_size
    spec = str(spec)
    if spec == "random" or spec.startswith("random:"):
        n = DEFAULT_RANDOM if spec == "random" else spec.split(":", 1)[1]
        try:
            n = int(n)
        except ValueError:
            n = -1
        if n < 1:
            raise PacketclipError(f"--inputs {spec}: give random:N with N >= 1 (e.g. random:500)")
        if limit is not None:
            n = min(n, int(limit))
        X = np.random.default_rng(SEED).integers(-128, 128, (n, size), dtype=np.int8)
        return X, f"{n} random int8 inputs (numpy default_rng({SEED}).integers(-128, 128, ({n}, {size})))"
    from packetclip.userfile import read_bytes

    data = read_bytes(spec, "inputs file (.npy)", max_bytes=NPY_MAX_BYTES)
    try:
        X = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise PacketclipError(f"{spec}: not a NumPy .npy array ({str(exc).splitlines()[0] if str(exc) else 'unreadable'}); "
                              "save the inputs with numpy.save(path, array)") from None
    if not isinstance(X, np.ndarray):
        raise PacketclipError(f"{spec}: holds no single array; save one with numpy.save(path, array)")
    want = f"int8 of shape (N, {', '.join(map(str, shape))}) or (N, {size})"
    if X.dtype != np.int8:
        raise PacketclipError(f"{spec}: dtype {X.dtype}, the model takes {want}: save quantized int8 inputs "
                              f"(q = round(x / {bundle.meta['input']['scale']:.6g}) + {bundle.meta['input']['zero_point']}, "
                              "clipped to -128..127)")
    if X.shape == shape:
        X = X[None]
    if X.ndim < 1 or len(X) == 0 or (tuple(X.shape[1:]) != shape and tuple(X.shape[1:]) != (size,)):
        raise PacketclipError(f"{spec}: shape {X.shape}, the model takes {want}; reshape the array")
    X = np.ascontiguousarray(X.reshape(len(X), size))
    if limit is not None:
        X = X[:int(limit)]
    return X, f"{len(X)} recorded inputs from {spec}"
