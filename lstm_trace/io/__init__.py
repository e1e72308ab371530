"""Input and output: what the user types and gives as files, and the traces lstm-trace writes and reads.

    vectors.py          vectors and sequences as typed (`0.1,0.2`), and from .npy, .json, .csv, .txt files
    scenarios.py        the scenario presets: named files of h, x, C and weights that teach something
    json_codec.py       JSON bytes: orjson where installed, the standard library otherwise
    trace_json.py       the lstm-trace/2 contract for step traces: write, read, validate
    backward_json.py    the "backward" block of a step
    sequence_json.py    sequence traces as one JSON document or as JSON Lines
    sequence_reader.py  reading any trace back: JSON or JSON Lines, steps or sequences
    stage_json.py       one stage of a step as JSON (the walk's `j`)

The contract's JSON Schema is lstm_trace/schema/trace.schema.json.
"""
