"""Files in and out: checkpoints (and the checks that bound them), explorer bundles, the zoo
listing, ONNX decoders for the browser, per-browser model folders, the static-site export."""
