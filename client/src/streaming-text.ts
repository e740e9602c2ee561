/**
 * An answer still streaming, cut where its settled blocks end (issue #11): the blocks before the
 * last blank line outside a code fence no longer change as words arrive, so they are formatted once
 * and only the block being written is formatted again per frame. The cut is taken only where the
 * next line starts a new block at the left margin, not where it continues a list item or a quote.
 */
export interface StreamingParts {
  settled: string;
  tail: string;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

export function splitStreamingText(text: string): StreamingParts {
  let cut = 0;
  let fence: string | undefined;
  let offset = 0;
  let blank = false;
  for (const line of text.split("\n")) {
    const start = offset;
    offset += line.length + 1;
    const marker = FENCE.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      continue;
    }
    // The line after a blank one begins a block of its own at the margin: everything before it is settled.
    if (blank && /^[^\s>\-*+\d]/.test(line)) cut = start;
    if (marker !== undefined) fence = marker;
    blank = line.trim() === "";
  }
  return { settled: text.slice(0, cut), tail: text.slice(cut) };
}
