"""The Arrow form of what the pages show, tables and chart data, made with pyarrow once per cached object, so that
Streamlit has nothing left to convert on a warm run."""
from __future__ import annotations

import pandas as pd
import pyarrow as pa


def table(frame: pd.DataFrame, preserve_index: bool | None = None) -> pa.Table:
    """The frame as an Arrow table. A column of mixed types, which Arrow cannot hold, becomes text; its missing
    values stay missing, so a table shows them as every table does."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=preserve_index)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        text = {c: frame[c].map(lambda v: None if v is None or v != v else str(v)) if frame[c].dtype == object
                else frame[c] for c in frame.columns}
        return pa.Table.from_pandas(pd.DataFrame(text, index=frame.index), preserve_index=preserve_index)


def stream(data: pa.Table) -> bytes:
    """The table in Arrow's IPC stream format, the form st.vega_lite_chart sends a chart's dataset in."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, data.schema) as writer:
        writer.write_table(data)
    return sink.getvalue().to_pybytes()
