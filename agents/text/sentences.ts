/**
 * Sentences and words of a text. Sentences split at every ".", "!" or "?" followed by a space, and at
 * line breaks: user text is often sloppy ("3pm. bring snacks"), and a sentence that starts in lower
 * case is still a sentence.
 */

const words = new Intl.Segmenter("en", { granularity: "word" });

export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((sentence) => sentence.trim().replace(/^[,;]\s*/, ""))
    .filter((sentence) => /[a-z0-9]/i.test(sentence));
}

/** Words as Unicode word segmentation counts them: "# Title" is one word, "it's" is one. */
export function countWords(text: string): number {
  let count = 0;
  for (const segment of words.segment(text)) if (segment.isWordLike) count += 1;
  return count;
}

/** The text up to the end of its `max`th word: "One two, three." cut to 2 → "One two". */
export function cutToWords(text: string, max: number): string {
  let count = 0;
  for (const segment of words.segment(text)) {
    if (!segment.isWordLike) continue;
    count += 1;
    if (count === max) return text.slice(0, segment.index + segment.segment.length);
  }
  return text;
}
