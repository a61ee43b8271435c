// The channels a workspace can connect (the editor's preview tabs, the Channels page).

export type ChannelKind = "whatsapp" | "line" | "telegram";
