// The REST client: one function per route of the contract. Every call sends
// the session's token; every error answer becomes an ApiError carrying the
// status and the JSON body ({error, fields?, item?}).

import { getSession, setSession } from "./session";
import type {
  AuthResponse,
  Collaborator,
  Item,
  ListDetail,
  Permission,
  ShoppingList,
  User,
} from "./types";

export class ApiError extends Error {
  readonly status: number;
  readonly body: { error?: string; fields?: Record<string, string>; item?: Item };

  constructor(status: number, body: ApiError["body"]) {
    super(body.error || `request failed (${status})`);
    this.status = status;
    this.body = body;
  }
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const session = getSession();
  if (session) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { error: "The server cannot be reached. Check your connection and try again." });
  }
  if (res.status === 204) return undefined as T;
  let data: unknown = undefined;
  const text = await res.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: text.slice(0, 200) };
    }
  }
  if (!res.ok) {
    // A token the server no longer accepts ends the session, except on the
    // sign-in routes themselves where 401 means "wrong password".
    if (res.status === 401 && session && !path.startsWith("/api/auth/")) setSession(null);
    throw new ApiError(res.status, (data as ApiError["body"]) ?? {});
  }
  return data as T;
}

export interface ItemInput {
  name?: string;
  quantity?: number;
  unit?: string;
  notes?: string;
  position?: number;
  expectedVersion?: number;
}

const enc = encodeURIComponent;

export const api = {
  register: (email: string, password: string, displayName: string) =>
    request<AuthResponse>("POST", "/api/auth/register", { email, password, displayName }),
  login: (email: string, password: string) =>
    request<AuthResponse>("POST", "/api/auth/login", { email, password }),
  me: () => request<User>("GET", "/api/me"),

  lists: () => request<ShoppingList[]>("GET", "/api/lists"),
  createList: (name: string, description?: string) =>
    request<ShoppingList>("POST", "/api/lists", description ? { name, description } : { name }),
  list: (listId: string) => request<ListDetail>("GET", `/api/lists/${enc(listId)}`),
  updateList: (listId: string, patch: { name?: string; description?: string }) =>
    request<ShoppingList>("PATCH", `/api/lists/${enc(listId)}`, patch),
  deleteList: (listId: string) => request<void>("DELETE", `/api/lists/${enc(listId)}`),

  addItem: (listId: string, input: ItemInput & { name: string }) =>
    request<Item>("POST", `/api/lists/${enc(listId)}/items`, input),
  updateItem: (listId: string, itemId: string, patch: ItemInput) =>
    request<Item>("PATCH", `/api/lists/${enc(listId)}/items/${enc(itemId)}`, patch),
  deleteItem: (listId: string, itemId: string) =>
    request<void>("DELETE", `/api/lists/${enc(listId)}/items/${enc(itemId)}`),
  purchase: (listId: string, itemId: string, isPurchased: boolean) =>
    request<Item>("POST", `/api/lists/${enc(listId)}/items/${enc(itemId)}/purchase`, { isPurchased }),

  invite: (listId: string, email: string, permission: Permission) =>
    request<Collaborator>("POST", `/api/lists/${enc(listId)}/collaborators`, { email, permission }),
  setPermission: (listId: string, userId: string, permission: Permission) =>
    request<Collaborator>("PATCH", `/api/lists/${enc(listId)}/collaborators/${enc(userId)}`, { permission }),
  removeCollaborator: (listId: string, userId: string) =>
    request<void>("DELETE", `/api/lists/${enc(listId)}/collaborators/${enc(userId)}`),
};

// errorText turns any thrown value into one sentence for the user, naming
// the invalid fields of a validation error.
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const fields = err.body.fields
      ? Object.entries(err.body.fields)
          .map(([f, r]) => `${f}: ${r}`)
          .join("; ")
      : "";
    return fields ? `${err.message} (${fields})` : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
