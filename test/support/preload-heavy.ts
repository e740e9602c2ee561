/**
 * The product loads mathjs and compromise on first use, so a process is ready fast. Tests load them
 * here, before each file's tests, as a start used to: a first turn under test must not spend its
 * timeout loading a library (seconds on a loaded machine).
 */
await Promise.all([import("mathjs"), import("compromise")]);
