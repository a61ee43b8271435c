// A channel connection as `/api/channels` describes it, and what each kind of connection
// asks for (its secrets and settings), for the Channels page.

import type { ChannelKind } from "../shared/channelKind";

import type { Connection } from "../api";

export type { Connection };

/** The secrets and settings each kind of connection asks for. */
export const CONNECTION_FIELDS: Record<ChannelKind, { secrets: string[]; settings: string[]; title: string }> = {
  whatsapp: { title: "WhatsApp Cloud API", secrets: ["app_secret", "access_token", "verify_token"], settings: ["phone_number_id"] },
  line: { title: "LINE", secrets: ["channel_secret", "access_token"], settings: ["plan"] },
  telegram: { title: "Telegram", secrets: ["bot_token", "secret_token"], settings: [] },
};
