/**
 * Who is signed in. The session itself is the HttpOnly R_SESS cookie, which the page cannot
 * read; the page learns whether it is signed in by asking the server (its own principal), and
 * forgets the user whenever any request answers 401.
 */
import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiRequestError, onUnauthorized } from '../api/http';
import type { Principal, User, V3Collection } from '../api/types';
import { closeLiveSocket } from '../live/socket';
import { disposeAllLiveLists } from '../live/store';

export interface Session {
  user: User;
  /** May manage users and global roles (the users collection offers create). */
  isAdmin: boolean;
}

interface SessionState {
  status: 'loading' | 'signedOut' | 'signedIn';
  session?: Session;
  refresh: () => Promise<void>;
  /** `provider`: local (default), openldap or activedirectory. */
  logIn: (username: string, password: string, provider?: string) => Promise<void>;
  logOut: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

/** Rancher's public login path of each password provider. */
const LOGIN_PATHS: Record<string, string> = {
  local: '/v3-public/localProviders/local',
  openldap: '/v3-public/openLdapProviders/openldap',
  activedirectory: '/v3-public/activeDirectoryProviders/activedirectory',
};

/**
 * After signing out, nothing of the last user may stay: not their lists, nor the socket that was
 * opened with their cookie. Run once the signed-in pages have unmounted.
 */
function forgetLiveData(): void {
  setTimeout(() => {
    disposeAllLiveLists();
    closeLiveSocket();
  }, 0);
}

async function loadSession(): Promise<Session> {
  const principals = await api<V3Collection<Principal>>('GET', '/v3/principals');
  const me = principals.data.find((p) => p.me) ?? principals.data[0];
  if (!me) throw new Error('the server did not say who is signed in');
  const userId = me.id.replace(/^local:\/\//, '');
  const user = await api<User>('GET', `/v3/users/${encodeURIComponent(userId)}`);
  let isAdmin = false;
  if (!user.mustChangePassword) {
    const users = await api<V3Collection<User>>('GET', '/v3/users?limit=1');
    isAdmin = !!users.createTypes?.user;
  }
  return { user, isAdmin };
}

export function SessionProvider(props: { children: ReactNode }) {
  const [status, setStatus] = useState<SessionState['status']>('loading');
  const [session, setSession] = useState<Session>();

  const refresh = useCallback(async () => {
    try {
      setSession(await loadSession());
      setStatus('signedIn');
    } catch (err) {
      if (err instanceof ApiRequestError && err.status === 401) {
        setSession(undefined);
        setStatus('signedOut');
        return;
      }
      throw err;
    }
  }, []);

  useEffect(() => {
    refresh().catch(() => setStatus('signedOut'));
    return onUnauthorized(() => {
      setSession(undefined);
      setStatus('signedOut');
      forgetLiveData();
    });
  }, [refresh]);

  const logIn = useCallback(
    async (username: string, password: string, provider = 'local') => {
      await api('POST', `${LOGIN_PATHS[provider] ?? LOGIN_PATHS.local}?action=login`, {
        username,
        password,
        responseType: 'cookie',
      });
      await refresh();
    },
    [refresh],
  );

  const logOut = useCallback(async () => {
    // The socket goes first: were it still open when the server ends the session, its watches
    // would fail with 401 and the lists still on screen would list again, into more 401s.
    closeLiveSocket();
    try {
      await api('POST', '/v3/tokens?action=logout', {});
    } finally {
      setSession(undefined);
      setStatus('signedOut');
      forgetLiveData();
    }
  }, []);

  return (
    <SessionContext.Provider value={{ status, session, refresh, logIn, logOut }}>
      {props.children}
    </SessionContext.Provider>
  );
}

export function useSessionState(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The signed-in session; only for components rendered behind the auth guard. */
export function useSession(): Session & Pick<SessionState, 'refresh' | 'logOut'> {
  const s = useSessionState();
  if (!s.session) throw new Error('useSession needs a signed-in user');
  return { ...s.session, refresh: s.refresh, logOut: s.logOut };
}
