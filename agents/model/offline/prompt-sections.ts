/**
 * The sections of a review or revision prompt, each found by its header line: `Draft:`,
 * `Criteria:` or `Feedback:` alone on a line. A section runs to the next header line or the end,
 * so the sections may come in any order. What comes before the first header is the request itself.
 */

export type SectionName = "draft" | "criteria" | "feedback";

const HEADER = /^\s*(draft|criteria|feedback)\s*:\s*$/i;

export function promptSections(text: string): Partial<Record<SectionName, string>> {
  const sections: Partial<Record<SectionName, string>> = {};
  let current: { name: SectionName; lines: string[] } | undefined;
  const close = () => {
    if (current && sections[current.name] === undefined) sections[current.name] = current.lines.join("\n").trim();
  };
  for (const line of text.split(/\r?\n/)) {
    const header = HEADER.exec(line);
    if (header) {
      close();
      current = { name: (header[1] ?? "").toLowerCase() as SectionName, lines: [] };
    } else {
      current?.lines.push(line);
    }
  }
  close();
  return sections;
}

/** The lines before the first section header: "Polish this draft; keep its meaning and length.". */
export function promptLead(text: string): string {
  const lines = text.split(/\r?\n/);
  const end = lines.findIndex((line) => HEADER.test(line));
  return (end === -1 ? lines : lines.slice(0, end)).join("\n").trim();
}

/** The items of a `- ` bullet list, as written. */
export function bulletItems(section: string): string[] {
  return section.split(/\r?\n/).flatMap((line) => {
    const item = /^\s*-\s+(.*\S)\s*$/.exec(line)?.[1];
    return item ? [item] : [];
  });
}
