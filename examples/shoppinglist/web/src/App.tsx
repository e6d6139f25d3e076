// App: the header, the routes (/, /signin, /lists, /lists/{listId}) and the
// providers (toasts, realtime).

import { useEffect, useSyncExternalStore } from "react";
import { ConnectionStatus } from "./components/ConnectionStatus";
import { ToastProvider } from "./components/Toasts";
import { ListPage } from "./pages/ListPage";
import { ListsPage } from "./pages/ListsPage";
import { SignInPage } from "./pages/SignInPage";
import { RealtimeProvider } from "./realtime/RealtimeContext";
import { Link, navigate, useLocation } from "./router";
import { getSession, setSession, subscribeSession } from "./session";

function useSession() {
  return useSyncExternalStore(subscribeSession, getSession);
}

function Redirect(props: { to: string }) {
  useEffect(() => navigate(props.to, { replace: true }), [props.to]);
  return null;
}

export function App() {
  const session = useSession();
  const { path, query } = useLocation();

  let page;
  const listMatch = /^\/lists\/([^/]+)\/?$/.exec(path);
  if (path === "/signin") {
    const next = query.get("next");
    page = session ? (
      <Redirect to={next && next.startsWith("/") && !next.startsWith("//") ? next : "/lists"} />
    ) : (
      <SignInPage next={next && next.startsWith("/") && !next.startsWith("//") ? next : "/lists"} signUp={query.get("mode") === "signup"} />
    );
  } else if (!session) {
    page = <Redirect to={path === "/" ? "/signin" : `/signin?next=${encodeURIComponent(path)}`} />;
  } else if (path === "/" ) {
    page = <Redirect to="/lists" />;
  } else if (path === "/lists" || path === "/lists/") {
    page = <ListsPage />;
  } else if (listMatch) {
    const listId = decodeURIComponent(listMatch[1]);
    page = <ListPage key={listId} listId={listId} me={session.user} />;
  } else {
    page = (
      <main>
        <div className="card">
          <h1>Not found</h1>
          <p>
            <Link href="/lists">Go to your lists</Link>
          </p>
        </div>
      </main>
    );
  }

  return (
    <ToastProvider>
      <RealtimeProvider token={session?.token ?? null}>
        <header className="topbar">
          <Link href={session ? "/lists" : "/signin"} className="brand">
            <svg className="brand-mark" viewBox="0 0 24 24" aria-hidden="true">
              <rect x="1" y="1" width="22" height="22" rx="6" />
              <path d="M6.5 12.5l3.5 3.5 7.5-8" />
            </svg>
            Shopping lists
          </Link>
          <div className="topbar-right">
            <ConnectionStatus />
            {session && (
              <>
                <span className="muted small" data-testid="current-user">
                  {session.user.displayName}
                </span>
                <button
                  type="button"
                  className="small-button"
                  onClick={() => {
                    setSession(null);
                    navigate("/signin");
                  }}
                >
                  Sign out
                </button>
              </>
            )}
          </div>
        </header>
        {page}
      </RealtimeProvider>
    </ToastProvider>
  );
}
