"""Where the MLPerf Tiny reference models are (PACKETCLIP_MLPERF_DIR; see its SOURCE.md)."""

import os
from pathlib import Path

MLPERF_DIR = Path(os.environ.get("PACKETCLIP_MLPERF_DIR", "/work/shared/data/mlperf-tiny"))
MLPERF = {"ad01": "ad01_int8.tflite", "kws": "kws_ref_model.tflite", "ic": "pretrainedResnet_quant.tflite",
          "vww": "vww_96_int8.tflite"}
