// SignInPage: sign in, or sign up with a display name (auth-mode switches).

import { useState, type FormEvent } from "react";
import { api, errorText } from "../api";
import { setSession } from "../session";
import { navigate } from "../router";

export function SignInPage(props: { next: string; signUp: boolean }) {
  const [signUp, setSignUp] = useState(props.signUp);
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError("");
    try {
      const auth = signUp
        ? await api.register(email.trim(), password, displayName.trim())
        : await api.login(email.trim(), password);
      setSession(auth);
      navigate(props.next, { replace: true });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="auth card">
      <h1>{signUp ? "Create your account" : "Sign in"}</h1>
      <p className="muted">Shared shopping lists that update for everyone at once.</p>
      <form onSubmit={submit} noValidate>
        {signUp && (
          <label>
            Your name
            <input
              data-testid="auth-display-name"
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
              autoComplete="name"
              maxLength={100}
              required
            />
          </label>
        )}
        <label>
          Email
          <input
            data-testid="auth-email"
            type="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            autoComplete="email"
            required
          />
        </label>
        <label>
          Password
          <input
            data-testid="auth-password"
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete={signUp ? "new-password" : "current-password"}
            minLength={signUp ? 8 : undefined}
            required
          />
        </label>
        {error && (
          <p className="form-error" role="alert" data-testid="auth-error">
            {error}
          </p>
        )}
        <button type="submit" className="primary" data-testid="auth-submit" disabled={busy}>
          {signUp ? "Sign up" : "Sign in"}
        </button>
      </form>
      <p className="switch">
        {signUp ? "Already have an account?" : "New here?"}{" "}
        <button
          type="button"
          className="link-button"
          data-testid="auth-mode"
          onClick={() => {
            setSignUp(!signUp);
            setError("");
          }}
        >
          {signUp ? "Sign in instead" : "Create an account"}
        </button>
      </p>
    </main>
  );
}
