import { z } from "zod";

// The page's Content-Security-Policy refuses eval. Left alone, zod probes `new Function` once to
// compile its object validators, is refused (a policy violation the browser reports), and then
// validates without compiling anyway: told so from the start, it never tries. Imported first by
// main.tsx, because zod reads this as each schema is built.
z.config({ jitless: true });
