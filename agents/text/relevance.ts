import MiniSearch from "minisearch";
import { spellOperators } from "./operator-words.js";
import { impliedWords } from "./implied-words.js";
import { isContentWord, stem, tokenize } from "./terms.js";

/**
 * Ranks a fixed set of candidate texts (agents' descriptions, tools, enum options) against a query
 * with MiniSearch's BM25+, so a word found in every candidate weighs little. The one relevance
 * ranking of the product: handoff narrowing, the offline model's routing, tool choice and
 * classification all read text the same way.
 */

export interface RelevanceCandidate {
  id: string;
  text: string;
}

export interface MatchedWord {
  /** The candidate's word, as its text spells it. */
  word: string;
  /** False when the word appears in every candidate, so it cannot tell them apart. */
  distinctive: boolean;
  /** How many candidates hold the word: 1 when it belongs to this candidate alone. */
  holders: number;
}

export interface Ranking {
  id: string;
  score: number;
  /** In the order of the query's words that found them. */
  matched: MatchedWord[];
}

/** Words a request only implies count for less than words it holds. */
const IMPLIED_WEIGHT = 0.5;
/** A near miss (percent/percentages, convert/conversion) counts for a little less than the same word. */
const SIMILAR_WEIGHT = 0.8;
const MIN_PREFIX_CHARS = 4;
const MIN_FUZZY_CHARS = 5;
const FUZZINESS = 0.2;

interface IndexedText {
  order: number;
  text: string;
}

/** Content words only, so a text's length, which BM25 discounts, counts what it says, not its filler. */
const readTokens = (text: string): string[] => tokenize(spellOperators(text)).filter(isContentWord);

/** How many built indexes are kept: a team's agents, tools and workflows, and the option lists of a few schemas. */
const KEPT_INDEXES = 64;
const built = new Map<string, RelevanceIndex>();

export class RelevanceIndex {
  /**
   * The index of `candidates`, built once for the same candidates: the offline model ranks the
   * same team, tools and options on every call, and building is most of what ranking costs.
   */
  static of(candidates: readonly RelevanceCandidate[]): RelevanceIndex {
    const key = JSON.stringify(candidates.map((candidate) => [candidate.id, candidate.text]));
    let index = built.get(key);
    if (index) built.delete(key);
    else index = new RelevanceIndex(candidates);
    // Most recently used last, so the oldest goes first when the map is full.
    built.set(key, index);
    if (built.size > KEPT_INDEXES) built.delete(built.keys().next().value as string);
    return index;
  }

  private readonly index = new MiniSearch<IndexedText>({
    idField: "order",
    fields: ["text"],
    tokenize: readTokens,
    processTerm: stem,
    searchOptions: {
      prefix: (term) => term.length >= MIN_PREFIX_CHARS,
      fuzzy: (term) => (term.length >= MIN_FUZZY_CHARS ? FUZZINESS : false),
      weights: { prefix: SIMILAR_WEIGHT, fuzzy: SIMILAR_WEIGHT },
    },
  });
  /** Per candidate: each stem and the first word that produced it. */
  private readonly spellings: Map<string, string>[];
  /** How many candidates hold each stem. */
  private readonly frequency = new Map<string, number>();

  private constructor(private readonly candidates: readonly RelevanceCandidate[]) {
    this.index.addAll(candidates.map((candidate, order) => ({ order, text: candidate.text })));
    this.spellings = candidates.map((candidate) => {
      const spelled = new Map<string, string>();
      for (const word of readTokens(candidate.text)) {
        const stemmed = stem(word);
        if (!spelled.has(stemmed)) spelled.set(stemmed, word);
      }
      for (const stemmed of spelled.keys()) this.frequency.set(stemmed, (this.frequency.get(stemmed) ?? 0) + 1);
      return spelled;
    });
  }

  /** Every candidate with its score, best first; ties keep the candidates' order. */
  rank(query: string): Ranking[] {
    const written = [...new Set(readTokens(query))];
    const writtenStems = new Set(written.map(stem));
    const implied = impliedWords(query).filter((word) => !writtenStems.has(stem(word)));
    const queryStems = [...writtenStems, ...implied.map(stem)];
    const hits = new Map(
      this.index
        .search({ combineWith: "OR", queries: [written.join(" "), { queries: [implied.join(" ")], boostTerm: () => IMPLIED_WEIGHT }] })
        .map((hit) => [hit.id as number, hit]),
    );
    return this.candidates
      .map((candidate, order) => {
        const hit = hits.get(order);
        const matched = hit ? this.matchedWords(order, Object.keys(hit.match), queryStems) : [];
        return { ranking: { id: candidate.id, score: hit?.score ?? 0, matched }, order };
      })
      .sort((a, b) => b.ranking.score - a.ranking.score || a.order - b.order)
      .map(({ ranking }) => ranking);
  }

  /** The best candidate, if some word of the query tells it apart from the others. */
  best(query: string): Ranking | undefined {
    const [top] = this.rank(query);
    if (!top || top.score <= 0) return undefined;
    return top.matched.some((match) => match.distinctive) ? top : undefined;
  }

  private matchedWords(order: number, stems: string[], queryStems: string[]): MatchedWord[] {
    // Which query word found a stem: the same stem, or one of the two a prefix of the other; near misses last.
    const source = (stemmed: string) => {
      const index = queryStems.findIndex((query) => stemmed.startsWith(query) || query.startsWith(stemmed));
      return index === -1 ? queryStems.length : index;
    };
    return [...stems]
      .sort((a, b) => source(a) - source(b))
      .map((stemmed) => {
        const holders = this.frequency.get(stemmed) ?? 0;
        return {
          word: this.spellings[order]?.get(stemmed) ?? stemmed,
          distinctive: this.candidates.length === 1 || holders < this.candidates.length,
          holders,
        };
      });
  }
}
