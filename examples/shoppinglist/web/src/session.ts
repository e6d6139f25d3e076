// The signed-in session: the token and user, kept in localStorage so a reload
// or a second tab stays signed in. Subscribers hear every change.

import type { AuthResponse, User } from "./types";

const TOKEN_KEY = "shoppinglist.token";
const USER_KEY = "shoppinglist.user";

export interface Session {
  token: string;
  user: User;
}

type Listener = (s: Session | null) => void;
const listeners = new Set<Listener>();

function read(): Session | null {
  try {
    const token = localStorage.getItem(TOKEN_KEY);
    const user = localStorage.getItem(USER_KEY);
    if (!token || !user) return null;
    return { token, user: JSON.parse(user) as User };
  } catch {
    return null;
  }
}

let current: Session | null = read();

export function getSession(): Session | null {
  return current;
}

export function setSession(auth: AuthResponse | null): void {
  if (auth) {
    localStorage.setItem(TOKEN_KEY, auth.token);
    localStorage.setItem(USER_KEY, JSON.stringify(auth.user));
    current = { token: auth.token, user: auth.user };
  } else {
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
    current = null;
  }
  listeners.forEach((l) => l(current));
}

export function updateUser(user: User): void {
  if (!current) return;
  localStorage.setItem(USER_KEY, JSON.stringify(user));
  current = { ...current, user };
  listeners.forEach((l) => l(current));
}

export function subscribeSession(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

// Another tab signing in or out changes this one too.
window.addEventListener("storage", (e) => {
  if (e.key !== TOKEN_KEY && e.key !== USER_KEY) return;
  current = read();
  listeners.forEach((l) => l(current));
});
