// The API shape `api.ts` imports from `./deadletters`: it lives with the Dead letters page;
// this file only keeps `api.ts`'s import path (pages import from their own folder, not here).

export type { DeadLetter } from "./operations/deadletters";
