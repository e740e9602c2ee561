/**
 * Function words and request filler: they say nothing about what a text is about, so neither the
 * knowledge base's index nor the relevance ranking of agents, tools and options counts them.
 */
const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but if then so of to in on at by for with about from into onto as than " +
    "is are was were be been being am do does did doing done have has had having " +
    "i me my mine myself you your yours we us our ours it its this that these those there here " +
    "he she they them their his her him one ones what which who whom whose when where why how " +
    "can could would should will shall may might must please pls kindly hi hello hey thanks thank " +
    "ok okay just also some any all more most much many very really quite too not no yes up out " +
    "over like want wants need needs let lets tell say says said give show know get make help something anything " +
    "thing things don doesn isn aren wasn weren hasn haven hadn won didn couldn wouldn shouldn s t d ll re ve m"
  ).split(" "),
);

export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word.toLowerCase());
}
