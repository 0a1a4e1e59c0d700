// Mastra's stream framing: JSON records separated by the ASCII record separator (0x1E).

const RS = "\x1e";

/** Incremental splitter: feed text chunks, get complete parsed records back. */
export class RecordSplitter {
  constructor() {
    this.pending = "";
  }

  /** Returns the records completed by `text`; an unparsable record is skipped. */
  push(text) {
    this.pending += text;
    const parts = this.pending.split(RS);
    this.pending = parts.pop() ?? "";
    return parts.map(parseRecord).filter((record) => record !== undefined);
  }

  /** The trailing record, if the stream ended without a separator. */
  flush() {
    const rest = this.pending;
    this.pending = "";
    const record = parseRecord(rest);
    return record === undefined ? [] : [record];
  }
}

function parseRecord(text) {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  try {
    return JSON.parse(trimmed);
  } catch {
    // Some servers append a non-JSON sentinel ("data: [DONE]"); it carries nothing.
    return undefined;
  }
}

/** Read an RS-framed response body to its end, calling `onRecord` for each record. */
export async function readRecords(response, onRecord) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const splitter = new RecordSplitter();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    for (const record of splitter.push(decoder.decode(value, { stream: true }))) onRecord(record);
  }
  for (const record of splitter.push(decoder.decode())) onRecord(record);
  for (const record of splitter.flush()) onRecord(record);
}
