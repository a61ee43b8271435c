// The step kinds the server knows (`/api/kinds`), by name, loaded once per editor page.

import { useEffect, useState } from "react";
import { api, type KindInfo } from "../api";

export function useKinds(): Map<string, KindInfo> {
  const [kinds, setKinds] = useState<Map<string, KindInfo>>(new Map());
  useEffect(() => {
    api.kinds().then((list) => setKinds(new Map(list.map((k) => [k.name, k]))));
  }, []);
  return kinds;
}
