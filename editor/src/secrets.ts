// The API shape `api.ts` imports from `./secrets`: it lives with the Secrets page; this file
// only keeps `api.ts`'s import path (pages import from their own folder, not here).

export type { SecretInfo } from "./operations/secrets";
