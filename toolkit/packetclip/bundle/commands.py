"""`packetclip export` and `packetclip verify` (thin; heavy imports happen inside)."""

import json
import sys
import tempfile
from pathlib import Path

import click


@click.command("export")
@click.option("--tflite", "tflite", default=None, help="Your int8 .tflite model (full-integer quantized, int8 input and output).")
@click.option("--keras", "keras", default=None, help="A Keras model to convert first (needs `pip install packetclip[keras]` and --data).")
@click.option("--labels", default=None, help="Class labels in output order: comma-separated or a file, one per line (canonical technique ids).")
@click.option("--features", default=None, help="Canonical feature names in input order: comma-separated or a file (default: all canonical features).")
@click.option("--transform", default=None, help="JSON file with the input transform (model.json 'transform'); default signed log1p only.")
@click.option("--data", default=None, help="Flows for the Keras representative dataset.")
@click.option("--generic", is_flag=True, help="A generic bundle (no flow metadata) even if the input could hold flow features.")
@click.option("--out", required=True, help="Bundle folder to write.")
def export(tflite, keras, labels, features, transform, data, generic, out):
    """Make a bundle (model.tflite + model.json + MODEL_CARD.md) from your own model.

    Any fully-int8 model the firmware engines run is accepted: with flow options (or an input
    that is a whole number of canonical flow-feature rows) it becomes a flow bundle, otherwise
    a generic one that `build` and `conform --inputs random:N|FILE.npy` take as it is."""
    from packetclip.bundle.export import export_tflite, keras_to_tflite
    from packetclip.errors import PacketclipError

    if (tflite is None) == (keras is None):
        raise PacketclipError("packetclip export: give exactly one of --tflite FILE or --keras FILE")
    if keras is not None:
        from packetclip.bundle.export import KERAS_HINT

        try:
            import tensorflow  # noqa: F401
        except ImportError:
            raise PacketclipError(KERAS_HINT) from None
        if data is None:
            raise PacketclipError("--keras: give --data FLOWS.csv for the int8 calibration (representative dataset)")
        from packetclip.bundle.export import _transform
        from packetclip.bundle.verify import feature_matrix
        from packetclip.data import FEATURES, load_flows, prep

        table = load_flows(path=data)
        feats = features.split(",") if features else list(FEATURES)
        X = feature_matrix(table, feats, data)
        t = _transform(transform, len(feats))
        Z = prep.apply_transform(t, X)
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "model.tflite"
            p.write_bytes(keras_to_tflite(keras, Z[:500]))
            export_tflite(p, out, labels=labels, features=features, transform=transform, log=click.echo)
        return
    export_tflite(tflite, out, labels=labels, features=features, transform=transform, generic=generic, log=click.echo)


@click.command("verify")
@click.argument("bundle")
@click.option("--data", default=None, help="Labelled flow file to evaluate on (default: the test split recorded in model.json).")
@click.option("--dialect", default=None, help="Dialect of --data (default: detected).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
def verify(bundle, data, dialect, as_json):
    """Check BUNDLE (dtypes, ops, quantization, model.json) and run it in the TFLM runtime."""
    from packetclip.bundle.verify import verify_bundle

    log = (lambda m: click.echo(m, err=True)) if as_json else click.echo
    result = verify_bundle(bundle, data=data, dialect=dialect, log=log)
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2, sort_keys=True) + "\n")
