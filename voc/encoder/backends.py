"""The encoder backends' names, importable without torch (config validation needs them)."""

BACKENDS: tuple[str, ...] = ("torch", "torch-int8", "torch-bf16", "onnx", "onnx-int8")
