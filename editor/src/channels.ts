// The API shapes `api.ts` imports from `./channels`: they live with the pages that use them;
// this file only keeps `api.ts`'s import path (pages import from their own folder, not here).

export type { Connection } from "./channels/connections";
export type { Preview, PreviewBody } from "./editor/channelPreview";
